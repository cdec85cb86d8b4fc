"""Margin-loss heads in Keras 3: ArcFace and (sub-cluster) AdaCos, and the soft-label loss they train with.

Both heads compare the L2-normalised embedding with L2-normalised class centres (a weight matrix) and return
class *log-probabilities* ``[batch, n_classes]``, so one loss serves both: ``-sum(y * log p)`` with ``y`` a
one-hot or mixup-mixed label. During training the head also takes the labels (``[embedding, labels]``); at
inference the labels are ignored and no margin is applied.

- ArcFace (Deng et al., CVPR 2019): the target class's logit is ``s * cos(theta + m)``. Past
  ``theta = pi - m`` the function stops decreasing, so there the usual linear stand-in
  ``cos(theta) - m * sin(pi - m)`` is used (as insightface does). With a mixed label ``y`` each class's cosine is
  ``y_k * cos(theta_k + m) + (1 - y_k) * cos(theta_k)``: the margin in proportion to the class's share.
- AdaCos (Zhang et al., CVPR 2019) with sub-clusters (Wilkinghoff, IJCNN 2021): ``K`` centres per class; the
  class probability is the sum of its centres' softmax probabilities; the scale is not learned but set at
  every training step to ``log(B_avg) / cos(min(pi/4, theta_med))``, with ``B_avg`` the batch mean of
  ``sum exp(s * cos)`` over each sample's *non-target* centres and ``theta_med`` the median angle of each sample
  to the nearest centre of its own class(es). Zhang et al. sum over the non-target classes only; the sub-cluster
  AdaCos code sums over all centres, target included, and then once the median target angle falls below pi/4 the
  target term dominates and each step multiplies the scale by about ``cos(theta) / cos(pi/4) > 1``: the
  scale blow-up its author reports. The scale starts at ``sqrt(2) * log(n_centres - 1)`` (both papers), with
  at least 2 in the log for tiny class counts.
"""

from __future__ import annotations

import math

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="asdlens")
def soft_cross_entropy(y_true, log_probs):
    """``-sum(y_true * log_probs)`` per sample: cross-entropy with one-hot or mixed labels."""
    return -ops.sum(ops.cast(y_true, log_probs.dtype) * log_probs, axis=-1)


def _unit(x, axis):
    return x / ops.maximum(ops.sqrt(ops.sum(ops.square(x), axis=axis, keepdims=True)), 1e-12)


class _CosineHead(keras.layers.Layer):
    """Centres ``[embedding_dim, n_centres]`` and the cosines between embeddings and centres."""

    def __init__(self, n_classes: int, n_centres: int, **kwargs):
        super().__init__(**kwargs)
        self.n_classes = int(n_classes)
        self.n_centres = int(n_centres)

    def build(self, input_shape):
        dim = input_shape[0][-1]
        self.centres = self.add_weight(
            name="centres", shape=(dim, self.n_centres), initializer="glorot_uniform", trainable=True
        )

    def cosines(self, embedding):
        return ops.matmul(_unit(embedding, -1), _unit(self.centres, 0))

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], self.n_classes)


@keras.saving.register_keras_serializable(package="asdlens")
class ArcFaceHead(_CosineHead):
    """Class log-probabilities with ArcFace's additive angular margin (training only).

    Parameters
    ----------
    n_classes : int
    margin : float
        Angular margin in radians.
    scale : float
    """

    def __init__(self, n_classes: int, margin: float = 0.5, scale: float = 30.0, **kwargs):
        super().__init__(n_classes, n_classes, **kwargs)
        self.margin = float(margin)
        self.scale = float(scale)

    def call(self, inputs, training=False):
        embedding, labels = inputs
        cos = self.cosines(embedding)
        if training:
            m = self.margin
            c = ops.clip(cos, -1.0 + 1e-7, 1.0 - 1e-7)
            shifted = c * math.cos(m) - ops.sqrt(1.0 - c * c) * math.sin(m)
            shifted = ops.where(c > math.cos(math.pi - m), shifted, c - m * math.sin(math.pi - m))
            y = ops.cast(labels, cos.dtype)
            cos = y * shifted + (1.0 - y) * cos
        return ops.log_softmax(self.scale * cos, axis=-1)

    def get_config(self):
        return {
            **super().get_config(),
            "n_classes": self.n_classes,
            "margin": self.margin,
            "scale": self.scale,
        }


@keras.saving.register_keras_serializable(package="asdlens")
class AdaCosHead(_CosineHead):
    """Class log-probabilities of sub-cluster AdaCos (``subclusters=1``: AdaCos); the scale adapts in training.

    Parameters
    ----------
    n_classes : int
    subclusters : int
        Centres per class.
    """

    def __init__(self, n_classes: int, subclusters: int = 1, **kwargs):
        super().__init__(n_classes, n_classes * int(subclusters), **kwargs)
        self.subclusters = int(subclusters)

    def initial_scale(self) -> float:
        return math.sqrt(2.0) * math.log(max(self.n_centres - 1, 2))

    def build(self, input_shape):
        super().build(input_shape)
        self.scale = self.add_weight(
            name="scale",
            shape=(),
            initializer=keras.initializers.Constant(self.initial_scale()),
            trainable=False,
        )

    def call(self, inputs, training=False):
        embedding, labels = inputs
        cos = self.cosines(embedding)  # [b, C*K], class-major: centres of class c are c*K ... c*K + K - 1
        scale = ops.convert_to_tensor(self.scale)
        if training:
            target = ops.repeat(ops.cast(labels, cos.dtype), self.subclusters, axis=1) > 0
            cos_sg = ops.stop_gradient(cos)
            others = ops.where(target, -math.inf, scale * cos_sg)
            per_sample = ops.logsumexp(others, axis=1)  # log sum over non-target centres
            log_b = ops.logsumexp(per_sample) - ops.log(ops.cast(ops.shape(per_sample)[0], cos.dtype))
            theta = ops.arccos(ops.clip(cos_sg, -1.0 + 1e-7, 1.0 - 1e-7))
            nearest = ops.min(ops.where(target, theta, math.inf), axis=1)
            median = ops.quantile(nearest, 0.5)
            new = log_b / ops.cos(ops.minimum(math.pi / 4, median))
            scale = ops.where(ops.isfinite(new) & (new > 0), new, scale)
            self.scale.assign(scale)
        log_p = ops.log_softmax(scale * cos, axis=-1)
        log_p = ops.reshape(log_p, (-1, self.n_classes, self.subclusters))
        return ops.logsumexp(log_p, axis=-1)

    def get_config(self):
        return {**super().get_config(), "n_classes": self.n_classes, "subclusters": self.subclusters}
