"""Every backend against the real librosa over a grid of specs and signals.

Criteria (issue 2): within 1e-5 relative error on every mel bin within 100 dB of the clip's peak, within 1e-3 dB
after a log; the NumPy backend in float64 equals librosa in float64 bit for bit.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest

from asdlens.features import MelSpec, get_preset, melspectrogram
from asdlens.features.backends.librosa import reflect_tail_frames
from signals import SIGNALS, make_signal

BACKENDS = ("numpy", "tensorflow", "torch")

GRID = {
    "default": MelSpec(),
    "reflect": MelSpec(pad_mode="reflect"),
    "not-centred": MelSpec(center=False, n_fft=1024, hop_length=256),
    "n_fft-256": MelSpec(n_fft=256, hop_length=64, n_mels=40),
    "n_fft-4096": MelSpec(n_fft=4096, hop_length=1024, n_mels=256),
    "short-window": MelSpec(n_fft=2048, win_length=1200, hop_length=300),
    "short-window-reflect": MelSpec(n_fft=1024, win_length=400, hop_length=160, pad_mode="reflect"),
    "magnitude": MelSpec(n_fft=1024, hop_length=512, power=1.0),
    "htk": MelSpec(n_fft=1024, hop_length=512, mel_scale="htk"),
    "htk-no-norm": MelSpec(n_fft=1024, hop_length=512, mel_scale="htk", norm=None),
    "slaney-no-norm": MelSpec(n_fft=512, hop_length=128, norm=None, n_mels=64),
    "band": MelSpec(n_fft=1024, hop_length=256, fmin=125.0, fmax=7600.0, n_mels=80),
    "band-htk": MelSpec(n_fft=2048, hop_length=256, fmin=20.0, fmax=7000.0, mel_scale="htk", norm=None),
    "hamming": MelSpec(n_fft=1024, hop_length=512, window="hamming"),
    "symmetric": MelSpec(n_fft=1024, hop_length=512, periodic=False),
    "dcase-log": get_preset("dcase2020"),
    "mimii": get_preset("mimii"),
    "db-log": MelSpec(n_fft=1024, hop_length=512, log="db"),
    "db-log-ref-max": MelSpec(n_fft=1024, hop_length=512, log="db", ref="max", top_db=None),
    "ln-log": MelSpec(n_fft=1024, hop_length=512, log="ln", eps=1e-6),
    "hop-half-reflect": MelSpec(n_fft=400, hop_length=200, pad_mode="reflect", mel_scale="htk", norm=None),
}


def librosa_reference(y: np.ndarray, spec: MelSpec) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # librosa warns about empty filters at n_fft 256
        return melspectrogram(y, spec, backend="librosa")


def compare(ours: np.ndarray, ref: np.ndarray, spec: MelSpec, n_samples: int) -> None:
    skip = reflect_tail_frames(spec, n_samples)
    if skip:
        ours, ref = ours[..., :-skip], ref[..., :-skip]
    assert ours.shape == ref.shape
    assert ours.dtype == np.dtype(spec.dtype)
    if spec.log is None:
        floor = ref.max() * (1e-10 if spec.power == 2.0 else 1e-5)  # 100 dB below the peak
        keep = ref >= floor
        rel = np.abs(ours - ref)[keep] / ref[keep]
        assert rel.max() < 1e-5, f"max relative error {rel.max():.3g}"
    else:
        # Log outputs in dB ("dcase", "db") or nepers ("ln"): compare in dB.
        to_db = 10 / np.log(10) if spec.log == "ln" else 1.0
        ref_db = ref * to_db
        keep = ref_db >= ref_db.max() - 100
        err = np.abs(ours - ref)[keep] * to_db
        assert err.max() < 1e-3, f"max error {err.max():.3g} dB"


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", list(GRID))
def test_backend_matches_librosa(backend, name):
    spec = GRID[name]
    batch = np.stack([make_signal(kind) for kind in SIGNALS])
    ours = np.asarray(melspectrogram(batch, spec, backend=backend))
    for i, y in enumerate(batch):
        compare(ours[i], librosa_reference(y, spec), spec, y.size)


@pytest.mark.parametrize("name", list(GRID))
def test_numpy_float64_is_bit_identical_to_librosa(name):
    spec = dataclasses.replace(GRID[name], dtype="float64")
    y = make_signal("hum").astype(np.float64)
    ours = melspectrogram(y, spec)
    ref = librosa_reference(y, spec)
    skip = reflect_tail_frames(spec, y.size)
    if skip:
        ours, ref = ours[..., :-skip], ref[..., :-skip]
    assert ours.dtype == ref.dtype == np.float64
    np.testing.assert_array_equal(ours, ref)


def test_librosa_reflect_tail_quirk_is_the_only_difference():
    """librosa >= 0.10 reflects a short tail segment on its own; asdlens reflects the whole signal (librosa 0.9)."""
    import librosa

    spec = dataclasses.replace(GRID["hop-half-reflect"], dtype="float64")
    y = make_signal("noise").astype(np.float64)  # 32000 samples: the tail segment is exactly n_fft // 2 long
    assert reflect_tail_frames(spec, y.size) == 1
    ours = melspectrogram(y, spec, stages=True)
    theirs = melspectrogram(y, spec, backend="librosa", stages=True)
    assert not np.array_equal(ours["spectrum"][:, -1], theirs["spectrum"][:, -1])
    np.testing.assert_array_equal(ours["spectrum"][:, :-1], theirs["spectrum"][:, :-1])
    # The whole-signal reflection is what librosa's own frame + pad gives (and what librosa <= 0.9 computed).
    padded = np.pad(y, spec.n_fft // 2, mode="reflect")
    frames = librosa.util.frame(padded, frame_length=spec.n_fft, hop_length=spec.hop)
    window = librosa.filters.get_window("hann", spec.n_fft)
    expected = np.abs(np.fft.rfft(frames * window[:, None], axis=0)) ** 2
    np.testing.assert_array_equal(ours["spectrum"], expected)


@pytest.mark.parametrize("name", ["default", "dcase-log", "short-window", "not-centred"])
def test_stages_match_librosa(name):
    spec = GRID[name]
    y = make_signal("chirp")
    ours = melspectrogram(y, spec, stages=True)
    ref = melspectrogram(y, spec, backend="librosa", stages=True)
    assert list(ours) == ["frames", "windowed", "spectrum", "mel", "log"]
    for stage in ours:
        assert ours[stage].shape == ref[stage].shape, stage
    np.testing.assert_array_equal(ours["frames"], ref["frames"].astype(ours["frames"].dtype))
    np.testing.assert_allclose(ours["windowed"], ref["windowed"], rtol=1e-12, atol=1e-12)
    compare(ours["log"], ref["log"], spec, y.size)


@pytest.mark.parametrize("backend", ["tensorflow", "torch"])
@pytest.mark.parametrize("name", ["short-window", "not-centred", "dcase-log"])
def test_framework_stages_match_numpy(backend, name):
    """Every named stage of TF and torch equals NumPy's: the frames bit for bit, the rest to float rounding."""
    spec = GRID[name]
    y = np.stack([make_signal("hum"), make_signal("chirp")])
    ours = {k: np.asarray(v) for k, v in melspectrogram(y, spec, backend=backend, stages=True).items()}
    ref = melspectrogram(y, spec, stages=True)
    assert list(ours) == list(ref)
    for stage in ref:
        assert ours[stage].shape == ref[stage].shape, stage
        assert ours[stage].dtype == ref[stage].dtype, stage
    np.testing.assert_array_equal(ours["frames"], ref["frames"])
    np.testing.assert_allclose(ours["windowed"], ref["windowed"], rtol=1e-15, atol=0)
    for i in range(len(y)):
        compare(ours["spectrum"][i], ref["spectrum"][i], dataclasses.replace(spec, log=None), y.shape[-1])
        compare(ours["log"][i], ref["log"][i], spec, y.shape[-1])
