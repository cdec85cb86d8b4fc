"""The log-mel pipeline, written once. A backend supplies only its array operations (``Ops``).

Batch invariance: a per-clip backend (NumPy, torch, and TensorFlow's compiled path) computes every clip alone,
with the same operations on arrays of the same shapes whether it came alone or in a batch, at any position. A
matrix product is free to round differently for different shapes (BLAS kernels pick their blocking, and so the
order of a sum, from the shapes and the thread count), so equal shapes and a fixed thread count per product are
what make a clip's numbers independent of its batch; tests check it under several OpenBLAS kernels.

Precision: in exact mode the frames, window and FFT are float64 (as librosa computes them even for float32
audio), the FFT's output is rounded once to the spec's precision (complex64 for float32, as librosa's STFT
stores it), and the magnitude and the mel product run in that dtype. Fast mode
keeps everything in float32: quicker, but bins far below the clip's peak lose relative precision.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from . import channel_stage, filters
from .channel_stage import ChannelStage
from .channels import TIME_POLICIES
from .framing import Framing, framing
from .logscale import apply_log
from .spec import MelSpec


class Ops(Protocol):
    """Array operations a backend provides. Arrays are ``[batch, ...]`` with time or samples last."""

    def asarray(self, y: Any, dtype: str) -> Any: ...
    def constant(self, x: np.ndarray, dtype: str) -> Any: ...
    def pad(self, x: Any, left: int, right: int, mode: str) -> Any: ...
    def frame(self, x: Any, length: int, hop: int, n_frames: int) -> Any: ...
    def rfft(self, x: Any, n: int) -> Any: ...
    def magnitude(self, spectrum: Any, power: float, dtype: str) -> Any: ...
    def mel(self, spectrum: Any, basis: Any) -> Any: ...
    def swap(self, x: Any) -> Any: ...
    def log10(self, x: Any) -> Any: ...
    def log(self, x: Any) -> Any: ...
    def maximum(self, x: Any, y: Any) -> Any: ...
    def clip_max(self, x: Any) -> Any: ...
    def concat(self, parts: list) -> Any: ...

    # The channel stage (:mod:`asdlens.features.channel_stage`) also needs these. ``sum_frames`` sums over
    # axis -2 (the frames of [batch, frames, bins]) and keeps it; ``flatten_planes`` turns [batch, planes,
    # samples] into [batch * planes, samples] and ``unflatten_planes(x, planes)`` [batch * planes, ...] into
    # [batch, planes, ...].
    def real(self, x: Any) -> Any: ...
    def imag(self, x: Any) -> Any: ...
    def sqrt(self, x: Any) -> Any: ...
    def pow(self, x: Any, p: float) -> Any: ...
    def where(self, cond: Any, x: Any, y: Any) -> Any: ...
    def sum_frames(self, x: Any) -> Any: ...
    def flatten_planes(self, x: Any) -> Any: ...
    def unflatten_planes(self, x: Any, planes: int) -> Any: ...

    #: True: every clip is computed alone, by the same calls on arrays of the same shapes whatever batch it came
    #: in, so its numbers cannot depend on the batch (see :func:`run`). False: the batch is one array (graph
    #: frameworks inside the user's graph). A per-clip backend may define ``map_clips(fn, indices, spec) ->
    #: list`` to run the clips (e.g. on a thread pool); the default is a loop. And a backend may define
    #: ``compiled(y, spec, *, n_samples, fast)``: the whole (stage-less) call, compiled, or None to decline
    #: (then the operations run one by one).
    per_clip: bool


def run(
    ops: Ops,
    y: Any,
    spec: MelSpec,
    *,
    n_samples: int | None,
    stages: bool = False,
    fast: bool = False,
    geometry: Framing | None = None,
    channels: ChannelStage | None = None,
):
    """Log-mel of a ``[batch, samples]`` array in ``ops``' array type, librosa layout ``[batch, n_mels, frames]``.

    ``geometry`` replaces ``framing(spec, n_samples)`` for a graph backend whose clip length is only known when
    the graph runs (its ``n_frames`` may then be a tensor, or None for "as many as ``ops.frame`` yields").

    With ``channels`` (a :class:`~asdlens.features.channel_stage.ChannelStage`: the channel spec and a fitted
    gain) ``y`` is ``[batch, channels, samples]`` (channel 0 near, 1 far; the caller has checked the count) and
    the channel stage runs first: ``near``, ``far`` and ``mean`` on the samples, then the mono pipeline;
    ``both`` gives ``[batch, 2, n_mels, frames]``; the subtractions combine both channels' spectra
    (:func:`asdlens.features.channel_stage.subtract`).

    With ``stages=True`` returns a dict of every named stage in librosa layout (time last):
    ``frames`` and ``windowed`` ``[batch, frame_length or n_fft, frames]``, ``spectrum``
    ``[batch, n_fft // 2 + 1, frames]``, ``mel`` and ``log`` ``[batch, n_mels, frames]``. The subtractions have
    ``near_spectrum``, ``far_spectrum`` (each channel's ``|X| ** power``), ``spectrum`` (the subtracted one),
    ``mel`` and ``log``.
    """
    if channels is not None:
        return _run_channels(
            ops, y, spec, channels, n_samples=n_samples, stages=stages, fast=fast, geometry=geometry
        )
    compiled = getattr(ops, "compiled", None)  # a backend may run the whole call compiled (it may decline)
    if compiled is not None and not stages and geometry is None:
        out = compiled(y, spec, n_samples=n_samples, fast=fast)
        if out is not None:
            return out
    work = "float32" if fast else "float64"
    g = framing(spec, n_samples) if geometry is None else geometry
    window, basis = _constants(ops, spec, work)

    def block(part):
        return _run_block(ops, part, spec, g, work, window, basis, stages=stages)

    return _by_clip(ops, y, spec, block, stages=stages)


def _constants(ops: Ops, spec: MelSpec, work: str) -> tuple[Any, Any]:
    """The window and the ``[bins, n_mels]`` mel basis as constants of ``ops``, built once per call."""
    window = ops.constant(filters.window(spec), work)
    basis = ops.constant(np.ascontiguousarray(filters.mel_filterbank(spec).T), spec.dtype)
    return window, basis


def _by_clip(ops: Ops, y: Any, spec: MelSpec, block, *, stages: bool):
    """``block`` on the whole batch (graph backends) or on each clip ``y[i : i + 1]`` (per-clip backends)."""
    if not getattr(ops, "per_clip", False):
        return block(y)

    def one(i: int):
        return block(y[i : i + 1])

    map_clips = getattr(ops, "map_clips", None)
    parts = map_clips(one, range(len(y)), spec) if map_clips else [one(i) for i in range(len(y))]
    if len(parts) == 1:
        return parts[0]
    if stages:
        return {name: ops.concat([p[name] for p in parts]) for name in parts[0]}
    return ops.concat(parts)


def _spectrum(ops: Ops, y: Any, g: Framing, work: str, window: Any, n_fft: int) -> tuple[Any, Any, Any]:
    """Frames, windowed frames and complex spectrum ``[batch, frames, bins]`` of ``[batch, samples]``."""
    x = ops.asarray(y, work)
    if g.pad_left or g.pad_right:
        x = ops.pad(x, g.pad_left, g.pad_right, g.mode)
    frames = ops.frame(x, g.frame_length, g.hop, g.n_frames)  # [batch, frames, frame_length]
    windowed = frames * window
    return frames, windowed, ops.rfft(windowed, n_fft)


def _run_block(
    ops: Ops, y: Any, spec: MelSpec, g: Framing, work: str, window: Any, basis: Any, *, stages: bool
):
    """:func:`run` on one block of clips; ``window`` and ``basis`` are already constants of ``ops``."""
    frames, windowed, complex_spectrum = _spectrum(ops, y, g, work, window, spec.n_fft)
    spectrum = ops.magnitude(complex_spectrum, spec.power, spec.dtype)  # [batch, frames, bins]
    mel = ops.mel(spectrum, basis)  # [batch, frames, n_mels]
    out = apply_log(ops, mel, spec)
    if not stages:
        return ops.swap(out)
    named = {"frames": frames, "windowed": windowed, "spectrum": spectrum, "mel": mel, "log": out}
    return {name: ops.swap(value) for name, value in named.items()}


def _run_channels(ops: Ops, y: Any, spec: MelSpec, stage: ChannelStage, *, n_samples, stages, fast, geometry):
    """:func:`run` with the channel stage in front (``y`` is ``[batch, channels, samples]``)."""
    channels = stage.spec
    mono = dict(n_samples=n_samples, stages=stages, fast=fast, geometry=geometry)
    work = "float32" if fast else "float64"
    if channels.policy in TIME_POLICIES:
        return run(ops, channel_stage.select(ops, y, channels, work), spec, **mono)
    if channels.policy == "both":
        out = run(ops, ops.flatten_planes(y), spec, **mono)
        if stages:
            return {name: ops.unflatten_planes(value, 2) for name, value in out.items()}
        return ops.unflatten_planes(out, 2)
    g = framing(spec, n_samples) if geometry is None else geometry
    window, basis = _constants(ops, spec, work)

    def block(part):
        _, _, near = _spectrum(ops, part[:, 0], g, work, window, spec.n_fft)
        _, _, far = _spectrum(ops, part[:, 1], g, work, window, spec.n_fft)
        spectrum = channel_stage.subtract(
            ops, near, far, stage, work=work, power=spec.power, dtype=spec.dtype
        )
        mel = ops.mel(spectrum, basis)
        out = apply_log(ops, mel, spec)
        if not stages:
            return ops.swap(out)
        named = {
            "near_spectrum": ops.magnitude(near, spec.power, spec.dtype),
            "far_spectrum": ops.magnitude(far, spec.power, spec.dtype),
            "spectrum": spectrum,
            "mel": mel,
            "log": out,
        }
        return {name: ops.swap(value) for name, value in named.items()}

    return _by_clip(ops, y, spec, block, stages=stages)


def stft(ops: Ops, y: Any, spec: MelSpec, *, n_samples: int, fast: bool = False) -> Any:
    """The complex STFT the pipeline computes, ``[batch, frames, n_fft // 2 + 1]`` (``y`` ``[batch, samples]``):
    the spec's padding, framing and window, the FFT in float64 (complex128) unless ``fast``."""
    work = "float32" if fast else "float64"
    window = ops.constant(filters.window(spec), work)
    return _spectrum(ops, y, framing(spec, n_samples), work, window, spec.n_fft)[2]
