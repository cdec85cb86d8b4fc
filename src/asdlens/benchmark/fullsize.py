"""One machine type at the size of the real DCASE 2020 data: features, training and memory (``make bench``).

The tree: one type, 4 IDs x (750 training + 100 normal + 100 anomalous test clips) of 10 s at 16 kHz, about the
size of a real DCASE 2020 type (generated once, reused). Two measurements:

- features at the speed of the disk: every clip read, turned into its log-mel and written to an empty cache by
  the ``local`` executor's worker processes (one per CPU), in clips per second, the workers' start included
  (after an ``os.sync``, so that what an earlier step left to write does not slow this one);
- the ceiling of that training speed: Keras's fit loop of the same model on one in-memory batch, repeated
  (:func:`asdlens.models.throughput.fit_loop_ceiling`);
- the whole ``dcase2020`` run with 3 epochs in a child process (``inline`` executor, its own empty cache): its
  peak resident memory (``wait4``'s ``ru_maxrss``) next to the bytes the stacked training vectors would take
  (``n_vectors * n_mels * frames * 4``: what an in-memory training array holds), and the training speed in
  training vectors per second over the 3 epochs, the first one (tracing, warm-up) included;
- the same run of ``dcase2020-torch`` (the network in PyTorch), with the thread budget set to every CPU
  (``ASDLENS_THREADS``: an inline torch fit otherwise takes one thread, see
  :mod:`asdlens.models.torch.training`; TensorFlow takes every CPU by itself), beside a bare torch loop of the
  same network on in-memory vectors (:func:`asdlens.benchmark.frameworks.bare_torch_loop`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ..engine import EngineOptions

TYPE, IDS, N_TRAIN, N_TEST_EACH, SECONDS = "fan", ("00", "02", "04", "06"), 750, 100, 10.0


def fullsize_tree(root: str | os.PathLike, *, seed: int = 0) -> Path:
    """The full-size tree under ``root`` (generated unless a complete one is already there)."""
    from ..data import scan
    from ..data.layouts import find_manifest
    from ..data.synth import generate

    root = Path(root)
    expected = len(IDS) * (N_TRAIN + 2 * N_TEST_EACH)
    if find_manifest(root) is not None and len(scan(root, "dcase2020").clips) == expected:
        return root
    return generate(
        root, layout="dcase2020", types=[TYPE], ids=list(IDS), n_train=N_TRAIN, n_test_normal=N_TEST_EACH,
        n_test_anomaly=N_TEST_EACH, duration=SECONDS, seed=seed, workers=2, overwrite=True,
    )  # fmt: skip


def feature_throughput(
    data_root: str | os.PathLike,
    cache_dir: str | os.PathLike,
    *,
    engine: EngineOptions | None = None,
    experiment: str = "dcase2020",
    overrides: tuple[str, ...] = (),
) -> dict:
    """Every clip's log-mel (``experiment`` with ``overrides``: its frontend and channel stage) into an empty
    cache on ``engine``'s executor (default ``local``, workers' start included): clips per second."""
    from ..engine import Engine, RunCache, make_executor
    from ..experiment import load_experiment
    from ..experiment.graph import JobBuilder
    from ..experiment.plan import make_plan
    from ..experiment.runner import resolve

    exp = resolve(load_experiment(experiment, list(overrides)), data_root)
    plan = make_plan(exp, exp.dataset.root)
    cache = RunCache(cache_dir)
    jobs = {j.key: j for j in JobBuilder(cache).plan_features(exp, plan)}
    os.sync()  # start from a quiet disk: writes left dirty by an earlier step would throttle this one's
    executor = make_executor(engine if engine is not None else EngineOptions(progress=False))
    try:
        start = time.perf_counter()
        Engine(cache, executor, announce=lambda _: None).run(jobs, list(jobs))
        seconds = time.perf_counter() - start
    finally:
        executor.close()
    n = len(plan.clips)
    return {"clips": n, "seconds": seconds, "clips_per_s": n / seconds, "workers": executor.slots}


def fullsize_run(
    data_root: str | os.PathLike, out_dir: str | os.PathLike, *, epochs: int = 3, experiment: str = "dcase2020",
    env: dict | None = None,
) -> dict:  # fmt: skip
    """The ``experiment`` (``epochs`` epochs) in a child process (``env`` added to its environment): peak RSS,
    vector bytes, speed."""
    out = Path(out_dir)
    command = [
        sys.executable, "-m", "asdlens", "run", experiment, "--data", str(data_root), "--out", str(out),
        "--executor", "inline", "--set", f"training.epochs={epochs}", "-q", "--no-report",
    ]  # fmt: skip
    start = time.perf_counter()
    child = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, **(env or {})}
    )
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    stderr = child.stderr.read().decode(errors="replace") if child.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"the full-size run failed:\n{stderr[-2000:]}")
    run = json.loads((out / "run.json").read_text())
    (info,) = [json.loads(p.read_text()) for p in sorted((out / "models").glob("*.json"))]
    frames, n_mels = 5, 128
    return {
        "experiment": experiment,
        "epochs": epochs,
        "wall_s": wall,
        "peak_rss_bytes": usage.ru_maxrss * 1024,
        "vector_bytes": info["n_vectors"] * frames * n_mels * 4,
        "n_vectors": info["n_vectors"],
        "train_seconds": info["train_seconds"],
        "train_vectors_per_s": info["n_train_vectors"] * epochs / info["train_seconds"],
        "timings_s": run["timings"],
    }


def fullsize_benchmark(
    data_root: str | os.PathLike, *, epochs: int = 3, engine: EngineOptions | None = None
) -> dict:
    """Both measurements on the full-size tree at ``data_root`` (generated there if absent); ``engine`` runs the
    feature measurement (default: the ``local`` executor, one worker per CPU)."""
    from ..runtime import THREADS_ENV, thread_budget
    from .frameworks import in_child

    root = fullsize_tree(data_root)
    with tempfile.TemporaryDirectory() as work:
        features = feature_throughput(root, Path(work) / "features-cache", engine=engine)
        run = fullsize_run(root, Path(work) / "run", epochs=epochs)
        torch_run = fullsize_run(root, Path(work) / "run-torch", epochs=epochs, experiment="dcase2020-torch",
                                 env={THREADS_ENV: str(thread_budget())})  # fmt: skip
    bare = in_child(thread_budget(), "bare_torch_loop", n_vectors=200_000, epochs=epochs)
    return {"tree": {"type": TYPE, "ids": list(IDS), "clips": features["clips"], "seconds_per_clip": SECONDS},
            "features": features, "run": run, "fit_loop_ceiling": _fit_loop_ceiling(), "run_torch": torch_run,
            "bare_torch_loop": bare,
            "torch_over_bare_loop": torch_run["train_vectors_per_s"] / bare["samples_per_s"],
            "torch_over_keras": torch_run["train_vectors_per_s"] / run["train_vectors_per_s"]}  # fmt: skip


def _fit_loop_ceiling() -> dict:
    """:func:`asdlens.models.throughput.fit_loop_ceiling` in a child process (the thread budget of a run)."""
    code = "import json; from asdlens.models.throughput import fit_loop_ceiling; print(json.dumps(fit_loop_ceiling()))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])
