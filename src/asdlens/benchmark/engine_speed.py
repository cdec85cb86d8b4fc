"""The engine part of ``make bench``: one ``explain`` on each executor, the scheduling overhead per job, and a
projection of ``explain dcase2020 seed-tf --repeats 3`` at the full size of the DCASE 2020 dev set on clusters.

Measured (one run, on a generated tree): the wall time of ``explain dcase2020 seed-tf`` (7 runs: 6 groups
differ, one of them inert) from an empty cache on ``inline``, ``local`` (one worker per CPU) and a 2-node local
Ray cluster (``ray.cluster_utils.Cluster``, one CPU per node); the overhead of handing a job to each executor
(jobs that find their work done, so nothing but scheduling is timed).

Projected (labelled as such): the per-job costs measured on ``local`` (feature seconds per clip, fit seconds per
training vector and epoch, scoring seconds per clip) are scaled to the real DCASE 2020 dev set (the clip counts
in :data:`DCASE2020_DEV`) and the jobs of the full explain are list-scheduled on N nodes of 2 CPUs (one job per
CPU, as ``local`` runs them); the critical path is the longest chain of dependent jobs.
"""

from __future__ import annotations

import heapq
import tempfile
import time
from pathlib import Path

#: DCASE 2020 Task 2 development set: (training clips, test clips, clip seconds) per machine type (task
#: description, dcase.community/challenge2020/task-unsupervised-detection-of-anomalous-sounds).
DCASE2020_DEV = {
    "ToyCar": (4000, 2459, 11.0),
    "ToyConveyor": (3000, 3509, 10.0),
    "fan": (3675, 1875, 10.0),
    "pump": (3349, 856, 10.0),
    "slider": (2804, 1290, 10.0),
    "valve": (3291, 879, 10.0),
}
QUICK_TREE = dict(types=["pump", "slider"], ids=["00", "02"], n_train=30, n_test_normal=10, n_test_anomaly=10,
                  duration=5.0)  # fmt: skip
EPOCHS = 10


def explain_on_executors(
    data_root, work, *, executors=("inline", "local", "ray"), epochs: int = EPOCHS
) -> dict:
    """Wall time of ``explain dcase2020 seed-tf`` from an empty cache on each executor (Ray: 2 local nodes)."""
    from ..engine import EngineOptions
    from ..explain import ExplainOptions, explain

    out = {}
    for name in executors:
        address, cluster = None, None
        if name == "ray":
            from ray.cluster_utils import Cluster

            cluster = Cluster(
                initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False}
            )
            cluster.add_node(num_cpus=1)
            cluster.wait_for_nodes()
            address = cluster.address
        try:
            start = time.perf_counter()
            result = explain("dcase2020", "seed-tf", data_root=data_root, out_dir=Path(work) / name,
                             overrides=[f"training.epochs={epochs}"], options=ExplainOptions(report=False),
                             engine=EngineOptions(name, address=address, progress=False),
                             announce=lambda _: None)  # fmt: skip
            seconds = time.perf_counter() - start
        finally:
            if cluster is not None:
                cluster.shutdown()
        out[name] = {"seconds": seconds, "runs": result.runs, "jobs": _jobs(Path(work) / name)}
    if "inline" in out and "local" in out:
        out["local_speedup_over_inline"] = out["inline"]["seconds"] / out["local"]["seconds"]
    return out


def _jobs(explain_dir: Path) -> list[dict]:
    """Every job record of an explain's runs (each job once)."""
    import json

    seen = {}
    for run in sorted((explain_dir / "runs").glob("*/run.json")):
        for job in json.loads(run.read_text())["jobs"]:
            seen.setdefault(job["key"], job)
    return list(seen.values())


def scheduling_overhead(data_root, *, executors=("inline", "local"), n_jobs: int = 60) -> dict:
    """Seconds per job of handing ``n_jobs`` jobs to each executor and getting their summaries back.

    The jobs are one-clip feature jobs whose entries are already in the cache, so each does almost nothing
    (a header read); what is timed is the executor's round trip.
    """
    from ..engine import EngineOptions, RunCache, execute, make_executor
    from ..experiment import load_experiment
    from ..experiment.graph import JobBuilder
    from ..experiment.plan import make_plan
    from ..experiment.runner import resolve

    exp = resolve(load_experiment("dcase2020"), data_root)
    clips = make_plan(exp, exp.dataset.root).clips
    out = {}
    with tempfile.TemporaryDirectory() as work:
        builder = JobBuilder(RunCache(work))
        jobs = [builder.feature_jobs(exp, (clips[i % len(clips)],), f"probe {i}")[0] for i in range(n_jobs)]
        for job in jobs:
            execute(job)  # make every entry exist: the timed jobs then do no work
        for name in executors:
            pool = make_executor(EngineOptions(name, progress=False))
            try:
                pool.submit(jobs[0])  # start the workers before timing
                while not pool.wait(0.5):
                    pass
                start = time.perf_counter()
                for job in jobs:
                    pool.submit(job)
                pending = len(jobs)
                while pending:
                    pending -= len(pool.wait(0.5))
                out[name] = (time.perf_counter() - start) / len(jobs)
            finally:
                pool.close()
    return {"seconds_per_job": out, "n_jobs": n_jobs}


def project(measured: dict, *, epochs: int = 100, nodes=(1, 8, 32, 128), cpus_per_node: int = 2) -> dict:
    """Projected wall time of ``explain dcase2020 seed-tf --repeats 3`` on the real dev set (a projection).

    ``measured`` holds costs measured on this machine with one job per CPU (:func:`measured_costs`). The explain
    has 7 steps: 6 distinct runs (the inert window step reuses everything), each with its own frontend (every
    frontend group changes the spec, so each run extracts its own features), 3 seeds each, ``epochs`` epochs.
    A job's cost: features ``clips * clip seconds * feature_s_per_audio_s``; a fit ``fit_fixed_s`` plus its
    training vectors x epochs at ``train_vectors_per_s``; a scoring job ``score_fixed_s`` plus its vectors at
    ``score_vectors_per_s``.
    """
    hop_per_s = 16000 / 512
    runs, seeds = 6, 3
    jobs = []  # (name, seconds, deps), in the engine's plan order
    for r in range(runs):
        for machine, (n_train, n_test, seconds) in DCASE2020_DEV.items():
            per_clip = int(seconds * hop_per_s) + 1 - 4  # 5-frame vectors of a centred clip
            feats = []
            for shard in range(0, n_train + n_test, 48):
                size = min(48, n_train + n_test - shard)
                feats.append(f"f{r}/{machine}/{shard}")
                jobs.append((feats[-1], size * seconds * measured["feature_s_per_audio_s"], ()))
            for seed in range(seeds):
                fit = f"fit{r}/{machine}/{seed}"
                train = 0.9 * n_train * per_clip * epochs / measured["train_vectors_per_s"]
                jobs.append((fit, measured["fit_fixed_s"] + train, tuple(feats)))
                score = measured["score_fixed_s"] + n_test * per_clip / measured["score_vectors_per_s"]
                jobs.append((f"score{r}/{machine}/{seed}", score, (fit,)))
    return {
        "label": "projection from per-job costs measured on this machine, not a measurement",
        "runs": runs * seeds,
        "jobs": len(jobs),
        "cpu_hours": sum(cost for _, cost, _ in jobs) / 3600,
        "critical_path_hours": _critical_path(jobs) / 3600,
        "wall_time": [
            {"nodes": n, "cpus": n * cpus_per_node, "hours": _makespan(jobs, n * cpus_per_node) / 3600}
            for n in nodes
        ],
        "epochs": epochs,
        "measured": measured,
    }


def _critical_path(jobs) -> float:
    finish: dict[str, float] = {}
    for name, cost, deps in jobs:  # listed in dependency order
        finish[name] = cost + max((finish[d] for d in deps), default=0.0)
    return max(finish.values())


def _makespan(jobs, slots: int) -> float:
    """Wall time of ``jobs`` on ``slots`` CPUs, scheduled as the engine does: whenever a CPU is free it takes the
    first job (in plan order) whose dependencies are done."""
    order = {name: i for i, (name, _, _) in enumerate(jobs)}
    cost = {name: c for name, c, _ in jobs}
    waiting = {name: len(deps) for name, _, deps in jobs}
    dependents: dict[str, list[str]] = {}
    for name, _, deps in jobs:
        for d in deps:
            dependents.setdefault(d, []).append(name)
    ready = [order[name] for name, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    running: list[tuple[float, str]] = []
    now = 0.0
    while ready or running:
        while ready and len(running) < slots:
            name = jobs[heapq.heappop(ready)][0]
            heapq.heappush(running, (now + cost[name], name))
        now, name = heapq.heappop(running)
        for child in dependents.get(name, ()):
            waiting[child] -= 1
            if waiting[child] == 0:
                heapq.heappush(ready, order[child])
    return now


def slot_throughput() -> dict:
    """Training and scoring speed of the DCASE 2020 autoencoder with one thread (one job per CPU), measured
    in a child process whose thread budget is set before TensorFlow loads."""
    import json
    import subprocess
    import sys

    code = "from asdlens.benchmark.engine_speed import _slot_throughput_child as f; f()"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _slot_throughput_child() -> None:
    import json

    from ..runtime import quiet_tensorflow_import, set_thread_budget

    set_thread_budget(1)
    quiet_tensorflow_import()
    import numpy as np

    from ..models import build_model, make_deterministic, training_throughput

    train = training_throughput("dcase2020_autoencoder", n_vectors=120_000, epochs=2)
    make_deterministic(0)
    model = build_model("dcase2020_autoencoder", 640)
    clip = np.random.default_rng(0).standard_normal((309, 640)).astype(np.float32)
    model(clip, training=False)  # the first call builds the function
    start = time.perf_counter()
    for _ in range(100):
        model(clip, training=False)
    score = 100 * 309 / (time.perf_counter() - start)
    print(json.dumps({"train_vectors_per_s": train["vectors_per_s"], "score_vectors_per_s": score}))


def measured_costs(local_jobs: list[dict], clip_seconds: float) -> dict:
    """Per-job costs: features per second of audio and the fixed costs of a fit and a scoring job (model
    building, tracing, loading; from the ``local`` explain's tiny fits), plus the one-thread speeds of
    :func:`slot_throughput` for the parts that grow with the data."""

    def done(kind):
        return [j for j in local_jobs if j["kind"] == kind and j["status"] == "computed"]

    def mean(jobs):
        return sum(j["seconds"] for j in jobs) / max(1, len(jobs))

    features = done("features")
    audio = sum(j["size"] for j in features) * clip_seconds
    return {
        "feature_s_per_audio_s": sum(j["seconds"] for j in features) / max(audio, 1e-9),
        "fit_fixed_s": mean(done("fit")),
        "score_fixed_s": mean(done("score")),
        **slot_throughput(),
    }


def engine_benchmark(work, *, epochs: int = EPOCHS) -> dict:
    """All of the above on a generated tree in ``work``."""
    from ..data.synth import generate

    work = Path(work)
    data = generate(work / "data", layout="dcase2020", seed=0, workers=2, overwrite=True, **QUICK_TREE)
    explains = explain_on_executors(data, work / "explain", epochs=epochs)
    overhead = scheduling_overhead(data)
    costs = measured_costs(explains["local"]["jobs"], QUICK_TREE["duration"])
    return {
        "tree": QUICK_TREE,
        "epochs": epochs,
        "explain": {
            k: ({kk: vv for kk, vv in v.items() if kk != "jobs"} if isinstance(v, dict) else v)
            for k, v in explains.items()
        },  # fmt: skip
        "overhead": overhead,
        "projection": project(costs, epochs=100),
    }
