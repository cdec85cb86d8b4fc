"""identify: recover the spec of real frontends (librosa, tf.signal, keras, torch) from their outputs alone."""

from __future__ import annotations

import numpy as np
import pytest
from frontends import NON_PRESETS, PRESET_FUNCTIONS, equivalent_diff, librosa_fn

from asdlens.diff import identify, level_db
from asdlens.diff.identify import _test_signal
from asdlens.features import get_preset, list_presets, melspectrogram

FAST_NON_PRESETS = ("speech-hamming", "boxcar-small", "uncentred", "tf-like-400")
FAST_PRESETS = ("torchaudio",)


def check_identified(fn, expected, sample_rate=16000):
    found = identify(fn, sample_rate=sample_rate)
    assert found.reproduced, found.message
    assert found.residual_db <= 1e-3
    spec = found.melspec
    differ = equivalent_diff(expected, spec)
    # A periodic window of length N has the same taps as a symmetric one of length N + 1 (last tap 0): the two
    # specs give the same numbers, so either is a right answer; anything else must match field by field.
    assert set(differ) <= {"win_length", "periodic"}, differ
    if differ:
        y = _test_signal(sample_rate)
        ours = level_db(melspectrogram(y, spec), spec)
        theirs = level_db(melspectrogram(y, expected), expected)
        assert np.abs(ours - theirs).max() < 1e-6
    return found


def test_every_preset_has_a_real_function():
    assert set(PRESET_FUNCTIONS) == set(list_presets())


@pytest.mark.filterwarnings("ignore:Empty filters:UserWarning")  # 128 HTK mels on 201 bins, as torchaudio
@pytest.mark.parametrize("name", FAST_PRESETS)
def test_identify_preset_fast(name):
    check_identified(PRESET_FUNCTIONS[name](), get_preset(name))


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in PRESET_FUNCTIONS if n not in FAST_PRESETS])
def test_identify_preset(name):
    check_identified(PRESET_FUNCTIONS[name](), get_preset(name))


@pytest.mark.parametrize("name", FAST_NON_PRESETS)
def test_identify_non_preset_fast(name):
    make, expected, sr = NON_PRESETS[name]
    check_identified(make(), expected, sr)


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in NON_PRESETS if n not in FAST_NON_PRESETS])
def test_identify_non_preset(name):
    make, expected, sr = NON_PRESETS[name]
    check_identified(make(), expected, sr)


def test_at_least_ten_non_presets_are_covered():
    assert len(NON_PRESETS) >= 10
    assert all(spec not in [get_preset(p) for p in list_presets()] for _, spec, _ in NON_PRESETS.values())


def linear_frequency_mel(y):
    """Triangles equally spaced in Hz (no mel scale we know) on librosa's STFT."""
    import librosa

    power = np.abs(librosa.stft(y, n_fft=1024, hop_length=512)) ** 2
    freqs = np.linspace(0, 8000, 513)
    centres = np.linspace(0, 8000, 66)
    width = centres[1] - centres[0]
    bank = np.array([np.clip(1 - np.abs(freqs - c) / width, 0, None) for c in centres[1:-1]])
    return bank @ power


def test_unknown_mel_scale_returns_closest_spec_and_says_so():
    found = identify(linear_frequency_mel)
    assert not found.reproduced
    assert found.residual_db > 0.1
    assert "NOT REPRODUCED" in found.message
    assert found.melspec.n_mels == 64 and found.melspec.hop == 512


@pytest.mark.slow
def test_added_noise_is_flagged():
    rng = np.random.default_rng(0)
    base = librosa_fn(n_fft=1024, hop_length=512, n_mels=64)

    def noisy(y):
        out = base(y)
        return out * (1 + 0.2 * rng.random(out.shape))

    found = identify(noisy)
    assert not found.reproduced and found.residual_db > 0.1


def test_orientation_is_found():
    spec = get_preset("mimii")
    found = identify(lambda y: melspectrogram(y, spec).T)
    assert found.transposed and found.reproduced


@pytest.mark.parametrize(
    ("fn", "match"),
    [
        (lambda y: 1 / 0, "raised ZeroDivisionError"),
        (lambda y: np.abs(y[:100]), "expected a 2-D mel spectrogram"),
        (lambda y: np.ones((4, 4)), "keeps its band count and gains frames"),
        (lambda y: np.full((8, y.size // 512), np.nan), "NaN"),
        ("not callable", "not callable"),
    ],
)
def test_bad_functions_get_clear_errors(fn, match):
    with pytest.raises(ValueError, match=match):
        identify(fn)
