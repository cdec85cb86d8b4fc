"""The one distance the differ uses: mean absolute difference of two log-mel outputs, in dB of level.

Each spec's final output is read back as a level in decibels, ``20 / power * log10(mel)``, using the unit its log
stage implies, so two specs with different log stages (or none) are comparable:

- ``log=None``: ``20 / power * log10(max(mel, floor))`` with the floor at -100 dB (``1e-10`` in power);
- ``log="dcase"``: already ``20 / power * log10(mel + eps)``;
- ``log="db"``: ``power_to_db`` is ``10 * log10`` of the mel value, so it is scaled by ``2 / power``;
- ``log="ln"``: ``ln(mel + eps)`` scaled by ``20 / power / ln(10)``.

A change of log *kind* alone is therefore a change of units and costs (almost) 0 dB; ``ref``, ``top_db``,
``amin`` and ``eps`` change levels and cost what they change.

When the two outputs have different band counts, the first is linearly interpolated along the band axis at the
second's band positions, band ``i`` of ``n`` sitting at ``(i + 1) / (n + 1)`` of the mel range (where the band
centres sit). Frames are compared index by index on the frames both have: a model sees frame ``t`` as frame ``t``,
so a frame offset is part of the gap.
"""

from __future__ import annotations

import math

import numpy as np

from ..features import MelSpec

#: One line that the terminal output, JSON and report print with every number in dB.
DISTANCE_NAME = "mean |Δ| of log-mel level in dB (20/power·log10 mel, each spec's own log read back as dB)"
#: How to read the numbers (terminal, JSON and report print it).
NOTE = (
    "A change of log kind alone is a change of units and costs about 0 dB; groups that must change together to "
    "keep every spec valid are one step (e.g. window+fft_size)."
)
FLOOR_DB = -100.0  # floor of log=None outputs: 1e-10 in power


def level_db(out: np.ndarray, spec: MelSpec) -> np.ndarray:
    """A spec's output ``[..., n_mels, frames]`` as a level in dB (float64), see the module docstring."""
    x = np.asarray(out, dtype=np.float64)
    p = float(spec.power)
    if spec.log is None:
        floor = 10.0 ** (FLOOR_DB / 10.0 * p / 2.0)
        return (20.0 / p) * np.log10(np.maximum(x, floor))
    if spec.log == "dcase":
        return x
    if spec.log == "db":
        return (2.0 / p) * x
    return (20.0 / p / math.log(10.0)) * x


def resample_bands(x: np.ndarray, n_mels: int) -> np.ndarray:
    """Interpolate ``x [..., bands, frames]`` linearly to ``n_mels`` bands at the band-centre positions."""
    n = x.shape[-2]
    if n == n_mels:
        return x
    src = (np.arange(n) + 1.0) / (n + 1.0)
    dst = (np.arange(n_mels) + 1.0) / (n_mels + 1.0)
    moved = np.moveaxis(x, -2, -1)
    flat = moved.reshape(-1, n)
    out = np.stack([np.interp(dst, src, row) for row in flat])
    return np.moveaxis(out.reshape(*moved.shape[:-1], n_mels), -1, -2)


def level_distance(x_db: np.ndarray, y_db: np.ndarray, *, offset: int = 0) -> float:
    """Mean absolute difference in dB between two level arrays ``[bands, frames]``.

    ``x`` is resampled to ``y``'s band count; frame ``t + offset`` of ``x`` is compared with frame ``t`` of ``y``
    over the frames both have.
    """
    x = resample_bands(x_db, y_db.shape[-2])
    xs, ys = align_frames(x, y_db, offset)
    if xs.shape[-1] == 0:
        raise ValueError(
            f"no common frames at frame offset {offset} ({x.shape[-1]} vs {y_db.shape[-1]} frames)"
        )
    return float(np.mean(np.abs(xs - ys)))


def align_frames(x: np.ndarray, y: np.ndarray, offset: int) -> tuple[np.ndarray, np.ndarray]:
    """The frames both arrays have when frame ``t + offset`` of ``x`` pairs with frame ``t`` of ``y``."""
    tx, ty = x.shape[-1], y.shape[-1]
    start_y = max(0, -offset)
    stop_y = min(ty, tx - offset)
    if stop_y <= start_y:
        return x[..., :0], y[..., :0]
    return x[..., start_y + offset : stop_y + offset], y[..., start_y:stop_y]


def best_offset(x_db: np.ndarray, y_db: np.ndarray, *, max_offset: int | None = None) -> int:
    """The constant frame offset (frames of ``x`` ahead of ``y``) that minimises :func:`level_distance`.

    Searches ``|offset| <= max_offset`` (default: 8 frames, at most a quarter of the shorter clip), keeping 0
    unless another offset is clearly (1 %) better, so equal-content frames are not shifted by noise.
    """
    x = resample_bands(x_db, y_db.shape[-2])
    shortest = min(x.shape[-1], y_db.shape[-1])
    limit = min(8, shortest // 4) if max_offset is None else max_offset
    best, best_d = 0, level_distance(x, y_db)
    for k in range(-limit, limit + 1):
        if k == 0:
            continue
        d = level_distance(x, y_db, offset=k)
        if d < best_d * 0.99:
            best, best_d = k, d
    return best
