"""The log-mel pipeline, written once. A backend supplies only its array operations (``Ops``).

Precision: in exact mode the frames, window and FFT are float64 (as librosa computes them even for float32
audio), the spectrum is cast once to the spec's dtype, and the mel product runs in that dtype. Fast mode
keeps everything in float32: quicker, but bins far below the clip's peak lose relative precision.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from . import filters
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

    #: Clips per block when only the output is wanted (None: the whole batch at once). NumPy keeps its float64
    #: temporaries cache-sized this way; graph frameworks prefer one large batch.
    block_clips: int | None


def run(
    ops: Ops,
    y: Any,
    spec: MelSpec,
    *,
    n_samples: int | None,
    stages: bool = False,
    fast: bool = False,
    geometry: Framing | None = None,
):
    """Log-mel of a ``[batch, samples]`` array in ``ops``' array type, librosa layout ``[batch, n_mels, frames]``.

    ``geometry`` replaces ``framing(spec, n_samples)`` for a graph backend whose clip length is only known when
    the graph runs (its ``n_frames`` may then be a tensor, or None for "as many as ``ops.frame`` yields").

    With ``stages=True`` returns a dict of every named stage in librosa layout (time last):
    ``frames`` and ``windowed`` ``[batch, frame_length or n_fft, frames]``, ``spectrum``
    ``[batch, n_fft // 2 + 1, frames]``, ``mel`` and ``log`` ``[batch, n_mels, frames]``.
    """
    block = getattr(ops, "block_clips", None)
    if not stages and block and len(y) > block:
        parts = [
            run(ops, y[i : i + block], spec, n_samples=n_samples, fast=fast, geometry=geometry)
            for i in range(0, len(y), block)
        ]
        return ops.concat(parts)
    work = "float32" if fast else "float64"
    g = framing(spec, n_samples) if geometry is None else geometry
    x = ops.asarray(y, work)
    if g.pad_left or g.pad_right:
        x = ops.pad(x, g.pad_left, g.pad_right, g.mode)
    frames = ops.frame(x, g.frame_length, g.hop, g.n_frames)  # [batch, frames, frame_length]
    windowed = frames * ops.constant(filters.window(spec), work)
    spectrum = ops.magnitude(ops.rfft(windowed, spec.n_fft), spec.power, spec.dtype)  # [batch, frames, bins]
    basis = ops.constant(np.ascontiguousarray(filters.mel_filterbank(spec).T), spec.dtype)
    mel = ops.mel(spectrum, basis)  # [batch, frames, n_mels]
    out = apply_log(ops, mel, spec)
    if not stages:
        return ops.swap(out)
    named = {"frames": frames, "windowed": windowed, "spectrum": spectrum, "mel": mel, "log": out}
    return {name: ops.swap(value) for name, value in named.items()}
