"""The ``ray`` executor on a real multi-node Ray cluster started inside the test (``ray.cluster_utils.Cluster``:
a head and two worker nodes of one CPU each, one of them declaring a GPU; no dashboard, small object stores).

On one machine the same config gives the same bytes on ``inline`` and ``ray``; a worker process killed in the
middle of a fit and a node removed in the middle of a run change nothing but the retry counts; fits that ask
for a GPU run on the GPU node; a node that cannot see the data root stops the run before any job, naming the
node and the path.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from asdlens.data.synth import generate
from asdlens.engine import EngineOptions
from asdlens.experiment import load_experiment, run_experiment
from asdlens.explain import ExplainOptions, explain

ray = pytest.importorskip("ray")
from ray.cluster_utils import Cluster  # noqa: E402

pytestmark = pytest.mark.slow  # make test (CI) keeps the first: a run on the cluster
SETS = ["training.epochs=30", "training.batch_size=64"]
CSVS = ["anomaly_score_fan_id_00.csv", "anomaly_score_pump_id_00.csv", "result.csv"]


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("ray") / "data"
    return generate(
        root, layout="dcase2020", types=["pump", "fan"], ids=["00"], n_train=8, n_test_normal=3,
        n_test_anomaly=3, duration=2.0, seed=11,
    )  # fmt: skip


@pytest.fixture(scope="module")
def cluster():
    c = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    c.add_node(num_cpus=1, object_store_memory=100 * 2**20)
    gpu = c.add_node(num_cpus=1, num_gpus=1, object_store_memory=100 * 2**20)
    c.wait_for_nodes()
    ray.init(address=c.address, logging_level="warning")
    c.gpu_node = gpu
    yield c
    ray.shutdown()
    c.shutdown()


@pytest.fixture(scope="module")
def inline_run(tree, tmp_path_factory):
    out = tmp_path_factory.mktemp("inline") / "run"
    run_experiment(load_experiment("dcase2020", SETS), data_root=tree, out_dir=out,
                   engine=EngineOptions("inline", progress=False), report=False)  # fmt: skip
    return out


def _ray_run(tree, out, sets=SETS, **kw):
    return run_experiment(load_experiment("dcase2020", sets), data_root=tree, out_dir=out,
                          engine=EngineOptions("ray", progress=False), report=False, **kw)  # fmt: skip


@pytest.mark.ci
def test_run_on_the_cluster_gives_the_inline_bytes(cluster, tree, inline_run, tmp_path):
    result = _ray_run(tree, tmp_path / "run")
    for name in ["results.json", *CSVS]:
        assert (tmp_path / "run" / name).read_bytes() == (inline_run / name).read_bytes(), name
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run["executor"]["name"] == "ray" and run["executor"]["slots"] == 3
    nodes = {j["node"] for j in result.jobs}
    assert all(" node " in n for n in nodes)  # every job names the Ray node it ran on


def test_explain_on_the_cluster_gives_the_inline_bytes(cluster, tree, tmp_path):
    kw = dict(data_root=tree, overrides=[*SETS, "training.epochs=10"], options=ExplainOptions(report=False),
              announce=lambda _: None)  # fmt: skip
    mine = load_experiment("dcase2020", ["frames=4"])
    a = explain(
        "dcase2020", mine, out_dir=tmp_path / "inline", engine=EngineOptions("inline", progress=False), **kw
    )
    b = explain(
        "dcase2020", mine, out_dir=tmp_path / "ray", engine=EngineOptions("ray", progress=False), **kw
    )
    assert [s.name for s in b.steps] == ["REF", "frames"] and b.runs == 2
    assert (tmp_path / "ray" / "explain.json").read_bytes() == (
        tmp_path / "inline" / "explain.json"
    ).read_bytes()
    assert a.total == b.total


def test_fits_asking_for_a_gpu_run_on_the_gpu_node(cluster, tree, inline_run, tmp_path):
    result = _ray_run(tree, tmp_path / "run", [*SETS, "training.gpus=1"])
    fits = [j for j in result.jobs if j["kind"] == "fit"]
    assert len(fits) == 2 and {j["node"].split()[-1] for j in fits} == {cluster.gpu_node.node_id[:8]}
    for name in CSVS:  # no GPU is really there: the numbers are the CPU's
        assert (tmp_path / "run" / name).read_bytes() == (inline_run / name).read_bytes(), name


def _watch_fit(cache: Path, act, done: list, *, where=lambda note: True) -> None:
    """When a fit running where ``where(note)`` says has trained two epochs, call ``act(note)`` once."""
    deadline = time.time() + 300
    while time.time() < deadline and not done:
        for note_file in (cache / "running").glob("*.json"):
            try:
                note = json.loads(note_file.read_text())
            except (OSError, ValueError):
                continue
            if note.get("kind") == "fit" and note.get("epoch", 0) >= 2 and where(note):
                act(note)
                done.append(note)
                return
        time.sleep(0.05)


def test_worker_killed_mid_fit_is_retried_by_ray(cluster, tree, inline_run, tmp_path):
    done: list = []
    watcher = threading.Thread(
        target=_watch_fit,
        args=(tmp_path / "run" / "cache", lambda n: os.kill(n["pid"], signal.SIGKILL), done),
    )
    watcher.start()
    result = _ray_run(tree, tmp_path / "run")
    watcher.join()
    assert done, "no fit was seen running"
    assert [j["retries"] for j in result.jobs if j["kind"] == "fit"].count(1) == 1
    for name in ["results.json", *CSVS]:
        assert (tmp_path / "run" / name).read_bytes() == (inline_run / name).read_bytes(), name


def test_node_removed_mid_run_its_jobs_run_elsewhere(cluster, tree, inline_run, tmp_path):
    workers = {n.node_id[:8]: n for n in cluster.worker_nodes}  # not the head: the driver is connected there
    done: list = []

    def remove(note):
        cluster.remove_node(workers[note["node"].split()[-1]])

    watcher = threading.Thread(
        target=_watch_fit,
        args=(tmp_path / "run" / "cache", remove, done),
        kwargs={"where": lambda note: note["node"].split()[-1] in workers},
    )
    results = []
    runner = threading.Thread(target=lambda: results.append(_ray_run(tree, tmp_path / "run")))
    watcher.start()
    runner.start()
    runner.join(timeout=600)
    watcher.join()
    assert done, "no fit was seen running on a worker node"
    gone = done[0]["node"].split()[-1]
    (result,) = results
    lost = [j for j in result.jobs if j["kind"] == "fit" and j["retries"]]
    assert lost and all(gone not in j["node"] for j in lost)  # rerun on another node
    for name in ["results.json", *CSVS]:
        assert (tmp_path / "run" / name).read_bytes() == (inline_run / name).read_bytes(), name
    cluster.add_node(num_cpus=1, object_store_memory=100 * 2**20)  # back to three nodes for what follows
    cluster.wait_for_nodes()


@pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("unshare"),
    reason="needs root and unshare for a private mount namespace",
)
def test_a_node_that_cannot_see_the_data_stops_the_run_before_any_job(cluster, tree, tmp_path):
    """A node whose filesystem hides the data root (a private mount namespace with an empty tmpfs over it, as
    on a machine where the shared filesystem is not mounted) fails the probe, which names it and the path."""
    before = {n["NodeID"] for n in ray.nodes() if n["Alive"]}
    ray_bin = Path(sys.executable).with_name("ray")
    script = (
        f"mount -t tmpfs tmpfs {tree} && exec {ray_bin} start --address={cluster.address} --num-cpus=1 "
        f"--object-store-memory={100 * 2**20} --block"
    )
    node = subprocess.Popen(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
        start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            new = {n["NodeID"] for n in ray.nodes() if n["Alive"]} - before
            if new:
                break
            time.sleep(0.5)
        assert new, "the extra node did not join"
        hidden = next(iter(new))
        with pytest.raises(ValueError) as info:
            _ray_run(tree, tmp_path / "run")
        message = str(info.value)
        assert "shared storage check failed before any job ran" in message
        problems = [line for line in message.splitlines() if line.startswith("  node ")]
        assert len(problems) == 1, message  # that node only
        assert f"(id {hidden[:8]}): cannot read {tree}/" in problems[0] and "not shared" in problems[0]
        assert not (tmp_path / "run" / "cache" / "features").exists()  # no job ran
    finally:
        os.killpg(node.pid, signal.SIGTERM)
        node.wait(timeout=60)
