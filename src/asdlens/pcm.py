"""16-bit PCM: the one scale between int16 samples and float samples in [-1, 1).

Reading divides by 32768 (as librosa and soundfile do), writing multiplies by it, rounds and clips to the int16
range. A power of two, so a float32 read of a 16-bit file is exact and ``quantize`` returns exactly what reading
the file it would be written to returns.
"""

from __future__ import annotations

import numpy as np

INT16_SCALE = 32768.0


def to_int16(y: np.ndarray) -> np.ndarray:
    """Float samples to int16 PCM: scaled by 32768, rounded, clipped to [-32768, 32767]; same shape."""
    return np.clip(np.round(y * INT16_SCALE), -32768, 32767).astype(np.int16)


def from_int16(pcm: np.ndarray) -> np.ndarray:
    """int16 PCM to float32 in [-1, 1): divided by 32768 (exact); same shape."""
    return pcm.astype(np.float32) / np.float32(INT16_SCALE)


def quantize(y: np.ndarray) -> np.ndarray:
    """Round to the 16-bit grid and back: the float32 that reading the written file returns; same shape."""
    return from_int16(to_int16(y)).astype(np.float32)
