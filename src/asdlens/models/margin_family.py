"""The margin-loss embedding family: a CNN trained to tell machine IDs apart with ArcFace or sub-cluster AdaCos,
scored in its embedding space.

This is the recipe of the field's strong DCASE 2020 systems (STgram-MFN, sub-cluster AdaCos, dcase-asd-toolkit's
discriminative recipes): one network over the machine IDs of every type (``model.per: all``), the embedding of
a clip scored by a back-end fitted on its ID's training embeddings. What it trains on: windows of ``frames``
log-mel frames every ``model.hop`` frames, each labelled with its clip's class (machine type and ID), in a
seeded order that changes every epoch, optionally mixed in pairs (``model.mixup``; mixup with a uniform weight,
each sample with the batch's mirror image, as sub-cluster AdaCos mixes). A clip's embedding is the unit-length
mean of its windows' unit-length embeddings (windows every ``model.hop`` frames, for training and test clips
alike); its class log-probabilities (back-ends ``default`` / ``confidence``: ``-log p(ID)``) come from the same
windows through the head without margin, with the scale the head ended training with.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .base import ClassifierBase, class_targets, mean_unit, training_parts
from .samples import ClipSet, EpochOrders, windows
from .scorers import ClassConfidence, unit_rows


def mix_batch(x: np.ndarray, y: np.ndarray, mixup: float, key: tuple[int, int, int]):
    """Mixup of one batch: each sample with the batch's mirror image (``x[::-1]``), with probability ``mixup``
    and a uniform weight, labels alike; drawn from ``(seed, epoch, batch)`` = ``key``, so the same seed gives
    the same batches wherever the fit runs (and in either framework)."""
    if mixup <= 0 or len(x) <= 1:
        return x, y
    rng = np.random.default_rng([*(int(k) for k in key), 2020])
    weight = rng.random(len(x)).astype(np.float32)
    mixed = rng.random(len(x)) < mixup
    weight = np.where(mixed, weight, 1.0).astype(np.float32)
    x = weight[:, None, None] * x + (1.0 - weight[:, None, None]) * x[::-1]
    y = weight[:, None] * y + (1.0 - weight[:, None]) * y[::-1]
    return x, y


def labelled_batches(clips, starts, width, targets, n_classes, *, batch_size, mixup, orders):
    """A ``keras.utils.PyDataset`` of ``((x, y), y)`` batches: windows and one-hot (or mixed) labels
    (:func:`mix_batch`, keyed by the seed of ``orders``, an :class:`~asdlens.models.samples.EpochOrders`)."""
    from .inputs import WindowBatches

    class Labelled(WindowBatches):
        def __getitem__(self, i):
            x, t = super().__getitem__(i)
            x, y = mix_batch(x, np.eye(n_classes, dtype=np.float32)[t], mixup, (orders.seed, self.epoch, i))
            return (x, y), y

    return Labelled(
        clips, starts, width, batch_size=batch_size, targets=targets, flatten=False, orders=orders
    )


def band_statistics(clips: ClipSet) -> tuple[np.ndarray, np.ndarray]:
    """Per-mel mean and standard deviation of every frame of ``clips`` (float64, std floored at 1e-3)."""
    frames = clips.frames.astype(np.float64)
    return frames.mean(axis=0), np.maximum(frames.std(axis=0), 1e-3)


class MarginEmbedding(ClassifierBase):
    """A :mod:`~asdlens.models.backbones` network with an ArcFace or AdaCos head; see the module docstring."""

    family = "margin"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._embedder = None

    def build(self, n_classes: int, mean: np.ndarray, std: np.ndarray):
        """The training network: ``[windows, labels]`` -> class log-probabilities (labels used in training)."""
        import keras

        from .backbones import BACKBONES
        from .margin_layers import AdaCosHead, ArcFaceHead

        p = self.params
        backbone = BACKBONES[self.name](
            self.frames,
            self.n_mels,
            embedding_dim=p["embedding_dim"],
            width=p["width"],
            mean=mean,
            std=std,
            layers=self.layer_settings,
        )
        x = keras.Input(shape=(self.frames, self.n_mels), name="windows")
        y = keras.Input(shape=(n_classes,), name="labels")
        if p["loss"] == "arcface":
            head = ArcFaceHead(n_classes, margin=p["margin"], scale=p["scale"], name="head")
        else:
            head = AdaCosHead(n_classes, subclusters=p["subclusters"], name="head")
        return keras.Model([x, y], head([backbone(x), y]), name=self.name)

    def fit(self, train: ClipSet, *, seed: int, on_epoch_end: Callable | None = None) -> dict:
        t = self.training
        win = windows(train, self.frames, self.params["hop"])
        fit_part, val_part = training_parts(win, t, seed, frames=self.frames, what="windows")
        self.classes, targets = class_targets(
            train, win, f"a {self.name} model (model.per: all trains across every type)"
        )
        mean, std = band_statistics(train)
        stats = (mean.astype(np.float32), std.astype(np.float32))
        history = self._train(train, win, (fit_part, val_part), targets, stats, seed, on_epoch_end)
        self.reference = self.training_embeddings(train)
        return {
            "n_clips": train.n_clips,
            "n_vectors": len(win),
            "classes": self.classes,
            "scale": self.head_scale(),
            "history": history,
        }

    def _train(self, train: ClipSet, win, parts, targets, stats, seed: int, on_epoch_end) -> dict:
        """Build the network (band statistics ``stats``) and train it on the windows of ``parts`` (training,
        validation) labelled ``targets``; returns the history. The framework's hook (here Keras)."""
        import keras

        from .margin_layers import soft_cross_entropy
        from .training import compile_and_fit, make_deterministic

        t = self.training
        fit_part, val_part = parts
        keras.backend.clear_session()
        make_deterministic(seed)
        self.model = self.build(len(self.classes), *stats)

        def batches(part, shuffle, mixup):
            orders = EpochOrders(len(win.starts[part]), seed, kind=self.framework["order"], shuffle=shuffle)
            return labelled_batches(train, win.starts[part], self.frames, targets[part], len(self.classes),
                                    batch_size=int(t["batch_size"]), mixup=mixup, orders=orders)  # fmt: skip

        return compile_and_fit(
            self.model,
            batches(fit_part, t["shuffle"], self.params["mixup"]),
            validation=batches(val_part, False, 0.0) if len(val_part) else None,
            epochs=t["epochs"],
            options=self.compile_options(soft_cross_entropy),
            on_epoch_end=on_epoch_end,
        )

    def head_scale(self) -> float:
        head = self.model.get_layer("head")
        return float(np.asarray(head.scale)) if self.params["loss"] == "adacos" else float(head.scale)

    def head_centres(self) -> np.ndarray:
        """The head's class centres ``[embedding_dim, n_centres]`` (class-major sub-clusters)."""
        return np.asarray(self.model.get_layer("head").centres, dtype=np.float64)

    def _embeddings(self, x: np.ndarray) -> np.ndarray:
        """Embeddings of windows ``[n, frames, n_mels]`` (one traced function)."""
        if self._embedder is None:
            import tensorflow as tf

            backbone = self.model.get_layer("backbone")
            fn = tf.function(
                lambda x: backbone(x, training=False),
                input_signature=[tf.TensorSpec([None, self.frames, self.n_mels], tf.float32)],
            )
            self._embedder = lambda x: fn(np.ascontiguousarray(x, dtype=np.float32)).numpy()
        return self._embedder(x)

    def class_log_probs(self, embeddings: np.ndarray) -> np.ndarray:
        """Class log-probabilities ``[n, n_classes]`` of embeddings, through the head without margin."""
        centres = unit_rows(self.head_centres().T)  # [n_centres, d]
        logits = self.head_scale() * unit_rows(embeddings) @ centres.T
        log_p = logits - _logsumexp(logits, axis=1)[:, None]
        if self.params["loss"] == "adacos":
            k = self.params["subclusters"]
            log_p = _logsumexp(log_p.reshape(len(log_p), -1, k), axis=2)
        return log_p

    def _window_scores(self, clips: ClipSet, i: int) -> np.ndarray:
        j = self.class_index(clips, i)
        log_p = self.class_log_probs(self._embeddings(self.windows_of(clips, i, self.params["hop"])))
        return ClassConfidence(j).fit(log_p).anomaly_score(log_p)

    def _clip_embedding(self, clips: ClipSet, i: int) -> np.ndarray:
        return mean_unit(self._embeddings(self.windows_of(clips, i, self.params["hop"])))


def _logsumexp(a: np.ndarray, axis: int) -> np.ndarray:
    top = np.max(a, axis=axis, keepdims=True)
    return np.squeeze(top, axis) + np.log(np.sum(np.exp(a - top), axis=axis))
