"""The two reference autoencoders, in Keras 3 (their PyTorch twins: :mod:`asdlens.models.torch.autoencoders`).

Keras (and so TensorFlow) is imported inside the builders: importing :mod:`asdlens.models` stays light.
"""

from __future__ import annotations


def _check_dim(input_dim) -> int:
    if isinstance(input_dim, bool) or not isinstance(input_dim, int) or input_dim < 1:
        raise ValueError(f"input_dim={input_dim!r} must be a positive integer (n_mels * frames)")
    return input_dim


def dcase2020_autoencoder(input_dim: int = 640, *, name: str = "dcase2020_autoencoder", layers=None):
    """The DCASE 2020 Task 2 baseline autoencoder.

    From the official ``keras_model.get_model`` (y-kawagu/dcase2020_task2_baseline): the input goes through four
    blocks of [Dense 128, BatchNormalization, ReLU], a bottleneck block [Dense 8, BatchNormalization, ReLU], four
    more [Dense 128, BatchNormalization, ReLU] blocks and a linear Dense back to ``input_dim``. Layer defaults
    are Keras's (Glorot-uniform kernels, zero biases, BatchNormalization momentum 0.99, epsilon 1e-3).

    Parameters
    ----------
    input_dim : int
        Length of one stacked feature vector: ``n_mels * frames`` (128 * 5 = 640 in the baseline).
    name : str
        Model name.
    layers : asdlens.models.frameworks.LayerSettings, optional
        Initialisation and BatchNorm convention (:mod:`asdlens.models.keras_settings`); None: Keras's own.

    Returns
    -------
    keras.Model
        Uncompiled; maps ``[batch, input_dim]`` to ``[batch, input_dim]``.
    """
    import keras

    from .keras_settings import batchnorm, dense_options

    input_dim = _check_dim(input_dim)
    inputs = keras.Input(shape=(input_dim,), name="vectors")
    h, width = inputs, input_dim
    for units in (128, 128, 128, 128, 8, 128, 128, 128, 128):
        h = keras.layers.Dense(units, **dense_options(layers, width))(h)
        h = batchnorm(layers)(h)
        h = keras.layers.Activation("relu")(h)
        width = units
    outputs = keras.layers.Dense(input_dim, **dense_options(layers, width))(h)
    return keras.Model(inputs=inputs, outputs=outputs, name=name)


def mimii_autoencoder(input_dim: int = 320, *, name: str = "mimii_autoencoder", layers=None):
    """The MIMII paper's autoencoder (Purohit et al. 2019, arXiv 1909.09347, section 4; MIMII-hitachi/mimii_baseline
    ``keras_model``): Dense 64, 64, 8, 64, 64 with ReLU, a linear Dense back to ``input_dim``, no normalisation.

    Parameters
    ----------
    input_dim : int
        ``n_mels * frames`` (64 * 5 = 320 in the paper).
    name : str
        Model name.
    layers : asdlens.models.frameworks.LayerSettings, optional
        The initialisation (there is no BatchNorm); None: Keras's own.

    Returns
    -------
    keras.Model
        Uncompiled; maps ``[batch, input_dim]`` to ``[batch, input_dim]``.
    """
    import keras

    from .keras_settings import dense_options

    input_dim = _check_dim(input_dim)
    inputs = keras.Input(shape=(input_dim,), name="vectors")
    h, width = inputs, input_dim
    for units in (64, 64, 8, 64, 64):
        h = keras.layers.Dense(units, activation="relu", **dense_options(layers, width))(h)
        width = units
    outputs = keras.layers.Dense(input_dim, **dense_options(layers, width))(h)
    return keras.Model(inputs=inputs, outputs=outputs, name=name)


#: Model builders by the name an experiment config uses.
MODELS = {
    "dcase2020_autoencoder": dcase2020_autoencoder,
    "mimii_autoencoder": mimii_autoencoder,
}


def build_model(name: str, input_dim: int, *, layers=None):
    """The model called ``name`` (a key of :data:`MODELS`) for vectors of ``input_dim`` values (``layers``:
    :class:`asdlens.models.frameworks.LayerSettings`, None for Keras's own initialisation and BatchNorm).

    Raises
    ------
    ValueError
        For an unknown name (the message lists the known ones) or a bad ``input_dim``.
    """
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose one of {list(MODELS)}")
    return MODELS[name](input_dim, layers=layers)
