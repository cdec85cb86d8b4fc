"""Training speed of the detectors on this machine (``make bench``)."""

from __future__ import annotations

import copy
import time
from typing import Any

import numpy as np

from .samples import ClipSet


def _baseline_input_dim(name: str) -> int:
    """The input width the baselines feed ``name``: 5 frames of 128 mels (DCASE 2020), of 64 mels (MIMII)."""
    from .autoencoders import MODELS

    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose one of {list(MODELS)}")
    return {"dcase2020_autoencoder": 640, "mimii_autoencoder": 320}[name]


def training_throughput(
    name: str = "dcase2020_autoencoder",
    *,
    input_dim: int | None = None,
    n_vectors: int = 30_000,
    epochs: int = 3,
    batch_size: int = 512,
    seed: int = 0,
) -> dict[str, float | int | str]:
    """Vectors per second that ``model.fit`` trains, as the baselines call it (Adam, MSE, shuffle, 10 % validation).

    One warm-up epoch first (graph tracing costs a few seconds per model and is not throughput), then ``epochs``
    timed epochs (from the end of the first epoch to the end of the last, validation included) on random vectors
    (speed does not depend on the values).

    Returns
    -------
    dict
        ``model``, ``input_dim``, ``n_vectors``, ``epochs``, ``batch_size``, ``seconds`` (timed epochs),
        ``vectors_per_s`` (training vectors, i.e. 90 % of ``n_vectors``, times epochs over seconds),
        ``warmup_s`` (the first epoch, tracing included).
    """
    import keras

    from .autoencoders import build_model
    from .training import make_deterministic, train_autoencoder

    dim = input_dim or _baseline_input_dim(name)
    x = np.random.default_rng(seed).standard_normal((n_vectors, dim)).astype(np.float32)
    keras.backend.clear_session()
    make_deterministic(seed)
    model = build_model(name, dim)
    ends: list[float] = []
    t0 = time.perf_counter()
    train_autoencoder(
        model, x, epochs=epochs + 1, batch_size=batch_size, validation_split=0.1, shuffle=True,
        on_epoch_end=lambda epoch, logs: ends.append(time.perf_counter()),
    )  # fmt: skip
    warmup = ends[0] - t0
    seconds = ends[-1] - ends[0]
    n_train = int(np.floor(n_vectors * 0.9))
    return {
        "model": name,
        "input_dim": dim,
        "n_vectors": n_vectors,
        "epochs": epochs,
        "batch_size": batch_size,
        "seconds": seconds,
        "vectors_per_s": n_train * epochs / seconds,
        "warmup_s": warmup,
    }


def fit_loop_ceiling(
    name: str = "dcase2020_autoencoder", *, batch_size: int = 512, steps: int = 1024, seed: int = 0
) -> dict[str, float | int | str]:
    """Vectors per second of Keras's fit loop when the input costs nothing: one in-memory batch, repeated.

    The model is compiled as every fit compiles it (:func:`asdlens.models.training.compile_model`: Adam, MSE,
    its steps per execution) and fitted on ``tf.data.Dataset.from_tensors(batch).repeat()``, one warm-up epoch
    of ``steps // 4`` steps (tracing) and then ``steps`` timed steps. No input pipeline can make a fit of
    this model faster than this on this machine.
    """
    import keras
    import tensorflow as tf

    from .autoencoders import build_model
    from .training import STEPS_PER_EXECUTION, compile_model, make_deterministic

    dim = _baseline_input_dim(name)
    x = np.random.default_rng(seed).standard_normal((batch_size, dim)).astype(np.float32)
    keras.backend.clear_session()
    make_deterministic(seed)
    model = build_model(name, dim)
    compile_model(model)
    data = tf.data.Dataset.from_tensors((x, x)).repeat()
    model.fit(data, epochs=1, steps_per_epoch=max(STEPS_PER_EXECUTION, steps // 4), shuffle=False, verbose=0)
    start = time.perf_counter()
    model.fit(data, epochs=1, steps_per_epoch=steps, shuffle=False, verbose=0)
    seconds = time.perf_counter() - start
    return {"model": name, "batch_size": batch_size, "steps": steps, "seconds": seconds,
            "vectors_per_s": steps * batch_size / seconds}  # fmt: skip


def random_clips(
    n_clips: int, clip_frames: int, n_mels: int, *, n_classes: int = 4, seed: int = 0
) -> ClipSet:
    """``n_clips`` random log-mels of ``clip_frames`` frames, labelled with ``n_classes`` machine IDs of one
    type (speed does not depend on the values)."""
    rng = np.random.default_rng(seed)
    frames = rng.standard_normal((n_clips * clip_frames, n_mels)).astype(np.float32)
    offsets = np.arange(n_clips + 1, dtype=np.int64) * clip_frames
    meta = [
        {"machine_type": "machine", "machine_id": f"{i % n_classes:02d}", "file_name": f"clip_{i:05d}.wav"}
        for i in range(n_clips)
    ]
    return ClipSet(frames, offsets, meta)


def detector_throughput(
    settings: dict[str, Any], *, n_clips: int = 48, clip_frames: int = 313, epochs: int = 2, seed: int = 0
) -> dict[str, Any]:
    """Training samples per second of the detector of ``settings`` (what
    :func:`asdlens.experiment.graph.detector_settings` makes of an experiment), trained by its own ``fit``.

    The detector trains on :func:`random_clips` (``n_clips`` clips of ``clip_frames`` frames, 10 s at the
    DCASE hop) for one warm-up epoch (tracing) and ``epochs`` timed ones; the rate counts the training part of
    its samples (stacked vectors for the autoencoders, patches or windows for the others). The time after the
    last epoch (training embeddings, the residual covariance) is reported apart as ``after_s``.

    Returns
    -------
    dict
        ``model``, ``family``, ``frames``, ``hop``, ``batch_size``, ``n_samples`` (per epoch, training part),
        ``epochs``, ``seconds``, ``samples_per_s``, ``warmup_s``, ``after_s``.
    """
    from .detectors import make_detector
    from .families import model_family
    from .samples import windows

    settings = copy.deepcopy(settings)
    settings["training"]["epochs"] = epochs + 1
    detector = make_detector(settings)
    clips = random_clips(n_clips, clip_frames, int(settings["n_mels"]), seed=seed)
    hop = detector.params["hop"]
    n = len(windows(clips, int(settings["frames"]), hop))
    n_train = int(np.floor(n * (1.0 - settings["training"]["validation_split"])))
    ends: list[float] = []
    t0 = time.perf_counter()
    detector.fit(clips, seed=seed, on_epoch_end=lambda epoch, logs: ends.append(time.perf_counter()))
    done = time.perf_counter()
    seconds = ends[-1] - ends[0]
    return {
        "model": settings["model"]["name"],
        "family": model_family(settings["model"]["name"]),
        "frames": int(settings["frames"]),
        "hop": hop,
        "batch_size": int(settings["training"]["batch_size"]),
        "n_samples": n_train,
        "epochs": epochs,
        "seconds": seconds,
        "samples_per_s": n_train * epochs / seconds,
        "warmup_s": ends[0] - t0,
        "after_s": done - ends[-1],
    }
