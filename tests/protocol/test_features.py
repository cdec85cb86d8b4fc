"""Protocol features against the official ``file_to_vector_array``, computed here with librosa.

The official code (DCASE 2020 ``common.py``, the same in mimii_baseline) runs ``librosa.load(sr=None,
mono=False)``, ``librosa.feature.melspectrogram`` under librosa 0.6 (centred frames, whole-signal reflect
padding), ``20 / power * log10(mel + sys.float_info.epsilon)``, then lays ``frames`` consecutive frames end to
end. librosa >= 0.10 pads head and tail separately (its last frame differs under reflect padding), so the
reference pads the whole signal itself and calls librosa with ``center=False``: librosa 0.6's arithmetic.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
import soundfile as sf

from asdlens.experiment.clip_features import check_length, file_logmels, file_vectors
from asdlens.features import get_preset
from asdlens.features.stacking import stack_frames
from signals import make_signal

librosa = pytest.importorskip("librosa")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # audioread, imported by librosa.load


def official_vectors(path, *, n_mels: int, frames: int = 5, channel: int = 0) -> np.ndarray:
    y, sr = librosa.load(path, sr=None, mono=False)
    if y.ndim == 2:
        y = y[channel]
    mel = librosa.feature.melspectrogram(
        y=np.pad(y, 512, mode="reflect"),
        sr=sr,
        n_fft=1024,
        hop_length=512,
        n_mels=n_mels,
        power=2.0,
        center=False,
    )
    log = 20.0 / 2.0 * np.log10(mel + sys.float_info.epsilon)
    n = log.shape[1] - frames + 1
    out = np.zeros((n, n_mels * frames))
    for t in range(frames):
        out[:, n_mels * t : n_mels * (t + 1)] = log[:, t : t + n].T
    return out


def test_dcase2020_vectors_equal_the_official_logic(tmp_path):
    path = tmp_path / "normal_id_00_00000000.wav"
    sf.write(path, make_signal("hum", seconds=10.0), 16000, subtype="PCM_16")
    ours = file_vectors(path, get_preset("dcase2020"), 5)
    ref = official_vectors(path, n_mels=128)
    assert ours.shape == ref.shape == (309, 640)  # 10 s: 313 frames, 309 vectors
    assert np.abs(ours - ref).max() < 1e-5  # dB


def test_mimii_vectors_use_channel_0_of_eight(tmp_path):
    rng = np.random.default_rng(0)
    y = np.stack([make_signal("hum", seconds=2.0, seed=k) * (k + 1) / 8 for k in range(8)], axis=1)
    y += 0.01 * rng.standard_normal(y.shape).astype(np.float32)
    path = tmp_path / "00000000.wav"
    sf.write(path, y, 16000, subtype="PCM_16")
    spec = get_preset("mimii")
    ours = file_vectors(path, spec, 5, channel=0)
    assert ours.shape == (59, 320)
    assert np.abs(ours - official_vectors(path, n_mels=64)).max() < 1e-5
    other = file_vectors(path, spec, 5, channel=3)
    assert np.abs(other - official_vectors(path, n_mels=64, channel=3)).max() < 1e-5
    assert np.abs(other - ours).max() > 1.0


def test_batched_extraction_equals_clip_by_clip_and_reports_bad_files(tmp_path):
    spec = get_preset("dcase2020")
    paths = []
    for i, (kind, seconds) in enumerate([("hum", 2.0), ("noise", 2.0), ("chirp", 1.5), ("hum", 2.0)]):
        p = tmp_path / f"normal_id_00_{i:08d}.wav"
        sf.write(p, make_signal(kind, seconds=seconds, seed=i), 16000, subtype="PCM_16")
        paths.append(p)
    bad = tmp_path / "normal_id_00_00000009.wav"
    bad.write_text("not audio at all")
    paths.insert(2, bad)
    rows = list(file_logmels(paths, spec, block_clips=3))
    assert [i for i, _, _ in rows] == list(range(5))
    assert rows[2][1] is None and "normal_id_00_00000009.wav" in rows[2][2]
    for i, logmel, problem in rows:
        if i == 2:
            continue
        assert problem is None
        np.testing.assert_array_equal(stack_frames(logmel, 5), file_vectors(paths[i], spec, 5))


def test_too_short_clip_is_an_error_not_a_zero_score(tmp_path):
    path = tmp_path / "short.wav"
    sf.write(path, make_signal("noise", seconds=0.05), 16000, subtype="PCM_16")  # 800 samples: 2 frames
    with pytest.raises(ValueError, match=r"short.wav: gives 2 log-mel frame\(s\), fewer than frames=5"):
        file_vectors(path, get_preset("dcase2020"), 5)
    check_length(np.zeros((128, 5)), 5, path=path)  # exactly one vector is fine
