"""BatchNormalization folding, and a trained Keras network as a function of constants for an exported graph.

Folding: a Dense layer ``x W + b`` followed by BatchNormalization in inference mode,
``gamma (z - mean) / sqrt(var + eps) + beta``, is one Dense layer with ``W' = W s`` and
``b' = (b - mean) s + beta``, ``s = gamma / sqrt(var + eps)`` (per output unit). The new weights are computed
in float64 and rounded once to float32, so the folded network equals the original to float32 rounding.

MLPerf Tiny's anomaly-detection reference folds BatchNorm by hand before converting (its ``02_convert.py``);
the slider run of cskiraly/dcase2020_task2_baseline converted without folding on TF 2.3 and its float TFLite
model fell from AUC 0.850 to 0.577. TF 2.21's converter folds inference-mode BatchNorm itself (deploy-check
shows it: ``--batchnorm keep`` scores like ``fold``); folding here keeps the exported graph independent of that.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .formats import BATCHNORM_MODES, check_choice

#: Name scope of the network's ops in the exported graph; int8 quantization is limited to it.
NETWORK_SCOPE = "network"


def _chain(model) -> list:
    import keras

    return [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]


def fold_batchnorm(model, *, check: bool = True):
    """A copy of ``model`` with every BatchNormalization that follows a Dense layer folded into it.

    Parameters
    ----------
    model : keras.Model
        A chain of layers (each layer feeds the next), as the reference autoencoders are.
    check : bool
        Compare the folded network with ``model`` on random vectors and raise if they differ by more than
        float32 rounding can explain (which also catches a model that is not a chain).

    Returns
    -------
    keras.Model
        Dense layers with folded weights, other layers cloned with their weights.

    Raises
    ------
    ValueError
        Naming the model: BatchNorm not after a Dense layer, BatchNorm over another axis, or a folded network
        that does not reproduce the original (not a chain of layers).
    """
    import keras

    layers = _chain(model)
    inputs = keras.Input(shape=model.input_shape[1:], name="vectors")
    h = inputs
    i = 0
    while i < len(layers):
        layer = layers[i]
        nxt = layers[i + 1] if i + 1 < len(layers) else None
        if isinstance(layer, keras.layers.BatchNormalization):
            raise ValueError(
                f"model {model.name!r}: {layer.name} does not follow a Dense layer; only Dense+BatchNorm folds"
            )
        if isinstance(layer, keras.layers.Dense) and isinstance(nxt, keras.layers.BatchNormalization):
            if nxt.axis not in (-1, len(model.input_shape) - 1) and list(np.ravel(nxt.axis)) != [-1]:
                raise ValueError(
                    f"model {model.name!r}: {nxt.name} normalises axis {nxt.axis}, not the units"
                )
            kernel, bias = _dense_weights(layer)
            gamma = np.ones(kernel.shape[1]) if nxt.gamma is None else np.asarray(nxt.gamma, np.float64)
            beta = np.zeros(kernel.shape[1]) if nxt.beta is None else np.asarray(nxt.beta, np.float64)
            mean = np.asarray(nxt.moving_mean, np.float64)
            var = np.asarray(nxt.moving_variance, np.float64)
            scale = gamma / np.sqrt(var + nxt.epsilon)
            dense = keras.layers.Dense(kernel.shape[1], activation=layer.activation, name=layer.name)
            h = dense(h)
            dense.set_weights(
                [(kernel * scale).astype(np.float32), ((bias - mean) * scale + beta).astype(np.float32)]
            )
            i += 2
            continue
        clone = layer.__class__.from_config(layer.get_config())
        h = clone(h)
        clone.set_weights(layer.get_weights())
        i += 1
    folded = keras.Model(inputs, h, name=f"{model.name}_folded")
    if check:
        _check_same(model, folded)
    return folded


def _dense_weights(layer) -> tuple[np.ndarray, np.ndarray]:
    kernel = np.asarray(layer.kernel, np.float64)
    bias = np.zeros(kernel.shape[1]) if layer.bias is None else np.asarray(layer.bias, np.float64)
    return kernel, bias


def _check_same(model, folded) -> None:
    x = np.random.default_rng(0).standard_normal((64, *model.input_shape[1:])).astype(np.float32)
    a = np.asarray(model(x, training=False), np.float64)
    b = np.asarray(folded(x, training=False), np.float64)
    # float32 rounding of the folded weights moves an output by ~1e-6 of its scale; 1e-3 leaves room for deep
    # chains and is far below any structural mistake (which changes outputs by their own size).
    scale = max(float(np.abs(a).max()), 1e-12)
    err = float(np.abs(a - b).max()) / scale
    if err > 1e-3:
        raise ValueError(
            f"model {model.name!r}: the BatchNorm-folded copy differs from it by {err:.2g} (relative); "
            "folding needs a chain of layers, each feeding the next"
        )


def network_function(model, *, batchnorm: str = "fold") -> Callable:
    """``f(vectors) -> outputs``: the trained network in TensorFlow ops, its weights as graph constants.

    The weights are constants (not variables) so converters freeze nothing and LiteRT reads no variable
    state. The ops sit under the name scope :data:`NETWORK_SCOPE`, which int8 quantization is limited to.

    Parameters
    ----------
    model : keras.Model
        The run's trained model (TensorFlow backend).
    batchnorm : {"fold", "keep", "batch-stats"}
        See :data:`asdlens.deploy.formats.BATCHNORM_MODES`.

    Returns
    -------
    callable
        Call it inside a ``tf.function``: ``[V, D]`` float32 in, the network's output out.
    """
    import keras
    import tensorflow as tf

    check_choice("batchnorm", batchnorm, BATCHNORM_MODES)
    if keras.backend.backend() != "tensorflow":
        raise ValueError(
            f"export needs Keras's TensorFlow backend; KERAS_BACKEND is {keras.backend.backend()!r}"
        )
    net = fold_batchnorm(model) if batchnorm == "fold" else model
    trainable = [np.asarray(v) for v in net.trainable_variables]
    non_trainable = [np.asarray(v) for v in net.non_trainable_variables]
    training = batchnorm == "batch-stats"

    def call(vectors):
        with tf.name_scope(NETWORK_SCOPE):
            outputs, _ = net.stateless_call(
                [tf.constant(w) for w in trainable],
                [tf.constant(w) for w in non_trainable],
                vectors,
                training=training,
            )
        return outputs

    return call
