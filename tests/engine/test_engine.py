"""The engine on feature jobs (real WAV files, the NumPy frontend): on demand, claims between drivers, records."""

from __future__ import annotations

import threading
import time

import pytest

from asdlens.data.synth import generate
from asdlens.engine import Claims, Engine, InlineExecutor, LocalExecutor, RunCache, execute
from asdlens.experiment import load_experiment
from asdlens.experiment.graph import JobBuilder
from asdlens.experiment.plan import make_plan
from asdlens.experiment.runner import resolve


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("engine") / "data"
    return generate(
        root, layout="dcase2020", types=["pump"], ids=["00"], n_train=60, n_test_normal=3, n_test_anomaly=3,
        duration=1.0, seed=5,
    )  # fmt: skip


def feature_jobs(tree, cache: RunCache) -> dict:
    exp = resolve(load_experiment("dcase2020"), tree)
    return {j.key: j for j in JobBuilder(cache).plan_features(exp, make_plan(exp, tree))}


def test_feature_jobs_run_once_then_come_from_the_cache(tree, tmp_path):
    cache = RunCache(tmp_path / "cache")
    jobs = feature_jobs(tree, cache)
    assert len(jobs) == 3  # 60 training clips in shards of 48, plus the test group
    engine = Engine(cache, InlineExecutor(), announce=lambda _: None)
    summaries = engine.run(jobs, list(jobs))
    assert {r.status for r in engine.records.values()} == {"computed"}
    assert sum(len(s["computed"]) for s in summaries.values()) == 66
    assert len(list((tmp_path / "cache" / "features").rglob("*.npy"))) == 66
    again = Engine(cache, InlineExecutor(), announce=lambda _: None)
    again.run(jobs, list(jobs))
    assert {r.status for r in again.records.values()} == {"cached"}
    assert not list((tmp_path / "cache" / "claims").glob("*.claim"))  # every claim released


def test_a_job_another_driver_holds_is_waited_for_not_computed(tree, tmp_path):
    cache = RunCache(tmp_path / "cache")
    jobs = feature_jobs(tree, cache)
    first = next(iter(jobs.values()))
    other = Claims(cache.root, "other-driver")
    assert other.acquire(first.key)

    def other_driver():  # computes the job it claimed a moment later, then lets go of the claim
        time.sleep(1.5)
        execute(first)
        other.release(first.key)

    thread = threading.Thread(target=other_driver)
    thread.start()
    engine = Engine(cache, InlineExecutor(), announce=lambda _: None)
    engine.run(jobs, list(jobs))
    thread.join()
    assert engine.records[first.key].status == "waited"
    assert {engine.records[k].status for k in jobs if k != first.key} == {"computed"}


def test_local_workers_compute_the_same_bytes_as_inline(tree, tmp_path):
    caches = {name: RunCache(tmp_path / name) for name in ("inline", "local")}
    for name, executor in (("inline", InlineExecutor()), ("local", LocalExecutor(workers=2))):
        try:
            engine = Engine(caches[name], executor, announce=lambda _: None)
            jobs = feature_jobs(tree, caches[name])
            engine.run(jobs, list(jobs))
        finally:
            executor.close()
        nodes = {r.node for r in engine.records.values()}
        assert nodes and None not in nodes
    files = {name: sorted((tmp_path / name / "features").rglob("*.npy")) for name in caches}
    assert [p.name for p in files["inline"]] == [p.name for p in files["local"]] and len(files["local"]) == 66
    for a, b in zip(files["inline"], files["local"], strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
