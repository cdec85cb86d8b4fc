"""Evaluation trees read with each year's published ground-truth formats; every known defect is reported."""

from __future__ import annotations

from collections import Counter

import pytest
from dcase_trees import text, tree_2021, wav
from typer.testing import CliRunner

from asdlens.cli import app
from asdlens.data import read_ground_truth, scan
from asdlens.data.check import check_tree

# a 2022 ToyCar evaluation section as published: (eval name, label, domain, true name in the attribute file)
TOYCAR = [
    (
        "section_03_0000.wav",
        1,
        "source",
        "section_03_target_test_anomaly_0011_car_G2_spd_34V_mic_1_noise_6.wav",
    ),
    (
        "section_03_0001.wav",
        0,
        "source",
        "section_03_target_test_normal_0030_car_G1_spd_34V_mic_1_noise_6.wav",
    ),
    (
        "section_03_0002.wav",
        0,
        "target",
        "section_03_target_test_normal_0002_car_G1_spd_28V_mic_1_noise_6.wav",
    ),
    (
        "section_03_0003.wav",
        1,
        "source",
        "section_03_source_test_normal_0003_car_A1_spd_28V_mic_1_noise_6.wav",
    ),
]


def _toycar_2022(root):
    for name, *_ in TOYCAR:
        wav(root / "eval_data/ToyCar/test" / name)
    gt = root / "gt"
    text(
        gt / "ground_truth_data/ground_truth_ToyCar_section_03_test.csv",
        [f"{n},{y}" for n, y, _, _ in TOYCAR],
    )
    text(
        gt / "ground_truth_domain/ground_truth_ToyCar_section_03_test.csv",
        [f"{n},{int(d == 'target')}" for n, _, d, _ in TOYCAR],
    )
    rows = ["file_name,d1p,d1v,file_name_with_attributes"]
    rows += [f"ToyCar/test/{n},car,{t.split('_car_')[1][:2]},ToyCar/test/{t}" for n, _, _, t in TOYCAR]
    text(gt / "ground_truth_attributes/ToyCar/attributes_03.csv", rows)
    return root / "eval_data", gt


def test_2021_eval_labels_from_the_evaluator_files_and_the_list(tmp_path):
    root = tree_2021(tmp_path / "d")
    gt = tmp_path / "gt"
    for domain in ("source", "target"):
        rows = [f"section_03_{domain}_test_{i:04d}.wav,{i % 2}" for i in range(4)]
        text(gt / f"ground_truth_data/ground_truth_fan_section_03_{domain}_test.csv", rows)
    result = scan(root, ground_truth=gt / "ground_truth_data")
    assert result.warnings == []
    evaluated = result.select(machine_id="03", split="test")
    assert Counter((c.domain, c.label) for c in evaluated) == {
        ("source", 0): 2,
        ("source", 1): 2,
        ("target", 0): 2,
        ("target", 1): 2,
    }
    # nttcslab's eval_data_list_2021.csv: a type line, then '<eval name>,<labelled name>'
    lines = ["fan"] + [
        f"section_03_{d}_test_{i:04d}.wav,section_03_{d}_test_{'anomaly' if i % 2 else 'normal'}_{i:04d}.wav"
        for d in ("source", "target")
        for i in range(4)
    ]
    listed = scan(root, ground_truth=text(tmp_path / "eval_data_list_2021.csv", lines))
    assert listed.warnings == [] and listed.clips == result.clips
    both = scan(root, ground_truth=[gt, tmp_path / "eval_data_list_2021.csv"])
    assert both.warnings == [] and both.clips == result.clips


def test_2022_toycar_files_that_disagree_keep_the_official_labels_and_say_so(tmp_path):
    tree, gt = _toycar_2022(tmp_path)
    result = scan(tree, "dcase2022", ground_truth=gt)
    clips = {c.file_name: c for c in result}
    assert [(clips[n].label, clips[n].domain) for n, y, d, _ in TOYCAR] == [(y, d) for _, y, d, _ in TOYCAR]
    # attributes still come from the attribute file's true names (d1 pair first)
    assert clips["section_03_0000.wav"].attributes == (
        ("car", "G2"),
        ("spd", "34V"),
        ("mic", "1"),
        ("noise", "6"),
    )
    disagreements = [w for w in result.warnings if w.code == "ground-truth-disagreement"]
    assert len(disagreements) == 2
    by_field = {("label" if "label(s)" in w.message else "domain"): w for w in disagreements}
    assert (
        "ToyCar: 1 label(s) here disagree with ground_truth_ToyCar_section_03_test.csv"
        in by_field["label"].message
    )
    assert "ToyCar: 2 domain(s) here disagree" in by_field["domain"].message
    assert all(
        w.path.name == "attributes_03.csv" and "which official scoring uses" in w.message
        for w in disagreements
    )
    assert not any(w.code == "known-defect-2022-toy-labels" for w in result.warnings)


def test_2022_labels_from_the_list_alone_carry_the_known_defect_warning(tmp_path):
    tree, _ = _toycar_2022(tmp_path)
    wav(tree / "fan/test/section_03_0000.wav")
    lines = (
        ["ToyCar"]
        + [f"{n},{t}" for n, _, _, t in TOYCAR]
        + ["fan", "section_03_0000.wav,section_03_source_test_normal_0000_m-n_X.wav"]
    )
    result = scan(tree, "dcase2022", ground_truth=text(tmp_path / "eval_data_list_2022.csv", lines))
    (warning,) = [w for w in result.warnings if w.code == "known-defect-2022-toy-labels"]
    assert warning.message.startswith(
        "ToyCar: labels came from eval_data_list_2022.csv or ground_truth_attributes"
    )
    assert "296 of 600" in warning.message
    assert result.select(machine_type="fan")[0].label == 0


def test_readme_spelled_eval_names_match_the_ground_truth(tmp_path):
    wav(tmp_path / "eval_data/fan/test/section_03_test_0001.wav")
    gt = tmp_path / "gt"
    text(gt / "ground_truth_data/ground_truth_fan_section_03_test.csv", ["section_03_0001.wav,1"])
    text(gt / "ground_truth_domain/ground_truth_fan_section_03_test.csv", ["section_03_0001.wav,1"])
    result = scan(tmp_path / "eval_data", "dcase2022", ground_truth=gt)
    (clip,) = result.clips
    assert (clip.label, clip.domain) == (1, "target")
    assert [w.code for w in result.warnings] == ["readme-eval-name"]


def test_2023_true_names_give_attributes_and_counts_of_what_is_missing(tmp_path):
    for i in range(3):
        wav(tmp_path / "ToyDrone/test" / f"section_00_{i:04d}.wav")
    gt = tmp_path / "gt"
    names = [
        ("section_00_0000.wav", "section_00_target_test_anomaly_0012_car_C1_spd_1_mic_2"),
        ("section_00_0001.wav", "section_00_source_test_normal_0031_car_B2_spd_2_mic_1"),
        ("section_00_0009.wav", "section_00_source_test_normal_0032_car_B2_spd_2_mic_1"),
    ]
    text(
        gt / "ground_truth_attributes/ground_truth_ToyDrone_section_00_test.csv",
        [f"{a},{b}" for a, b in names],
    )
    result = scan(tmp_path, ground_truth=gt)
    assert result.layout == "dcase2023"
    clips = {c.file_name: c for c in result}
    assert (clips["section_00_0000.wav"].label, clips["section_00_0000.wav"].domain) == (1, "target")
    assert clips["section_00_0001.wav"].attributes == (("car", "B2"), ("spd", "2"), ("mic", "1"))
    assert clips["section_00_0002.wav"].label is None
    assert sorted(w.message for w in result.warnings) == [
        "ToyDrone: 1 ground-truth row(s) name no clip here",
        "ToyDrone: 1 unlabelled test clip(s) have no ground truth",
    ]


def test_2024_hidden_attributes_robotic_arm_and_correspondences(tmp_path):
    wav(tmp_path / "eval_data/AirCompressor/test/section_00_0001.wav")
    wav(tmp_path / "eval_data/RoboticArm/test/section_00_0000.wav")
    wav(tmp_path / "dev_data/gearbox/train/section_00_source_train_normal_0001_noAttribute.wav")
    gt = tmp_path / "gt"
    text(
        gt / "ground_truth_attributes/ground_truth_AirCompressor_section_00_test.csv",
        [
            "section_00_0001.wav,section_00_source_test_normal_0001_noAttribute,section_00_source_test_normal_0001_fl_2_nos_3.wav"
        ],
    )
    text(
        gt / "ground_truth_attributes/ground_truth_RoboticArm_section_00_test.csv",
        ["section_00_0000.wav,section_00_source_normal_0035_weight15_BckgF"],
    )
    text(
        gt / "ground_truth_attributes_all/dev_data/gearbox/attributes_00_train_correspondence.csv",
        [
            "source_file_name,target_file_name",
            "section_00_source_train_normal_0001_pro_A_wt_200.wav,section_00_source_train_normal_0001_noAttribute.wav",
        ],
    )
    result = scan(tmp_path, "dcase2024", ground_truth=gt)
    clips = {c.machine_type: c for c in result}
    assert clips["AirCompressor"].attributes == (("fl", "2"), ("nos", "3"))
    assert (clips["AirCompressor"].label, clips["AirCompressor"].domain) == (0, "source")
    assert (clips["RoboticArm"].label, clips["RoboticArm"].domain) == (0, "source")
    assert clips["gearbox"].attributes == (("pro", "A"), ("wt", "200"))
    (warning,) = result.warnings
    assert (
        warning.code == "name-without-test"
        and warning.path.name == "ground_truth_RoboticArm_section_00_test.csv"
    )
    assert "1 true name(s) lack '_test_'" in warning.message


def test_ground_truth_that_contradicts_a_labelled_name(tmp_path):
    wav(tmp_path / "fan/test/section_00_source_test_normal_0000_m-n_W.wav")
    lines = [
        "fan",
        "section_00_source_test_normal_0000_m-n_W.wav,section_00_source_test_anomaly_0000_m-n_W.wav",
    ]
    result = scan(tmp_path, "dcase2023", ground_truth=text(tmp_path / "list.csv", lines))
    assert result.clips[0].label == 0
    assert [w.code for w in result.warnings] == ["ground-truth-vs-name"]


def test_bad_ground_truth_files_are_named(tmp_path):
    wav(tmp_path / "d/fan/test/section_00_0000.wav")
    with pytest.raises(ValueError, match="no such ground-truth file or folder"):
        scan(tmp_path / "d", ground_truth=tmp_path / "absent")
    bad = text(
        tmp_path / "g1/ground_truth_data/ground_truth_fan_section_00_test.csv",
        ["section_00_0000.wav,1", "x,2"],
    )
    with pytest.raises(
        ValueError, match=r"ground_truth_fan_section_00_test.csv:2: expected one of \[0, 1\], got '2'"
    ):
        read_ground_truth(bad)
    loose = text(tmp_path / "g2/ground_truth_fan_section_00_test.csv", ["section_00_0000.wav,1"])
    with pytest.raises(ValueError, match="cannot tell whether it holds labels, domains or true names"):
        read_ground_truth(loose)
    listed = text(tmp_path / "g3/eval_data_list_2023.csv", ["fan", "section_00_0000.wav,not_a_name.wav"])
    with pytest.raises(
        ValueError, match="eval_data_list_2023.csv:2: 'not_a_name.wav' is not a labelled DCASE file"
    ):
        read_ground_truth(listed)
    text(tmp_path / "g4/notes.csv", ["a,b,c", "1,2,3"])
    (tmp_path / "g4/README.md").write_text("ignored")
    with pytest.raises(ValueError, match="no ground-truth files found"):
        read_ground_truth(tmp_path / "g4")


def test_data_check_with_ground_truth(tmp_path):
    tree, gt = _toycar_2022(tmp_path)
    report = check_tree(tree, "dcase2022", ground_truth=gt)
    assert report.ok and report.counts[("ToyCar", None, "03", "test source anomaly")] == 2
    assert report.columns == ["test source normal", "test source anomaly", "test target normal"]
    assert Counter(w.code for w in report.warnings) == {"ground-truth-disagreement": 2}
    runner = CliRunner(env={"COLUMNS": "200"})
    done = runner.invoke(
        app, ["data", "check", str(tree), "--layout", "dcase2022", "--ground-truth", str(gt)]
    )
    assert done.exit_code == 0, done.output
    assert "section" in done.output and "test source anomaly" in done.output
    assert "2 warning(s) (read and handled)" in done.output and "[ground-truth-disagreement]" in done.output
    plain = runner.invoke(app, ["data", "check", str(tree)])
    assert plain.exit_code == 0 and "test unknown domain" in plain.output


def test_dcase2020_eval_labels_from_the_2020_list(tmp_path):
    wav(tmp_path / "fan/test/id_01_00000000.wav")
    wav(tmp_path / "fan/test/id_01_00000001.wav")
    lines = [
        "fan",
        "id_01_00000000.wav,normal_id_01_00000098.wav,0",
        "id_01_00000001.wav,anomaly_id_01_00000064.wav,1",
    ]
    result = scan(tmp_path, ground_truth=text(tmp_path / "eval_data_list_2020.csv", lines))
    assert result.layout == "dcase2020" and result.warnings == []
    assert [(c.label, c.domain, c.attributes) for c in result] == [(0, None, ()), (1, None, ())]


def test_data_check_counts_a_2021_eval_tree_without_ground_truth(tmp_path):
    report = check_tree(tree_2021(tmp_path / "d"))
    assert report.ok and report.scan.layout == "dcase2021"
    assert report.counts[("fan", None, "03", "test source unlabeled")] == 4
    assert report.counts[("fan", None, "00", "train target")] == 1
    assert report.counts[("fan", None, "01", "test target anomaly")] == 2
