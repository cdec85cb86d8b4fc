"""The Kaldi fbank (``asdlens.features.kaldi_fbank`` / ``kaldi_torch``) against values derived here from the formulas.

torchaudio is NOT installed and cannot be: its wheels are built against one torch release each and none loads
beside the torch this project pins. So there is no oracle library here; the checks are (1) one frame computed
directly from the definition with scalar loops (DC removal, pre-emphasis, the povey window, a DFT by its sum, the
triangular filters on the Kaldi mel scale, the log), (2) known properties (frame counts with and without
``snip_edges``, filter centres equally spaced in Kaldi mel, the log's response to scaling and to a sine), (3) the
torch implementation against the NumPy reference. :func:`test_equals_torchaudio_where_installed` compares with
torchaudio itself on a machine where it is installed (skipped here).

The definition: torchaudio ``src/torchaudio/compliance/kaldi.py`` @ 2326b750 (``fbank`` and its helpers).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.signal

from asdlens.features.kaldi_fbank import (
    EPSILON,
    KaldiFbankSpec,
    frame_indices,
    kaldi_fbank_numpy,
    kaldi_mel,
    kaldi_mel_banks,
    kaldi_mel_centres,
    kaldi_window,
    n_frames,
)
from signals import SIGNALS, make_signal

BEATS = KaldiFbankSpec(n_mels=128)  # BEATs' settings: torchaudio defaults, 128 bins, 16 kHz, 25 ms / 10 ms
SCALE = 2.0**15  # BEATs scales [-1, 1) audio by 2 ** 15 before the fbank


def direct_frame(clip: np.ndarray, t: int, *, sr: int = 16000, n_mels: int = 128) -> np.ndarray:
    """Frame ``t`` of the Kaldi fbank of ``clip``, written out from the definition with scalar loops."""
    size, shift, fft = int(sr * 0.025), int(sr * 0.010), 512
    x = [float(v) for v in clip[t * shift : t * shift + size]]
    mean = sum(x) / size
    x = [v - mean for v in x]
    x = [x[j] - 0.97 * x[max(0, j - 1)] for j in range(size)]
    x = [x[i] * (0.5 - 0.5 * math.cos(2 * math.pi * i / (size - 1))) ** 0.85 for i in range(size)]
    x += [0.0] * (fft - size)
    n = np.arange(fft)
    power = [abs(np.sum(np.asarray(x) * np.exp(-2j * np.pi * k * n / fft))) ** 2 for k in range(fft // 2)]

    def mel(f):
        return 1127.0 * math.log(1.0 + f / 700.0)

    lo, hi = mel(20.0), mel(sr / 2)
    step = (hi - lo) / (n_mels + 1)
    out = []
    for m in range(n_mels):
        left, centre, right = lo + m * step, lo + (m + 1) * step, lo + (m + 2) * step
        energy = 0.0
        for k in range(fft // 2):  # the Nyquist bin has weight 0
            f = mel(k * sr / fft)
            if left < f < right:
                energy += power[k] * (
                    (f - left) / (centre - left) if f <= centre else (right - f) / (right - centre)
                )
        out.append(math.log(max(energy, EPSILON)))
    return np.array(out)


@pytest.mark.parametrize("kind", ["noise", "hum"])
def test_one_frame_equals_the_definition(kind):
    clip = make_signal(kind, seconds=0.5).astype(np.float64) * SCALE
    ours = kaldi_fbank_numpy(clip, BEATS)
    for t in (0, 7, len(ours) - 1):
        np.testing.assert_allclose(ours[t], direct_frame(clip, t), rtol=0, atol=1e-9)


@pytest.mark.parametrize("n", [400, 401, 559, 560, 16000, 160000, 176000])
def test_frame_counts(n):
    # snip_edges: frames that fit; otherwise one frame per shift, rounded (torchaudio's _get_strided)
    assert n_frames(BEATS, n) == 1 + (n - 400) // 160
    loose = KaldiFbankSpec(snip_edges=False)
    assert n_frames(loose, n) == (n + 80) // 160
    assert kaldi_fbank_numpy(np.zeros(n), loose).shape == ((n + 80) // 160, 23)


def test_a_ten_second_clip_has_998_frames():
    assert n_frames(BEATS, 160000) == 998  # 62 BEATs patch rows of 16 frames (the last 6 frames are dropped)


def test_short_clip_is_a_clear_error():
    with pytest.raises(ValueError, match="shorter than one Kaldi frame"):
        kaldi_fbank_numpy(np.zeros(399), BEATS)


def test_mirrored_edges_without_snip_edges():
    # Kaldi mirrors at the ends without repeating the edge sample twice in the wrong place: numpy's
    # "symmetric" padding (x[1] x[0] | x[0] x[1] ... x[n-1] | x[n-1] x[n-2]) is that rule.
    spec = KaldiFbankSpec(snip_edges=False)
    n = 1000
    clip = np.arange(n, dtype=np.float64)
    pad = spec.window_size // 2 - spec.window_shift // 2  # 120 samples before the first frame
    padded = np.pad(clip, (pad, spec.window_size), mode="symmetric")
    index = frame_indices(spec, n)
    for t in range(len(index)):
        np.testing.assert_array_equal(clip[index[t]], padded[t * 160 : t * 160 + 400])


def test_windows_are_the_symmetric_windows():
    assert kaldi_window(BEATS).shape == (400,)
    hann = scipy.signal.get_window("hann", 400, fftbins=False)
    np.testing.assert_allclose(kaldi_window(BEATS), hann**0.85, atol=1e-15)
    for name, scipy_name in [("hanning", "hann"), ("hamming", "hamming"), ("blackman", "blackman")]:
        w = kaldi_window(KaldiFbankSpec(window=name))
        np.testing.assert_allclose(w, scipy.signal.get_window(scipy_name, 400, fftbins=False), atol=1e-15)
    np.testing.assert_array_equal(kaldi_window(KaldiFbankSpec(window="rectangular")), np.ones(400))


def test_filter_centres_are_equally_spaced_in_kaldi_mel():
    assert kaldi_mel(700.0) == pytest.approx(1127.0 * math.log(2.0), rel=1e-15)
    centres = kaldi_mel_centres(BEATS)
    step = (1127 * math.log(1 + 8000 / 700) - 1127 * math.log(1 + 20 / 700)) / 129
    np.testing.assert_allclose(np.diff(kaldi_mel(centres)), step, rtol=1e-10)
    assert kaldi_mel(centres[0]) == pytest.approx(1127 * math.log(1 + 20 / 700) + step, rel=1e-12)
    # Each triangle is nonzero only strictly between its neighbours' centres, and peaks next to its own.
    banks = kaldi_mel_banks(BEATS)
    bins_hz = np.arange(BEATS.n_bins) * 16000 / 512
    edges = np.concatenate([[20.0], centres, [8000.0]])
    for m in range(128):
        on = bins_hz[banks[m] > 0]
        assert np.all((on > edges[m]) & (on < edges[m + 2]))
    assert banks.shape == (128, 257) and np.all(banks[:, -1] == 0) and banks.max() <= 1.0


def test_one_filter_of_beats_fbank_covers_no_fft_bin():
    # A fact of the definition (128 bins on a 512-point FFT at 16 kHz, bins every 31.25 Hz): the 4th filter spans
    # 62.96-93.01 Hz, between the bins at 62.5 and 93.75 Hz, so BEATs' input band 3 is always the log floor.
    banks = kaldi_mel_banks(BEATS)
    empty = np.flatnonzero(banks.sum(axis=1) == 0)
    assert empty.tolist() == [3]
    out = kaldi_fbank_numpy(make_signal("noise") * SCALE, BEATS)
    np.testing.assert_array_equal(out[:, 3], math.log(EPSILON))  # always the log floor


def test_log_fbank_responds_to_scaling_and_to_a_sine():
    noise = make_signal("noise").astype(np.float64) * SCALE
    a, b = kaldi_fbank_numpy(noise, BEATS), kaldi_fbank_numpy(2 * noise, BEATS)
    live = np.ones(128, bool)
    live[3] = False
    np.testing.assert_allclose((b - a)[:, live], 2 * math.log(2.0), atol=1e-9)  # power: 2 ln 2
    t = np.arange(16000) / 16000
    for freq in (300.0, 1000.0, 5000.0):
        out = kaldi_fbank_numpy(0.5 * SCALE * np.sin(2 * np.pi * freq * t), BEATS)
        nearest = int(np.argmin(np.abs(kaldi_mel_centres(BEATS) - freq)))
        assert abs(int(np.median(out.argmax(axis=1))) - nearest) <= 1


def test_spec_validation_names_the_field():
    with pytest.raises(ValueError, match=r"KaldiFbankSpec\.window='hann'.*povey"):
        KaldiFbankSpec(window="hann")
    with pytest.raises(ValueError, match=r"KaldiFbankSpec\.n_mels"):
        KaldiFbankSpec(n_mels=3)
    with pytest.raises(ValueError, match=r"KaldiFbankSpec\.high_freq"):
        KaldiFbankSpec(low_freq=5000.0, high_freq=-4000.0)
    with pytest.raises(ValueError, match=r"KaldiFbankSpec\.preemphasis"):
        KaldiFbankSpec(preemphasis=1.5)
    assert KaldiFbankSpec().key() != BEATS.key() and BEATS.key() == KaldiFbankSpec(n_mels=128).key()


torch = pytest.importorskip("torch")
from asdlens.features.kaldi_torch import kaldi_fbank  # noqa: E402


def test_torch_float64_equals_the_reference():
    spec = KaldiFbankSpec(n_mels=128, snip_edges=False, window="hamming", use_power=False)
    batch = np.stack([make_signal(k) for k in SIGNALS]).astype(np.float64) * SCALE
    for s in (BEATS, spec):
        ours = kaldi_fbank(torch.from_numpy(batch), s)
        assert ours.dtype == torch.float64 and ours.shape == (4, n_frames(s, 32000), 128)
        # Two float64 FFTs round differently; a band far below its frame's peak keeps fewer digits.
        np.testing.assert_allclose(ours.numpy(), kaldi_fbank_numpy(batch, s), rtol=0, atol=1e-6)


@pytest.mark.parametrize("kind", SIGNALS)
def test_torch_float32_within_float32_rounding(kind):
    clip = make_signal(kind) * np.float32(SCALE)  # float32 audio, as BEATs computes it
    ours = kaldi_fbank(torch.from_numpy(clip), BEATS).numpy()
    ref = kaldi_fbank_numpy(clip, BEATS)
    assert ours.dtype == np.float32
    # In the energy domain, relative to each frame's loudest band: float32 FFT rounding (~1e-7 of the peak).
    peak = np.exp(ref).max(axis=1, keepdims=True)
    assert (np.abs(np.exp(ours.astype(np.float64)) - np.exp(ref)) / peak).max() < 1e-5
    # In the log domain, bands within 40 dB (9.2 nats) of the frame's peak agree to 1e-3.
    near = ref > np.log(peak) - 9.2
    assert np.abs(ours - ref)[near].max() < 1e-3


def test_torch_batch_equals_single_clips():
    batch = np.stack([make_signal(k) for k in SIGNALS]) * np.float32(SCALE)
    together = kaldi_fbank(torch.from_numpy(batch), BEATS)
    for i in range(len(batch)):
        alone = kaldi_fbank(torch.from_numpy(batch[i]), BEATS)
        np.testing.assert_allclose(together[i].numpy(), alone.numpy(), rtol=0, atol=1e-5)


def test_torch_rejects_other_inputs():
    with pytest.raises(ValueError, match="float32/float64 tensor"):
        kaldi_fbank(torch.zeros(2, 2, 1000), BEATS)
    with pytest.raises(ValueError, match="float32/float64 tensor"):
        kaldi_fbank(torch.zeros(1000, dtype=torch.int16), BEATS)


def test_equals_torchaudio_where_installed():
    kaldi = pytest.importorskip(
        "torchaudio.compliance.kaldi",
        reason="torchaudio is not installed (it cannot load beside the pinned torch)",
    )
    clip = torch.from_numpy(make_signal("hum") * np.float32(SCALE))
    theirs = kaldi.fbank(
        clip[None], num_mel_bins=128, sample_frequency=16000, frame_length=25, frame_shift=10
    )
    ours = kaldi_fbank(clip, BEATS)
    assert theirs.shape == ours.shape
    assert (theirs - ours).abs().max() < 1e-3
