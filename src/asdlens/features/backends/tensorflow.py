"""TensorFlow backend: the shared pipeline in ``tf`` ops, eager or inside ``tf.function`` / ``tf.data``.

``OPS`` serves :func:`asdlens.features.melspectrogram` (NumPy in, ``tf.Tensor`` out). :func:`logmel` is the
graph-safe entry point for TensorFlow code: it takes a ``tf.Tensor`` (static or dynamic length) and never
converts it to NumPy.

Batch invariance and speed: ``OPS`` computes every clip with one XLA-compiled function of one clip
(``tf.function(jit_compile=True)``), whether the clip comes alone or in a batch, so a clip's numbers do not
depend on its batch (see :mod:`asdlens.features.pipeline`). A batch shape seen before runs as one graph of
independent per-clip calls, which TF's inter-op threads run side by side. XLA fuses the cast, padding, framing
and window into one pass and the magnitude into another. A compile costs ~0.15 s per new clip length and spec.
The compiled numbers equal the op-by-op ones to float32 rounding (float64 frames, window and FFT in both).

:func:`logmel` (graph-safe, for ``tf.data`` and the Keras layer) runs TensorFlow's ops on the batch it is given
as one array: there a clip's last bits may depend on its batch. Map it per clip (as
:func:`asdlens.data.tf_dataset` does) when they must not.

The float32 mel product is banded (as in the NumPy backend): each group of bands is multiplied only with the
bins it covers, skipping the basis' zeros.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np
import tensorflow as tf

from .. import pipeline
from ..audio import INT16_SCALE
from ..channels import ChannelSpec, resolve_channels
from ..framing import Framing, framing
from ..presets import resolve_spec
from ..spec import MelSpec
from ..transfer import Transfer, stage_for
from .numpy import _BandedBasis

_LN10 = math.log(10.0)


class TensorflowOps:
    """Array operations of :class:`asdlens.features.pipeline.Ops` in TensorFlow."""

    # One array for the whole batch: TF's kernels thread over it, and a graph must not depend on the (maybe
    # unknown) batch size. (CompilingTensorflowOps computes clip by clip.)
    per_clip = False

    def asarray(self, y, dtype):
        y = tf.convert_to_tensor(y)
        return y if y.dtype == dtype else tf.cast(y, dtype)

    def constant(self, x, dtype):
        # A few kB (window) to 1 MB (basis): cheaper to rebuild than to cache, and inside a graph it is embedded.
        x = np.asarray(x, dtype=dtype)
        if x.ndim == 2 and x.dtype == np.float32:
            # The float32 mel basis [bins, n_mels]: one (bins of the group, bands) block per group of bands.
            return [(lo, hi, tf.constant(x[lo:hi, m0:m1])) for m0, m1, lo, hi in _BandedBasis(x).groups]
        return tf.constant(x)

    def pad(self, x, left, right, mode):
        return tf.pad(x, [[0, 0], [left, right]], mode="REFLECT" if mode == "reflect" else "CONSTANT")

    def frame(self, x, length, hop, n_frames):
        frames = tf.signal.frame(x, length, hop, axis=-1)
        if n_frames is None or (isinstance(n_frames, int) and frames.shape[-2] == n_frames):
            return frames
        return frames[:, :n_frames, :]

    def rfft(self, x, n):
        return tf.signal.rfft(x, fft_length=[n])

    def magnitude(self, spectrum, power, dtype):
        if dtype == "float32" and spectrum.dtype == tf.complex128:
            # Round the float64 FFT to complex64 first (as librosa's STFT stores it; 1e-7 relative per bin), then
            # square in float32: half the memory traffic of squaring in float64, about 2.5x quicker.
            spectrum = tf.cast(spectrum, tf.complex64)
        # re^2 + im^2, rounded once to the spec's dtype; quicker than |X| squared (tf.abs of a complex is slow).
        out = tf.square(tf.math.real(spectrum)) + tf.square(tf.math.imag(spectrum))
        if power == 1.0:
            out = tf.sqrt(out)
        elif power != 2.0:
            out = tf.pow(out, tf.constant(power / 2.0, out.dtype))
        return out if out.dtype == dtype else tf.cast(out, dtype)

    def mel(self, spectrum, basis):
        if isinstance(basis, list):
            # Banded (see constant): zeros add nothing, only the summation order changes.
            # A group that covers no bin (hi == lo) gets a product over zero bins: zeros of the right shape.
            parts = [tf.linalg.matmul(spectrum[..., lo:hi], block) for lo, hi, block in basis]
            return tf.concat(parts, axis=-1)
        return tf.linalg.matmul(spectrum, basis)

    def swap(self, x):
        return tf.linalg.matrix_transpose(x)

    def log10(self, x):
        return tf.math.log(x) / tf.constant(_LN10, x.dtype)

    def log(self, x):
        return tf.math.log(x)

    def maximum(self, x, y):
        return tf.maximum(x, y)

    def clip_max(self, x):
        return tf.reduce_max(x, axis=[-2, -1], keepdims=True)

    def concat(self, parts):
        return tf.concat(parts, axis=0)

    def real(self, x):
        return tf.math.real(x)

    def imag(self, x):
        return tf.math.imag(x)

    def sqrt(self, x):
        return tf.sqrt(x)

    def pow(self, x, p):
        return tf.pow(x, tf.constant(p, x.dtype))

    def where(self, cond, x, y):
        return tf.where(cond, x, y)

    def sum_frames(self, x):
        return tf.reduce_sum(x, axis=-2, keepdims=True)

    def flatten_planes(self, x):
        x = tf.convert_to_tensor(x)
        return tf.reshape(x, [-1, _dim(x, -1)])

    def unflatten_planes(self, x, planes):
        return tf.reshape(x, [-1, planes, *(_dim(x, i) for i in range(1, x.shape.rank))])


def _dim(x, axis: int):
    """Axis ``axis`` of ``x``: the static size where known (it keeps the graph's static shape), else a tensor."""
    size = x.shape[axis]
    return size if size is not None else tf.shape(x)[axis]


GRAPH_OPS = TensorflowOps()  # op by op: inside the caller's graph (logmel) or in a compiled function

_COMPILED_MAX = 16  # compiled clip functions and traced batch graphs kept (least recently used dropped)
_XLA_ERRORS = (tf.errors.UnimplementedError, tf.errors.InvalidArgumentError, tf.errors.InternalError)


class CompilingTensorflowOps(TensorflowOps):
    """:class:`TensorflowOps` that compute each clip with one XLA-compiled function of one clip.

    Every clip of a batch, and a clip alone, goes through the same compiled function on a ``[1, samples]``
    array, so a clip's numbers cannot depend on its batch (see :mod:`asdlens.features.pipeline`). A batch shape
    seen before runs as one traced graph of independent per-clip calls (TF's inter-op threads run them side by
    side); a new batch shape calls the compiled function clip by clip from Python. Where XLA cannot compile a
    spec, its clips run op by op, still one clip at a time.
    """

    per_clip = True  # also for the op-by-op fallback

    def __init__(self):
        self._clip_fns: OrderedDict = OrderedDict()  # (spec, fast, n_samples, dtype) -> compiled fn, or None
        self._seen: OrderedDict = OrderedDict()  # batch keys seen once (bounded)
        self._batch_fns: OrderedDict = OrderedDict()  # batch key -> traced graph of per-clip calls

    def compiled(self, y, spec: MelSpec, *, n_samples: int, fast: bool):
        shape = tuple(np.shape(y))
        if len(shape) != 2 or not tf.executing_eagerly():
            return None
        dtype = np.asarray(y).dtype.str
        clip_key = (spec, bool(fast), n_samples, dtype)
        if clip_key not in self._clip_fns:
            _remember(self._clip_fns, clip_key, self._clip_function(spec, n_samples=n_samples, fast=fast))
        clip_fn = self._clip_fns[clip_key]
        self._clip_fns.move_to_end(clip_key)
        if clip_fn is None:
            return None
        batch = tf.convert_to_tensor(np.asarray(y))
        try:
            if shape[0] == 1:
                return clip_fn(batch)
            key = (*clip_key, shape)
            if key in self._batch_fns:
                self._batch_fns.move_to_end(key)
                return self._batch_fns[key](batch)
            if key in self._seen:
                _remember(self._batch_fns, key, _per_clip_graph(clip_fn))
                return self._batch_fns[key](batch)
            _remember(self._seen, key, True)
            return tf.concat([clip_fn(batch[i : i + 1]) for i in range(shape[0])], axis=0)
        except _XLA_ERRORS:
            self._clip_fns[clip_key] = None  # XLA cannot compile this one here: op by op from now on
            return None

    @staticmethod
    def _clip_function(spec: MelSpec, *, n_samples: int, fast: bool):
        return tf.function(
            lambda clip: pipeline.run(GRAPH_OPS, clip, spec, n_samples=n_samples, fast=fast),
            jit_compile=True,
            reduce_retracing=False,
        )


def _per_clip_graph(clip_fn):
    """A graph calling ``clip_fn`` on each clip of a batch; no data dependency between the calls."""

    def clips(batch):
        return tf.concat([clip_fn(batch[i : i + 1]) for i in range(batch.shape[0])], axis=0)

    return tf.function(clips, reduce_retracing=False)


def _remember(cache: OrderedDict, key, value) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > _COMPILED_MAX:
        cache.popitem(last=False)


OPS = CompilingTensorflowOps()


def logmel(
    y,
    spec: MelSpec | str | dict = "librosa",
    *,
    fast: bool = False,
    stages: bool = False,
    channels: ChannelSpec | str | dict | None = None,
    transfer: Transfer | None = None,
):
    """Log-mel of a ``tf.Tensor``, graph-safe: usable eagerly, in ``tf.function`` and in ``tf.data.Dataset.map``.

    The same numbers as ``melspectrogram(y, spec, backend="tensorflow")``, without a NumPy round trip. The
    clip length may be unknown until the graph runs (``tf.TensorSpec([None])``).

    Parameters
    ----------
    y : tf.Tensor or array_like
        ``[samples]`` or ``[batch, samples]``; float32, float64, or int16 PCM (scaled by 1/32768). With
        ``channels``: channel-first, ``[samples]`` (mono), ``[channels, samples]`` or ``[batch, channels,
        samples]`` (channel 0 near, 1 far).
    spec : MelSpec, str or dict
        A spec, a preset name or a mapping of fields (see :func:`asdlens.features.resolve_spec`).
    fast : bool
        Float32 frames and FFT instead of float64 (see :mod:`asdlens.features.pipeline`).
    stages : bool
        Return a dict of every named stage instead of the last.
    channels : ChannelSpec, str or dict, optional
        The channel stage (see :class:`asdlens.features.ChannelSpec`); None: mono input, no stage.
    transfer : Transfer, optional
        The fitted gain of ``ChannelSpec(transfer="fitted")``; embedded in the graph as a constant.

    Returns
    -------
    tf.Tensor or dict
        ``[..., n_mels, n_frames]`` in ``spec.dtype`` (policy ``both``: ``[..., 2, n_mels, n_frames]``).

    Raises
    ------
    ValueError
        At trace time: wrong rank, dtype or channel count, or a static length too short for the spec.
    tf.errors.InvalidArgumentError
        When the graph runs: non-finite samples, an empty clip, a dynamic length too short for the spec or a
        dynamic channel count the policy cannot use (the message says which).

    Examples
    --------
    >>> ds = tf.data.Dataset.from_tensor_slices(clips).map(lambda y: logmel(y, "dcase2020"))  # doctest: +SKIP
    """
    spec = resolve_spec(spec)
    y = tf.convert_to_tensor(y)
    rank = y.shape.rank
    if channels is None:
        if transfer is not None:
            raise ValueError("a Transfer was given without a channel spec; pass channels=ChannelSpec(...)")
        if rank not in (1, 2):
            raise ValueError(f"y must be [samples] or [batch, samples]; got a tensor of shape {y.shape}")
        batch = _checked(y)
        batch, one, stage = (batch[None, :] if rank == 1 else batch), rank == 1, None
    else:
        channels = resolve_channels(channels)
        stage = stage_for(channels, transfer, spec)
        batch, one = _channel_batch(y, channels), rank in (1, 2)
    n_static = batch.shape[-1]
    if n_static is not None:
        if n_static == 0:
            raise ValueError(f"y is empty (shape {y.shape}); a clip needs at least one sample")
        geometry = framing(spec, n_static)
    else:
        geometry = _dynamic_framing(spec, tf.shape(batch)[-1])
        with tf.control_dependencies(_geometry_checks(spec, tf.shape(batch)[-1])):
            batch = tf.identity(batch)
    out = pipeline.run(
        GRAPH_OPS,
        batch,
        spec,
        n_samples=n_static,
        stages=stages,
        fast=fast,
        geometry=geometry,
        channels=stage,
    )
    if one:
        return {k: v[0] for k, v in out.items()} if stages else out[0]
    return out


def _checked(y):
    """``y`` scaled to float if int16 PCM, its dtype checked, and a run-time check that it is finite."""
    if y.dtype == tf.int16:
        y = tf.cast(y, tf.float32) / INT16_SCALE
    elif y.dtype not in (tf.float32, tf.float64):
        raise ValueError(f"y has dtype {y.dtype.name}; use float32, float64, or int16 PCM")
    return tf.debugging.assert_all_finite(y, "y has non-finite values (NaN or inf)")


def _channel_batch(y, channels: ChannelSpec):
    """Channel-first ``y`` as ``[batch, channels, samples]``, checked (statically where the shape is known)."""
    rank = y.shape.rank
    if rank not in (1, 2, 3):
        raise ValueError(
            "y must be [samples], [channels, samples] or [batch, channels, samples] with a channel spec; got a "
            f"tensor of shape {y.shape}"
        )
    y = _checked(y)
    batch = y[None, None, :] if rank == 1 else (y[None] if rank == 2 else y)
    n_channels = batch.shape[1]
    if n_channels is not None:
        channels.check_channels(n_channels, shape=tuple(y.shape), name="y")
        return batch
    count = tf.shape(batch)[1]
    if channels.n_channels == 1:
        ok = tf.logical_or(tf.equal(count, 1), tf.equal(count, 2))
        check = tf.debugging.Assert(ok, ["y must have 1 or 2 channels [near, far]; it has", count])
    else:
        check = tf.debugging.assert_equal(
            count, 2, message=f"ChannelSpec(policy={channels.policy!r}) needs two channels [near, far]"
        )
    with tf.control_dependencies([check]):
        return tf.identity(batch)


def _dynamic_framing(spec: MelSpec, n) -> Framing:
    """:func:`asdlens.features.framing` for a clip length ``n`` that is a scalar tensor.

    Paddings stay Python ints so the pipeline's graph does not branch on them. tf.signal.frame yields
    ``1 + (padded - frame_length) // hop`` frames, which is the count we want when centring or not padding;
    for ``pad_end`` we pad a whole frame (enough for any length) and keep ``ceil(n / hop)`` frames.
    """
    static = framing(spec, 1 << 20)  # the length-independent facts: frame length, hop, centre padding
    if spec.pad_end:
        n_frames = tf.maximum(1, (n + static.hop - 1) // static.hop)
        return Framing(0, static.frame_length, "constant", static.frame_length, static.hop, n_frames)
    return Framing(static.pad_left, static.pad_right, static.mode, static.frame_length, static.hop, None)


def _geometry_checks(spec: MelSpec, n) -> list:
    """Run-time assertions on a dynamic clip length ``n``: the graph twin of :func:`framing`'s errors."""
    checks = [tf.debugging.assert_positive(n, message="y is empty; a clip needs at least one sample")]
    if spec.center and spec.pad_mode == "reflect":
        pad = spec.n_fft // 2
        checks.append(
            tf.debugging.assert_greater(
                n,
                pad,
                message=f"clip too short for reflect padding of {pad} samples (n_fft={spec.n_fft}); "
                "it needs more than n_fft // 2 samples",
            )
        )
    elif not spec.center and not spec.pad_end:
        length = framing(spec, 1 << 20).frame_length
        checks.append(
            tf.debugging.assert_greater_equal(
                n,
                length,
                message=f"clip shorter than one frame ({length} samples) with center=False and pad_end=False",
            )
        )
    return checks
