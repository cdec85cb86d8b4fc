"""The detector interface the runner and the job engine know, and the autoencoder family.

A detector is built from plain settings (the experiment's ``model``, ``training``, ``scoring`` sections,
``frames`` and ``n_mels``), then

- ``fit(train, seed=..., on_epoch_end=...) -> info``: learns from a unit's training clips (a
  :class:`~asdlens.models.samples.ClipSet` whose ``meta`` carries each clip's machine type, ID or section,
  domain and attributes); ``info`` is JSON-able (sample counts, the loss history);
- ``score(clips) -> scores``: one anomaly score per clip (higher is more anomalous), computed clip by clip so a
  clip's score cannot depend on which clips it was scored with;
- ``save(folder)`` / ``load(folder, settings)``: the files of a trained detector (what the cache keeps).

Families that have an embedding also expose ``embed(clips)``. :func:`make_detector` picks the family from
``model.name`` (:data:`MODEL_FAMILY`); a new family registers its class in :data:`FAMILIES` and needs nothing
else from the runner.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from .samples import ClipSet, clip_windows, epoch_order, windows


class Detector(Protocol):
    def fit(self, train: ClipSet, *, seed: int, on_epoch_end: Callable | None = None) -> dict: ...
    def score(self, clips: ClipSet) -> np.ndarray: ...
    def save(self, folder: Path) -> None: ...


class Autoencoder:
    """The DCASE 2020-2025 and MIMII baselines: stacked-frame vectors reconstructed by a Dense autoencoder.

    Training reads batches of ``frames``-frame windows from the unit's log-mels
    (:class:`asdlens.models.inputs.WindowBatches`): the validation part is the tail of the sorted training
    vectors (``training.validation_from: tail``) or a seeded random share of them (``random``), the training
    part is shuffled every epoch from the seed. A clip's score aggregates the per-vector mean squared errors of
    its vectors (``scoring.aggregate``; the official one is the mean), the clip's vectors forming one batch;
    with ``scoring.backend: mahalanobis`` the fit also keeps the residual covariances of
    :class:`asdlens.models.mahalanobis.ResidualMahalanobis` and a clip's score is its selective Mahalanobis
    value.
    """

    family = "autoencoder"

    def __init__(self, settings: dict[str, Any], model=None):
        self.settings = settings
        self.name = settings["model"]["name"]
        self.frames = int(settings["frames"])
        self.input_dim = int(settings["n_mels"]) * self.frames
        self.training = settings["training"]
        self.aggregate = settings["scoring"]["aggregate"]
        self.backend = settings["scoring"].get("backend", "mse")
        self.model = model
        self.residual_backend = None  # ResidualMahalanobis when scoring.backend is "mahalanobis"
        self._predict = None

    def fit(self, train: ClipSet, *, seed: int, on_epoch_end: Callable | None = None) -> dict:
        import keras

        from .autoencoders import build_model
        from .inputs import WindowBatches
        from .training import compile_and_fit, make_deterministic

        t = self.training
        win = windows(train, self.frames)
        if len(win) == 0:
            raise ValueError(f"no training vectors: every clip is shorter than frames={self.frames}")
        fit_part, val_part = validation_parts(win, t, seed)
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
        started = time.perf_counter()
        history = compile_and_fit(
            self.model,
            shuffled,
            validation=val,
            epochs=t["epochs"],
            learning_rate=t["learning_rate"],
            on_epoch_end=on_epoch_end,
        )
        info = {
            "n_clips": train.n_clips,
            "n_vectors": len(win),
            "n_train_vectors": len(fit_part),
            "history": history,
            "train_seconds": time.perf_counter() - started,  # all epochs, the first one's tracing included
        }
        # Clips with domains (DCASE 2021-2025) always get the covariances, so one entry serves both back-ends
        # (see Experiment.fit_scoring, which keys the model accordingly).
        if self.backend == "mahalanobis" or any(m.get("domain") is not None for m in train.meta):
            order = epoch_order(len(fit_part), seed, int(t["epochs"]), t["shuffle"])
            try:
                self.residual_backend = self.fit_mahalanobis(train, win, fit_part[order], batch)
            except ValueError as exc:
                if self.backend == "mahalanobis":
                    raise
                info["mahalanobis"] = {"error": str(exc)}  # MSE scoring does not need it
            else:
                info["mahalanobis"] = {f"n_{d}": n for d, n in self.residual_backend.counts_.items()}
        return info

    def fit_mahalanobis(self, train: ClipSet, win, samples: np.ndarray, batch_size: int):
        """The residual covariances of the trained model over the training part, batch by batch in the order
        of ``samples`` (the baseline's extra pass after the last epoch: :mod:`asdlens.models.mahalanobis`)."""
        from .mahalanobis import ResidualMahalanobis
        from .samples import gather

        backend = ResidualMahalanobis(self.input_dim // self.frames)
        domains = [m.get("domain") for m in train.meta]
        chunk = batch_size * 64  # one forward pass per chunk; the covariance still sums batch by batch
        for start in range(0, len(samples), chunk):
            part = samples[start : start + chunk]
            x = gather(train, win.starts[part], self.frames).reshape(len(part), self.input_dim)
            residuals = x.astype(np.float64) - np.asarray(self._predictor()(x), dtype=np.float64)
            owners = win.clip_index[part]
            for b in range(0, len(part), batch_size):
                backend.partial_fit(
                    residuals[b : b + batch_size], [domains[i] for i in owners[b : b + batch_size]]
                )
        return backend.finalize()

    def errors(self, clips: ClipSet, i: int) -> np.ndarray:
        """Per-vector mean squared reconstruction errors of clip ``i`` (float64)."""
        return np.mean(np.square(self.residuals(clips, i)), axis=1)

    def residuals(self, clips: ClipSet, i: int) -> np.ndarray:
        """``x - reconstruction`` of every vector of clip ``i``: ``[n_vectors, input_dim]`` float64."""
        x = clip_windows(clips, i, self.frames).reshape(-1, self.input_dim)
        if not len(x):
            raise ValueError(f"clip {i} has fewer than frames={self.frames} frames: it cannot be scored")
        return x.astype(np.float64) - np.asarray(self._predictor()(x), dtype=np.float64)

    def score(self, clips: ClipSet) -> np.ndarray:
        from ..evaluate.scores import clip_score

        if self.backend == "mahalanobis":
            if self.residual_backend is None:
                raise ValueError("scoring.backend=mahalanobis needs the covariances fit with the model")
            return np.array(
                [self.residual_backend.score(self.residuals(clips, i)) for i in range(clips.n_clips)]
            )
        return np.array(
            [clip_score(self.errors(clips, i), aggregate=self.aggregate) for i in range(clips.n_clips)]
        )

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

    def save(self, folder: Path) -> None:
        from .training import save_model

        save_model(self.model, Path(folder) / "model.keras")
        if self.residual_backend is not None:
            self.residual_backend.save(Path(folder) / MAHALANOBIS_FILE)

    @classmethod
    def load(cls, folder: Path, settings: dict[str, Any]) -> Autoencoder:
        from .training import load_model

        out = cls(settings, load_model(Path(folder) / "model.keras"))
        if out.backend == "mahalanobis":
            from .mahalanobis import ResidualMahalanobis

            path = Path(folder) / MAHALANOBIS_FILE
            if not path.is_file():
                raise ValueError(
                    f"{folder}: scoring.backend=mahalanobis, but this model has no residual covariances (its fit "
                    "could not compute them: see the model's info)"
                )
            out.residual_backend = ResidualMahalanobis.load(path)
        return out


MAHALANOBIS_FILE = "mahalanobis.npz"


def validation_parts(win, training: dict[str, Any], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Sample numbers of the training and validation parts, as ``training.validation_from`` says.

    ``tail``: the last ``validation_split`` share (Keras). ``random``: the DCASE 2023-2025 baseline's
    ``train_test_split(range(n), test_size=validation_split)`` after ``np.random.seed(seed)``; sklearn draws one
    permutation from that generator, the first ``ceil(validation_split * n)`` numbers of it are validation.
    """
    split = training["validation_split"]
    if training.get("validation_from", "tail") == "tail" or split == 0:
        return win.split(split)
    from sklearn.model_selection import train_test_split

    fit_part, val_part = train_test_split(
        np.arange(len(win)), test_size=split, random_state=np.random.RandomState(int(seed))
    )
    return np.asarray(fit_part, np.int64), np.asarray(val_part, np.int64)


#: Detector classes by family, and the family of each ``model.name``.
FAMILIES: dict[str, type] = {"autoencoder": Autoencoder}
MODEL_FAMILY = {"dcase2020_autoencoder": "autoencoder", "mimii_autoencoder": "autoencoder"}


def detector_class(settings: dict[str, Any]) -> type:
    name = settings["model"]["name"]
    if name not in MODEL_FAMILY:
        raise ValueError(f"model.name={name!r} is not allowed; choose one of {sorted(MODEL_FAMILY)}")
    return FAMILIES[MODEL_FAMILY[name]]


def make_detector(settings: dict[str, Any]) -> Detector:
    """An untrained detector for ``settings`` (``model``, ``training``, ``scoring``, ``frames``, ``n_mels``)."""
    return detector_class(settings)(settings)


def load_detector(folder: str | Path, settings: dict[str, Any]) -> Detector:
    """A trained detector from the files its ``save`` wrote into ``folder``."""
    return detector_class(settings).load(Path(folder), settings)
