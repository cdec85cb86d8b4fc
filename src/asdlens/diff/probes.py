"""Probing an unknown frontend: call it safely, read its output's layout, frame count, hop and log kind.

Everything here asks the function small, exact questions (how many frames for ``n`` samples, what happens to the
output when the input doubles) instead of searching a grid of settings.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

MAX_HOP = 16384  # samples; a hop beyond this is not a spectrogram we can probe in seconds


class Probe:
    """Calls ``fn`` on float32 ``[samples]`` arrays and returns its output as float64 ``[bands, frames]``.

    The orientation is learned on the first two calls (:meth:`layout`); every failure becomes a ValueError that
    names the function and the probe.
    """

    def __init__(self, fn: Callable, name: str = "function") -> None:
        if not callable(fn):
            raise ValueError(f"{name} is not callable (got {type(fn).__name__})")
        self.fn, self.name = fn, name
        self.calls = 0
        self.transposed: bool | None = None
        self.out_dtype = "float32"

    def raw(self, y: np.ndarray) -> np.ndarray:
        y = np.ascontiguousarray(y, dtype=np.float32)
        self.calls += 1
        try:
            out = self.fn(y)
        except Exception as exc:  # noqa: BLE001 - any failure of user code is reported, not re-raised
            raise ValueError(
                f"{self.name} raised {type(exc).__name__}: {exc} (on a probe of {y.size} samples)"
            ) from None
        if hasattr(out, "numpy") and not isinstance(out, np.ndarray):
            out = out.detach().cpu().numpy() if hasattr(out, "detach") else out.numpy()
        try:
            arr = np.asarray(out)
        except Exception as exc:  # noqa: BLE001
            raise ValueError(f"{self.name} returned {type(out).__name__}, not an array: {exc}") from None
        while arr.ndim > 2 and arr.shape[0] == 1:
            arr = arr[0]
        if arr.ndim != 2:
            raise ValueError(
                f"{self.name} returned shape {arr.shape} for {y.size} samples; expected a 2-D mel spectrogram "
                "[n_mels, frames] or [frames, n_mels]"
            )
        if not np.issubdtype(arr.dtype, np.floating):
            raise ValueError(f"{self.name} returned dtype {arr.dtype}; expected floating point values")
        if np.isnan(arr).any() or np.isposinf(arr).any():
            raise ValueError(f"{self.name} returned NaN or +inf values for a probe of {y.size} samples")
        self.out_dtype = "float64" if arr.dtype == np.float64 else "float32"
        return arr.astype(np.float64)

    def layout(self, y_short: np.ndarray, y_long: np.ndarray) -> int:
        """Learn the orientation from two lengths; returns the number of mel bands."""
        s1, s2 = self.raw(y_short).shape, self.raw(y_long).shape
        grows = [s2[i] > s1[i] for i in range(2)]
        same = [s2[i] == s1[i] for i in range(2)]
        if grows[1] and same[0]:
            self.transposed = False
            return s1[0]
        if grows[0] and same[1]:
            self.transposed = True
            return s1[1]
        raise ValueError(
            f"{self.name} returned shapes {s1} and {s2} for {y_short.size} and {y_long.size} samples; a "
            "spectrogram keeps its band count and gains frames on longer input"
        )

    def __call__(self, y: np.ndarray) -> np.ndarray:
        out = self.raw(y)
        return out.T if self.transposed else out

    def frames(self, y: np.ndarray) -> int:
        return self(y).shape[1]


@dataclass(frozen=True)
class FrameLayout:
    """What the frame count says: ``frames(n) = 1 + (n - l_eff) // hop``.

    ``l_eff`` is 0 for librosa centring with even ``n_fft``, 1 for ``pad_end``, the frame length without padding.
    """

    hop: int
    l_eff: int
    counts: dict[int, int]  # n_samples -> frames seen


def frame_layout(probe: Probe, noise: np.ndarray, base: int) -> FrameLayout:
    """Hop and effective frame length from two frame-count transitions found by bisection (~30 calls)."""
    counts: dict[int, int] = {}

    def count(n: int) -> int:
        if n not in counts:
            if n > noise.size:
                raise ValueError(f"probe needs {n} samples, more than the {noise.size} prepared")
            counts[n] = probe.frames(noise[:n])
        return counts[n]

    def next_step(start: int) -> int:
        """Smallest n > start with more frames than at start."""
        lo, hi = start, start + MAX_HOP
        if count(hi) <= count(lo):
            raise ValueError(
                f"{probe.name} gives {count(lo)} frames for both {lo} and {hi} samples; the hop is larger "
                f"than {MAX_HOP} samples or the output does not follow the input length"
            )
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if count(mid) > count(start):
                hi = mid
            else:
                lo = mid
        return hi

    n1 = next_step(base)
    n2 = next_step(n1)
    hop = n2 - n1
    if count(n2) != count(n1) + 1 or count(n1) != count(base) + 1:
        raise ValueError(f"{probe.name}: the frame count jumps by more than one frame per sample")
    return FrameLayout(hop=hop, l_eff=n1 - (count(n1) - 1) * hop, counts=dict(counts))


@dataclass(frozen=True)
class LogCandidate:
    log: str | None
    power: float
    ref_max: bool = False


def log_candidates(probe: Probe, y: np.ndarray) -> list[LogCandidate]:
    """Log kind and power from doubling the input: ``mel`` scales by ``2**power``, so a power output scales by
    ``2**power``, ``dcase`` shifts by ``20 log10 2`` dB, ``power_to_db`` by ``10 power log10 2``, ``ln`` by
    ``power ln 2``, and ``power_to_db(ref=max)`` not at all."""
    y1, y2 = probe(y), probe(2.0 * y)
    finite = np.isfinite(y1) & np.isfinite(y2)
    if (y1[finite] >= 0).all() and (y1[finite] > 0).mean() > 0.5:
        pos = finite & (y1 > 0) & (y2 > 0)
        ratio = float(np.median(y2[pos] / y1[pos]))
        spread = float(np.median(np.abs(y2[pos] / y1[pos] - ratio))) / ratio
        if spread < 1e-3 and ratio > 1.0:
            power = math.log2(ratio)
            return [LogCandidate(None, _snap_power(power))]
        if (y1[finite] >= 0).all():
            # Non-negative but not homogeneous (noise added?): read it as a power output, nearest power.
            return [LogCandidate(None, 1.0 if ratio < 2.0**1.5 else 2.0)]
    shift = float(np.median((y2 - y1)[finite]))
    out = []
    tolerance = 0.02
    for power in (1.0, 2.0):
        if abs(shift - 20 * math.log10(2)) < tolerance:
            out.append(LogCandidate("dcase", power))
        if abs(shift - 10 * power * math.log10(2)) < tolerance:
            out.append(LogCandidate("db", power))
        if abs(shift - power * math.log(2)) < tolerance * 0.1:
            out.append(LogCandidate("ln", power))
        if abs(shift) < tolerance:
            out.append(LogCandidate("db", power, ref_max=True))
    if not out:
        # No known log: keep the closest readings so identify can still name the nearest spec.
        out = [LogCandidate("dcase", 2.0), LogCandidate("db", 2.0)]
    return out


def _snap_power(p: float) -> float:
    for nice in (1.0, 2.0):
        if abs(p - nice) < 1e-3:
            return nice
    return round(p, 3)
