"""The autoencoder family: the DCASE 2020 and MIMII baselines, with the DCASE 2023-2025 baseline's Mahalanobis
score of the reconstruction residual.

Mahalanobis (nttcslab/dcase2023_task2_baseline_ae, ``networks/criterion/mahala.py`` and
``networks/dcase2023t2_ae/dcase2023t2_ae.py``, read at v4.3.0): after training, one pass over the training
vectors in evaluation mode cuts each residual ``x - x_hat`` into blocks of ``n_mels`` values (one per frame of
the stacked vector), centres the blocks of each batch on that batch's mean, sums ``diff.T @ diff`` over the
batches and divides by the number of *vectors* minus one (not blocks: the matrix is ``frames`` times a
covariance, a scale that changes no AUC). Batches of one vector are skipped. A test clip scores
``mean_ij d_i^T P d_j`` over all residual blocks ``d`` of the clip with ``P`` the inverse covariance, which is
``d_bar^T P d_bar`` for the clip's mean residual block ``d_bar`` (what :func:`residual_mahalanobis` computes).
DCASE 2020 data have one domain, so the source covariance is the only one (the baseline takes the smaller of
the source and target scores). We take the batches of the training part in the order the next epoch would
draw them (``batch_size`` of the training section).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .base import DetectorBase, TrainingEmbeddings, mean_unit
from .samples import ClipSet, epoch_order, gather, windows

COVARIANCE_FILE = "residual_covariance.npy"


def residual_covariance(residuals_of_batches, n_mels: int) -> np.ndarray:
    """The DCASE 2023 baseline's residual covariance from batches of residual vectors.

    Parameters
    ----------
    residuals_of_batches : iterable of numpy.ndarray
        Per batch, ``[batch, frames * n_mels]`` (or ``[batch, frames, n_mels]``) residuals ``x - x_hat``.
    n_mels : int
        Block size.

    Returns
    -------
    numpy.ndarray
        ``[n_mels, n_mels]`` float64: the sum over batches of the centred blocks' scatter, over
        ``n_vectors - 1``.
    """
    scatter = np.zeros((n_mels, n_mels))
    count = 0
    for residual in residuals_of_batches:
        residual = np.asarray(residual, dtype=np.float64)
        if residual.shape[0] <= 1:  # the baseline skips batches of one vector
            continue
        blocks = residual.reshape(-1, n_mels)
        diff = blocks - blocks.mean(axis=0)
        scatter += diff.T @ diff
        count += residual.shape[0]
    if count < 2:
        raise ValueError(
            f"a residual covariance needs at least 2 training vectors in batches of 2 or more; got {count}"
        )
    return scatter / (count - 1)


def residual_mahalanobis(residuals: np.ndarray, precision: np.ndarray) -> float:
    """A clip's Mahalanobis score: ``d_bar^T P d_bar`` with ``d_bar`` the mean residual block.

    Parameters
    ----------
    residuals : numpy.ndarray
        The clip's residuals ``[n_windows, frames, n_mels]`` (or any shape ending in ``n_mels``).
    precision : numpy.ndarray
        ``[n_mels, n_mels]`` inverse residual covariance.
    """
    n_mels = precision.shape[0]
    mean = np.asarray(residuals, dtype=np.float64).reshape(-1, n_mels).mean(axis=0)
    return float(mean @ precision @ mean)


def bottleneck_layer(model):
    """The autoencoder's code layer: the last layer whose output is the narrowest (the 8-unit bottleneck)."""
    import keras

    candidates = [
        layer
        for layer in model.layers
        if not isinstance(layer, keras.layers.InputLayer) and layer is not model.layers[-1]
    ]
    width = min(layer.output.shape[-1] for layer in candidates)
    return [layer for layer in candidates if layer.output.shape[-1] == width][-1]


class Autoencoder(DetectorBase):
    """The DCASE 2020 and MIMII baselines: stacked-frame vectors reconstructed by a Dense autoencoder.

    Training reads batches of ``frames``-frame windows (every ``model.hop`` frames; 1 in both baselines) from
    the unit's log-mels (:class:`asdlens.models.inputs.WindowBatches`): the validation part is the tail of the
    sorted training vectors, the training part is shuffled every epoch from the seed. Scores (``scoring``):

    - ``default``: the per-vector mean squared errors of every vector of the clip (one batch), aggregated by
      ``scoring.aggregate`` (the official score is the mean);
    - ``mahalanobis``: the DCASE 2023-2025 baseline's score (see the module docstring);
    - embedding back-ends: on the clip's mean bottleneck code (unit length).
    """

    family = "autoencoder"

    def __init__(self, settings: dict[str, Any], model=None, reference=None, covariance=None):
        super().__init__(settings, model, reference)
        self.input_dim = self.n_mels * self.frames
        self.aggregate = self.scoring["aggregate"]
        self.covariance = covariance
        self._predict = None
        self._predict_code = None
        self._precision = None

    def fit(self, train: ClipSet, *, seed: int, on_epoch_end: Callable | None = None) -> dict:
        import keras

        from .autoencoders import build_model
        from .inputs import WindowBatches
        from .training import compile_and_fit, make_deterministic

        t = self.training
        win = windows(train, self.frames, self.params["hop"])
        if len(win) == 0:
            raise ValueError(f"no training vectors: every clip is shorter than frames={self.frames}")
        fit_part, val_part = win.split(t["validation_split"])
        if t["validation_split"] > 0 and (len(val_part) == 0 or len(fit_part) == 0):
            raise ValueError(
                f"validation_split={t['validation_split']} leaves {len(val_part)} of {len(win)} training vectors "
                "for validation; use more training clips or another split"
            )
        batch = int(t["batch_size"])
        keras.backend.clear_session()
        make_deterministic(seed)
        self.model = build_model(self.name, self.input_dim)
        shuffled = WindowBatches(
            train, win.starts[fit_part], self.frames, batch_size=batch, seed=seed, shuffle=t["shuffle"]
        )
        val = None
        if len(val_part):
            val = WindowBatches(train, win.starts[val_part], self.frames, batch_size=batch, shuffle=False)
        history = compile_and_fit(
            self.model,
            shuffled,
            validation=val,
            epochs=t["epochs"],
            learning_rate=t["learning_rate"],
            on_epoch_end=on_epoch_end,
        )
        # What the other back-ends need, kept with the model so that scoring never retrains.
        starts = win.starts[fit_part]
        order = epoch_order(len(starts), seed, int(t["epochs"]), t["shuffle"])
        self.covariance = residual_covariance(
            (
                self._residuals(gather(train, starts[order[i : i + batch]], self.frames))
                for i in range(0, len(order), batch)
            ),
            self.n_mels,
        )
        self.reference = self.training_embeddings(train)
        return {"n_clips": train.n_clips, "n_vectors": len(win), "history": history}

    def errors(self, clips: ClipSet, i: int) -> np.ndarray:
        """Per-vector mean squared reconstruction errors of clip ``i`` (float64)."""
        x = self.windows_of(clips, i, 1).reshape(-1, self.input_dim)
        predicted = np.asarray(self._predictor()(x), dtype=np.float64)
        return np.mean(np.square(x.astype(np.float64) - predicted), axis=1)

    def _window_scores(self, clips: ClipSet, i: int) -> np.ndarray:
        return self.errors(clips, i)

    def _clip_score(self, clips: ClipSet, i: int) -> float:
        if self.scoring["backend"] != "mahalanobis":
            return super()._clip_score(clips, i)
        if self._precision is None:
            if self.covariance is None:
                raise ValueError(
                    "this autoencoder kept no residual covariance: fit it (or load a fitted one) first"
                )
            self._precision = np.linalg.inv(self.covariance)
        return residual_mahalanobis(self._residuals(self.windows_of(clips, i, 1)), self._precision)

    def _residuals(self, x: np.ndarray) -> np.ndarray:
        """``x - x_hat`` of windows ``[n, frames, n_mels]`` as ``[n, input_dim]`` float64."""
        x = np.asarray(x).reshape(len(x), self.input_dim)
        return x.astype(np.float64) - np.asarray(self._predictor()(x), dtype=np.float64)

    def _clip_embedding(self, clips: ClipSet, i: int) -> np.ndarray:
        x = self.windows_of(clips, i, self.params["hop"]).reshape(-1, self.input_dim)
        return mean_unit(self._coder()(x))

    def _predictor(self):
        """The model as one traced function of a ``[n, input_dim]`` batch (one trace for every clip)."""
        if self._predict is None:
            import tensorflow as tf

            model = self.model
            fn = tf.function(
                lambda x: model(x, training=False),
                input_signature=[tf.TensorSpec([None, self.input_dim], tf.float32)],
            )
            self._predict = lambda x: fn(np.ascontiguousarray(x, dtype=np.float32)).numpy()
        return self._predict

    def _coder(self):
        """The bottleneck code of a ``[n, input_dim]`` batch, traced once."""
        if self._predict_code is None:
            import keras
            import tensorflow as tf

            coder = keras.Model(self.model.inputs, bottleneck_layer(self.model).output)
            fn = tf.function(
                lambda x: coder(x, training=False),
                input_signature=[tf.TensorSpec([None, self.input_dim], tf.float32)],
            )
            self._predict_code = lambda x: fn(np.ascontiguousarray(x, dtype=np.float32)).numpy()
        return self._predict_code

    def save(self, folder: Path) -> None:
        from .training import save_model

        folder = Path(folder)
        save_model(self.model, folder / "model.keras")
        if self.covariance is not None:
            np.save(folder / COVARIANCE_FILE, self.covariance)
        if self.reference is not None:
            self.reference.save(folder)

    @classmethod
    def load(cls, folder: Path, settings: dict[str, Any]) -> Autoencoder:
        from .training import load_model

        folder = Path(folder)
        covariance = np.load(folder / COVARIANCE_FILE) if (folder / COVARIANCE_FILE).is_file() else None
        reference = TrainingEmbeddings.load(folder) if (folder / "train_embeddings.npy").is_file() else None
        return cls(settings, load_model(folder / "model.keras"), reference, covariance)
