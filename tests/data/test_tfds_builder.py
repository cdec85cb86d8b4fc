"""The tensorflow-datasets builders prepare generated trees from manual_dir and read back counts and fields."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import soundfile as sf

tfds = pytest.importorskip("tensorflow_datasets")

import asdlens.data.tfds as builders  # noqa: E402  (registers dcase2020_task2 and mimii)
from asdlens.data import scan  # noqa: E402


def _load(name, root, data_dir, split):
    return tfds.load(
        name,
        split=split,
        data_dir=str(data_dir),
        download_and_prepare_kwargs={"download_config": tfds.download.DownloadConfig(manual_dir=str(root))},
    )


def test_registered_with_their_configs():
    assert {"dcase2020_task2", "mimii"} <= set(tfds.list_builders())
    assert [c.name for c in builders.Dcase2020Task2.BUILDER_CONFIGS] == [
        "ToyCar",
        "ToyConveyor",
        "fan",
        "pump",
        "slider",
        "valve",
    ]
    names = {c.name for c in builders.Mimii.BUILDER_CONFIGS}
    assert {"pump_min6dB", "pump_0dB", "valve_6dB", "fan_min6dB_repo"} <= names and len(names) == 24


def test_tfds_load_dcase2020_as_documented(dcase_tree, tmp_path):
    """``tfds.load("dcase2020_task2/pump", data_dir=..., download_and_prepare_kwargs=...)`` on a generated tree."""
    train = tfds.load(
        "dcase2020_task2/pump",
        split="train",
        data_dir=str(tmp_path),
        download_and_prepare_kwargs={
            "download_config": tfds.download.DownloadConfig(manual_dir=str(dcase_tree))
        },
    )
    rows = list(tfds.as_numpy(train))
    assert len(rows) == 2 * 4
    assert {r["label"] for r in rows} == {0}
    assert Counter(r["audio/id"] for r in rows) == {b"id_00": 4, b"id_02": 4}
    assert {r["audio/machine"] for r in rows} == {b"pump"}
    row = next(r for r in rows if r["audio/file_name"] == b"pump/train/normal_id_02_00000003.wav")
    assert row["audio"].dtype == np.int16 and row["audio"].shape == (16000,)
    stored, _ = sf.read(dcase_tree / "pump/train/normal_id_02_00000003.wav", dtype="int16")
    np.testing.assert_array_equal(row["audio"], stored)

    test = list(tfds.as_numpy(_load("dcase2020_task2/pump", dcase_tree, tmp_path, "test")))
    assert Counter((r["audio/id"], int(r["label"])) for r in test) == {
        (b"id_00", 0): 2,
        (b"id_00", 1): 3,
        (b"id_02", 0): 2,
        (b"id_02", 1): 3,
    }
    for r in test:
        name = r["audio/file_name"].decode()
        assert name.startswith("pump/test/") and name.split("/")[-1].startswith(
            ("normal", "anomaly")[r["label"]]
        )


@pytest.mark.parametrize("config, protocol", [("fan_min6dB", "paper"), ("fan_6dB_repo", "repo")])
def test_mimii_builder_splits_by_protocol(mimii_tree, tmp_path, config, protocol):
    test = list(tfds.as_numpy(_load(f"mimii/{config}", mimii_tree, tmp_path, "test")))
    train = list(tfds.as_numpy(_load(f"mimii/{config}", mimii_tree, tmp_path, "train")))
    assert len(train) == 2 * (6 - 3) and len(test) == 2 * (3 + 3)
    assert {r["audio"].shape for r in train + test} == {(16000, 8)} and train[0]["audio"].dtype == np.int16
    snr_dir = "-6_dB_fan" if "min6" in config else "6_dB_fan"
    assert {r["audio/file_name"].decode().split("/")[0] for r in train + test} == {snr_dir}
    # The same clips as asdlens's own split with the builder's protocol and seed
    from asdlens.data import mimii_split

    clips = scan(mimii_tree).select(snr=-6 if "min6" in config else 6)
    expected = set()
    for machine_id in ("00", "04"):
        _, te = mimii_split(
            [c for c in clips if c.machine_id == machine_id], protocol, seed=builders.MIMII_SEED
        )
        expected |= {c.path.relative_to(mimii_tree).as_posix() for c in te}
    assert {r["audio/file_name"].decode() for r in test} == expected


def test_missing_type_is_a_clear_error(dcase_tree, tmp_path):
    with pytest.raises(ValueError, match="holds no fan/train or fan/test clips"):
        _load("dcase2020_task2/fan", dcase_tree, tmp_path, "train")


def test_section_builders_registered_per_year():
    names = set(tfds.list_builders())
    assert {f"dcase{y}_task2" for y in range(2021, 2026)} <= names
    assert [c.name for c in builders.Dcase2021Task2.BUILDER_CONFIGS] == list(builders.dcase2021.TYPES)
    assert "ToyDrone" in {c.name for c in builders.Dcase2023Task2.BUILDER_CONFIGS}
    assert "ToyDrone" not in {c.name for c in builders.Dcase2024Task2.BUILDER_CONFIGS}


def test_dcase2023_builder_with_ground_truth_in_manual_dir(tmp_path):
    from asdlens.data.synth import generate

    root = generate(
        tmp_path / "d",
        layout="dcase2023",
        types=["fan"],
        eval_types=["ToyTank"],
        n_train=2,
        n_train_target=1,
        n_test_normal=1,
        n_test_anomaly=1,
        duration=0.1,
    )
    test = list(tfds.as_numpy(_load("dcase2023_task2/ToyTank", root, tmp_path / "tfds", "test")))
    assert len(test) == 4
    clips = {c.path.relative_to(root).as_posix(): c for c in scan(root, ground_truth=root / "ground_truth")}
    for row in test:
        clip = clips[row["audio/file_name"].decode()]
        assert row["audio/file_name"].decode().startswith("eval_data/ToyTank/test/section_00_")
        assert (int(row["label"]), row["audio/domain"].decode(), row["audio/section"].decode()) == (
            clip.label,
            clip.domain,
            "00",
        )
        names = [n.decode() for n in row["audio/attributes"]["name"]]
        values = [v.decode() for v in row["audio/attributes"]["value"]]
        assert (
            list(zip(names, values, strict=True)) == list(clip.attributes) and row["audio/attributes_known"]
        )
    train = list(tfds.as_numpy(_load("dcase2023_task2/ToyTank", root, tmp_path / "tfds", "train")))
    assert sorted(r["audio/domain"].decode() for r in train) == ["source", "source", "target"]


def test_dcase2021_builder_without_ground_truth(tmp_path):
    from asdlens.data.synth import generate

    root = generate(
        tmp_path / "d",
        layout="dcase2021",
        types=["valve"],
        parts=["eval"],
        eval_sections=["03"],
        n_train=1,
        n_train_target=1,
        n_test_normal=1,
        n_test_anomaly=1,
        duration=0.1,
    )
    (root / "ground_truth").rename(root.parent / "elsewhere")
    test = list(tfds.as_numpy(_load("dcase2021_task2/valve", root, tmp_path / "tfds", "test")))
    assert sorted((int(r["label"]), r["audio/domain"].decode()) for r in test) == [
        (-1, "source"),
        (-1, "source"),
        (-1, "target"),
        (-1, "target"),
    ]
    assert not any(r["audio/attributes_known"] for r in test)
