"""Frame stacking: consecutive log-mel frames concatenated into one vector, as the baselines feed their models.

The DCASE 2020 baseline (``common.file_to_vector_array``) and the MIMII baseline build, for ``frames`` = 5 and a
``[n_mels, T]`` log-mel, ``T - frames + 1`` vectors of ``n_mels * frames`` values: vector ``v`` is frames
``v, v + 1, ..., v + frames - 1`` laid end to end (all mels of frame ``v`` first). A 10 s clip at hop 512 gives
313 frames and 309 vectors of 640 values.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def n_vectors(n_frames: int, frames: int) -> int:
    """Number of stacked vectors from ``n_frames`` log-mel frames (0 if the clip is too short)."""
    return max(0, n_frames - frames + 1)


def stack_frames(logmel: np.ndarray, frames: int = 5) -> np.ndarray:
    """Stack ``frames`` consecutive frames of a ``[..., n_mels, T]`` log-mel into ``[..., T - frames + 1, n_mels * frames]``.

    Raises
    ------
    ValueError
        If ``frames`` is not a positive integer or the log-mel has fewer than ``frames`` frames.
    """
    if isinstance(frames, bool) or not isinstance(frames, int) or frames < 1:
        raise ValueError(f"frames={frames!r} must be a positive integer")
    logmel = np.asarray(logmel)
    if logmel.ndim < 2:
        raise ValueError(f"logmel must be [..., n_mels, T]; got shape {logmel.shape}")
    n_mels, n_frames = logmel.shape[-2:]
    if n_frames < frames:
        raise ValueError(f"a log-mel of {n_frames} frames cannot give vectors of {frames} frames")
    windows = sliding_window_view(np.swapaxes(logmel, -1, -2), frames, axis=-2)  # [..., V, n_mels, frames]
    windows = np.swapaxes(windows, -1, -2)  # [..., V, frames, n_mels]
    return windows.reshape(*logmel.shape[:-2], n_frames - frames + 1, frames * n_mels)
