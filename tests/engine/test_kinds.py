"""The engine's typed faces: EngineOptions checks itself, a job finds its kind by the path it names, payloads
travel as plain data, and every executor answers the Executor interface (probe included)."""

from __future__ import annotations

import json
import pickle

import pytest

from asdlens.data.synth import generate
from asdlens.engine import (
    EngineOptions,
    Executor,
    InlineExecutor,
    LocalExecutor,
    RunCache,
    kind_of,
    make_executor,
)
from asdlens.experiment import load_experiment
from asdlens.experiment.graph import JobBuilder
from asdlens.experiment.jobs import FEATURES, FIT, SCORE, FeaturesPayload, FitPayload, ScorePayload
from asdlens.experiment.plan import make_plan
from asdlens.experiment.runner import resolve


@pytest.mark.parametrize(
    "options, message",
    [
        ({"executor": "dask"}, r"executor='dask' is not allowed; choose one of \['inline', 'local', 'ray'\]"),
        ({"threads": 0}, r"threads=0 must be an integer of at least 1"),
        ({"workers": 0}, r"workers=0 must be None or an integer of at least 1"),
        ({"workers": 1.5}, r"workers=1.5 must be None or an integer"),
        ({"address": "head:6379"}, r"address='head:6379' is for executor='ray' \(executor='local'\)"),
    ],
)
def test_engine_options_name_the_bad_option(options, message):
    with pytest.raises(ValueError, match=message):
        EngineOptions(**options)


def test_make_executor_builds_what_the_options_name():
    inline = make_executor(EngineOptions("inline"))
    local = make_executor(EngineOptions("local", workers=3, threads=2))
    assert isinstance(inline, InlineExecutor) and (inline.name, inline.slots) == ("inline", 1)
    assert isinstance(local, LocalExecutor) and (local.slots, local.threads) == (3, 2)
    for executor in (inline, local):
        assert isinstance(executor, Executor)
        assert executor.probe(data_root="/nowhere", cache_root="/nowhere", sample="/nowhere/a.wav") is None
        assert executor.running() == {}
        executor.close()


def test_each_kind_is_found_by_the_path_its_jobs_name():
    for kind in (FEATURES, FIT, SCORE):
        assert kind_of(kind.path) is kind
    assert [k.name for k in (FEATURES, FIT, SCORE)] == ["features", "fit", "score"]
    with pytest.raises(ValueError, match="expected 'module:ATTRIBUTE'"):
        kind_of("asdlens.experiment.jobs")
    with pytest.raises(ValueError, match="is NoneType, not a JobKind"):
        kind_of("asdlens.experiment.jobs:NOTHING")


def test_jobs_carry_plain_data_and_their_payloads_round_trip(tmp_path):
    tree = generate(tmp_path / "data", layout="dcase2020", types=["pump"], ids=["00"], n_train=3,
                    n_test_normal=1, n_test_anomaly=1, duration=1.0, seed=2)  # fmt: skip
    exp = resolve(load_experiment("dcase2020"), tree)
    run = JobBuilder(RunCache(tmp_path / "cache")).run_jobs(exp, make_plan(exp, tree))
    (fit,), (score,) = run.fits.values(), run.scores.values()
    for job, payload in [(run.features[0], FeaturesPayload), (fit, FitPayload), (score, ScorePayload)]:
        assert job.cache == str(tmp_path / "cache") and kind_of(job.kind).name in ("features", "fit", "score")
        assert json.loads(json.dumps(job.payload)) == job.payload  # plain data: it travels to any worker
        assert payload.from_dict(job.payload).to_dict() == job.payload
        assert pickle.loads(pickle.dumps(job)) == job
    assert (fit.size, score.size, run.features[0].size) == (3, 2, 3)
    assert score.deps[0] == fit.key and ScorePayload.from_dict(score.payload).model_key == fit.key
