"""``LogMel``: a Keras 3 layer computing a :class:`~asdlens.features.MelSpec` log-mel with TensorFlow ops.

A thin adapter over :func:`asdlens.features.backends.tensorflow.logmel`: it works inside a model, in
``tf.data.Dataset.map`` and in ``tf.function``, and its config is the spec's fields, so
``model.save("x.keras")`` + ``keras.models.load_model`` rebuilds the same layer (import this module before
loading, so Keras knows the class ``asdlens>LogMel``). Needs Keras' TensorFlow backend. With a channel spec it
takes two-microphone input ``[batch, 2, samples]``; a fitted transfer's gain is part of its config.
"""

from __future__ import annotations

import keras
import numpy as np

from .backends.tensorflow import logmel
from .channels import ChannelSpec, resolve_channels
from .framing import framing
from .presets import resolve_spec
from .spec import MelSpec
from .transfer import Transfer, transfer_gain


@keras.saving.register_keras_serializable(package="asdlens")
class LogMel(keras.layers.Layer):
    """Log-mel (or mel) spectrogram as ``spec`` says, as a Keras layer without weights.

    Parameters
    ----------
    spec : MelSpec, str or dict
        A spec, a preset name or a mapping of fields (see :func:`asdlens.features.resolve_spec`).
    fast : bool
        Float32 frames and FFT instead of float64 (quicker, less exact far below the clip's peak).
    channels : ChannelSpec, str or dict, optional
        The channel stage in front (:class:`asdlens.features.ChannelSpec`); None: mono input.
    transfer : Transfer, array_like or dict, optional
        The fitted gain ``[n_bins]`` a ``ChannelSpec(transfer="fitted")`` needs (a :class:`Transfer`, its
        gain array, or the ``{"re": [...], "im": [...]}`` of a saved config).
    **kwargs
        Passed to ``keras.layers.Layer`` (``name``, ...).

    Notes
    -----
    Input ``[batch, samples]`` (or ``[samples]``), float32, float64 or int16 PCM; the length may be dynamic.
    With ``channels``: ``[batch, channels, samples]`` (or ``[channels, samples]``), channel 0 near, 1 far.
    Output ``[batch, n_mels, n_frames]`` (``both``: ``[batch, 2, n_mels, n_frames]``) in ``spec.dtype``, equal to
    ``asdlens.features.melspectrogram(y, spec, backend="tensorflow")`` to float32 rounding. Inputs are not
    autocast, so float64 and int16 audio reach the pipeline unchanged. The layer runs TensorFlow's graph ops on
    the batch as one array (:func:`asdlens.features.backends.tensorflow.logmel`), so a clip's last bits may depend
    on its batch; ``melspectrogram(..., backend="tensorflow")`` computes each clip alone and does not.

    Examples
    --------
    >>> inputs = keras.Input(shape=(16000,))
    >>> LogMel("dcase2020")(inputs).shape
    (None, 128, 32)
    """

    def __init__(
        self,
        spec: MelSpec | str | dict = "librosa",
        *,
        fast: bool = False,
        channels: ChannelSpec | str | dict | None = None,
        transfer: Transfer | dict | None = None,
        **kwargs,
    ):
        if keras.backend.backend() != "tensorflow":
            raise ValueError(
                f"asdlens.features.keras.LogMel needs Keras' TensorFlow backend; KERAS_BACKEND is "
                f"{keras.backend.backend()!r}"
            )
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        self.spec = resolve_spec(spec)
        self.fast = bool(fast)
        self.channels = None if channels is None else resolve_channels(channels)
        self.transfer = _transfer(transfer)
        if self.channels is not None:
            transfer_gain(self.channels, self.transfer, self.spec)  # a clear error now, not at the first call
        elif self.transfer is not None:
            raise ValueError("LogMel: a transfer was given without a channel spec; pass channels=...")
        self.built = True  # no weights: the window, basis and transfer are constants of the graph

    def call(self, inputs):
        return logmel(inputs, self.spec, fast=self.fast, channels=self.channels, transfer=self.transfer)

    def compute_output_shape(self, input_shape):
        n = input_shape[-1]
        frames = None if n is None else framing(self.spec, int(n)).n_frames
        if self.channels is None:
            return (*input_shape[:-1], self.spec.n_mels, frames)
        planes = (2,) if self.channels.planes == 2 else ()
        return (*input_shape[:-2], *planes, self.spec.n_mels, frames)

    def compute_output_spec(self, inputs):
        return keras.KerasTensor(self.compute_output_shape(inputs.shape), dtype=self.spec.dtype)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(spec=self.spec.to_dict(), fast=self.fast)
        if self.channels is not None:
            config["channels"] = self.channels.to_dict()
        if self.transfer is not None:
            re, im = self.transfer.parts()
            # JSON floats round-trip exactly, so a reloaded layer has the same gain bit for bit.
            config["transfer"] = {"re": re.tolist(), "im": None if im is None else im.tolist()}
        return config


def _transfer(value) -> Transfer | None:
    """A :class:`Transfer` from one, from its gain array, or from the ``{"re", "im"}`` of a saved config."""
    if value is None or isinstance(value, Transfer):
        return value
    if isinstance(value, dict):
        return Transfer.from_parts(value["re"], value.get("im"))
    return Transfer(np.asarray(value))
