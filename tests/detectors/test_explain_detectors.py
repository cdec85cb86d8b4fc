"""``explain`` between the autoencoder baseline and the margin-loss experiment, end to end with real training
(a few epochs on a tiny generated tree): a change of family is one step, a change of back-end another that
reuses the trained model; and every shipped detector experiment runs through the engine."""

from __future__ import annotations

import dataclasses
import json

import pytest

from asdlens.data.synth import generate
from asdlens.engine import EngineOptions
from asdlens.experiment import load_experiment, run_experiment
from asdlens.explain import explain
from asdlens.explain.core import config_id
from asdlens.report import check_html

QUIET = EngineOptions(progress=False)  # every run of these tests without the live display

# 3-s clips (94 frames): arcface-knn's 64-frame windows fit; the epochs are what a test can afford
QUICK = ["training.epochs=2"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("explain-detectors")
    return generate(root / "data", types=["pump", "fan"], ids=["00", "02"], n_train=8, n_test_normal=4,
                    n_test_anomaly=4, duration=3.0, seed=5)  # fmt: skip


@pytest.mark.slow
def test_explain_autoencoder_to_arcface_knn(data, tmp_path):
    result = explain("dcase2020", "arcface-knn", data_root=data, out_dir=tmp_path / "out", overrides=QUICK,
                     engine=QUIET, announce=lambda _: None)  # fmt: skip
    steps = {s.name: s for s in result.steps}
    assert list(steps) == ["REF", "frames", "model", "training", "scoring"]
    assert "model.name" in steps["model"].group.fields and "model.per" in steps["model"].group.fields
    assert steps["scoring"].group.fields == ("scoring.backend",)
    for metric in ("auc", "pauc"):
        total = sum(s.change[metric] for s in result.steps[1:])
        assert total == pytest.approx(result.total[metric], abs=1e-12)
    # the back-end step scores the model the training step trained: nothing is retrained
    c = steps["scoring"].outcome.counters
    assert (c["models_trained"], c["models_cached"], c["features_computed"]) == (0, 1, 0)
    assert steps["model"].outcome.counters["models_trained"] == 1  # one model across both types
    assert steps["REF"].outcome.counters["models_trained"] == 2  # one autoencoder per type
    # the last step is arcface-knn itself: one of the run folders holds its config and that step's numbers
    mine = load_experiment("arcface-knn", QUICK)
    runs = {}
    for folder in (tmp_path / "out" / "runs").iterdir():
        exp = load_experiment(str(folder / "config.yaml"))
        runs[config_id(exp)] = json.loads((folder / "results.json").read_text())
    last = runs[config_id(mine.replace(dataset=dataclasses.replace(mine.dataset, root=str(data))))]
    assert last["mean"]["auc"] == pytest.approx(result.steps[-1].outcome.value["auc"], abs=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "sets"),
    [
        ("arcface-knn", []),
        ("dcase2020-ae-mahalanobis", []),
        ("dcase2021-mobilenetv2", ["training.epochs=1"]),
        ("arcface-knn-full", ["training.epochs=1", "frames=94", "model.hop=94", "model.width=0.25",
                              "training.batch_size=16", "training.gpus=0"]),
    ],
)  # fmt: skip
def test_shipped_detector_experiments_run(data, tmp_path, name, sets):
    run = run_experiment(load_experiment(name, [*QUICK, *sets]), data_root=data, out_dir=tmp_path / name,
                         engine=QUIET, report=name == "arcface-knn")  # fmt: skip
    assert len(run.results) == 4 and all(r.auc is not None for r in run.results)
    assert (tmp_path / name / "result.csv").is_file() and (tmp_path / name / "models").is_dir()
    if name == "arcface-knn":
        report = (tmp_path / name / "report.md").read_text()
        assert "Strong systems on the real DCASE 2020 development set" in report
        assert "| STgram-MFN |" in report and "checkpoint selected on dev test" in report
        assert "mean cosine distance to the ID's 1 nearest training embedding" in report
        assert len(check_html(tmp_path / name / "report.html")) == 5
