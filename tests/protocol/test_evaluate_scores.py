"""``asdlens evaluate`` and ``asdlens compare`` on score files written by hand beside real (tiny) WAV trees:
known AUC/pAUC/official scores, every planted defect named, paired differences beyond noise or not."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from scipy.stats import hmean
from sklearn.metrics import roc_auc_score
from typer.testing import CliRunner

from asdlens.cli import app

#: pump id_00: AUC 11/12 (0.5 beats 3 of the 4 normals), pAUC 47/57 (TPR 2/3 before the first normal);
#: id_02 separates perfectly.
SCORES_2020 = {
    "00": ([0.1, 0.2, 0.3, 0.6], [0.5, 0.7, 0.9]),
    "02": ([0.1, 0.2, 0.3, 0.4, 0.5], [1.0, 2.0, 3.0, 4.0]),
}


def _wav(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, np.zeros(160, np.int16), 16000, subtype="PCM_16")


def _write(path: Path, rows: list[tuple[str, object]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{name},{value}\n" for name, value in rows))
    return path


def _tree_2020(root: Path, scores: dict, folder: Path) -> None:
    """pump with the IDs of ``scores`` (one training clip each) and the score files in ``folder``."""
    for machine_id, (normal, anomaly) in scores.items():
        _wav(root / f"pump/train/normal_id_{machine_id}_00000000.wav")
        rows = []
        for kind, values in (("normal", normal), ("anomaly", anomaly)):
            for i, v in enumerate(values):
                name = f"{kind}_id_{machine_id}_{i:08d}.wav"
                _wav(root / "pump/test" / name)
                rows.append((name, v))
        _write(folder / f"anomaly_score_pump_id_{machine_id}.csv", rows)


def _evaluate(*args: str):
    return CliRunner().invoke(app, ["evaluate", *args], env={"COLUMNS": "80"})


def test_dcase2020_score_files_give_the_known_auc_pauc_and_official_score(tmp_path):
    _tree_2020(tmp_path / "data", SCORES_2020, tmp_path / "scores")
    out = _evaluate(
        str(tmp_path / "scores"), "--data", str(tmp_path / "data"), "--out", str(tmp_path / "res")
    )
    assert out.exit_code == 0, out.output
    data = json.loads((tmp_path / "res/results.json").read_text())
    by_id = {r["machine_id"]: r for r in data["results"]}
    assert by_id["00"]["auc"] == pytest.approx(11 / 12, abs=1e-15)
    assert by_id["00"]["pauc"] == pytest.approx(47 / 57, abs=1e-15)
    assert (by_id["02"]["auc"], by_id["02"]["pauc"]) == (1.0, 1.0)
    mean_auc, mean_pauc = (11 / 12 + 1) / 2, (47 / 57 + 1) / 2
    assert data["mean"]["auc"] == pytest.approx(mean_auc) and data["mean"]["pauc"] == pytest.approx(mean_pauc)
    assert data["official_score_2020"] == pytest.approx((mean_auc + mean_pauc) / 2)
    low, high = data["intervals"]["units"]["pump id_00"]["auc"]
    assert low <= 11 / 12 <= high
    assert data["experiment"] is None and data["scored"]["files"] == [
        "anomaly_score_pump_id_00.csv",
        "anomaly_score_pump_id_02.csv",
    ]
    assert max(len(line) for line in out.output.splitlines()) <= 80
    assert "DCASE 2020 official score, published systems" in out.output  # the published systems beside it
    assert "pub" in out.output  # the published baseline per ID
    page = (tmp_path / "res/report.md").read_text()  # the report: the same tables, every number whole
    assert f"{data['official_score_2020']:.4f}" in page and "pub" in page and "published systems" in page
    assert (tmp_path / "res/report.html").is_file()
    shown = CliRunner().invoke(app, ["results", str(tmp_path / "res")])
    assert shown.exit_code == 0 and f"{data['official_score_2020']:.4f}" in shown.output, shown.output


def test_every_planted_defect_is_named_with_its_file(tmp_path):
    scores = tmp_path / "scores"
    _tree_2020(tmp_path / "data", SCORES_2020, scores)
    id00, id02 = scores / "anomaly_score_pump_id_00.csv", scores / "anomaly_score_pump_id_02.csv"
    lines = id00.read_text().splitlines()
    id00.write_text("\n".join(lines[1:]) + "\n")  # normal_id_00_00000000.wav is missing
    lines = id02.read_text().splitlines()
    lines[1] = lines[1].split(",")[0] + ",abc"  # a bad float
    id02.write_text("\n".join([*lines, lines[0]]) + "\n")  # the first clip listed twice
    _write(scores / "anomaly_score_fan_id_00.csv", [("normal_id_00_00000000.wav", 0.1)])  # unknown unit
    _write(scores / "anomaly_score_pump.csv", [("x.wav", 0.1)])  # a name that does not parse
    out = _evaluate(str(scores), "--data", str(tmp_path / "data"))
    assert out.exit_code == 2, out.output
    text = " ".join(out.output.split())
    assert "5 problem(s) with the score files" in text
    assert f"{id00}: 1 test clip(s) of pump id_00 missing: normal_id_00_00000000.wav" in text
    assert f"{id02}:2: 'abc' is not a number (clip normal_id_02_00000001.wav)" in text
    assert f"{id02}:10: normal_id_02_00000000.wav is listed twice in this file" in text
    assert (
        f"{scores / 'anomaly_score_fan_id_00.csv'}: unknown file: the data has no test clips of fan id_00"
        in text
    )
    assert f"{scores / 'anomaly_score_pump.csv'}: not a score file name" in text
    # a missing file and a clip of another unit's file
    id00.unlink()
    (scores / "anomaly_score_fan_id_00.csv").unlink()
    (scores / "anomaly_score_pump.csv").unlink()
    _tree_2020(tmp_path / "data", {"02": SCORES_2020["02"]}, scores)
    with id02.open("a") as f:
        f.write("normal_id_00_00000001.wav,0.5\n")
    text = " ".join(_evaluate(str(scores), "--data", str(tmp_path / "data")).output.split())
    assert "no anomaly_score file for pump id_00 (expected anomaly_score_pump_id_00.csv)" in text
    assert f"{id02}: normal_id_00_00000001.wav is not a test clip of pump id_02" in text


def _tree_2023(root: Path, folder: Path, rng) -> list[tuple]:
    """ToyCar and fan, section 00, 4 clips per domain x label; score and decision files; the score rows."""
    rows = []
    for machine_type in ("ToyCar", "fan"):
        _wav(root / f"{machine_type}/train/section_00_source_train_normal_0000_noAttribute.wav")
        unit = []
        for domain in ("source", "target"):
            for label, kind in ((0, "normal"), (1, "anomaly")):
                for i in range(4):
                    name = f"section_00_{domain}_test_{kind}_{i:04d}_noAttribute.wav"
                    _wav(root / f"{machine_type}/test" / name)
                    score = round(float(rng.normal(label * (1.5 if domain == "source" else 0.5))), 3)
                    unit.append((name, score))
                    rows.append((machine_type, domain, label, score))
        _write(folder / f"anomaly_score_{machine_type}_section_00_test.csv", unit)
        _write(
            folder / f"decision_result_{machine_type}_section_00_test.csv",
            [(n, int(s > 0.7)) for n, s in unit],
        )
    return rows


def test_dcase2023_score_and_decision_files_give_the_official_score(tmp_path):
    rows = _tree_2023(tmp_path / "dcase2023t2/dev_data", tmp_path / "scores", np.random.default_rng(3))
    out = _evaluate(str(tmp_path / "scores"), "--data", str(tmp_path / "dcase2023t2/dev_data"), "--layout",
                    "dcase2023", "--out", str(tmp_path / "res"))  # fmt: skip
    assert out.exit_code == 0, out.output
    data = json.loads((tmp_path / "res/results.json").read_text())
    values = []
    for machine_type in ("ToyCar", "fan"):
        unit = [r for r in rows if r[0] == machine_type]
        y, s, d = (np.array([r[k] for r in unit]) for k in (2, 3, 1))
        for dom in ("source", "target"):
            keep = (d == dom) | (y == 1)
            values.append(roc_auc_score(y[keep], s[keep]))
        values.append(roc_auc_score(y, s, max_fpr=0.1))
    assert data["official_score"] == pytest.approx(hmean(values), rel=1e-12)
    assert data["official"]["official_score_ci95"] > 0
    section = data["official"]["sections"][0]
    assert section["precision_source"] is not None  # the decision files were read
    low, high = data["intervals"]["overall"]["official_score"]
    assert low < data["official_score"] < high
    assert max(len(line) for line in out.output.splitlines()) <= 80


def test_compare_marks_what_differs_beyond_noise(tmp_path):
    rng = np.random.default_rng(0)
    n = 40
    good = {i: (list(rng.normal(size=n)), list(rng.normal(size=n) + 2.0)) for i in ("00", "02")}
    worse = {"00": (good["00"][0], list(np.asarray(good["00"][1]) - 1.8)), "02": good["02"]}
    _tree_2020(tmp_path / "data", good, tmp_path / "a")
    _tree_2020(tmp_path / "data", worse, tmp_path / "b")
    for side in ("a", "b"):
        out = _evaluate(
            str(tmp_path / side), "--data", str(tmp_path / "data"), "--out", str(tmp_path / f"res_{side}")
        )
        assert out.exit_code == 0, out.output
    out = CliRunner().invoke(app, ["compare", str(tmp_path / "res_a"), str(tmp_path / "res_b"), "--json"])
    assert out.exit_code == 0, out.output
    rows = {(r["level"], r["name"], r["number"]): r for r in json.loads(out.output)["rows"]}
    r00 = rows[("unit", "pump id_00", "auc")]
    y = [0] * n + [1] * n
    expected = roc_auc_score(y, good["00"][0] + good["00"][1]) - roc_auc_score(
        y, worse["00"][0] + worse["00"][1]
    )
    assert r00["delta"] == pytest.approx(expected, abs=1e-12)
    assert r00["beyond_noise"] and r00["low"] > 0
    r02 = rows[("unit", "pump id_02", "auc")]
    assert r02["delta"] == 0 and not r02["beyond_noise"]  # the same scores: no difference at all
    assert rows[("overall", "all", "official_score_2020")]["beyond_noise"]
    table = CliRunner().invoke(app, ["compare", str(tmp_path / "res_a"), str(tmp_path / "res_b")],
                               env={"COLUMNS": "80"})  # fmt: skip
    assert table.exit_code == 0 and "1 of 2 units differ beyond noise: pump id_00" in " ".join(
        table.output.split()
    )
    assert max(len(line) for line in table.output.splitlines()) <= 80
    shutil.rmtree(tmp_path / "b")
    missing = CliRunner().invoke(app, ["compare", str(tmp_path / "res_a"), str(tmp_path / "res_b")])
    assert missing.exit_code == 2 and "no such folder" in missing.output


def test_a_dcase2020_runs_score_files_list_normals_then_anomalies_as_01_test_py(tmp_path):
    """``01_test.py`` writes each ID's normal clips (sorted), then its anomalies (sorted); a run's files too, and
    ``asdlens evaluate`` reads them back to the run's own metrics."""
    from asdlens.data import scan
    from asdlens.experiment import RunResult, load_experiment
    from asdlens.experiment import plan as plan_module
    from asdlens.experiment.protocols import protocol_of

    _tree_2020(tmp_path / "data", SCORES_2020, tmp_path / "unused")
    clips = scan(tmp_path / "data").select(split="test")
    tests, scored = [], {}
    for machine_id, (normal, anomaly) in SCORES_2020.items():
        group_clips = tuple(c for c in clips if c.machine_id == machine_id)  # path order: anomalies first
        value = {f"normal_id_{machine_id}_{i:08d}.wav": v for i, v in enumerate(normal)}
        value |= {f"anomaly_id_{machine_id}_{i:08d}.wav": v for i, v in enumerate(anomaly)}
        group = plan_module.TestGroup("pump", None, machine_id, "pump", group_clips, "id")
        tests.append(group)
        scored[group.label] = [(c.file_name, value[c.file_name], c.label) for c in group_clips]
    exp = load_experiment("dcase2020", [f"dataset.root={tmp_path / 'data'}"])
    plan = plan_module.Plan(
        tmp_path / "data", "dcase2020", [plan_module.Unit("pump", None, None, (), "id")], tests
    )
    protocol = protocol_of("dcase2020")
    run = tmp_path / "run"
    result = RunResult(protocol, protocol.evaluate(exp, plan, scored), {}, run, exp, "dcase2020", plan=plan,
                       scores=scored)  # fmt: skip
    protocol.write_files(result)
    names = [line.split(",")[0] for line in (run / "anomaly_score_pump_id_00.csv").read_text().splitlines()]
    assert names == [f"normal_id_00_{i:08d}.wav" for i in range(4)] + [
        f"anomaly_id_00_{i:08d}.wav" for i in range(3)
    ]
    out = _evaluate(str(run), "--data", str(tmp_path / "data"), "--out", str(tmp_path / "res"))
    assert out.exit_code == 0, out.output
    data = json.loads((tmp_path / "res/results.json").read_text())
    assert data["results"] == [r.to_dict() for r in result.evaluation.results]
    assert data["intervals"] == result.evaluation.intervals  # the same clips, the same resamples
    # the same draws from the run in memory (what explain's noise rule pairs), and pooled over seeds
    from asdlens.evaluate import BootstrapOptions, intervals_json
    from asdlens.evaluate.intervals import seed_mean
    from asdlens.experiment.compare import run_draws

    draws = run_draws(result)
    assert intervals_json(draws, BootstrapOptions()) == result.evaluation.intervals
    pooled = seed_mean([draws, draws])
    np.testing.assert_array_equal(pooled["overall"]["auc"].draws, draws["overall"]["auc"].draws)
