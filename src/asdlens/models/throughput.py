"""Training speed of the reference autoencoders on this machine (``make bench``)."""

from __future__ import annotations

import time

import numpy as np


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
    timed epochs (from the end of the first epoch to the end of the last, validation included) on random vectors (speed does not depend on the values).

    Returns
    -------
    dict
        ``model``, ``input_dim``, ``n_vectors``, ``epochs``, ``batch_size``, ``seconds`` (timed epochs),
        ``vectors_per_s`` (training vectors, i.e. 90 % of ``n_vectors``, times epochs over seconds),
        ``warmup_s`` (the first epoch, tracing included).
    """
    import keras

    from .autoencoders import MODELS, build_model
    from .training import make_deterministic, train_autoencoder

    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose one of {list(MODELS)}")
    dim = input_dim or {"dcase2020_autoencoder": 640, "mimii_autoencoder": 320}[name]
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
