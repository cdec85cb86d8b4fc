"""DCASE 2021-2025 metrics on fixed score files against a direct sklearn/scipy computation of each year's rule,
and the published official scores recomputed from the published per-type values."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.stats
from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score

from asdlens.data import Clip
from asdlens.evaluate import (
    evaluate_official,
    gamma_threshold,
    hmean_floor,
    jackknife_ci95,
    official_score,
    read_evaluator_result_csv,
    read_submission,
    reference,
    rows_from_clips,
    submission_rows,
    write_evaluator_result_csv,
    write_submission,
)
from asdlens.evaluate.submission import parse_score_file_name, score_file_name

EPS = sys.float_info.epsilon
#: per section: (domain, label) -> clip count; unbalanced on purpose, as the 2023 bandsaw/grinder sets are
COUNTS = {("source", 0): 8, ("target", 0): 6, ("source", 1): 5, ("target", 1): 4}
UNITS = [("ToyCar", "00"), ("ToyCar", "01"), ("fan", "00"), ("fan", "01")]


def _clips_and_files(folder: Path, protocol: str, seed: int = 3):
    """Test clips (as scan would give them) and score/decision files written with plain csv, as a system would."""
    rng = np.random.default_rng(seed)
    clips, files = [], {}
    for machine_type, section in UNITS:
        index = 0
        for (domain, label), count in COUNTS.items():
            for _ in range(count):
                name = f"section_{section}_{index:04d}.wav"
                clip = Clip(
                    Path(f"/x/{machine_type}/test/{name}"),
                    protocol,
                    machine_type,
                    section,
                    "test",
                    label,
                    None,
                    index,
                    domain,
                    None,
                )
                clips.append(clip)
                # anomalies score higher on average; target normals drift up (a domain shift)
                score = rng.normal(1.0 + 0.8 * label + 0.5 * (domain == "target" and not label), 0.6)
                domain_part = f"_{domain}" if protocol == "dcase2021" else ""
                key = f"{machine_type}_section_{section}{domain_part}_test.csv"
                files.setdefault(key, []).append((name, score, int(score > 1.6)))
                index += 1
    for key, rows in files.items():
        (folder / f"anomaly_score_{key}").write_text("".join(f"{n},{s!r}\n" for n, s, _ in rows))
        (folder / f"decision_result_{key}").write_text("".join(f"{n},{d}\n" for n, _, d in rows))
    return clips


def _direct(clips, folder: Path, protocol: str):
    """Each year's definition written out with sklearn and scipy, independently of asdlens."""
    scores = {}
    for path in folder.glob("*.csv"):
        machine_type = path.name.split("_")[2]
        for line in path.read_text().splitlines():
            name, value = line.split(",")
            scores[(path.name.split("_")[0], machine_type, name)] = float(value)
    per_section, official = {}, []
    for machine_type, section in UNITS:
        unit = [c for c in clips if (c.machine_type, c.machine_id) == (machine_type, section)]
        y = np.array([c.label for c in unit])
        s = np.array([scores[("anomaly", machine_type, c.file_name)] for c in unit])
        dec = np.array([scores[("decision", machine_type, c.file_name)] for c in unit])
        d = np.array([c.domain for c in unit])
        values = {}
        for dom in ("source", "target"):
            own = d == dom
            mask = own if protocol == "dcase2021" else own | (y == 1)
            values[f"auc_{dom}"] = roc_auc_score(y[mask], s[mask])
            values[f"pauc_{dom}"] = roc_auc_score(y[own], s[own], max_fpr=0.1)
            values[f"precision_{dom}"] = precision_score(y[own], dec[own], zero_division=0)
            values[f"recall_{dom}"] = recall_score(y[own], dec[own], zero_division=0)
            values[f"f1_{dom}"] = f1_score(y[own], dec[own], zero_division=0)
        values["pauc"] = roc_auc_score(y, s, max_fpr=0.1)
        per_section[(machine_type, section)] = values
    if protocol == "dcase2021":
        official = [
            per_section[u][f"{m}_{dom}"]
            for u in UNITS
            for dom in ("source", "target")
            for m in ("auc", "pauc")
        ]
    else:
        official = [per_section[u][m] for m in ("auc_source", "auc_target", "pauc") for u in UNITS]
    return per_section, scipy.stats.hmean(np.maximum(official, EPS)), len(official)


@pytest.mark.parametrize("protocol", ["dcase2021", "dcase2022", "dcase2024"])
def test_metrics_on_fixed_score_files_equal_the_direct_computation(tmp_path, protocol):
    clips = _clips_and_files(tmp_path, protocol)
    submission = read_submission(tmp_path)
    result = evaluate_official(
        submission_rows(submission, clips, protocol), protocol, decisions=submission.decisions
    )
    per_section, expected, n = _direct(clips, tmp_path, protocol)
    assert [(r.machine_type, r.section) for r in result.sections] == UNITS
    for r in result.sections:
        want = per_section[(r.machine_type, r.section)]
        for key in (
            "auc_source",
            "auc_target",
            "pauc_source",
            "pauc_target",
            "precision_source",
            "f1_target",
        ):
            assert getattr(r, key) == pytest.approx(want[key], abs=1e-15), key
        assert r.pauc == (None if protocol == "dcase2021" else pytest.approx(want["pauc"], abs=1e-15))
        assert (r.n_normal_source, r.n_anomaly_target) == (8, 4)
    assert result.n_values == n == (16 if protocol == "dcase2021" else 12)
    assert result.official_score == pytest.approx(expected, rel=1e-14)
    json.dumps(result.to_dict())  # what the runner puts in results.json
    assert result.to_dict()["official_score"] == result.official_score


def test_the_two_rules_give_different_numbers_on_the_same_scores(tmp_path):
    clips = _clips_and_files(tmp_path, "dcase2022")
    rows = submission_rows(read_submission(tmp_path), clips, "dcase2022")
    a, b = evaluate_official(rows, "dcase2021"), evaluate_official(rows, "dcase2023")
    assert a.sections[0].auc_target != b.sections[0].auc_target
    assert a.sections[0].pauc_target == b.sections[0].pauc_target  # domain-own pAUC: the same in both


def test_type_and_overall_means(tmp_path):
    clips = _clips_and_files(tmp_path, "dcase2023")
    result = evaluate_official(submission_rows(read_submission(tmp_path), clips, "dcase2023"), "dcase2023")
    toy = [r for r in result.sections if r.machine_type == "ToyCar"]
    auc = [r.auc_source for r in toy] + [r.auc_target for r in toy]
    assert result.types["ToyCar"]["amean"]["auc"] == pytest.approx(np.mean(auc), rel=1e-14)
    assert result.types["ToyCar"]["hmean"]["auc"] == pytest.approx(scipy.stats.hmean(auc), rel=1e-14)
    assert result.types["ToyCar"]["source_hmean"]["auc"] == pytest.approx(
        scipy.stats.hmean(auc[:2]), rel=1e-14
    )
    assert result.types["ToyCar"]["hmean"]["pauc"] == pytest.approx(
        scipy.stats.hmean([r.pauc for r in toy]), rel=1e-14
    )
    assert result.types["ToyCar"]["amean"]["precision"] is None  # no decisions given
    everything = [getattr(r, f"auc_{d}") for d in ("source", "target") for r in result.sections]
    assert result.overall["hmean"]["auc"] == pytest.approx(scipy.stats.hmean(everything), rel=1e-14)
    assert result.overall["by_metric"]["auc_target"]["amean"] == pytest.approx(
        np.mean([r.auc_target for r in result.sections]), rel=1e-14
    )


@pytest.mark.parametrize(
    ("year", "published"),
    [
        (2023, {"MAHALA": 0.6105, "MSE": 0.5925}),
        (2024, {"MAHALA": 0.5649, "MSE": 0.5651}),
        (2025, {"MAHALA": 0.5651, "MSE": 0.5443}),
    ],
)
def test_published_official_scores_from_the_published_per_type_values(year, published):
    table = reference(f"dcase{year}-eval")
    n_types = {2023: 7, 2024: 9, 2025: 8}[year]
    for system, total in published.items():
        values = table.official_values(system)
        assert len(values) == 3 * n_types
        assert round(official_score(values), 4) == total == table.official_score(system)
        # the README's per-metric h-mean and a-mean rows over the types, too: the inputs are printed to 4
        # decimals (each within 5e-5), so a mean of them is within 5e-5 of the true mean, printed within 5e-5
        for metric in ("auc_source", "auc_target", "pauc"):
            per_type = [table.lookup(system, t, metric) for t in table.machine_types]
            assert hmean_floor(per_type) == pytest.approx(
                table.lookup(system, "all", metric, "hmean"), abs=1e-4
            )
            assert np.mean(per_type) == pytest.approx(table.lookup(system, "all", metric, "amean"), abs=1e-4)


def test_published_2022_dev_type_means_from_the_sections():
    table = reference("dcase2022-dev")
    for machine_type in ("fan", "valve"):
        for metric in ("auc_source", "auc_target", "pauc"):
            values = [table.lookup("AE", machine_type, metric, s) for s in ("00", "01", "02")]
            # printed to 3 decimals: within 1e-3 of the means of the printed section values
            assert np.mean(values) == pytest.approx(
                table.lookup("AE", machine_type, metric, "amean"), abs=1e-3
            )
            assert hmean_floor(values) == pytest.approx(
                table.lookup("AE", machine_type, metric, "hmean"), abs=1e-3
            )
    assert reference("dcase2021-dev").lookup("AE", "fan", "auc", "01", "target") == 0.4953
    with pytest.raises(ValueError, match="excerpt"):
        table.official_values("AE")


def test_undefined_values_are_none_with_a_message():
    rows = [("fan", "00", "source", f"s{i}.wav", i % 2, float(i)) for i in range(6)]
    rows += [("fan", "00", "target", f"t{i}.wav", 0, float(i)) for i in range(3)]  # no target anomalies
    r2021 = evaluate_official(rows, "dcase2021")
    assert r2021.sections[0].auc_target is None and r2021.official_score is None
    assert any("fan section 00 target AUC: only normal clips (3); undefined" in m for m in r2021.messages)
    r2022 = evaluate_official(rows, "dcase2022")  # 2022+: the source anomalies make AUC(target) defined
    assert r2022.sections[0].auc_target is not None and r2022.official_score is not None
    with pytest.raises(ValueError, match="domain None; every clip needs 'source' or 'target'"):
        evaluate_official([("fan", "00", None, "a.wav", 0, 1.0)], "dcase2023")
    with pytest.raises(ValueError, match="labels must be 0 or 1"):
        evaluate_official([("fan", "00", "source", "a.wav", None, 1.0)], "dcase2023")
    with pytest.raises(ValueError, match="protocol='dcase2020' is not allowed"):
        evaluate_official(rows, "dcase2020")
    with pytest.raises(ValueError, match="s0.wav is scored twice"):
        evaluate_official(rows + rows[:1], "dcase2022")


def test_gamma_threshold_and_decisions_match_scipy():
    train = np.random.default_rng(0).gamma(3.0, 0.2, 200) + 0.1
    shape, loc, scale = scipy.stats.gamma.fit(train)
    assert gamma_threshold(train) == scipy.stats.gamma.ppf(0.9, shape, loc=loc, scale=scale)
    with pytest.raises(ValueError, match="all training scores are equal"):
        gamma_threshold([1.0, 1.0, 1.0])


def test_jackknife_ci95_is_the_evaluators_formula():
    rng = np.random.default_rng(1)
    y = np.array([0] * 9 + [1] * 6)
    s = rng.normal(y * 0.7, 1.0)
    loo = np.array([roc_auc_score(np.delete(y, i), np.delete(s, i)) for i in range(y.size)])
    sigma = np.sqrt(np.sum((loo - loo.mean()) ** 2) / (y.size * (y.size - 1)))
    assert jackknife_ci95(y, s) == pytest.approx(abs(scipy.stats.t.ppf(0.025, y.size - 1)) * sigma, rel=1e-12)


@pytest.mark.parametrize("protocol", ["dcase2021", "dcase2022", "dcase2023"])
def test_evaluator_result_csv_round_trip(tmp_path, protocol):
    clips = _clips_and_files(tmp_path, protocol)
    sub = read_submission(tmp_path)
    result = evaluate_official(
        submission_rows(sub, clips, protocol), protocol, decisions=sub.decisions, ci95=True
    )
    path = write_evaluator_result_csv(tmp_path / "system_result.csv", result)
    lines = path.read_text().splitlines()
    assert lines[0] == "ToyCar"
    back = read_evaluator_result_csv(path)
    assert back.official_score == result.official_score
    if protocol == "dcase2021":
        assert lines[1] == "section,domain,AUC,pAUC,precision,recall,F1 score"
        assert back.ci95 is None and "official score ci95" not in path.read_text()
        row = back.sections["fan"][3]  # target rows follow the source rows
        assert (row["section"], row["domain"], row["AUC"]) == (
            "01",
            "target",
            result.section("fan", "01").auc_target,
        )
    else:
        assert lines[1].startswith("section,AUC (all),AUC (source),AUC (target),pAUC,precision (source)")
        assert back.ci95 == result.ci95 and result.ci95 > 0
        assert back.sections["fan"][1]["AUC (target)"] == result.section("fan", "01").auc_target
    assert back.type_means["fan"]["harmonic mean"]["AUC"] == result.types["fan"]["hmean"]["auc"]
    if protocol == "dcase2023":  # no quirk left in 2023: the per-type source row is the correct mean
        assert (
            back.type_means["fan"]["source harmonic mean"]["AUC"]
            == result.types["fan"]["source_hmean"]["auc"]
        )
    assert back.overall["target harmonic mean"]["pAUC"] == result.overall["target_hmean"]["pauc"]


def test_2022_evaluator_quirk_reproduced_unless_asked_not_to(tmp_path):
    clips = _clips_and_files(tmp_path, "dcase2022")
    result = evaluate_official(submission_rows(read_submission(tmp_path), clips, "dcase2022"), "dcase2022")
    correct = read_evaluator_result_csv(write_evaluator_result_csv(tmp_path / "a.csv", result, quirks=False))
    quirky = read_evaluator_result_csv(write_evaluator_result_csv(tmp_path / "b.csv", result))
    fan = [r for r in result.sections if r.machine_type == "fan"]
    assert correct.type_means["fan"]["source harmonic mean"]["AUC"] == pytest.approx(
        scipy.stats.hmean([r.auc_source for r in fan]), rel=1e-14
    )
    # the 2022 evaluator slices at len(sections) // 2 = 1: the first section's AUC(source) alone
    assert quirky.type_means["fan"]["source harmonic mean"]["AUC"] == pytest.approx(
        fan[0].auc_source, rel=1e-14
    )
    assert quirky.official_score == correct.official_score


def test_score_files_written_and_read_back(tmp_path):
    clips = [
        Clip(
            Path(f"/x/fan/test/section_03_{i:04d}.wav"),
            "dcase2023",
            "fan",
            "03",
            "test",
            i % 2,
            None,
            i,
            d,
            None,
        )
        for i, d in enumerate(["source", "target"] * 3)
    ]
    rows = rows_from_clips(clips, [0.5, 1.5, 0.25, 2.0, 0.75, 1.0])
    for protocol, names in (
        (
            "dcase2021",
            ["anomaly_score_fan_section_03_source_test.csv", "anomaly_score_fan_section_03_target_test.csv"],
        ),
        ("dcase2023", ["anomaly_score_fan_section_03_test.csv", "decision_result_fan_section_03_test.csv"]),
    ):
        folder = tmp_path / protocol
        written = write_submission(folder, rows, protocol, threshold=0.9 if protocol == "dcase2023" else None)
        assert [p.name for p in written] == names
        sub = read_submission(folder)
        assert sub.scores[("fan", "section_03_0001.wav")] == 1.5
        assert submission_rows(sub, clips, protocol) == sorted(rows, key=lambda r: r.file_name)
    assert (tmp_path / "dcase2023/decision_result_fan_section_03_test.csv").read_text().splitlines()[:2] == [
        "section_03_0000.wav,0",
        "section_03_0001.wav,1",
    ]
    assert parse_score_file_name(
        "anomaly_score_DCASE2023T2ToyTank_section_00_test_seed13711_id(0_)_Eval.csv"
    ) == (
        "anomaly_score",
        "ToyTank",
        "00",
        None,
    )
    assert (
        score_file_name("decision_result", "fan", "00", "dcase2021", "target")
        == "decision_result_fan_section_00_target_test.csv"
    )
    with pytest.raises(ValueError, match="2021 score files are per domain"):
        score_file_name("anomaly_score", "fan", "00", "dcase2021")
    (tmp_path / "dcase2023/anomaly_score_fan_section_03_test.csv").write_text("section_03_0000.wav 0.5\n")
    with pytest.raises(ValueError, match=r"anomaly_score_fan_section_03_test.csv:1: .*comma-separated"):
        read_submission(tmp_path / "dcase2023")
    (tmp_path / "dcase2023/anomaly_score_fan_section_03_test.csv").write_text(
        "section_03_0000.wav,0.5\nextra.wav,1\n"
    )
    (tmp_path / "dcase2023/decision_result_fan_section_03_test.csv").unlink()
    with pytest.raises(
        ValueError,
        match=r"5 test clip\(s\) have no score .*; 1 score\(s\) name no test clip \(e.g. fan/extra.wav\)",
    ):
        submission_rows(read_submission(tmp_path / "dcase2023"), clips, "dcase2023")
