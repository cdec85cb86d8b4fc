"""The far-to-near transfer: least squares recovers a known path; the gain as keyed data; the clip estimate."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import scipy.signal
from channel_reference import SR, stereo, stft

from asdlens.features import ChannelSpec, MelSpec, Transfer, estimate_transfer, fit_transfer, melspectrogram

SPEC = MelSpec(n_fft=512, hop_length=128, n_mels=40, dtype="float64")
PATH = np.array([0, 0, 0, 0, 0, 0.8, -0.3])  # delay 5 samples, then a gentle low-pass tilt


def _path_clips(n_clips: int = 3, seconds: float = 2.0, noise: float = 0.01) -> list[np.ndarray]:
    """Near: white noise. Far: the near channel filtered and delayed by ``PATH``, plus independent noise."""
    rng = np.random.default_rng(7)
    clips = []
    for _ in range(n_clips):
        near = rng.standard_normal(int(seconds * SR))
        far = scipy.signal.lfilter(PATH, [1.0], near) + noise * rng.standard_normal(near.size)
        clips.append(np.stack([near, far]))
    return clips


def _response(n_fft: int) -> np.ndarray:
    """The path's frequency response A at the STFT's bins: far = A near, so near = (1 / A) far."""
    return np.fft.rfft(PATH, n=n_fft)


def test_complex_least_squares_recovers_the_known_transfer():
    transfer = fit_transfer(_path_clips(), SPEC, ChannelSpec("complex_subtraction", transfer="fitted"))
    assert transfer.kind == "complex" and transfer.n_bins == 257 and transfer.clips == 3
    error = np.abs(transfer.gain * _response(SPEC.n_fft) - 1.0)  # H A = 1 for the true H
    # A 5-sample delay in 512-sample Hann frames leaks a little between frames: a few per mille, not more.
    assert np.median(error) < 5e-3 and error.max() < 2e-2
    phase = np.angle(transfer.gain[1:-1] * _response(SPEC.n_fft)[1:-1])
    assert np.abs(phase).max() < 2e-2  # the delay's phase is undone, not only the magnitude


def test_magnitude_least_squares_recovers_the_inverse_path_gain():
    transfer = fit_transfer(_path_clips(), SPEC, ChannelSpec("magnitude_subtraction", transfer="fitted"))
    assert transfer.kind == "magnitude" and transfer.gain.dtype == np.float64
    error = np.abs(transfer.gain * np.abs(_response(SPEC.n_fft)) - 1.0)
    assert np.median(error) < 5e-3 and error.max() < 2e-2


def test_complex_subtraction_with_the_true_transfer_cancels_the_far_channel():
    """Far = A near exactly (no noise): C - H F with the fitted H leaves under -25 dB (what frame leakage of the
    delay leaves); with H = 1 most of the near channel stays."""
    clips = _path_clips(1, noise=0.0)
    fitted = ChannelSpec("complex_subtraction", transfer="fitted")
    transfer = fit_transfer(clips, SPEC, fitted)
    stages = melspectrogram(clips[0], SPEC, channels=fitted, transfer=transfer, stages=True)
    left = stages["spectrum"][5:-5, 5:-5].sum() / stages["near_spectrum"][5:-5, 5:-5].sum()
    raw = melspectrogram(clips[0], SPEC, channels=dataclasses.replace(fitted, transfer="none"), stages=True)
    assert left < 3e-3 and raw["spectrum"].sum() > 0.3 * raw["near_spectrum"].sum()


def test_the_clip_transfer_is_the_fitted_transfer_of_that_clip():
    """transfer="clip" estimates inside the pipeline what estimate_transfer gives on the clip alone."""
    clip = stereo(0.5, seed=5, batch=1)[0]
    for policy in ("complex_subtraction", "magnitude_subtraction"):
        spec = ChannelSpec(policy, transfer="clip")
        transfer = fit_transfer([clip], SPEC, dataclasses.replace(spec, transfer="fitted"))
        np.testing.assert_allclose(
            melspectrogram(clip, SPEC, channels=spec),
            melspectrogram(
                clip, SPEC, channels=dataclasses.replace(spec, transfer="fitted"), transfer=transfer
            ),
            rtol=1e-12,
        )


def test_estimate_sums_over_clips_as_over_their_frames_together():
    spectra = [np.stack([stft(ch, 512, 128).T for ch in clip]) for clip in _path_clips(2, seconds=0.5)]
    joined = np.concatenate(spectra, axis=-1)  # one "clip" with both clips' frames
    for kind in ("complex", "magnitude"):
        np.testing.assert_allclose(
            estimate_transfer(spectra, kind=kind).gain,
            estimate_transfer([joined], kind=kind).gain,
            rtol=1e-12,
        )
    silent = np.zeros((2, 257, 4), np.complex128)
    assert np.array_equal(estimate_transfer([silent], kind="complex").gain, np.zeros(257))  # eps: 0, not 0/0


def test_transfer_key_is_the_content():
    gain = np.array([1.0 + 0.5j, -0.25j, 2.0])
    t = Transfer(gain)
    assert t.key() == "028442e1f798"  # hard-coded: the same bytes give the same key on every machine and run
    assert Transfer(gain.copy()).key() == t.key() == Transfer(gain.astype(">c16")).key()
    assert Transfer(gain, clips=9).key() == t.key()  # the clip count is a note
    gain[0] = 3.0  # the caller's array changes; the Transfer kept a copy
    assert t.gain[0] == 1.0 + 0.5j and Transfer(gain).key() != t.key()
    assert (
        Transfer(np.array([1.0, 0.5])).key() != Transfer(np.array([1.0 + 0j, 0.5])).key()
    )  # kind is content
    with pytest.raises(ValueError, match="read-only|not writeable"):
        t.gain[0] = 0
    re, im = t.parts()
    assert Transfer.from_parts(re, im).key() == t.key()


@pytest.mark.parametrize(
    "gain, message",
    [
        (np.ones((2, 3)), "1-D array \\[n_bins\\]; got shape \\(2, 3\\)"),
        (np.array([]), "1-D array"),
        (np.array([1.0, np.nan]), "1 non-finite"),
        (np.array(["a", "b"]), "dtype <U1"),
    ],
)
def test_bad_gain_names_the_problem(gain, message):
    with pytest.raises(ValueError, match=message):
        Transfer(gain)


def test_fit_and_estimate_inputs_are_checked():
    clip = _path_clips(1, seconds=0.2)[0]
    with pytest.raises(ValueError, match="policy='near'\\) has no transfer to fit"):
        fit_transfer([clip], SPEC, ChannelSpec("near"))
    with pytest.raises(ValueError, match="clips\\[0\\] has 1 channel"):
        fit_transfer([clip[0]], SPEC, ChannelSpec("complex_subtraction"))
    with pytest.raises(ValueError, match="clips\\[1\\] must be one clip \\[2, samples\\]"):
        fit_transfer([clip, np.stack([clip, clip])], SPEC, ChannelSpec("complex_subtraction"))
    with pytest.raises(ValueError, match="needs at least one clip"):
        estimate_transfer([], kind="complex")
    with pytest.raises(ValueError, match="kind='power' is not allowed"):
        estimate_transfer([], kind="power")
    with pytest.raises(ValueError, match="spectra\\[0\\] must be a complex STFT \\[2, n_bins, frames\\]"):
        estimate_transfer([np.ones((2, 257, 3))], kind="complex")
