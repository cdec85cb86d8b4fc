"""scan() on hand-made DCASE 2021-2025 trees: counts, sections, domains, attributes, year detection, defects."""

from __future__ import annotations

from collections import Counter

import pytest
from dcase_trees import labelled, text, tree_2021, tree_2022_dev, wav

from asdlens.data import Clip, scan, split_clips
from asdlens.data.sections import parse_attribute_suffix, parse_labelled_name


def test_2021_dev_additional_and_eval_in_one_tree(tmp_path):
    result = scan(tree_2021(tmp_path / "d"))
    assert result.layout == "dcase2021" and result.warnings == []
    counts = Counter((c.machine_id, c.split, c.domain, c.label) for c in result)
    for section in ("00", "01"):
        assert counts[(section, "train", "source", 0)] == 3 and counts[(section, "train", "target", 0)] == 1
        for domain in ("source", "target"):
            assert counts[(section, "test", domain, 0)] == 2 and counts[(section, "test", domain, 1)] == 2
    assert counts[("03", "train", "source", 0)] == 2
    assert counts[("03", "test", "source", None)] == 4 and counts[("03", "test", "target", None)] == 4
    assert result.sections("fan") == ["00", "01", "03"]
    train = result.select(machine_id="00", split="train", domain="target")
    # 2021 attributes are free-form: kept whole unless they split into key/value pairs
    assert [c.attributes for c in train] == [(("pattern", "00"), ("no", "pump"))]
    assert {c.attributes for c in result.select(machine_id="00", split="train", domain="source")} == {
        (("attribute", "A1Spd28VMic1"),)
    }
    # test names carry no attributes: unknown
    assert all(c.attributes is None for c in result.select(split="test"))
    clip = result.select(machine_id="01", split="test", domain="target", label=1)[1]
    assert (
        clip.path.relative_to(tmp_path / "d").as_posix()
        == "fan/target_test/section_01_target_test_anomaly_0001.wav"
    )
    assert (clip.index, clip.section, clip.snr, clip.layout) == (1, "01", None, "dcase2021")


def test_2021_names_that_do_not_fit(tmp_path):
    wav(tmp_path / "fan/source_test/section_00_target_test_normal_0000.wav")
    wav(tmp_path / "fan/train/section_00_source_train_anomaly_0000_x.wav")
    wav(tmp_path / "fan/train/section_0_source_train_normal_0000_x.wav")
    wav(tmp_path / "fan/train/section_00_source_train_normal_0001_x.wav")
    result = scan(tmp_path, "dcase2021")
    assert [c.file_name for c in result] == ["section_00_source_train_normal_0001_x.wav"]
    reasons = {p.name: r for p, r in result.skipped}
    assert (
        "says domain 'target' but the file is in source_test/"
        in reasons["section_00_target_test_normal_0000.wav"]
    )
    assert "anomaly clip in a train/ folder" in reasons["section_00_source_train_anomaly_0000_x.wav"]
    assert "file name does not match" in reasons["section_0_source_train_normal_0000_x.wav"]


def test_2022_dev_attributes_from_the_table_and_the_name(tmp_path):
    root = tree_2022_dev(tmp_path / "dev")
    # one conflict and one row missing in the section 01 table
    table = root / "fan/attributes_01.csv"
    lines = table.read_text().splitlines()
    conflict = lines[1].rsplit(",", 1)[0] + ",Z"
    table.write_text("\n".join([lines[0], conflict, *lines[3:]]) + "\n")
    result = scan(root)
    assert result.layout == "dcase2022"  # section 01 exists only in 2022
    counts = Counter((c.machine_type, c.machine_id, c.split, c.domain, c.label) for c in result)
    assert (
        counts[("fan", "00", "train", "source", 0)] == 2 and counts[("fan", "00", "test", "target", 1)] == 1
    )
    assert counts[("ToyCar", "00", "test", "target", 1)] == 1
    toy = result.select(machine_type="ToyCar", split="test")[0]
    assert toy.attributes == (("car", "B2"), ("spd", "31V"), ("mic", "1"), ("noise", "1"))
    assert toy.attribute("spd") == "31V" and toy.attribute("weight") is None
    fan = result.select(machine_type="fan", machine_id="01", split="train", domain="source")
    assert [c.attributes for c in fan] == [(("m-n", "Z"),), (("m-n", "X"),)]  # the table's value is kept
    codes = Counter(w.code for w in result.warnings)
    assert codes == {"attribute-conflict": 1, "clip-without-attributes": 1}
    conflict_warning = next(w for w in result.warnings if w.code == "attribute-conflict")
    assert "attributes_01.csv says m-n=Z but the file name says m-n=X; kept m-n=Z" in conflict_warning.message
    assert conflict_warning.path.name == "section_01_source_train_normal_0000_m-n_X.wav"


def test_2022_eval_names_and_the_readme_spelling(tmp_path):
    for i in range(3):
        wav(tmp_path / "eval_data/fan/test" / f"section_03_{i:04d}.wav")
    wav(tmp_path / "eval_data/fan/test/section_04_test_0000.wav")  # as the 2022 README draws it
    wav(tmp_path / "eval_data/fan/train" / labelled("03", "source", "train", 0, 0, "m-n_W"))
    result = scan(tmp_path)
    assert result.layout == "dcase2022"
    hidden = result.select(split="test")
    assert len(hidden) == 4 and all(
        c.label is None and c.domain is None and c.attributes is None for c in hidden
    )
    (readme,) = [w for w in result.warnings if w.code == "readme-eval-name"]
    assert readme.path.name == "section_04_test_0000.wav" and "section_NN_NNNN.wav" in readme.message


@pytest.mark.parametrize(
    ("eval_type", "layout"),
    [("ToyDrone", "dcase2023"), ("BrushlessMotor", "dcase2024"), ("ToyRCCar", "dcase2025")],
)
def test_2023_to_2025_told_apart_by_their_evaluation_types(tmp_path, eval_type, layout):
    wav(tmp_path / "fan/train" / labelled("00", "source", "train", 0, 0, "m-n_W"))
    wav(tmp_path / eval_type / "test/section_00_0007.wav")
    result = scan(tmp_path)
    assert result.layout == layout and result.warnings == []
    assert [c.index for c in result.select(machine_type=eval_type)] == [7]


def test_2024_hidden_attributes_are_unknown_not_a_value(tmp_path):
    wav(tmp_path / "gearbox/train" / labelled("00", "source", "train", 0, 1, "noAttribute"))
    wav(tmp_path / "gearbox/test" / labelled("00", "target", "test", 1, 3, "noAttribute"))
    wav(tmp_path / "fan/train" / labelled("00", "source", "train", 0, 0, "m-n_W"))
    result = scan(tmp_path)
    assert result.layout == "dcase2024"  # gearbox hides its attributes in 2024 only
    gearbox = result.select(machine_type="gearbox")
    assert [(c.split, c.domain, c.label, c.attributes) for c in gearbox] == [
        ("test", "target", 1, None),
        ("train", "source", 0, None),
    ]
    assert parse_attribute_suffix("noAttribute") is None and parse_attribute_suffix("") == ()


def test_2025_supplemental_folder(tmp_path):
    wav(tmp_path / "eval_data/raw/ToyCar/supplemental/section_00_machine_0001_.wav")
    wav(tmp_path / "eval_data/raw/ToyCar/train" / labelled("00", "source", "train", 0, 0, "car_A1"))
    result = scan(tmp_path)
    assert result.layout == "dcase2025"
    (sup,) = result.select(split="supplemental")
    assert (sup.label, sup.domain, sup.attributes, sup.index) == (None, None, (("kind", "machine"),), 1)
    train, test = split_clips(result.clips)
    assert [c.split for c in train] == ["train"] and test == []  # supplemental clips are in neither


def test_same_naming_without_evidence_is_a_reported_guess(tmp_path):
    wav(tmp_path / "fan/train" / labelled("00", "source", "train", 0, 0, "m-n_W"))
    wav(tmp_path / "fan/test" / labelled("00", "target", "test", 1, 0, "m-n_X"))
    result = scan(tmp_path)
    assert result.layout == "dcase2023"
    (warning,) = result.warnings
    assert (
        warning.code == "layout-ambiguous"
        and "dcase2023, dcase2024, dcase2025 fit equally" in warning.message
    )
    assert scan(tmp_path, "dcase2024").warnings == []
    assert {c.layout for c in scan(tmp_path, "dcase2024")} == {"dcase2024"}


def test_a_year_folder_name_decides(tmp_path):
    root = tmp_path / "data" / "dcase2025t2" / "dev_data" / "raw"
    wav(root / "fan/train" / labelled("00", "source", "train", 0, 0, "m-n_W"))
    assert scan(root).layout == "dcase2025" and scan(root).warnings == []
    assert scan(tmp_path / "data").layout == "dcase2025"


def test_robotic_arm_names_without_test_are_read_and_reported(tmp_path):
    # the baseline's rename tool writes the published (defective) true names into test_rename/
    wav(tmp_path / "RoboticArm/test_rename/section_00_source_normal_0035_weight15_BckgF.wav")
    wav(tmp_path / "RoboticArm/train" / labelled("00", "source", "train", 0, 0, "weight15_BckgA"))
    result = scan(tmp_path, "dcase2024")
    (clip,) = result.select(split="test")
    assert (clip.domain, clip.label, clip.index) == ("source", 0, 35)
    assert clip.attributes == (("attribute", "weight15_BckgF"),)
    (warning,) = result.warnings
    assert warning.code == "name-without-test" and warning.path == clip.path
    parsed = parse_labelled_name("section_00_source_normal_0035_weight15_BckgF")
    assert parsed.missing_split and parsed.split is None


def test_test_rename_beside_test_is_skipped(tmp_path):
    wav(tmp_path / "ToyDrone/test/section_00_0000.wav")
    wav(tmp_path / "ToyDrone/test_rename" / labelled("00", "source", "test", 0, 0, "x_1"))
    result = scan(tmp_path)
    assert [c.file_name for c in result] == ["section_00_0000.wav"]
    ((path, reason),) = result.skipped
    assert path.parent.name == "test_rename" and "renamed copy of test/" in reason


def test_2020_and_mimii_records_are_unchanged(dcase_tree):
    clip = scan(dcase_tree).select(split="train")[0]
    assert clip.domain is None and clip.attributes == () and clip.section == clip.machine_id
    assert Clip(clip.path, "dcase2020", "pump", "00", "train", 0, None, 0) == clip


def test_unreadable_attribute_table_is_a_warning(tmp_path):
    wav(tmp_path / "fan/train" / labelled("00", "source", "train", 0, 0, "m-n_W"))
    text(tmp_path / "fan/attributes_00.csv", ["name,param", "x,y"])
    result = scan(tmp_path, "dcase2023")
    (warning,) = result.warnings
    assert (
        warning.code == "attributes-unreadable"
        and "expected the header 'file_name,d1p,d1v" in warning.message
    )
    assert result.clips[0].attributes == (("m-n", "W"),)
