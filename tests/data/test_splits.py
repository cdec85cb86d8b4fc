"""The two MIMII split protocols on a tree whose answer is known, and the DCASE 2020 folder split."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from asdlens.data import dcase2020_split, mimii_split, mimii_splits, scan, split_clips


@pytest.fixture
def known_tree(tmp_path):
    """pump id_00 at 6 dB: normal 00000000..00000009 and abnormal 00000000..00000002; id_02: 5 + 2."""
    for machine_id, n_normal, n_abnormal in (("00", 10, 3), ("02", 5, 2)):
        for folder, count in (("normal", n_normal), ("abnormal", n_abnormal)):
            for i in range(count):
                path = tmp_path / "6_dB_pump" / "pump" / f"id_{machine_id}" / folder / f"{i:08d}.wav"
                path.parent.mkdir(parents=True, exist_ok=True)
                sf.write(path, np.zeros((160, 8), np.int16), 16000, subtype="PCM_16")
    return scan(tmp_path)


def _names(clips):
    return [f"{c.path.parent.name}/{c.path.stem[-2:]}" for c in clips]


def test_repo_protocol_takes_the_first_normal_files(known_tree):
    train, test = mimii_split(known_tree.select(machine_id="00"), "repo")
    assert _names(test) == [
        "abnormal/00",
        "abnormal/01",
        "abnormal/02",
        "normal/00",
        "normal/01",
        "normal/02",
    ]
    assert _names(train) == [f"normal/{i:02d}" for i in range(3, 10)]
    assert {c.split for c in train} == {"train"} and {c.split for c in test} == {"test"}


def test_paper_protocol_draws_normal_files_with_the_seed(known_tree):
    group = known_tree.select(machine_id="00")
    normal = [c for c in group if c.label == 0]
    for seed in (0, 1, 7):
        train, test = mimii_split(group, "paper", seed=seed)
        drawn = np.random.default_rng(seed).choice(10, size=3, replace=False)
        assert {c.path for c in test if c.label == 0} == {normal[i].path for i in drawn}
        assert len(train) == 7 and all(c.label == 0 for c in train)
        assert sum(c.label for c in test) == 3 and len(test) == 6
        assert {c.path for c in train} | {c.path for c in test} == {c.path for c in group}
    assert mimii_split(group, "paper", seed=3) == mimii_split(group, "paper", seed=3)
    draws = {tuple(c.index for c in mimii_split(group, "paper", seed=s)[1]) for s in range(6)}
    assert len(draws) > 1  # the seed matters


def test_splits_per_group_and_whole_tree(known_tree):
    per_group = mimii_splits(known_tree.clips, "repo")
    assert list(per_group) == [("pump", 6, "00"), ("pump", 6, "02")]
    assert [len(per_group[("pump", 6, "02")][i]) for i in (0, 1)] == [3, 4]
    train, test = split_clips(known_tree.clips, "repo")
    assert (len(train), len(test)) == (7 + 3, 6 + 4)


def test_split_errors(known_tree, dcase_tree):
    with pytest.raises(ValueError, match="takes the clips of one machine type x ID x SNR group; got 2"):
        mimii_split(known_tree.clips)
    with pytest.raises(
        ValueError, match=r"protocol='baseline' is not allowed; choose one of \['paper', 'repo'\]"
    ):
        mimii_split(known_tree.select(machine_id="00"), "baseline")
    with pytest.raises(ValueError, match="pump id_02 at 6 dB: no abnormal clips"):
        mimii_split(known_tree.select(machine_id="02", label=0))
    with pytest.raises(ValueError, match=r"2 normal clip\(s\) for 2 abnormal"):
        mimii_split(
            known_tree.select(machine_id="02", label=1) + known_tree.select(machine_id="02", label=0)[:2]
        )
    dcase = scan(dcase_tree)
    with pytest.raises(ValueError, match="one layout"):
        split_clips(dcase.clips + known_tree.clips)


def test_dcase2020_split_is_the_folder(dcase_tree):
    clips = scan(dcase_tree).clips
    train, test = dcase2020_split(clips)
    assert len(train) == 16 and len(test) == 20
    assert all(c.path.parent.name == "train" for c in train) and all(
        c.path.parent.name == "test" for c in test
    )
    assert split_clips(clips) == (train, test)
