"""Validation of audio arrays: the one gate every feature entry point goes through."""

from __future__ import annotations

import numpy as np

from ..pcm import INT16_SCALE, from_int16

# INT16_SCALE lives in asdlens.pcm; the backends import it from here.
__all__ = ["INT16_SCALE", "as_batch"]


def as_batch(y, *, name: str = "y") -> tuple[np.ndarray, bool]:
    """Check audio and return it as ``[batch, samples]`` float (float32 or float64) plus whether it was 1-D.

    Accepts ``[samples]`` or ``[batch, samples]`` in float32, float64 or int16 (scaled by 1/32768).

    Raises
    ------
    ValueError
        Naming the problem: wrong rank, wrong dtype, empty, or non-finite samples (with their position).
    """
    arr = np.asarray(y)
    if arr.ndim not in (1, 2):
        raise ValueError(
            f"{name} must be [samples] or [batch, samples]; got a {arr.ndim}-D array of shape {arr.shape}"
        )
    if arr.dtype == np.int16:
        arr = from_int16(arr)
    elif arr.dtype not in (np.float32, np.float64):
        raise ValueError(f"{name} has dtype {arr.dtype}; use float32, float64, or int16 PCM")
    if arr.shape[-1] == 0 or arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}); a clip needs at least one sample")
    finite = np.isfinite(arr)
    if not finite.all():
        bad = np.argwhere(~finite)[0]
        where = f"clip {bad[0]}, sample {bad[1]}" if arr.ndim == 2 else f"sample {bad[0]}"
        count = int((~finite).sum())
        raise ValueError(f"{name} has {count} non-finite value(s) (NaN or inf); the first is at {where}")
    squeeze = arr.ndim == 1
    return (arr[None, :] if squeeze else arr), squeeze


def as_channels(y, channels, *, name: str = "y") -> tuple[np.ndarray, bool]:
    """Check channel-first audio for a channel spec; return it as ``[batch, channels, samples]`` plus whether it
    was one clip.

    Accepts ``[samples]`` (a mono clip), ``[channels, samples]`` (one clip) or ``[batch, channels, samples]``,
    in float32, float64 or int16 (scaled by 1/32768). Channel 0 is the near, channel 1 the far microphone.

    Parameters
    ----------
    channels : asdlens.features.ChannelSpec
        The policy; it says how many channels it needs (:meth:`ChannelSpec.check_channels`).

    Raises
    ------
    ValueError
        As :func:`as_batch` (rank, dtype, empty, non-finite), or a channel count the policy cannot use.
    """
    arr = np.asarray(y)
    if arr.ndim not in (1, 2, 3):
        raise ValueError(
            f"{name} must be [samples], [channels, samples] or [batch, channels, samples] with a channel spec; "
            f"got a {arr.ndim}-D array of shape {arr.shape}"
        )
    clip = arr.ndim < 3
    arr = arr.reshape(1, 1, -1) if arr.ndim == 1 else (arr[None] if arr.ndim == 2 else arr)
    channels.check_channels(arr.shape[1], shape=np.shape(y), name=name)
    flat, _ = as_batch(arr.reshape(-1, arr.shape[-1]) if arr.shape[-1] else arr.reshape(1, 0), name=name)
    return flat.reshape(arr.shape), clip
