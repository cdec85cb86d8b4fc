"""Embedding networks of the margin-loss family, in Keras 3: ``[batch, frames, n_mels]`` log-mel windows ->
``[batch, embedding_dim]``.

Both start by standardising each mel band with the training clips' mean and standard deviation (a fixed
``Normalization`` layer, as sub-cluster AdaCos standardises its input), treat the window as a one-channel
image (time x mel) and end with a linear embedding followed by batch normalisation.

- :func:`margin_cnn`: a compact CNN sized for a CPU: four stages of [3x3 convolution with stride 2, 3x3
  convolution with a residual connection], 16/32/64/128 channels times ``width``, BatchNorm and ReLU; then the
  frequency axis and channels are flattened (the embedding keeps *which* bands are active, what a machine's
  sound is told apart by), averaged over time (any number of frames works) and projected.
- :func:`mobilefacenet`: MobileFaceNet as STgram-MFN uses it (liuyoude/STgram-MFN ``net.py``, the bottleneck
  setting after the DCASE 2022 Task 2 winner): 3x3 stride-2 convolution to 64 channels, a depthwise 3x3, inverted
  residual bottlenecks (expansion, channels, repeats, stride) = (2, 128, 2, 2), (4, 128, 2, 2), (4, 128, 2, 2),
  a 1x1 convolution to 512, a global depthwise convolution over the whole remaining time x frequency map
  (STgram-MFN: 20 x 8 for 313 frames x 128 mels) and a linear 1x1 convolution to the embedding; PReLU
  activations. STgram-MFN feeds it two channels (log-mel and a learned "Tgram" of the waveform); here it sees
  the log-mel alone, the only input a detector of this package gets.
"""

from __future__ import annotations

import math

import numpy as np


def _standardise(inputs, mean: np.ndarray, std: np.ndarray):
    from keras import layers

    return layers.Normalization(axis=-1, mean=mean, variance=np.square(std), name="standardise")(inputs)


def margin_cnn(
    frames: int | None,
    n_mels: int,
    *,
    embedding_dim: int,
    width: float,
    mean,
    std,
    name="backbone",
    layers=None,
):
    """The compact CNN (see the module docstring). ``frames=None`` accepts any window length.

    Parameters
    ----------
    frames : int or None
    n_mels : int
    embedding_dim : int
    width : float
        Channel multiplier (1.0: 16, 32, 64, 128 channels).
    mean, std : numpy.ndarray
        ``[n_mels]`` per-band standardisation.
    layers : asdlens.models.frameworks.LayerSettings, optional
        Initialisation and BatchNorm convention (:mod:`asdlens.models.keras_settings`); None: Keras's own.
    """
    import keras

    from .keras_settings import batchnorm, conv_options, dense_options

    nn = keras.layers
    inputs = keras.Input(shape=(frames, n_mels), name="windows")
    h = nn.Reshape((-1, n_mels, 1))(_standardise(inputs, mean, std))
    freq = n_mels
    for stage, base in enumerate((16, 32, 64, 128)):
        channels = max(4, int(round(base * width)))
        conv = conv_options(layers)
        h = nn.Conv2D(channels, 3, strides=2, padding="same", use_bias=False, name=f"s{stage}_down", **conv)(
            h
        )
        h = nn.Activation("relu")(batchnorm(layers, name=f"s{stage}_bn1")(h))
        r = nn.Conv2D(channels, 3, padding="same", use_bias=False, name=f"s{stage}_conv", **conv)(h)
        r = batchnorm(layers, name=f"s{stage}_bn2")(r)
        h = nn.Activation("relu")(nn.Add()([h, r]))
        freq = math.ceil(freq / 2)
    h = nn.Reshape((-1, freq * channels))(h)  # [batch, time, freq x channels]
    h = nn.GlobalAveragePooling1D()(h)
    project = dense_options(layers, freq * channels, use_bias=False)
    h = nn.Dense(embedding_dim, use_bias=False, name="project", **project)(h)
    outputs = batchnorm(layers, name="embedding")(h)
    return keras.Model(inputs, outputs, name=name)


def _conv_block(h, channels, kernel, strides=1, *, depthwise=False, linear=False, name="", layers=None):
    import keras

    from .keras_settings import batchnorm, conv_options, prelu_options

    nn = keras.layers
    if depthwise:
        h = nn.DepthwiseConv2D(kernel, strides=strides, padding="same" if kernel == 3 else "valid", use_bias=False,
                               name=f"{name}_dw", **conv_options(layers, depthwise_channels=h.shape[-1]))(h)  # fmt: skip
    else:
        h = nn.Conv2D(channels, kernel, strides=strides, padding="same", use_bias=False, name=f"{name}_conv",
                      **conv_options(layers))(h)  # fmt: skip
    h = batchnorm(layers, name=f"{name}_bn")(h)
    return h if linear else nn.PReLU(shared_axes=[1, 2], name=f"{name}_prelu", **prelu_options(layers))(h)


#: MobileFaceNet bottlenecks as STgram-MFN sets them: (expansion, channels, repeats, stride).
MOBILEFACENET_BOTTLENECKS = ((2, 128, 2, 2), (4, 128, 2, 2), (4, 128, 2, 2))


def mobilefacenet(frames: int, n_mels: int, *, embedding_dim: int, width: float, mean, std, name="backbone",
                  layers=None):  # fmt: skip
    """MobileFaceNet on one log-mel channel (see the module docstring); ``width`` scales every channel count.

    ``frames`` must be fixed: the global depthwise convolution spans the whole final map. ``layers``: as
    :func:`margin_cnn`'s.
    """
    import functools

    import keras

    block = functools.partial(_conv_block, layers=layers)

    if frames is None:
        raise ValueError("mobilefacenet needs a fixed number of frames (its global depthwise convolution)")

    def ch(n):
        return max(8, int(round(n * width)))

    inputs = keras.Input(shape=(frames, n_mels), name="windows")
    h = keras.layers.Reshape((frames, n_mels, 1))(_standardise(inputs, mean, std))
    h = block(h, ch(64), 3, 2, name="conv1")
    h = block(h, ch(64), 3, depthwise=True, name="dw_conv1")
    channels = ch(64)
    for b, (t, c, n, s) in enumerate(MOBILEFACENET_BOTTLENECKS):
        for i in range(n):
            stride = s if i == 0 else 1
            x = block(h, channels * t, 1, name=f"b{b}_{i}_expand")
            x = block(x, channels * t, 3, stride, depthwise=True, name=f"b{b}_{i}")
            x = block(x, ch(c), 1, linear=True, name=f"b{b}_{i}_project")
            h = keras.layers.Add()([h, x]) if stride == 1 and channels == ch(c) else x
            channels = ch(c)
    h = block(h, ch(512), 1, name="conv2")
    h = block(h, ch(512), (h.shape[1], h.shape[2]), depthwise=True, linear=True, name="gdconv")
    h = block(h, embedding_dim, 1, linear=True, name="linear")
    outputs = keras.layers.Flatten(name="embedding")(h)
    return keras.Model(inputs, outputs, name=name)


#: Builders by ``model.name``.
BACKBONES = {"margin_cnn": margin_cnn, "mobilefacenet": mobilefacenet}
