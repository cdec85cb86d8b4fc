"""``LogMel``: a Keras 3 layer computing a :class:`~asdlens.features.MelSpec` log-mel with TensorFlow ops.

A thin adapter over :func:`asdlens.features.backends.tensorflow.logmel`: it works inside a model, in
``tf.data.Dataset.map`` and in ``tf.function``, and its config is the spec's fields, so
``model.save("x.keras")`` + ``keras.models.load_model`` rebuilds the same layer (import this module before
loading, so Keras knows the class ``asdlens>LogMel``). Needs Keras' TensorFlow backend.
"""

from __future__ import annotations

import keras

from .backends.tensorflow import logmel
from .framing import framing
from .presets import resolve_spec
from .spec import MelSpec


@keras.saving.register_keras_serializable(package="asdlens")
class LogMel(keras.layers.Layer):
    """Log-mel (or mel) spectrogram as ``spec`` says, as a Keras layer without weights.

    Parameters
    ----------
    spec : MelSpec, str or dict
        A spec, a preset name or a mapping of fields (see :func:`asdlens.features.resolve_spec`).
    fast : bool
        Float32 frames and FFT instead of float64 (quicker, less exact far below the clip's peak).
    **kwargs
        Passed to ``keras.layers.Layer`` (``name``, ...).

    Notes
    -----
    Input ``[batch, samples]`` (or ``[samples]``), float32, float64 or int16 PCM; the length may be dynamic.
    Output ``[batch, n_mels, n_frames]`` in ``spec.dtype``, equal to
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

    def __init__(self, spec: MelSpec | str | dict = "librosa", *, fast: bool = False, **kwargs):
        if keras.backend.backend() != "tensorflow":
            raise ValueError(
                f"asdlens.features.keras.LogMel needs Keras' TensorFlow backend; KERAS_BACKEND is "
                f"{keras.backend.backend()!r}"
            )
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        self.spec = resolve_spec(spec)
        self.fast = bool(fast)
        self.built = True  # no weights: the window and basis are constants of the graph

    def call(self, inputs):
        return logmel(inputs, self.spec, fast=self.fast)

    def compute_output_shape(self, input_shape):
        n = input_shape[-1]
        frames = None if n is None else framing(self.spec, int(n)).n_frames
        return (*input_shape[:-1], self.spec.n_mels, frames)

    def compute_output_spec(self, inputs):
        return keras.KerasTensor(self.compute_output_shape(inputs.shape), dtype=self.spec.dtype)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(spec=self.spec.to_dict(), fast=self.fast)
        return config
