"""Training, reconstruction error and (atomic) saving of the autoencoders, as the official baselines do them.

The DCASE 2020 baseline (``00_train.py`` with ``baseline.yaml``) compiles with ``optimizer="adam"`` (Keras default
learning rate 0.001) and ``loss="mean_squared_error"`` and calls ``model.fit(x, x, epochs, batch_size, shuffle,
validation_split)`` on the vectors of the sorted training file list. Keras takes the validation part from the *end*
of the array before shuffling (``keras.src.trainers.data_adapters.array_slicing.train_validation_split``), so the
validation set is the tail of the sorted file list; we pass the arrays to ``fit`` unchanged to keep that.
``01_test.py`` scores a file as ``mean(mean(square(x - model.predict(x)), axis=1))``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


def make_deterministic(seed: int) -> None:
    """Seed Python, NumPy, TensorFlow and Keras (``keras.utils.set_random_seed``) and turn on TensorFlow's op
    determinism, so that the same data, model and seed give bit-identical weights."""
    import logging

    import keras
    import tensorflow as tf

    # Each new model traces its own predict function; TF warns about "retracing" once several models were
    # scored, which is expected here and only clutters the progress bars.
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    keras.utils.set_random_seed(int(seed))
    tf.config.experimental.enable_op_determinism()


def train_autoencoder(
    model,
    vectors: np.ndarray,
    *,
    epochs: int,
    batch_size: int,
    validation_split: float,
    shuffle: bool,
    learning_rate: float | None = None,
    on_epoch_end: Callable[[int, dict], None] | None = None,
) -> dict[str, list[float]]:
    """Compile ``model`` with Adam and MSE and fit it to reproduce ``vectors``.

    Seeding is the caller's job (:func:`make_deterministic` before building the model, so the initial weights
    are seeded too).

    Parameters
    ----------
    model : keras.Model
        An uncompiled autoencoder from :mod:`asdlens.models.autoencoders`.
    vectors : numpy.ndarray
        ``[n_vectors, input_dim]`` training vectors in file order; the last ``validation_split`` share is the
        validation set (Keras semantics).
    epochs, batch_size : int
    validation_split : float
        In ``[0, 1)``.
    shuffle : bool
        Shuffle the training part each epoch.
    learning_rate : float or None
        None keeps Keras's Adam default (0.001), as the baselines do.
    on_epoch_end : callable, optional
        Called as ``on_epoch_end(epoch, logs)`` after each epoch (progress bars).

    Returns
    -------
    dict
        The Keras history: ``{"loss": [...], "val_loss": [...]}`` (``val_loss`` only with a validation split),
        one float per epoch.
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[0] == 0:
        raise ValueError(
            f"training vectors must be a non-empty [n_vectors, dim] array; got shape {vectors.shape}"
        )
    n_val = vectors.shape[0] - int(np.floor(vectors.shape[0] * (1.0 - validation_split)))
    if validation_split > 0 and (n_val == 0 or n_val == vectors.shape[0]):
        raise ValueError(
            f"validation_split={validation_split} leaves {n_val} of {vectors.shape[0]} training vectors for "
            "validation; use more training clips or another split"
        )
    return compile_and_fit(
        model,
        vectors,
        vectors,
        epochs=epochs,
        batch_size=batch_size,
        validation_split=validation_split,
        shuffle=shuffle,
        options=CompileOptions(learning_rate=learning_rate),
        on_epoch_end=on_epoch_end,
    )


#: Training steps per call of Keras's compiled train function (``compile(steps_per_execution=...)``): the steps
#: run in one traced loop instead of one Python round trip each, which on a small model is a large share of a
#: step's time. The steps, their order and so the weights are the same as one step per call (tested).
STEPS_PER_EXECUTION = 32


@dataclass(frozen=True)
class CompileOptions:
    """How :func:`compile_model` compiles a Keras model.

    Attributes
    ----------
    learning_rate : float or None
        Adam's learning rate; None keeps Keras's default 0.001 (``optimizer``'s, when given, wins).
    loss : str or callable
        A Keras loss (name or function).
    optimizer : asdlens.models.frameworks.OptimizerSettings or None
        The framework settings of Adam (:mod:`asdlens.models.keras_settings`); None is Keras's own Adam.
    loss_reduction : str
        ``training.loss_reduction`` (:mod:`asdlens.models.keras_settings`).
    steps_per_execution : int or None
        Training steps per call of the compiled train function; None: :data:`STEPS_PER_EXECUTION` (read when the
        model is compiled).
    """

    learning_rate: float | None = None
    loss: Any = "mean_squared_error"
    optimizer: Any = None
    loss_reduction: str = "mean"
    steps_per_execution: int | None = None


def compile_model(model, options: CompileOptions = CompileOptions()) -> None:
    """``model.compile`` with Adam, the loss and the steps per execution of ``options``; at Keras's defaults
    (no framework settings) the optimizer and loss are Keras's own."""
    from .keras_settings import adam, reduced_loss

    model.compile(
        optimizer=adam(options.optimizer, options.learning_rate),
        loss=reduced_loss(options.loss, options.loss_reduction),
        steps_per_execution=int(options.steps_per_execution or STEPS_PER_EXECUTION),
    )


def compile_and_fit(
    model,
    x,
    y=None,
    *,
    epochs: int,
    options: CompileOptions = CompileOptions(),
    validation=None,
    on_epoch_end: Callable[[int, dict], None] | None = None,
    **fit_options,
) -> dict[str, list[float]]:
    """:func:`compile_model` with ``options``, then ``model.fit``; returns the history as lists of floats.

    ``x`` (and ``y``) are arrays or a ``keras.utils.PyDataset``; ``validation`` is passed as
    ``validation_data``; other keyword arguments go to ``fit`` (``batch_size``, ``shuffle``,
    ``validation_split`` for arrays). A PyDataset is fitted with ``shuffle=False``: it orders itself.
    """
    import keras

    compile_model(model, options)
    callbacks = []
    if on_epoch_end is not None:

        class _Report(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                on_epoch_end(epoch, dict(logs or {}))

        callbacks.append(_Report())
    if isinstance(x, keras.utils.PyDataset):
        fit_options["shuffle"] = False
    history = model.fit(
        x, y, epochs=int(epochs), validation_data=validation, verbose=0, callbacks=callbacks, **fit_options
    )
    return {k: [float(v) for v in vals] for k, vals in history.history.items()}


def reconstruction_errors(model, vectors: np.ndarray, *, batch_size: int = 4096) -> np.ndarray:
    """Per-vector mean squared reconstruction error: ``mean((x - model(x))**2, axis=1)``, in float64.

    Parameters
    ----------
    model : keras.Model
    vectors : numpy.ndarray
        ``[n_vectors, input_dim]``.
    batch_size : int
        Vectors per forward pass (only memory and speed depend on it).

    Returns
    -------
    numpy.ndarray
        ``[n_vectors]`` float64.
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.shape[0] == 0:
        return np.zeros(0, dtype=np.float64)
    predicted = model.predict(vectors, batch_size=batch_size, verbose=0)
    diff = vectors.astype(np.float64) - np.asarray(predicted, dtype=np.float64)
    return np.mean(np.square(diff), axis=1)


def save_model(model, path: str | Path) -> Path:
    """Save ``model`` to ``path`` (``.keras``) atomically: write a temporary file beside it, then rename.

    A run killed while saving leaves either no file or the old one, never a truncated model.
    """
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"{path}: a Keras 3 model file must end in .keras")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    try:
        model.save(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def load_model(path: str | Path):
    """Load a model saved by :func:`save_model` (compile state is not needed for scoring)."""
    import keras

    return keras.models.load_model(Path(path), compile=False)
