"""``explain`` from a Keras pipeline to its PyTorch port, end to end with real training on a tiny generated tree: one
step for the framework alone, then one per framework default that differs, each retraining the models and
nothing upstream, with ``--repeats`` telling noise from effect."""

from __future__ import annotations

import dataclasses
import json

import pytest

from asdlens.data.synth import generate
from asdlens.engine import EngineOptions
from asdlens.experiment import load_experiment
from asdlens.explain import ExplainOptions, explain
from asdlens.explain.core import config_id

QUICK = ["training.epochs=3", "training.batch_size=128"]
STEPS = ["REF", "framework", "init", "batchnorm", "optimizer", "order"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("explain-frameworks")
    return generate(root / "data", types=["pump"], ids=["00", "02"], n_train=6, n_test_normal=3,
                    n_test_anomaly=3, duration=2.0, seed=8)  # fmt: skip


def _check_ladder(result, metrics, models):
    """Named steps that telescope; each retrains its ``models`` (its fit differs) and reuses every feature."""
    assert [s.name for s in result.steps] == STEPS
    for metric in metrics:
        total = sum(s.change[metric] for s in result.steps[1:])
        assert total == pytest.approx(result.total[metric], abs=1e-12)
    for step in result.steps[1:]:
        c = step.outcome.counters
        assert (c["models_trained"], c["features_computed"]) == (models, 0), step.name
        if result.repeats > 1:  # the seeds' spread says whether each change is noise
            assert all(isinstance(v, bool) for v in step.within_noise.values()), step.name


@pytest.mark.slow
@pytest.mark.ci
def test_explain_dcase2020_to_its_pytorch_port(data, tmp_path):
    out = tmp_path / "out"
    result = explain("dcase2020", "dcase2020-torch", data_root=data, out_dir=out, overrides=QUICK,
                     options=ExplainOptions(repeats=2), engine=EngineOptions(progress=False),
                     announce=lambda _: None)  # fmt: skip
    _check_ladder(result, ("auc", "pauc"), models=2)  # one type, two seeds
    steps = {s.name: s for s in result.steps}
    assert steps["framework"].group.describe() == "framework 'keras'→'torch'"
    assert steps["optimizer"].group.fields == ("training.adam_eps", "training.adam_eps_on")
    assert steps["REF"].outcome.counters["models_trained"] == 2  # one type, two seeds
    # the framework step is torch with Keras's defaults, the last step dcase2020-torch itself
    runs = {}
    for folder in (out / "runs").iterdir():
        exp = load_experiment(str(folder / "config.yaml"))
        runs[config_id(dataclasses.replace(exp, dataset=dataclasses.replace(exp.dataset, root=None)))] = exp
    mine = load_experiment("dcase2020-torch", QUICK)
    assert config_id(mine) in runs
    framework_only = [e for e in runs.values() if e.model.framework == "torch" and e.model.init == "keras"]
    assert framework_only and all(e.framework_settings()["adam_eps"] == 1e-7 for e in framework_only)
    data_json = json.loads((out / "explain.json").read_text())
    assert [s["name"] for s in data_json["steps"]] == STEPS and data_json["repeats"] == 2
