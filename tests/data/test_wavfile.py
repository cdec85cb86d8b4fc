"""read_audio against librosa.load on real files, and one clear AudioError per kind of bad file."""

from __future__ import annotations

import os

import librosa
import numpy as np
import pytest
import soundfile as sf

from asdlens.data import AudioError, inspect_wav, read_audio

SR = 16000


@pytest.fixture
def pcm(tmp_path):
    rng = np.random.default_rng(3)
    return (rng.standard_normal((SR, 3)) * 6000).clip(-32768, 32767).astype(np.int16)


@pytest.mark.parametrize("subtype", ["PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE"])
def test_read_audio_matches_librosa(tmp_path, pcm, subtype):
    path = tmp_path / "x.wav"
    data = pcm[:, 0] if subtype == "PCM_16" else pcm[:, 0] / 32768.0
    sf.write(path, data, SR, subtype=subtype)
    y = read_audio(path)
    ref, sr = librosa.load(path, sr=None, mono=False)
    assert sr == SR and y.dtype == np.float32 and y.shape == (SR,)
    np.testing.assert_array_equal(y, ref)
    if subtype == "PCM_16":  # int16 / 32768 exactly
        np.testing.assert_array_equal(y, pcm[:, 0].astype(np.float32) / 32768)


def test_read_audio_channels(tmp_path, pcm):
    path = tmp_path / "multi.wav"
    sf.write(path, pcm, SR, subtype="PCM_16")
    np.testing.assert_array_equal(read_audio(path, channel=2), pcm[:, 2] / np.float32(32768))
    np.testing.assert_array_equal(read_audio(path, channel=-1), read_audio(path, channel=2))
    both = read_audio(path, channel=None)
    assert both.shape == (3, SR)
    np.testing.assert_array_equal(both, librosa.load(path, sr=None, mono=False)[0])
    with pytest.raises(AudioError, match=r"multi\.wav: has 3 channel\(s\); channel 3 does not exist"):
        read_audio(path, channel=3)
    with pytest.raises(AudioError, match="has 3 channels, expected 8"):
        read_audio(path, expect_channels=8)


def _bad_files(tmp_path, pcm):
    """Each kind of bad file, with the problem its message must state."""
    good = tmp_path / "good.wav"
    sf.write(good, pcm[:, 0], SR, subtype="PCM_16")
    raw = good.read_bytes()
    files = {}

    def add(name, expected):
        files[tmp_path / name] = expected
        return tmp_path / name

    add("truncated.wav", "truncated: the WAV header declares 32000 bytes").write_bytes(raw[: len(raw) // 2])
    add("text.wav", "not a WAV file: it holds text").write_text("id,label\n1,0\n")
    add("binary.wav", "not a WAV file: starts with").write_bytes(bytes(range(7, 70)))
    add("empty.wav", r"empty file \(0 bytes\)").write_bytes(b"")
    sf.write(
        add("rate.wav", "sample rate is 44100 Hz, expected 16000 Hz"), pcm[:, 0], 44100, subtype="PCM_16"
    )
    sf.write(add("stereo.wav", "has 2 channels, expected 1"), pcm[:, :2], SR, subtype="PCM_16")
    sf.write(add("noframes.wav", "holds no samples"), pcm[:0, 0], SR, subtype="PCM_16")
    add("header.wav", "cannot decode").write_bytes(raw[:12] + b"junk" * 8)
    os.symlink(tmp_path / "gone.wav", add("link.wav", "broken symbolic link to"))
    nan = np.full(100, np.nan, np.float32)
    sf.write(add("nan.wav", r"float WAV holds 100 non-finite sample\(s\)"), nan, SR, subtype="FLOAT")
    return files


def test_each_bad_file_has_its_own_message(tmp_path, pcm):
    files = _bad_files(tmp_path, pcm)
    messages = set()
    for path, expected in files.items():
        with pytest.raises(AudioError, match=expected) as info:
            read_audio(path, expect_channels=1)
        assert str(info.value).startswith(f"{path}: ") and info.value.path == path
        assert isinstance(info.value, ValueError)
        messages.add(info.value.problem)
    assert len(messages) == len(files)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file(tmp_path, pcm):
    path = tmp_path / "locked.wav"
    sf.write(path, pcm[:, 0], SR, subtype="PCM_16")
    path.chmod(0)
    with pytest.raises(AudioError, match="cannot read the file"):
        read_audio(path)


def test_inspect_wav_lists_every_problem_once(tmp_path, pcm):
    path = tmp_path / "x.wav"
    sf.write(path, pcm[:, :2] / 32768.0, 22050, subtype="FLOAT")
    info, problems = inspect_wav(path, expect_sr=16000, expect_channels=1)
    assert (info.sample_rate, info.channels, info.subtype) == (22050, 2, "FLOAT")
    assert len(problems) == 3
    assert problems[0].startswith("sample format is FLOAT, expected PCM_16")
    assert problems[1].startswith("sample rate is 22050 Hz") and problems[2] == "has 2 channels, expected 1"
    sf.write(path, pcm[:0, 0], SR, subtype="PCM_16")
    assert inspect_wav(path)[1] == ["holds no samples (a WAV header with 0 frames)"]
    sf.write(path, pcm[:, 0], SR, subtype="PCM_16")
    assert inspect_wav(path, expect_channels=1)[1] == []
