"""The autoencoder family: the DCASE 2020-2025 and MIMII baselines, with the DCASE 2023-2025 baseline's selective
Mahalanobis score of the reconstruction residual (:mod:`asdlens.models.mahalanobis` says what the official code
computes and where asdlens differs in the last bits)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .base import DetectorBase, TrainingEmbeddings, mean_unit, training_parts
from .samples import ClipSet, EpochOrders, gather, windows

MAHALANOBIS_FILE = "mahalanobis.npz"


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
    """Stacked-frame vectors reconstructed by a Dense autoencoder.

    Training reads batches of ``frames``-frame windows (every ``model.hop`` frames; 1 in every baseline) from
    the unit's log-mels (:class:`asdlens.models.inputs.WindowBatches`): the validation part is the tail of the
    sorted training vectors (``training.validation_from: tail``) or a seeded random share (``random``), the
    training part is shuffled every epoch from the seed (:class:`~asdlens.models.samples.EpochOrders`, as
    ``training.order`` says). After the last epoch the fit keeps, beside the network, the residual covariances of
    :class:`~asdlens.models.mahalanobis.ResidualMahalanobis` (one more pass over the training part: in the last
    epoch's order, or with ``order: torch`` the next draw, as the official baseline's extra loader pass) and the
    training clips' embeddings, so one trained model serves every back-end. This class is the Keras
    implementation; :class:`asdlens.models.torch.families.TorchAutoencoder` replaces its network hooks
    (``_train``, ``_predictor``, ``_coder``, ``_save_network``, ``_load_network``). Scores (``scoring.backend``):

    - ``default``: the per-vector mean squared errors of every vector of the clip (one batch), aggregated by
      ``scoring.aggregate`` (the official score is the mean);
    - ``mahalanobis``: the DCASE 2023-2025 baseline's selective Mahalanobis value of the clip's residuals;
    - embedding back-ends: on the clip's mean bottleneck code (unit length).
    """

    family = "autoencoder"

    def __init__(self, settings: dict[str, Any], model=None, reference=None, residual_backend=None):
        super().__init__(settings, model, reference)
        self.input_dim = self.n_mels * self.frames
        self.residual_backend = residual_backend
        self._predict = None
        self._predict_code = None

    def fit(self, train: ClipSet, *, seed: int, on_epoch_end: Callable | None = None) -> dict:
        t = self.training
        win = windows(train, self.frames, self.params["hop"])
        fit_part, val_part = training_parts(win, t, seed, frames=self.frames, what="vectors")
        orders = EpochOrders(len(fit_part), seed, kind=self.framework["order"], shuffle=t["shuffle"])
        started = time.perf_counter()
        history = self._train(train, win, (fit_part, val_part), orders, seed, on_epoch_end)
        info = {
            "n_clips": train.n_clips,
            "n_vectors": len(win),
            "n_train_vectors": len(fit_part),
            "history": history,
            "train_seconds": time.perf_counter() - started,  # all epochs, the first one's tracing included
        }
        order = orders.after_training(int(t["epochs"]))
        try:
            self.residual_backend = self.fit_mahalanobis(train, win, fit_part[order], int(t["batch_size"]))
        except ValueError as exc:
            if self.scoring["backend"] == "mahalanobis":
                raise
            info["mahalanobis"] = {"error": str(exc)}  # the other back-ends do not need it
        else:
            info["mahalanobis"] = {f"n_{d}": n for d, n in self.residual_backend.counts_.items()}
        self.reference = self.training_embeddings(train)
        return info

    def _train(self, train: ClipSet, win, parts, orders, seed: int, on_epoch_end) -> dict:
        """Build the network and train it on the windows ``win.starts[parts[0]]`` in the order ``orders``
        (validation on ``parts[1]``); returns the history. The framework's hook (here Keras)."""
        import keras

        from .autoencoders import build_model
        from .inputs import WindowBatches
        from .training import compile_and_fit, make_deterministic

        t = self.training
        fit_part, val_part = parts
        batch = int(t["batch_size"])
        keras.backend.clear_session()
        make_deterministic(seed)
        if self.settings["model"].get("builder"):
            from .user_builder import build_user_network

            self.model = build_user_network(self.settings, self.input_dim, block_size=self.n_mels)
        else:
            self.model = build_model(self.name, self.input_dim, layers=self.layer_settings)
        shuffled = WindowBatches(train, win.starts[fit_part], self.frames, batch_size=batch,
                                 orders=orders)  # fmt: skip
        val = None
        if len(val_part):
            val = WindowBatches(train, win.starts[val_part], self.frames, batch_size=batch)
        history = compile_and_fit(
            self.model, shuffled, validation=val, epochs=t["epochs"], options=self.compile_options(),
            on_epoch_end=on_epoch_end,
        )  # fmt: skip
        return history

    def fit_mahalanobis(self, train: ClipSet, win, samples: np.ndarray, batch_size: int):
        """The residual covariances of the trained model over the training part, batch by batch in the order
        of ``samples`` (the baseline's extra pass after the last epoch)."""
        from .mahalanobis import ResidualMahalanobis

        backend = ResidualMahalanobis(self.n_mels)
        domains = [m.get("domain") for m in train.meta]
        # One forward pass per chunk, the covariance summed batch by batch. The chunk bounds memory: its windows,
        # outputs and float64 residuals take about 32 bytes x input_dim per window (4,096 windows of 640: 84 MB).
        chunk = batch_size * 8
        for start in range(0, len(samples), chunk):
            part = samples[start : start + chunk]
            residuals = self._residuals(gather(train, win.starts[part], self.frames))
            owners = win.clip_index[part]
            for b in range(0, len(part), batch_size):
                backend.partial_fit(
                    residuals[b : b + batch_size], [domains[i] for i in owners[b : b + batch_size]]
                )
        return backend.finalize()

    def errors(self, clips: ClipSet, i: int) -> np.ndarray:
        """Per-vector mean squared reconstruction errors of clip ``i`` (float64)."""
        return np.mean(np.square(self._residuals(self.windows_of(clips, i, 1))), axis=1)

    def _window_scores(self, clips: ClipSet, i: int) -> np.ndarray:
        return self.errors(clips, i)

    def _clip_score(self, clips: ClipSet, i: int) -> float:
        if self.scoring["backend"] != "mahalanobis":
            return super()._clip_score(clips, i)
        if self.residual_backend is None:
            raise ValueError(
                "scoring.backend=mahalanobis needs the residual covariances fit with the model; this model has "
                "none (its fit could not compute them: see the model's info)"
            )
        return self.residual_backend.score(self._residuals(self.windows_of(clips, i, 1)))

    def _residuals(self, x: np.ndarray) -> np.ndarray:
        """``x - x_hat`` of windows ``[n, frames, n_mels]`` as ``[n, input_dim]`` float64."""
        x = np.asarray(x).reshape(len(x), self.input_dim)
        return x.astype(np.float64) - np.asarray(self._predictor()(x), dtype=np.float64)

    def _clip_embedding(self, clips: ClipSet, i: int) -> np.ndarray:
        x = self.windows_of(clips, i, self.params["hop"]).reshape(-1, self.input_dim)
        return mean_unit(self._coder()(x))

    def _traced(self, model):
        """``model`` as one traced function of a ``[n, input_dim]`` batch (one trace for every clip)."""
        import tensorflow as tf

        fn = tf.function(
            lambda x: model(x, training=False),
            input_signature=[tf.TensorSpec([None, self.input_dim], tf.float32)],
        )
        return lambda x: fn(np.ascontiguousarray(x, dtype=np.float32)).numpy()

    def _predictor(self):
        if self._predict is None:
            self._predict = self._traced(self.model)
        return self._predict

    def _coder(self):
        """The bottleneck code of a ``[n, input_dim]`` batch."""
        if self._predict_code is None:
            import keras

            self._predict_code = self._traced(
                keras.Model(self.model.inputs, bottleneck_layer(self.model).output)
            )
        return self._predict_code

    def save(self, folder: Path) -> None:
        folder = Path(folder)
        self._save_network(folder)
        if self.residual_backend is not None:
            self.residual_backend.save(folder / MAHALANOBIS_FILE)
        if self.reference is not None:
            self.reference.save(folder)

    def _save_network(self, folder: Path) -> None:
        from .training import save_model

        save_model(self.model, folder / "model.keras")

    @classmethod
    def _load_network(cls, folder: Path, settings: dict[str, Any]):
        from .training import load_model

        return load_model(folder / "model.keras")

    @classmethod
    def load(cls, folder: Path, settings: dict[str, Any]) -> Autoencoder:
        from .mahalanobis import ResidualMahalanobis

        folder = Path(folder)
        backend = (
            ResidualMahalanobis.load(folder / MAHALANOBIS_FILE)
            if (folder / MAHALANOBIS_FILE).is_file()
            else None
        )
        reference = TrainingEmbeddings.load(folder) if (folder / "train_embeddings.npy").is_file() else None
        return cls(settings, cls._load_network(folder, settings), reference, backend)
