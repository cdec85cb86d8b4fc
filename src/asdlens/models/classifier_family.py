"""The DCASE 2021/2022 MobileNetV2 section classifier.

From the official baselines (y-kawagu/dcase2021_task2_baseline_mobile_net_v2 @ e2bb4f7 and
Kota-Dohi/dcase2022_task2_baseline_mobile_net_v2 @ aaf3932: ``baseline.yaml``, ``keras_model.py``,
``00_train.py``, ``01_test.py``): 64-frame x 128-mel log-mel patches, training patches every 8 frames
(``n_hop_frames``), the single channel repeated three times into ``keras.applications.MobileNetV2`` with
``alpha=0.5``, ``weights=None`` and a softmax over the machine type's sections (here: the unit's classes);
categorical cross-entropy, Adam with learning rate 1e-5, 20 epochs, batch 32, ``validation_split`` 0.1 (Keras:
the tail of the section-ordered training patches). A test clip's patches start at every frame; its score is the
mean over patches of ``log(1 - p) - log(p)``, ``p`` the softmax output of the clip's own section, each term
floored at machine epsilon (the 2022 code; the 2021 code misplaced a bracket and computed
``log((1 - p) - log(p))``, also increasing in ``1 - p``).

MobileNetV2 is built with an open number of rows (``input_shape=(None, n_mels, 3)``), which Keras accepts for
any ``n_mels`` (it asks for 32 rows when the size is given); the padding of its stride-2 layers is then the same
as for a fixed even size such as 64. Its five stride-2 stages need at least :data:`MIN_FRAMES` rows: a shorter
window (``explain`` walking from the autoencoder's 5 frames passes through one) is repeated along time up to
32 frames inside the network, which changes nothing for the baseline's 64. The classifier's embedding
(for the embedding back-ends) is the global-average-pooled output of the last convolution (1280 values),
averaged over the clip's patches at ``model.hop``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import numpy as np

from .base import ClassifierBase, class_targets, mean_unit, training_parts
from .samples import ClipSet, EpochOrders, windows
from .scorers import ClassConfidence

MIN_FRAMES = 32  # 2**5: MobileNetV2's stride-2 stages
EPS = sys.float_info.epsilon  # the baselines' floor inside the logs


def mobilenetv2_classifier(frames: int | None, n_mels: int, n_classes: int, *, alpha: float = 0.5):
    """The baseline's network: ``[batch, frames, n_mels]`` log-mel patches -> softmax over ``n_classes``.

    Layers named ``embedding`` (the pooled features) and ``predictions`` (the softmax) give the two outputs the
    detector reads. ``frames=None`` accepts any patch length.
    """
    import keras
    from keras import layers

    inputs = keras.Input(shape=(frames, n_mels), name="patches")
    h = layers.Reshape((-1, n_mels, 1))(inputs)
    if frames is not None and frames < MIN_FRAMES:
        reps = -(-MIN_FRAMES // frames)
        h = layers.Concatenate(axis=1)([h] * reps) if reps > 1 else h
        h = layers.Cropping2D(((0, reps * frames - MIN_FRAMES), (0, 0)))(h)
    h = layers.Concatenate()([h, h, h])  # the baselines repeat the single channel three times
    backbone = keras.applications.MobileNetV2(
        input_shape=(None, n_mels, 3), alpha=alpha, include_top=False, weights=None, pooling="avg"
    )
    h = layers.Identity(name="embedding")(backbone(h))
    outputs = layers.Dense(n_classes, activation="softmax", name="predictions")(h)
    return keras.Model(inputs, outputs, name="mobilenetv2_classifier")


class SectionClassifier(ClassifierBase):
    """MobileNetV2 trained to tell the unit's machine IDs (sections) apart; see the module docstring.

    Scores (``scoring.backend``): ``default`` = DCASE 2022's ``log(1 - p) - log(p)`` per patch; ``confidence`` =
    ``-log p`` per patch; both aggregated over every patch of the clip (hop 1) by ``scoring.aggregate``. The
    embedding back-ends score the clip's mean pooled feature.
    """

    family = "classifier"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._forward = None

    def fit(self, train: ClipSet, *, seed: int, on_epoch_end: Callable | None = None) -> dict:
        import keras

        from .inputs import WindowBatches
        from .training import compile_and_fit, make_deterministic

        t = self.training
        win = windows(train, self.frames, self.params["hop"])
        fit_part, val_part = training_parts(win, t, seed, frames=self.frames, what="patches")
        self.classes, targets = class_targets(train, win, f"a {self.name} classifier")
        batch = int(t["batch_size"])
        keras.backend.clear_session()
        make_deterministic(seed)
        self.model = mobilenetv2_classifier(
            self.frames, self.n_mels, len(self.classes), alpha=self.params["width"]
        )

        def batches(part, shuffle):
            orders = EpochOrders(len(win.starts[part]), seed, kind=self.framework["order"], shuffle=shuffle)
            return WindowBatches(train, win.starts[part], self.frames, batch_size=batch, targets=targets[part],
                                 flatten=False, orders=orders)  # fmt: skip

        history = compile_and_fit(
            self.model,
            batches(fit_part, t["shuffle"]),
            validation=batches(val_part, False) if len(val_part) else None,
            epochs=t["epochs"],
            options=self.compile_options("sparse_categorical_crossentropy"),
            on_epoch_end=on_epoch_end,
        )
        self.reference = self.training_embeddings(train)
        return {"n_clips": train.n_clips, "n_vectors": len(win), "classes": self.classes, "history": history}

    def _outputs(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pooled features and softmax of patches ``[n, frames, n_mels]`` (one traced function)."""
        if self._forward is None:
            import keras
            import tensorflow as tf

            both = keras.Model(
                self.model.inputs, [self.model.get_layer("embedding").output, self.model.output]
            )
            fn = tf.function(
                lambda x: both(x, training=False),
                input_signature=[tf.TensorSpec([None, self.frames, self.n_mels], tf.float32)],
            )

            def forward(x):
                emb, probs = fn(np.ascontiguousarray(x, dtype=np.float32))
                return emb.numpy(), probs.numpy()

            self._forward = forward
        return self._forward(x)

    def _window_scores(self, clips: ClipSet, i: int) -> np.ndarray:
        _, probs = self._outputs(self.windows_of(clips, i, 1))
        j = self.class_index(clips, i)
        if self.scoring["backend"] == "confidence":
            log_probs = np.log(np.maximum(probs.astype(np.float64), EPS))
            return ClassConfidence(j).fit(log_probs).anomaly_score(log_probs)
        p = probs[:, j].astype(np.float64)
        return np.log(np.maximum(1.0 - p, EPS)) - np.log(np.maximum(p, EPS))

    def _clip_embedding(self, clips: ClipSet, i: int) -> np.ndarray:
        emb, _ = self._outputs(self.windows_of(clips, i, self.params["hop"]))
        return mean_unit(emb)
