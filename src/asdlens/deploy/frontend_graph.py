"""The exported frontend: fixed-length audio -> float32 log-mel, in TensorFlow ops each format can hold.

One channel (the run's channel, policies ``near`` and ``far``): input ``audio [n_samples]``, the TensorFlow
backend's graph-safe log-mel (:func:`asdlens.features.backends.tensorflow.logmel`).

Two channels (``mean``, ``magnitude_subtraction``, ``complex_subtraction``): input ``audio [2, n_samples]``
(channel 0 near, 1 far) and the channel stage in the graph before the log-mel, its math the shared pipeline's
(:mod:`asdlens.features.channel_stage`: ``select`` for ``mean``, ``subtract`` for the subtractions), so an
artifact computes the formula the run computed, not a copy of it.

Each format's ops (``magnitude``, :data:`MAGNITUDES`):

- ``"backend"`` (SavedModel, LiteRT): ``tf.signal.rfft`` and its real and imaginary parts (LiteRT has RFFT2D,
  REAL and IMAG as builtins, so the channel stage needs no Select TF ops);
- ``"abs"`` (ONNX): tf2onnx converts ``RFFT`` and ``ComplexAbs`` but not ``Real``/``Imag``. One channel squares
  ``|X|``; the channel stage needs the parts themselves, so two channels compute the STFT as a real DFT
  (:func:`dft_basis`: the windowed frames times a constant ``[cos | -sin]`` matrix, one MatMul) that gives the
  real and imaginary planes directly; tf2onnx lowers its own RFFT to the same kind of constant DFT matrices.

Everything runs in float32 (``fast=True``): LiteRT has no float64 arithmetic and its RFFT2D is float32 only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..features import ChannelSpec, MelSpec
from ..features.channels import ONE_CHANNEL_POLICIES  # their channel is picked before the graph

#: How the frontend gets the spectrum's parts: "backend" is the TF backend's complex FFT and re^2 + im^2 (LiteRT
#: REAL/IMAG ops); "abs" is for tf2onnx, which has ComplexAbs but no Real/Imag: one channel squares |X|, two
#: channels take (re, im) from a real DFT.
MAGNITUDES = ("backend", "abs")


def magnitude_for(fmt: str) -> str:
    """The :data:`MAGNITUDES` entry an export format needs: "abs" for ONNX (tf2onnx), else "backend"."""
    return "abs" if fmt == "onnx" else "backend"


def graph_spec(spec: MelSpec) -> MelSpec:
    """The run's spec as the exported frontend computes it: float32 output (LiteRT has no float64)."""
    return dataclasses.replace(spec, dtype="float32")


def check_channels_exportable(channels: ChannelSpec, where: str) -> None:
    """Raise a ValueError, naming ``where`` (the run folder) and the key, for a channel stage no artifact holds.

    ``both`` gives two feature planes (``2 * n_mels`` bands) that the exported frontend does not build yet;
    ``transfer: fitted`` reads the gain the run fitted per machine type and section, which an artifact would
    have to embed as a constant (not built yet).
    """
    if channels.planes != 1:
        raise ValueError(
            f"{where}: channels.policy={channels.policy!r} gives two feature planes; an exported frontend "
            "gives one so far (export a run with policy near, far, mean or a subtraction)"
        )
    if channels.needs_transfer:
        raise ValueError(
            f"{where}: channels.transfer='fitted' cannot be exported yet: the artifact would have to hold the "
            "gain the run fitted for the unit's setup (export a run with transfer clip or none)"
        )


@dataclass(frozen=True)
class FrontendGraph:
    """What an exported frontend computes and what it takes.

    Attributes
    ----------
    spec : MelSpec
        The run's frontend (computed in float32, :func:`graph_spec`).
    n_samples : int
        Samples per channel of the fixed-length input clip.
    channels : ChannelSpec or None
        None: one channel, input ``[n_samples]``. A policy that reads both channels (``mean`` or a
        subtraction): input ``[2, n_samples]`` (near, far) with the channel stage in the graph.
    magnitude : {"backend", "abs"}
        See :data:`MAGNITUDES`.

    Raises
    ------
    ValueError
        An unknown ``magnitude``, a one-channel policy given as ``channels``, or a stage no artifact holds.
    """

    spec: MelSpec
    n_samples: int
    channels: ChannelSpec | None = None
    magnitude: str = "backend"

    def __post_init__(self) -> None:
        if self.magnitude not in MAGNITUDES:
            raise ValueError(f"magnitude={self.magnitude!r}; choose one of {list(MAGNITUDES)}")
        if self.channels is not None:
            if self.channels.policy in ONE_CHANNEL_POLICIES:
                raise ValueError(
                    f"channels.policy={self.channels.policy!r} reads one channel; its frontend takes that "
                    "channel's samples (channels=None)"
                )
            check_channels_exportable(self.channels, "FrontendGraph")

    @property
    def input_shape(self) -> list[int]:
        """``[n_samples]``, or ``[2, n_samples]`` with a two-channel stage."""
        return [self.n_samples] if self.channels is None else [2, self.n_samples]

    def build(self) -> Callable:
        """``audio`` (a float32 tensor of :attr:`input_shape`) -> log-mel ``[n_mels, T]`` in TF ops."""
        from ..features import pipeline
        from ..features.backends.tensorflow import logmel
        from ..features.transfer import stage_for

        spec32 = graph_spec(self.spec)
        if self.magnitude == "backend":
            return lambda audio: logmel(audio, spec32, fast=True, channels=self.channels)
        n = self.n_samples
        if self.channels is None:
            ops = _abs_ops()
            return lambda audio: pipeline.run(ops, audio[None, :], spec32, n_samples=n, fast=True)[0]
        ops, stage = _real_dft_ops(), stage_for(self.channels, None, spec32)
        return lambda audio: pipeline.run(ops, audio[None], spec32, n_samples=n, fast=True, channels=stage)[0]


def dft_basis(length: int, n_fft: int) -> np.ndarray:
    """``[length, 2 * bins]`` float64: columns ``cos(2 pi t k / n_fft)`` then ``-sin(...)``, ``bins = n_fft // 2 + 1``.

    ``frames [.., length] @ basis`` is the real FFT of the frames zero-padded to ``n_fft`` (``length <=
    n_fft``), real parts then imaginary parts. The angle is reduced modulo ``n_fft`` in integers first, so
    every entry is the cosine/sine of an angle in ``[0, 2 pi)`` to float64 rounding.
    """
    if not 0 < length <= n_fft:
        raise ValueError(f"a DFT basis needs 0 < length <= n_fft; got length={length}, n_fft={n_fft}")
    k = np.arange(n_fft // 2 + 1, dtype=np.int64)
    t = np.arange(length, dtype=np.int64)
    angle = (2.0 * np.pi / n_fft) * (np.outer(t, k) % n_fft)
    return np.concatenate([np.cos(angle), -np.sin(angle)], axis=1)


def _abs_ops():
    import tensorflow as tf

    from ..features.backends.tensorflow import TensorflowOps

    class AbsOps(TensorflowOps):
        def magnitude(self, spectrum, power, dtype):
            out = tf.abs(spectrum)  # ComplexAbs: the one complex-to-real op tf2onnx converts
            out = tf.square(out) if power == 2.0 else (out if power == 1.0 else tf.pow(out, power))
            return tf.cast(out, dtype)

    return AbsOps()


def _real_dft_ops():
    import tensorflow as tf

    from ..features.backends.tensorflow import TensorflowOps

    class RealDftOps(TensorflowOps):
        """The TF ops with the spectrum a ``(re, im)`` pair of real tensors: a real DFT as one MatMul."""

        def rfft(self, x, n):
            length = min(int(x.shape[-1]), n)  # tf.signal.rfft crops a longer frame to n, pads a shorter one
            basis = tf.constant(dft_basis(length, n).astype(x.dtype.as_numpy_dtype))
            both = tf.linalg.matmul(x[..., :length], basis)
            bins = n // 2 + 1
            return both[..., :bins], both[..., bins:]

        def real(self, x):
            return x[0]

        def imag(self, x):
            return x[1]

        def magnitude(self, spectrum, power, dtype):
            re, im = spectrum
            out = re * re + im * im
            if power == 1.0:
                out = tf.sqrt(out)
            elif power != 2.0:
                out = tf.pow(out, tf.constant(power / 2.0, out.dtype))
            return tf.cast(out, dtype)

    return RealDftOps()
