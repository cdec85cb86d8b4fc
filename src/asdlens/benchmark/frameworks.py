"""The frameworks part of ``make bench``: training throughput of each family in Keras and in PyTorch, side by side,
and the torch autoencoder's streamed fit against a bare torch loop of the same network.

Every figure includes the first epoch (the network's build, Keras's tracing, torch's first steps): what each
fit pays. What a process pays once, whatever it fits next, is timed apart as ``process_setup_s`` and left out:
importing Keras and starting TensorFlow's runtime, or torch's deterministic mode
(``torch.use_deterministic_algorithms`` imports ``torch._inductor``'s configuration, 2-8 s). Each measurement
runs in a child process whose thread budget is set before any framework starts (``ASDLENS_THREADS`` and the
variables :func:`asdlens.runtime.set_thread_budget` sets), once with 1 thread and once with every CPU, so the
frameworks are compared at equal threads.

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


def family_rates(threads: int, *, ae_vectors: int = 100_000, margin_windows: int = 20_000) -> dict[str, Any]:
    """Per family and framework: :func:`streamed_fit` (3 epochs, first included) with ``threads`` threads."""
    out = {}
    for family, (name, torch_sets) in FAMILY_PAIRS.items():
        n = ae_vectors if family == "autoencoder" else margin_windows
        out[family] = {
            framework: in_child(threads, "streamed_fit", name=name, sets=sets, n_vectors=n)
            for framework, sets in (("keras", []), ("torch", torch_sets))
        }
    return out


def frameworks_benchmark(*, ae_vectors: int = 100_000, margin_windows: int = 20_000) -> dict[str, Any]:
    """Both thread counts: each family in both frameworks, the bare torch loop, and the ratios the torch
    autoencoder's fit is held to (>= 0.9x the bare loop, >= 1.5x the Keras fit)."""
    from ..runtime import thread_budget

    out: dict[str, Any] = {"threads": {}}
    for threads in sorted({1, thread_budget()}):
        rates = family_rates(threads, ae_vectors=ae_vectors, margin_windows=margin_windows)
        bare = in_child(threads, "bare_torch_loop", n_vectors=ae_vectors)
        ae = rates["autoencoder"]
        out["threads"][str(threads)] = {
            "families": rates,
            "bare_torch_loop": bare,
            "torch_fit_over_bare_loop": ae["torch"]["samples_per_s"] / bare["samples_per_s"],
            "torch_fit_over_keras_fit": ae["torch"]["samples_per_s"] / ae["keras"]["samples_per_s"],
            "margin_torch_over_keras": rates["margin"]["torch"]["samples_per_s"]
            / rates["margin"]["keras"]["samples_per_s"],
        }
    return out
