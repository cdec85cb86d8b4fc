"""The frameworks part of ``make bench``: training throughput of each family in Keras and in PyTorch, side by side,
and the torch autoencoder's streamed fit against a bare torch loop of the same network.

Every figure includes the first epoch (the network's build, Keras's tracing, torch's first steps): what each
fit pays. What a process pays once, whatever it fits next, is timed apart as ``process_setup_s`` and left out:
importing Keras and starting TensorFlow's runtime, or torch's deterministic mode
(``torch.use_deterministic_algorithms`` imports ``torch._inductor``'s configuration, 2-8 s). Each measurement
runs in a child process whose thread budget is set before any framework starts (``ASDLENS_THREADS`` and the
variables :func:`asdlens.runtime.set_thread_budget` sets), once with 1 thread and once with every CPU, so the
frameworks are compared at equal threads. Each figure is the best of ``rounds`` interleaved rounds (every
measurement once per round): on a machine shared with other work, the fastest run is the least disturbed, and
interleaving spreads a change of load over every measurement; each run's rate is kept too.

- :func:`bare_torch_loop`: the network of ``dcase2020-torch`` (or any torch autoencoder config), ``torch.optim``
  Adam, MSE, ``n_vectors`` random vectors in one in-memory tensor, a ``randperm`` order per epoch, no
  validation: what a hand-written PyTorch script does, the ceiling of the streamed fit;
- :func:`streamed_fit`: the detector's own ``fit`` on random clips holding about as many vectors (windows
  gathered from the clips' log-mels batch by batch, a 10 % validation part scored every epoch), in vectors per
  second of the training part;
- :func:`family_rates`: :func:`streamed_fit` for each family's Keras and torch experiment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any

#: Per family: the Keras experiment and its torch twin (the same config but ``model.framework``).
FAMILY_PAIRS = {
    "autoencoder": ("dcase2020", ["model.framework=torch"]),
    "margin": ("arcface-knn", ["model.framework=torch"]),
}


def _settings(name: str, sets: list[str], epochs: int) -> dict:
    from ..experiment.config import load_experiment
    from ..experiment.graph import detector_settings

    return detector_settings(load_experiment(name, [*sets, f"training.epochs={epochs}", "training.gpus=0"]))


def streamed_fit(name: str, sets: list[str], *, n_vectors: int, epochs: int = 3, seed: int = 0) -> dict:
    """Training samples per second of the detector of experiment ``name`` (with ``sets``), its own ``fit`` on
    random 313-frame clips giving about ``n_vectors`` samples, ``epochs`` epochs, the first one included."""
    from ..models.detectors import make_detector
    from ..models.samples import windows
    from ..models.throughput import random_clips

    settings = _settings(name, sets, epochs)
    setup_s = _process_setup(settings["model"]["framework"])
    hop = make_detector(settings).params["hop"]
    frames = int(settings["frames"])
    per_clip = (313 - frames) // hop + 1
    clips = random_clips(max(2, -(-n_vectors // per_clip)), 313, int(settings["n_mels"]), seed=seed)
    n = len(windows(clips, frames, hop))
    detector = make_detector(settings)
    ends: list[float] = []
    start = time.perf_counter()
    detector.fit(clips, seed=seed, on_epoch_end=lambda epoch, logs: ends.append(time.perf_counter()))
    seconds = ends[-1] - start
    n_train = int(n * (1.0 - settings["training"]["validation_split"]))
    return {"experiment": name, "sets": sets, "framework": settings["model"]["framework"], "epochs": epochs,
            "batch_size": int(settings["training"]["batch_size"]), "n_samples": n_train, "seconds": seconds,
            "samples_per_s": n_train * epochs / seconds, "first_epoch_s": ends[0] - start,
            "process_setup_s": setup_s}  # fmt: skip


def _process_setup(framework: str) -> float:
    """Seconds of what a process does once before its first fit in ``framework`` (see the module docstring)."""
    start = time.perf_counter()
    if framework == "torch":
        from ..models.torch.training import device_for, prepare

        prepare(device_for(0.0))
    else:
        import keras
        import tensorflow as tf

        tf.constant(0.0) + 1.0  # the runtime starts
        keras.backend.clear_session()
    return time.perf_counter() - start


def bare_torch_loop(name: str = "dcase2020-torch", *, n_vectors: int, epochs: int = 3, seed: int = 0) -> dict:
    """Vectors per second of a plain PyTorch loop of the torch autoencoder of experiment ``name`` (see the module
    docstring), ``epochs`` epochs, the first one included."""
    import torch

    from ..models.frameworks import LayerSettings, detector_framework
    from ..models.torch.autoencoders import build_autoencoder
    from ..models.torch.training import torch_threads

    settings = _settings(name, [], epochs)
    setup_s = _process_setup("torch")  # the same deterministic mode as the fit
    torch.set_num_threads(torch_threads())
    torch.manual_seed(seed)
    n_mels, batch = int(settings["n_mels"]), int(settings["training"]["batch_size"])
    dim = n_mels * int(settings["frames"])
    x = torch.randn(n_vectors, dim)
    start = time.perf_counter()
    net = build_autoencoder(
        settings["model"]["name"], dim, n_mels, LayerSettings.of(detector_framework(settings))
    )
    opt = torch.optim.Adam(net.parameters())
    net.train()
    for _ in range(epochs):
        for idx in torch.randperm(n_vectors).split(batch):
            b = x[idx]
            opt.zero_grad(set_to_none=True)
            torch.nn.functional.mse_loss(net(b), b).backward()
            opt.step()
    seconds = time.perf_counter() - start
    return {"experiment": name, "epochs": epochs, "batch_size": batch, "n_samples": n_vectors,
            "seconds": seconds, "samples_per_s": n_vectors * epochs / seconds, "process_setup_s": setup_s}  # fmt: skip


def in_child(threads: int, function: str, **kwargs) -> dict:
    """``function`` of this module with ``kwargs`` in a child process with a thread budget of ``threads``."""
    from ..runtime import THREADS_ENV

    code = (
        "import json, sys; from asdlens.runtime import set_thread_budget, quiet_tensorflow_import; "
        f"set_thread_budget({int(threads)}); quiet_tensorflow_import(); "
        "import asdlens.models.torch; from asdlens.benchmark import frameworks as f; "
        f"print(json.dumps(getattr(f, {function!r})(**json.loads(sys.argv[1]))))"
    )
    env = {**os.environ, THREADS_ENV: str(int(threads))}
    done = subprocess.run([sys.executable, "-c", code, json.dumps(kwargs)], capture_output=True, text=True,
                          env=env, check=False)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"{function} failed in a child process:\n{done.stderr[-3000:]}")
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "threads": int(threads)}


def torch_pair(*, n_vectors: int, rounds: int, epochs: int = 3) -> dict[str, list[dict]]:
    """The bare torch loop and the torch autoencoder's streamed fit, alternately ``rounds`` times in this process
    (the same threads and process state for both; alternating spreads a shared machine's load over both)."""
    out: dict[str, list[dict]] = {"bare_torch_loop": [], "torch_fit": []}
    for _ in range(int(rounds)):
        out["bare_torch_loop"].append(bare_torch_loop(n_vectors=n_vectors, epochs=epochs))
        out["torch_fit"].append(streamed_fit("dcase2020", ["model.framework=torch"], n_vectors=n_vectors,
                                             epochs=epochs))  # fmt: skip
    return out


def _best(runs: list[dict]) -> dict:
    """The fastest of repeated runs (on a shared machine, the least disturbed), with every run's rate."""
    best = max(runs, key=lambda r: r["samples_per_s"])
    return {**best, "all_samples_per_s": [r["samples_per_s"] for r in runs]}


def thread_rates(threads: int, *, ae_vectors: int, margin_windows: int, rounds: int) -> dict[str, Any]:
    """Every measurement at ``threads`` threads, ``rounds`` times, interleaved: the autoencoder's Keras fit and
    its torch fit with the bare loop, the margin CNN's Keras and torch fits. Each figure is the best round."""
    runs: dict[str, list[dict]] = {
        k: [] for k in ("ae_keras", "ae_torch", "bare", "margin_keras", "margin_torch")
    }
    margin, margin_sets = FAMILY_PAIRS["margin"]
    for _ in range(int(rounds)):
        runs["ae_keras"].append(
            in_child(threads, "streamed_fit", name="dcase2020", sets=[], n_vectors=ae_vectors)
        )
        pair = in_child(threads, "torch_pair", n_vectors=ae_vectors, rounds=1)
        runs["bare"] += pair["bare_torch_loop"]
        runs["ae_torch"] += pair["torch_fit"]
        runs["margin_keras"].append(
            in_child(threads, "streamed_fit", name=margin, sets=[], n_vectors=margin_windows)
        )
        runs["margin_torch"].append(
            in_child(threads, "streamed_fit", name=margin, sets=margin_sets, n_vectors=margin_windows)
        )
    best = {k: _best(v) for k, v in runs.items()}
    rate = {k: v["samples_per_s"] for k, v in best.items()}
    return {
        "families": {"autoencoder": {"keras": best["ae_keras"], "torch": best["ae_torch"]},
                     "margin": {"keras": best["margin_keras"], "torch": best["margin_torch"]}},
        "bare_torch_loop": best["bare"],
        "torch_fit_over_bare_loop": rate["ae_torch"] / rate["bare"],
        "torch_fit_over_keras_fit": rate["ae_torch"] / rate["ae_keras"],
        "margin_torch_over_keras": rate["margin_torch"] / rate["margin_keras"],
    }  # fmt: skip


def frameworks_benchmark(
    *, ae_vectors: int = 60_000, margin_windows: int = 10_000, rounds: int = 3
) -> dict[str, Any]:
    """:func:`thread_rates` with 1 thread and with every CPU, and the ratios the torch autoencoder's fit is held
    to (>= 0.9x the bare loop, >= 1.5x the Keras fit)."""
    from ..runtime import thread_budget

    sizes = {"ae_vectors": ae_vectors, "margin_windows": margin_windows, "rounds": rounds}
    return {
        **sizes,
        "threads": {str(t): thread_rates(t, **sizes) for t in sorted({1, thread_budget()})},
    }
