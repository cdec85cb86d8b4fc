"""DCASE 2026 Task 2 trees written by hand in the real naming (two-channel WAVs via soundfile, not the generator):
scan, auto detection, ``data check`` and the layout's readers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from dcase_trees import N_2026 as N
from dcase_trees import labelled, tree_2026, wav2

from asdlens.data import (
    AudioError,
    read_audio,
    read_layout_audio,
    read_policy_audio,
    scan,
)
from asdlens.data.check import check_tree


@pytest.fixture(name="tree_2026")
def tree_2026_fixture(tmp_path) -> Path:
    return tree_2026(tmp_path)


def test_scan_finds_types_sections_domains_attributes_and_two_channels(tree_2026):
    dev = scan(tree_2026 / "dev_data")
    assert dev.layout == "dcase2026" and not dev.warnings
    assert all(p.suffix == ".csv" for p, _ in dev.skipped)  # the attribute tables only
    assert dev.machine_types == ["ToyCarEmu", "fan"]
    assert dev.sections() == ["00"]
    assert len(dev.select(split="train", domain="source")) == 4
    assert len(dev.select(split="train", domain="target")) == 2
    assert {(c.domain, c.label) for c in dev.select(split="test")} == {
        ("source", 0), ("source", 1), ("target", 0), ("target", 1)
    }  # fmt: skip
    fan = dev.select(machine_type="fan", split="train", domain="target")[0]
    assert fan.attributes == (("noise", "B"),)  # from attributes_00.csv: the name's suffix is empty
    assert dev.select(machine_type="ToyCarEmu", domain="source")[0].attribute("noise") == "A"
    assert dev.channels == 2 and dev.channel_counts() == {2: len(dev)}

    evaluation = scan(tree_2026 / "eval_data")
    assert evaluation.layout == "dcase2026"  # ToyDrone is a 2023 type too: the two channels decide
    hidden = evaluation.select(split="test")
    assert len(hidden) == 2 and all(c.label is None and c.domain is None for c in hidden)
    assert check_tree(tree_2026 / "dev_data").ok and check_tree(tree_2026 / "eval_data").ok


def test_auto_picks_2026_by_types_or_channels_and_leaves_mono_trees_alone(tmp_path):
    # Only types 2023-2025 have too (ToyCar, fan): the channels decide, both ways.
    for channels, year in ((2, "dcase2026"), (1, "dcase2023")):
        root = tmp_path / f"ch{channels}"
        for machine_type in ("ToyCar", "fan"):
            wav2(root / machine_type / "train" / labelled("00", "source", "train", 0, 0, ""), 1, channels)
        result = scan(root)
        assert result.layout == year
        if year == "dcase2023":
            assert "dcase2026" not in result.warnings[0].message  # a mono header rules 2026 out
    # A 2026-only type decides by name, even before the files are looked at.
    root = tmp_path / "emu"
    wav2(root / "valveEmu" / "train" / labelled("00", "source", "train", 0, 0, ""), 2)
    assert scan(root).layout == "dcase2026"
    # A dcase2026 folder name decides too (as dcase2023t2 ... do).
    root = tmp_path / "dcase2026t2" / "dev_data"
    wav2(root / "ToyCar" / "train" / labelled("00", "source", "train", 0, 0, ""), 2)
    assert scan(root).layout == "dcase2026"


@pytest.mark.parametrize("channels", [1, 3])
def test_a_file_without_two_channels_is_reported_by_name(tree_2026, channels):
    root = tree_2026 / "dev_data"
    bad = wav2(root / "fan" / "test" / labelled("00", "source", "test", 0, 1, ""), 7, channels)
    report = check_tree(root)
    assert report.scan.layout == "dcase2026" and not report.ok
    assert [p for p, _ in report.problems] == [bad]
    message = report.problems[0][1]
    assert f"has {channels} channel(s), expected 2" in message and "[0 near, 1 far]" in message
    assert report.scan.channel_counts() == {channels: 1, 2: len(report.scan) - 1}
    with pytest.raises(AudioError, match=rf"{bad.name}: has {channels} channel\(s\), expected 2"):
        read_layout_audio(bad, "dcase2026")
    with pytest.raises(AudioError, match="expected 2"):
        read_policy_audio(bad, "dcase2026")  # also for the baseline's near channel
    assert read_audio(bad).shape == (N,)  # the generic reader still reads channel 0 of anything


def test_reading_2026_gives_both_channels_and_near_is_channel_0(tree_2026):
    clip = scan(tree_2026 / "dev_data").select(machine_type="fan", split="train")[0]
    pcm, _ = sf.read(clip.path, dtype="int16")
    both = read_layout_audio(clip.path, "dcase2026")
    assert both.shape == (2, N) and both.dtype == np.float32 and both.flags.c_contiguous
    np.testing.assert_array_equal(both, pcm.T / np.float32(32768))
    near = read_policy_audio(clip.path, "dcase2026")  # the default policy: near
    assert near.flags.c_contiguous and near.tobytes() == read_audio(clip.path, channel=0).tobytes()
    assert read_policy_audio(clip.path, "dcase2026", "far").tobytes() == both[1].tobytes()
    assert read_policy_audio(clip.path, "dcase2026", "complex_subtraction").tobytes() == both.tobytes()
    assert not np.array_equal(both[0], both[1])


def test_mono_layouts_read_as_before(tmp_path):
    path = wav2(tmp_path / "fan" / "train" / labelled("00", "source", "train", 0, 0, ""), 3, 1)
    for layout in ("dcase2023", "dcase2025"):
        assert read_layout_audio(path, layout).tobytes() == read_audio(path).tobytes()
        assert read_policy_audio(path, layout).tobytes() == read_audio(path).tobytes()
        with pytest.raises(ValueError, match="needs two channels"):
            read_policy_audio(path, layout, "mean")
