"""The framework settings (:mod:`asdlens.models.frameworks`) in Keras 3: torch's initialisation, BatchNorm in
torch's running-variance convention, Adam in torch's form, and the loss reductions.

With every setting at Keras's own default nothing here is used: the layers, the optimizer and the loss are
built exactly as before these settings existed (so the weights of every earlier Keras run are unchanged).

- ``init: torch``: ``nn.Linear`` / ``nn.Conv2d``'s ``reset_parameters`` (torch 2.x ``torch/nn/modules/linear.py``,
  ``conv.py``): weights kaiming-uniform with ``a = sqrt(5)``, i.e. U(+-1/sqrt(fan_in)), which is Keras's
  ``VarianceScaling(scale=1/3, mode="fan_in", distribution="uniform")`` when both count ``fan_in`` alike; biases
  U(+-1/sqrt(fan_in)). A depthwise kernel's torch ``fan_in`` is its ``kh * kw`` (one input channel per
  filter), Keras counts ``kh * kw * channels``: the scale is corrected for it. ``nn.PReLU`` starts at 0.25.
- ``batchnorm_variance: unbiased``: :class:`TorchBatchNormalization` averages ``n / (n - 1)`` times the batch
  variance into the moving variance, as ``nn.BatchNorm*d`` does; both normalise the batch by its biased
  variance. The momentum converts as ``keras momentum = 1 - batchnorm_momentum``.
- Adam: :class:`SettingsAdam` adds epsilon to ``sqrt(v_hat)`` (``adam_eps_on: v_hat``, torch's
  ``torch/optim/adam.py``) instead of Keras's ``sqrt(v)``, and adds ``weight_decay * w`` to the gradient
  (torch Adam's coupled L2; Keras's own ``weight_decay`` is decoupled, AdamW-style, and is not used).
- ``loss_reduction: sum``: the batch's sum of every value's loss (torch ``reduction="sum"``) instead of the mean.
"""

from __future__ import annotations

import math

import keras
from keras import ops

from .frameworks import LayerSettings, OptimizerSettings


def torch_kernel_init(*, depthwise_channels: int | None = None):
    """A Keras initializer drawing torch's default weights (``depthwise_channels``: a depthwise kernel's)."""
    scale = 1.0 / 3.0 if depthwise_channels is None else depthwise_channels / 3.0
    return keras.initializers.VarianceScaling(scale=scale, mode="fan_in", distribution="uniform")


def torch_bias_init(fan_in: int):
    bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    return keras.initializers.RandomUniform(-bound, bound)


def dense_options(layers: LayerSettings | None, fan_in: int, *, use_bias: bool = True) -> dict:
    """Keyword arguments of a ``Dense`` layer for ``layers``'s initialisation (none for Keras's own)."""
    if layers is None or layers.init == "keras":
        return {}
    out = {"kernel_initializer": torch_kernel_init()}
    if use_bias:
        out["bias_initializer"] = torch_bias_init(fan_in)
    return out


def conv_options(layers: LayerSettings | None, *, depthwise_channels: int | None = None) -> dict:
    """Keyword arguments of a bias-free convolution (``Conv2D`` / ``DepthwiseConv2D``) for ``layers``'s init."""
    if layers is None or layers.init == "keras":
        return {}
    key = "depthwise_initializer" if depthwise_channels is not None else "kernel_initializer"
    return {key: torch_kernel_init(depthwise_channels=depthwise_channels)}


def prelu_options(layers: LayerSettings | None) -> dict:
    if layers is None or layers.init == "keras":
        return {}
    return {"alpha_initializer": keras.initializers.Constant(0.25)}


def batchnorm(layers: LayerSettings | None, **kwargs):
    """A BatchNormalization layer in ``layers``'s convention (Keras's own layer for Keras's defaults)."""
    own = (layers.batchnorm_momentum, layers.batchnorm_eps, layers.batchnorm_variance) if layers else None
    if own is None or own == (0.01, 1e-3, "biased"):
        return keras.layers.BatchNormalization(**kwargs)
    cls = (
        TorchBatchNormalization
        if layers.batchnorm_variance == "unbiased"
        else keras.layers.BatchNormalization
    )
    return cls(momentum=1.0 - layers.batchnorm_momentum, epsilon=layers.batchnorm_eps, **kwargs)


@keras.saving.register_keras_serializable(package="asdlens")
class TorchBatchNormalization(keras.layers.BatchNormalization):
    """BatchNormalization whose moving variance averages the *unbiased* batch variance (torch's ``running_var``).

    Training batches are normalised by their biased variance, as in Keras and torch; only the running average
    differs. Masks and batch renormalisation are not supported (the layer is asdlens's own).
    """

    def call(self, inputs, training=None, mask=None):
        if not (training and self.trainable) or mask is not None or self.renorm:
            return super().call(inputs, training=training, mask=mask)
        x = ops.cast(inputs, "float32")
        mean, variance = self._moments(x, None)
        n = ops.cast(ops.size(x), x.dtype) / ops.cast(ops.shape(x)[self.axis], x.dtype)
        unbiased = variance * n / ops.maximum(n - 1.0, 1.0)
        self.moving_mean.assign(self.moving_mean * self.momentum + mean * (1.0 - self.momentum))
        self.moving_variance.assign(self.moving_variance * self.momentum + unbiased * (1.0 - self.momentum))
        outputs = ops.batch_normalization(
            x, mean, variance, axis=self.axis, offset=self.beta, scale=self.gamma, epsilon=self.epsilon
        )
        return ops.cast(outputs, self.compute_dtype)


@keras.saving.register_keras_serializable(package="asdlens")
class SettingsAdam(keras.optimizers.Adam):
    """Keras's Adam with torch's placement of epsilon (``eps_on="v_hat"``) and torch's coupled weight decay.

    ``eps_on="v"`` with ``coupled_weight_decay=0`` is Keras's own update (its ``update_step`` is called).
    """

    def __init__(self, *args, eps_on: str = "v", coupled_weight_decay: float = 0.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.eps_on = eps_on
        self.coupled_weight_decay = float(coupled_weight_decay)

    def update_step(self, gradient, variable, learning_rate):
        if self.coupled_weight_decay:
            gradient = ops.add(ops.cast(gradient, variable.dtype), self.coupled_weight_decay * variable)
        if self.eps_on == "v":
            return super().update_step(gradient, variable, learning_rate)
        lr = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        step = ops.cast(self.iterations + 1, variable.dtype)
        correction1 = 1 - ops.power(ops.cast(self.beta_1, variable.dtype), step)
        correction2 = 1 - ops.power(ops.cast(self.beta_2, variable.dtype), step)
        m = self._momentums[self._get_variable_index(variable)]
        v = self._velocities[self._get_variable_index(variable)]
        self.assign_add(m, ops.multiply(ops.subtract(gradient, m), 1 - self.beta_1))
        self.assign_add(v, ops.multiply(ops.subtract(ops.square(gradient), v), 1 - self.beta_2))
        denominator = ops.add(ops.divide(ops.sqrt(v), ops.sqrt(correction2)), self.epsilon)
        self.assign_sub(variable, ops.divide(ops.multiply(m, lr / correction1), denominator))

    def get_config(self):
        return {
            **super().get_config(),
            "eps_on": self.eps_on,
            "coupled_weight_decay": self.coupled_weight_decay,
        }


def adam(settings: OptimizerSettings | None, learning_rate: float | None = None):
    """The optimizer of a fit: Keras's ``Adam`` as before for Keras's defaults, else :class:`SettingsAdam`."""
    if settings is None or settings.is_keras:
        lr = learning_rate if settings is None else settings.learning_rate
        return keras.optimizers.Adam() if lr is None else keras.optimizers.Adam(lr)
    return SettingsAdam(
        learning_rate=settings.lr, beta_1=settings.beta1, beta_2=settings.beta2, epsilon=settings.eps,
        eps_on=settings.eps_on, coupled_weight_decay=settings.weight_decay,
    )  # fmt: skip


@keras.saving.register_keras_serializable(package="asdlens")
def sum_squared_error(y_true, y_pred):
    """Per sample: the sum of its squared errors (a ``sum`` reduction over the batch sums every value's)."""
    return ops.sum(ops.square(ops.subtract(y_pred, ops.cast(y_true, y_pred.dtype))), axis=-1)


def reduced_loss(loss, reduction: str):
    """``loss`` (a Keras loss name or a per-sample function) with ``reduction`` over the batch.

    ``mean`` returns ``loss`` itself (Keras's mean over the batch; for ``mean_squared_error`` the per-sample
    loss is the mean over the values, so the batch loss is the mean of every value). ``sum``: the sum of every
    value's squared error for ``mean_squared_error``, of every sample's loss otherwise.
    """
    if reduction == "mean":
        return loss
    if reduction != "sum":
        raise ValueError(
            f"training.loss_reduction={reduction!r} is not allowed; choose one of ['mean', 'sum']"
        )
    if loss == "mean_squared_error":
        return SummedLoss(sum_squared_error)
    if loss == "sparse_categorical_crossentropy":
        return keras.losses.SparseCategoricalCrossentropy(reduction="sum")
    return SummedLoss(loss)


@keras.saving.register_keras_serializable(package="asdlens")
class SummedLoss(keras.losses.Loss):
    """A per-sample loss function summed over the batch (``reduction="sum"``)."""

    def __init__(self, fn, **kwargs):
        if isinstance(fn, dict):
            fn = keras.saving.deserialize_keras_object(fn)
        kwargs.setdefault("name", f"summed_{getattr(fn, '__name__', 'loss')}")
        kwargs["reduction"] = "sum"
        super().__init__(**kwargs)
        self.fn = fn

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred)

    def get_config(self):
        return {**super().get_config(), "fn": keras.saving.serialize_keras_object(self.fn)}
