"""check_tree and ``asdlens data check``: a corpus of bad inputs, all reported in one run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from asdlens.cli import app
from asdlens.data.check import check_tree

SR = 16000


@pytest.fixture
def bad_tree(tmp_path, dcase_tree):
    """A copy of the shared DCASE tree with one file (or folder) of each bad kind added."""
    root = tmp_path / "bad"
    shutil.copytree(dcase_tree, root)
    train = root / "pump" / "train"
    y = (np.random.default_rng(0).standard_normal(SR) * 3000).astype(np.int16)
    raw = (train / "normal_id_00_00000000.wav").read_bytes()
    expected = {}

    def name(index, problem):
        path = train / f"normal_id_00_{index:08d}.wav"
        expected[path.relative_to(root).as_posix()] = problem
        return path

    name(10, "truncated").write_bytes(raw[: len(raw) // 2])
    name(11, "not a WAV file: it holds text").write_text("this is a text file\n")
    sf.write(name(12, "sample rate is 22050 Hz, expected 16000 Hz"), y, 22050, subtype="PCM_16")
    sf.write(name(13, "has 2 channels, expected 1"), np.stack([y, y], 1), SR, subtype="PCM_16")
    name(14, "empty file (0 bytes)").write_bytes(b"")
    sf.write(name(15, "sample format is PCM_24, expected PCM_16"), y / 32768, SR, subtype="PCM_24")
    sf.write(name(16, "sample format is FLOAT, expected PCM_16"), y / 32768, SR, subtype="FLOAT")
    os.symlink(root / "nowhere.wav", name(17, "broken symbolic link"))
    sf.write(name(18, "lasts 0.50 s while most pump clips last 1.00 s"), y[: SR // 2], SR, subtype="PCM_16")
    sf.write(train / "normal-id-00-19.wav", y, SR, subtype="PCM_16")
    expected["pump/train/normal-id-00-19.wav"] = "file name does not match"
    (root / "fan").mkdir()
    expected["fan"] = "empty folder"
    return root, expected


def test_clean_tree(dcase_tree):
    report = check_tree(dcase_tree)
    assert report.ok and report.problems == []
    assert report.counts[("valve", None, "02", "test anomaly")] == 3
    assert report.counts[("pump", None, "00", "train")] == 4
    assert report.columns == ["train", "test normal", "test anomaly"]
    assert report.durations == {"pump": 1.0, "valve": 1.0}
    assert report.ignored == []  # the manifest is in the hidden .asdlens/ folder


def test_bad_tree_reports_every_problem(bad_tree):
    root, expected = bad_tree
    report = check_tree(root)
    assert not report.ok
    found = {}
    for path, problem in report.problems:
        found.setdefault(path.relative_to(root).as_posix(), []).append(problem)
    assert set(found) == set(expected)
    for rel, problem in expected.items():
        assert any(problem in p for p in found[rel]), (rel, found[rel])
    assert report.bad_clips[("pump", None, "00")] == 9
    assert report.counts[("pump", None, "00", "train")] == 4 + 9


def test_check_mimii_expects_8_channels(mimii_tree, tmp_path):
    assert check_tree(mimii_tree).ok
    report = check_tree(mimii_tree, expect_channels=1)
    assert len(report.problems) == 2 * 2 * 9
    assert {p for _, p in report.problems} == {"has 8 channels, expected 1"}


def test_cli_check_exit_codes(dcase_tree, bad_tree, tmp_path):
    runner = CliRunner()
    clean = runner.invoke(app, ["data", "check", str(dcase_tree)])
    assert clean.exit_code == 0, clean.output
    assert "no problems found" in clean.output and "test anomaly" in clean.output

    root, expected = bad_tree
    bad = runner.invoke(app, ["data", "check", str(root)])
    assert bad.exit_code == 1
    assert f"{len(check_tree(root).problems)} problem(s):" in bad.output
    for rel in expected:
        assert f"  {rel}: " in bad.output

    missing = runner.invoke(app, ["data", "check", str(tmp_path / "absent")])
    assert missing.exit_code == 2 and "error: " in missing.stderr and "no such folder" in missing.stderr
    wrong = runner.invoke(app, ["data", "check", str(dcase_tree), "--layout", "dcase"])
    assert wrong.exit_code == 2 and "layout='dcase' is not allowed" in wrong.stderr


def test_check_tree_without_clips(tmp_path):
    (tmp_path / "fan" / "train").mkdir(parents=True)
    (tmp_path / "fan" / "train" / "x.wav").write_text("nothing")
    report = check_tree(tmp_path)
    assert not report.ok
    assert "no DCASE 2020-2026 or MIMII clips found" in report.problems[0][1]


def test_module_entry_point(dcase_tree):
    """``python -m asdlens data check`` as users run it."""
    done = subprocess.run(
        [sys.executable, "-m", "asdlens", "data", "check", str(dcase_tree)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "no problems found" in done.stdout
