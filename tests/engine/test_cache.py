"""Cache entries carry checksums: a damaged entry is recognised as damaged, never read as data."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from asdlens.engine.cache import DamagedEntry, FileIdentity, RunCache, remove_entry


def test_feature_roundtrip_and_header(tmp_path):
    cache = RunCache(tmp_path)
    path = tmp_path / "features" / "x.npy"
    logmel = np.random.default_rng(0).standard_normal((128, 40)).astype(np.float32)
    cache.write_feature(path, logmel)
    np.testing.assert_array_equal(cache.read_feature(path), logmel)
    assert cache.feature_frames(path) == 40 and cache.feature_state(path) == ("ok", 40)
    np.testing.assert_array_equal(
        np.load(path), logmel
    )  # still a plain .npy for numpy (the footer is ignored)


@pytest.mark.parametrize(
    "damage, reason",
    [
        (lambda b: b[:1000], "no checksum footer"),  # truncated (a crash, a full disk)
        (lambda b: b[:200] + bytes([b[200] ^ 1]) + b[201:], "checksum mismatch"),  # one flipped bit
        (lambda b: b"\0" * len(b), "no checksum footer"),  # a torn write after a power cut
    ],
)
def test_damaged_feature_is_detected(tmp_path, damage, reason):
    cache = RunCache(tmp_path)
    path = tmp_path / "f.npy"
    cache.write_feature(path, np.ones((8, 30), np.float32))
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(DamagedEntry, match=reason) as info:
        cache.read_feature(path)
    assert info.value.paths == [str(path)]


def test_bad_marker_and_missing(tmp_path):
    cache = RunCache(tmp_path)
    path = tmp_path / "features" / "clip.npy"
    assert cache.feature_state(path) is None
    cache.write_bad(path, f"{path}: cannot decode")
    assert cache.feature_state(path) == ("bad", f"{path}: cannot decode")


def test_json_entries_verify_their_body(tmp_path):
    cache = RunCache(tmp_path)
    path = tmp_path / "scores" / "k.json"
    cache.write_json(path, {"files": ["a.wav"], "scores": [0.5]})
    assert cache.read_json(path) == {"files": ["a.wav"], "scores": [0.5]}
    record = json.loads(path.read_text())
    record["body"]["scores"] = [0.6]  # edited by hand: the digest no longer matches
    path.write_text(json.dumps(record))
    with pytest.raises(DamagedEntry, match="checksum mismatch"):
        cache.read_json(path)
    path.write_text('{"sha256": "ab", "bo')
    with pytest.raises(DamagedEntry, match="truncated or corrupt"):
        cache.read_json(path)
    assert cache.read_json(tmp_path / "none.json", missing_ok=True) is None


def test_model_entries_check_every_file(tmp_path):
    cache = RunCache(tmp_path)
    staging = cache.staging_dir("m1")
    (staging / "model.keras").write_bytes(b"weights" * 100)
    (staging / "extra.npz").write_bytes(b"state")
    manifest = cache.commit_model("m1", staging, {"n_clips": 3})
    assert set(manifest["files"]) == {"model.keras", "extra.npz"} and not staging.exists()
    assert cache.model_manifest("m1")["info"] == {"n_clips": 3}
    assert cache.verified_model_dir("m1") == cache.model_dir("m1")
    os.truncate(cache.model_dir("m1") / "model.keras", 10)  # `truncate -s 10`, as in the issue
    with pytest.raises(DamagedEntry, match="model.keras fails its checksum"):
        cache.verified_model_dir("m1")
    remove_entry(cache.model_dir("m1"))
    assert cache.model_manifest("m1") is None and not cache.model_dir("m1").exists()
    with pytest.raises(FileNotFoundError):
        cache.verified_model_dir("m1")


def test_file_identity_changes_when_the_file_does(tmp_path):
    wav = tmp_path / "a.wav"
    wav.write_bytes(b"x" * 10)
    first = FileIdentity.of(wav)
    os.utime(wav, ns=(first.mtime_ns + 1_000_000, first.mtime_ns + 1_000_000))
    assert FileIdentity.of(wav).key() != first.key()
