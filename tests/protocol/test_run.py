"""The runner end to end on generated data: files in the official formats, determinism, resume, bad clips.

The end-to-end runs use 2 s clips and 2 epochs: the point is the machinery (every file, identical reruns, what
the cache saves); ``test_auc_above_chance`` trains long enough to check the models learn something.
"""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from asdlens.cli import app
from asdlens.data.synth import generate
from asdlens.engine import EngineOptions
from asdlens.evaluate import read_anomaly_scores, read_mimii_result_yaml, read_result_csv
from asdlens.experiment import BadClipsError, load_experiment, run_experiment
from asdlens.experiment import jobs as jobs_module
from asdlens.experiment.plan import make_plan
from asdlens.report import check_html

QUIET = EngineOptions(progress=False)  # every run of these tests without the live display
INLINE = EngineOptions("inline", progress=False)

FAST = ["training.epochs=2", "training.batch_size=128"]


@pytest.fixture(scope="module")
def dcase_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("dcase") / "data"
    return generate(
        root, layout="dcase2020", types=["pump", "fan"], ids=["00", "02"], n_train=8, n_test_normal=4,
        n_test_anomaly=4, duration=2.0, seed=1,
    )  # fmt: skip


@pytest.fixture(scope="module")
def mimii_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("mimii") / "data"
    return generate(
        root, layout="mimii", types=["valve"], ids=["00", "02"], snrs=[6, -6], n_train=8, n_test_normal=4,
        n_test_anomaly=4, duration=2.0, seed=2,
    )  # fmt: skip


def test_plan_dcase_pools_ids_per_type(dcase_root):
    plan = make_plan(load_experiment("dcase2020"), dcase_root)
    assert [u.name for u in plan.units] == ["fan", "pump"]
    assert [len(u.train) for u in plan.units] == [16, 16]
    assert [t.label for t in plan.tests] == ["fan id_00", "fan id_02", "pump id_00", "pump id_02"]
    assert all(len(t.clips) == 8 and t.unit == t.machine_type for t in plan.tests)
    assert len(plan.clips) == 2 * 2 * 16
    one = make_plan(load_experiment("dcase2020", ["dataset.types=[pump]", "dataset.ids=[2]"]), dcase_root)
    assert [u.name for u in one.units] == ["pump"] and [t.label for t in one.tests] == ["pump id_02"]
    with pytest.raises(
        ValueError, match=r"dataset.types: \['valve'\] not found under .*found \['fan', 'pump'\]"
    ):
        make_plan(load_experiment("dcase2020", ["dataset.types=[valve]"]), dcase_root)
    with pytest.raises(ValueError, match=r"dataset.ids: none of \['06'\] found"):
        make_plan(load_experiment("dcase2020", ["dataset.ids=[6]"]), dcase_root)


def test_plan_mimii_one_model_per_type_id_snr(mimii_root):
    plan = make_plan(load_experiment("mimii"), mimii_root)
    names = ["valve_min6dB_id_00", "valve_min6dB_id_02", "valve_6dB_id_00", "valve_6dB_id_02"]
    assert [u.name for u in plan.units] == names
    assert [t.unit for t in plan.tests] == names
    # the paper split: all 4 abnormal clips plus 4 normal ones in test, the other 8 normal clips train
    assert all(len(u.train) == 8 for u in plan.units)
    assert all(sum(c.label for c in t.clips) == 4 and len(t.clips) == 8 for t in plan.tests)
    per_type = make_plan(load_experiment("mimii", ["model.per=type"]), mimii_root)
    assert [u.name for u in per_type.units] == ["valve_min6dB", "valve_6dB"]


def test_bad_clip_stops_the_run_before_training(dcase_root, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(dcase_root, data)
    broken = data / "pump" / "test" / "anomaly_id_00_00000001.wav"
    broken.write_bytes(b"RIFF\x00\x00")
    exp = load_experiment("dcase2020", [*FAST, "dataset.types=[pump]"])
    with pytest.raises(
        BadClipsError,
        match=r"(?s)1 clip\(s\) cannot be used.*--skip-bad.*anomaly_id_00_00000001.wav: cannot decode",
    ):
        run_experiment(exp, data_root=data, out_dir=tmp_path / "run", engine=QUIET)
    cache = tmp_path / "run" / "cache"
    assert len(list((cache / "features").rglob("*.npy"))) == 31  # the good clips' features are kept
    assert not (cache / "models").exists()  # nothing was trained
    result = CliRunner().invoke(
        app, ["run", "dcase2020", "--data", str(data), "--out", str(tmp_path / "cli"), "-q"]
    )
    assert result.exit_code == 2
    assert "error: 1 clip(s) cannot be used" in result.output


def test_cli_user_errors_exit_2(dcase_root, tmp_path):
    runner = CliRunner()
    cases = [
        (["run", "dcase2021", "--data", str(dcase_root), "--out", str(tmp_path / "r")], "unknown experiment"),
        (["run", "dcase2020", "--data", str(dcase_root), "--out", str(tmp_path / "r"), "--types", "valve"],
         "dataset.types: ['valve'] not found"),
        (["run", "dcase2020", "--data", str(tmp_path / "none"), "--out", str(tmp_path / "r")], "no such folder"),
        (["run", "dcase2020", "--out", str(tmp_path / "r")], "no data: give data_root"),
        (["run", "dcase2020", "--data", str(dcase_root), "--out", str(tmp_path / "r"), "--set", "training.epochs=-1"],
         "training.epochs=-1 must be an integer >= 1"),
        (["results", str(tmp_path)], "no results.json"),
    ]  # fmt: skip
    for args, message in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert "error: " in result.output and message in result.output, result.output
    assert not (tmp_path / "r").exists()  # nothing was written for a run that could not start


def _files(out, names):
    return {n: (out / n).read_bytes() for n in names}


@pytest.mark.slow
@pytest.mark.ci
def test_dcase2020_end_to_end_deterministic_and_resumable(dcase_root, tmp_path, monkeypatch):
    exp = load_experiment("dcase2020", FAST)
    a = run_experiment(exp, data_root=dcase_root, out_dir=tmp_path / "a", engine=QUIET)
    out = tmp_path / "a"
    csvs = [f"anomaly_score_{t}_id_{i}.csv" for t in ("fan", "pump") for i in ("00", "02")]
    for name in ["config.yaml", "results.json", "run.json", "result.csv", "report.md", "report.html",
                 "models/fan.keras", "models/pump.keras", "models/pump.json", "roc_pump.png", "scores_fan.png",
                 "training_loss.png", *csvs]:  # fmt: skip
        assert (out / name).is_file(), name
    assert a.counters == {
        "features_computed": 64, "features_cached": 0, "models_trained": 2, "models_cached": 0,
        "scores_computed": 32, "scores_cached": 0, "bad_files": 0,
    }  # fmt: skip
    # The official files parse back to the numbers of results.json.
    data = json.loads((out / "results.json").read_text())
    sections = {s.machine_type: s for s in read_result_csv(out / "result.csv")}
    for r in data["results"]:
        row = dict((i, (auc, pauc)) for i, auc, pauc in sections[r["machine_type"]].rows)[r["machine_id"]]
        assert row == (r["auc"], r["pauc"])
        assert r["n"] == 8 and r["message"] is None
        scores = read_anomaly_scores(out / f"anomaly_score_{r['machine_type']}_id_{r['machine_id']}.csv")
        assert {f: s for f, s, _ in a.scores[f"{r['machine_type']} id_{r['machine_id']}"]} == dict(scores)
        labels = [f.startswith("anomaly") for f, _ in scores]
        assert labels == sorted(labels)  # normals first, then anomalies, as 01_test.py writes them
        assert len(scores) == 8 and all(f.endswith(".wav") for f, _ in scores)
    assert data["averages"][0]["auc"] == sections["fan"].average[0]
    assert load_experiment(str(out / "config.yaml")) == a.config
    assert len(check_html(out / "report.html")) == 5
    assert "| pump | 00 |" in (out / "report.md").read_text()

    # Rerun with a's cache: nothing is recomputed, TensorFlow is not needed.
    c = run_experiment(
        exp, data_root=dcase_root, out_dir=tmp_path / "c", cache_dir=out / "cache", engine=QUIET
    )
    assert c.counters == {
        "features_computed": 0, "features_cached": 64, "models_trained": 0, "models_cached": 2,
        "scores_computed": 0, "scores_cached": 32, "bad_files": 0,
    }  # fmt: skip
    assert (tmp_path / "c" / "results.json").read_bytes() == (out / "results.json").read_bytes()
    # A scoring change reuses features and models.
    d = run_experiment(exp.with_overrides({"scoring.aggregate": "max"}), data_root=dcase_root,
                       out_dir=tmp_path / "d", cache_dir=out / "cache", engine=QUIET, report=False)  # fmt: skip
    assert (d.counters["models_cached"], d.counters["scores_computed"], d.counters["features_computed"]) == (
        2,
        32,
        0,
    )
    assert d.results != a.results

    # A run from scratch (its own cache, in this process) killed while training its second model ...
    calls = []
    original = jobs_module.FitKind.compute

    def fit_then_die(self, cache, job):
        if calls:
            raise KeyboardInterrupt  # the process dies here
        calls.append(job.key)
        return original(self, cache, job)

    monkeypatch.setattr(jobs_module.FitKind, "compute", fit_then_die)
    with pytest.raises(KeyboardInterrupt):
        run_experiment(exp, data_root=dcase_root, out_dir=tmp_path / "k", engine=INLINE)
    monkeypatch.undo()
    models = tmp_path / "k" / "cache" / "models"
    half = models / ".tmp-99999-half-written"  # what a kill during a save leaves
    half.mkdir()
    (half / "model.keras").write_bytes(b"PK\x03")
    assert not (tmp_path / "k" / "results.json").exists()
    assert not list((tmp_path / "k" / "cache" / "claims").glob("*.claim"))  # released on the way out
    # ... resumes without recomputing features or its first model, and (both models trained apart from run a's)
    # writes the same bytes as run a: determinism and resume in one.
    k = run_experiment(exp, data_root=dcase_root, out_dir=tmp_path / "k", engine=QUIET, report=False)
    assert (k.counters["features_computed"], k.counters["features_cached"]) == (0, 64)
    assert (k.counters["models_trained"], k.counters["models_cached"]) == (1, 1)
    names = ["results.json", "result.csv", *csvs]
    assert _files(tmp_path / "k", names) == _files(out, names)

    # A lost result file and a lost score entry: the rerun writes the file again and rescored only that ID.
    (tmp_path / "k" / "result.csv").unlink()
    entries = sorted((tmp_path / "k" / "cache" / "scores").glob("*.json"))
    entries[0].unlink()
    again = run_experiment(exp, data_root=dcase_root, out_dir=tmp_path / "k", engine=QUIET, report=False)
    assert (again.counters["scores_computed"], again.counters["scores_cached"]) == (8, 24)
    assert (tmp_path / "k" / "result.csv").read_bytes() == (out / "result.csv").read_bytes()

    # The CLI on the finished run: same numbers, a table on the terminal.
    cli = CliRunner().invoke(app, ["results", str(out)])
    assert cli.exit_code == 0, cli.output
    assert "pump" in cli.output and f"{a.result('pump', '00').auc:.4f}" in cli.output
    # generated data: the published columns are flagged as the real recordings'
    assert "generated data" in " ".join(cli.output.split())
    cli = CliRunner().invoke(app, ["run", "dcase2020", "--data", str(dcase_root), "--out", str(tmp_path / "e"),
                                   "--cache", str(out / "cache"), "-q", "--no-report", *sum([["--set", s] for s in FAST], [])])  # fmt: skip
    assert cli.exit_code == 0, cli.output
    assert "models 0 trained / 2 cached" in cli.output
    assert (tmp_path / "e" / "results.json").read_bytes() == (out / "results.json").read_bytes()


@pytest.mark.slow
def test_skip_bad_and_single_class_ids(dcase_root, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(dcase_root, data)
    bad = data / "fan" / "train" / "normal_id_00_00000003.wav"
    bad.write_bytes(b"RIFF\x00\x00")
    for p in (data / "pump" / "test").glob("anomaly_id_02_*.wav"):
        p.unlink()  # pump id_02 keeps only normal test clips
    result = run_experiment(
        load_experiment("dcase2020", FAST),
        data_root=data,
        out_dir=tmp_path / "run",
        engine=QUIET,
        skip_bad=True,
    )
    assert [p for p, _ in result.bad_files] == [str(bad)]
    assert "cannot decode" in result.bad_files[0][1]
    assert result.models["fan"]["n_clips"] == 15
    pump02 = result.result("pump", "02")
    assert pump02.auc is None and pump02.pauc is None and pump02.n == 4
    assert "only normal clips (4)" in pump02.message
    data_json = json.loads((tmp_path / "run" / "results.json").read_text())
    assert data_json["bad_files"][0]["path"] == str(bad)
    pump = {s.machine_type: s for s in read_result_csv(tmp_path / "run" / "result.csv")}["pump"]
    assert pump.rows[1] == ("02", None, None)
    assert pump.average == (result.result("pump", "00").auc, result.result("pump", "00").pauc)
    assert "only normal clips" in (tmp_path / "run" / "report.md").read_text()


@pytest.mark.slow
@pytest.mark.parametrize("layout", ["dcase2020", "mimii"])
def test_auc_above_chance(layout, tmp_path):
    # Long enough training for the models to learn the generated machines: every ID must rank anomalies higher.
    types = ["pump", "slider"]
    root = generate(
        tmp_path / "data", layout=layout, types=types, ids=["00", "02"], snrs=[6, -6] if layout == "mimii" else None,
        n_train=16, n_test_normal=8, n_test_anomaly=8, duration=4.0, seed=3, severity=(0.5, 1.0),
    )  # fmt: skip
    exp = load_experiment(layout, ["training.epochs=20", "training.batch_size=64"])
    result = run_experiment(exp, data_root=root, out_dir=tmp_path / "run", engine=QUIET)
    assert len(result.results) == (8 if layout == "mimii" else 4)
    assert all(r.auc > 0.5 for r in result.results), [(r.label, r.auc) for r in result.results]
    out = tmp_path / "run"
    if layout == "mimii":
        aucs = read_mimii_result_yaml(out / "result.yaml")
        assert aucs["pump_id_00_min6dB"] == result.result("pump", "00", -6).auc
        for folder, snr in (("6dB", 6), ("min6dB", -6)):
            sections = {s.machine_type: s for s in read_result_csv(out / folder / "result.csv")}
            assert sections["slider"].rows[0][1] == result.result("slider", "00", snr).auc
            assert len(read_anomaly_scores(out / folder / "anomaly_score_pump_id_02.csv")) == 16
    # ROC + histogram per type (x SNR), and the loss curves
    assert len(check_html(out / "report.html")) == 2 * 2 * (2 if layout == "mimii" else 1) + 1
