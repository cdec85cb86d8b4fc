"""Faults on the local executor, end to end with real training: nothing lost, nothing different.

A damaged cache entry is reported in one line and recomputed; a worker killed with SIGKILL in the middle of a
fit is replaced and the fit retried; two drivers running overlapping plans on one cache both finish, and every
job is computed by one of them only. Each case ends with the same ``results.json`` bytes as an undisturbed run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from asdlens.data.synth import generate
from asdlens.engine import EngineOptions, FileIdentity, RunCache
from asdlens.experiment import load_experiment, run_experiment

pytestmark = pytest.mark.slow  # CI keeps kill-and-resume in tests/protocol/test_run.py and test_repair.py
SETS = ["training.epochs=40", "training.batch_size=64", "dataset.types=[pump,fan]"]


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("faults") / "data"
    return generate(
        root, layout="dcase2020", types=["pump", "fan"], ids=["00"], n_train=8, n_test_normal=3,
        n_test_anomaly=3, duration=2.0, seed=7,
    )  # fmt: skip


@pytest.fixture(scope="module")
def reference(tree, tmp_path_factory):
    """An undisturbed run, in this process: the bytes every other case must end with."""
    out = tmp_path_factory.mktemp("reference") / "run"
    run_experiment(load_experiment("dcase2020", SETS), data_root=tree, out_dir=out,
                   engine=EngineOptions("inline", progress=False), report=False)  # fmt: skip
    return out


def _cli(tree, out, *extra, **popen):
    args = [sys.executable, "-m", "asdlens", "run", "dcase2020", "--data", str(tree), "--out", str(out), "-q",
            "--no-report", *sum((["--set", s] for s in SETS), []), *extra]  # fmt: skip
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **popen)


def test_damaged_entries_are_reported_and_recomputed(tree, reference, tmp_path):
    out = tmp_path / "run"
    done = _cli(tree, out).communicate(timeout=600)[0]
    assert (out / "results.json").read_bytes() == (reference / "results.json").read_bytes(), done
    cache = out / "cache"
    pump = json.loads((out / "models" / "pump.json").read_text())["key"]
    model = cache / "models" / pump / "model.keras"
    os.truncate(model, 1000)  # the issue's `truncate -s 1000 <cache>/models/<key>.keras`
    exp = load_experiment("dcase2020", SETS)
    clip = sorted((tree / "pump" / "train").glob("*.wav"))[3]  # a training clip of the damaged model
    feature = RunCache(cache).feature_path(exp.spec.key(), 0, FileIdentity.of(clip))
    feature.write_bytes(feature.read_bytes()[:-100])  # a truncated feature entry
    (cache / "models" / ".tmp-half-written").mkdir()  # what a crash during a save leaves: ignored
    for entry in (cache / "scores").glob("*.json"):
        entry.unlink()
    proc = _cli(tree, out)
    text = proc.communicate(timeout=600)[0]
    assert proc.returncode == 0, text
    damaged = [line for line in text.splitlines() if line.startswith("cache: damaged entry")]
    assert len(damaged) == 2, text
    assert str(model.parent) in damaged[0] and "model.keras fails its checksum" in damaged[0]
    assert str(feature) in damaged[1] and "recomputing it" in damaged[1]
    assert "File not found" not in text and "Traceback" not in text
    assert (out / "results.json").read_bytes() == (reference / "results.json").read_bytes()
    run = json.loads((out / "run.json").read_text())
    assert run["counters"]["models_trained"] == 1 and run["counters"]["features_computed"] == 1


def _kill_first_fit(cache: Path, killed: list) -> None:
    """Wait for a fit to be training in a worker process, then SIGKILL that process."""
    deadline = time.time() + 300
    while time.time() < deadline and not killed:
        for note in (cache / "running").glob("*.json"):
            try:
                info = json.loads(note.read_text())
            except (OSError, ValueError):
                continue
            if info.get("kind") == "fit" and info.get("epoch", 0) >= 2 and info["pid"] != os.getpid():
                os.kill(info["pid"], signal.SIGKILL)
                killed.append(info["pid"])
                return
        time.sleep(0.05)


def test_worker_killed_mid_fit_is_retried_with_the_same_result(tree, reference, tmp_path):
    out = tmp_path / "run"
    killed: list = []
    killer = threading.Thread(target=_kill_first_fit, args=(out / "cache", killed))
    killer.start()
    result = run_experiment(load_experiment("dcase2020", SETS), data_root=tree, out_dir=out,
                            engine=EngineOptions("local", 2, progress=False), report=False)  # fmt: skip
    killer.join()
    assert killed, "no fit was seen running"
    retried = [j for j in result.jobs if j["retries"]]
    assert [j["kind"] for j in retried] == ["fit"] and retried[0]["retries"] == 1
    assert result.counters["models_trained"] == 2
    assert (out / "results.json").read_bytes() == (reference / "results.json").read_bytes()


def test_two_drivers_on_one_cache_compute_each_job_once(tree, reference, tmp_path):
    cache = tmp_path / "shared-cache"
    procs = [_cli(tree, tmp_path / name, "--cache", str(cache), "--workers", "1") for name in ("a", "b")]
    outputs = [p.communicate(timeout=900)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    runs = [json.loads((tmp_path / name / "run.json").read_text()) for name in ("a", "b")]
    computed: dict[str, int] = {}
    for run in runs:
        for job in run["jobs"]:
            computed[job["key"]] = computed.get(job["key"], 0) + (job["status"] == "computed")
    assert computed and max(computed.values()) == 1, computed  # never twice
    fits = {j["key"] for run in runs for j in run["jobs"] if j["kind"] == "fit"}
    assert len(fits) == 2 and all(computed[k] == 1 for k in fits)  # each fit by exactly one driver
    waited = [j for run in runs for j in run["jobs"] if j["status"] == "waited"]
    assert waited, "the second driver never waited for the first (the plans did not overlap in time)"
    for name in ("a", "b"):
        assert (tmp_path / name / "results.json").read_bytes() == (reference / "results.json").read_bytes()
    assert not list((cache / "claims").glob("*.claim"))
    assert not list(cache.rglob(".tmp-*"))  # every entry whole: no temporary file left behind
