"""identify, step 3: the window (type, length, position) traced from unit impulses at sub-hop offsets."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ..features import MelSpec
from ..features import filters as _filters
from ..features.spec import WINDOWS
from .distance import level_db
from .probes import FrameLayout, LogCandidate, Probe


def _level(y: np.ndarray, cand: LogCandidate) -> np.ndarray:
    spec = MelSpec(log=cand.log, power=cand.power, hop_length=1)
    return level_db(y, spec)


def _impulse_levels(out: np.ndarray, cand: LogCandidate) -> tuple[np.ndarray, np.ndarray]:
    """Levels (dB) of an impulse probe's output and a mask of readings too close to the floor to trust.

    The all-zero frames show the floor: for ``dcase`` and ``ln`` it is ``eps``, which is subtracted so that
    readings a little above it are still exact; for ``db`` values above ``amin`` are exact as they are.
    """
    lowest = float(out.min())
    if cand.log in ("dcase", "ln"):
        to_mel = (lambda v: 10.0 ** (v * cand.power / 20.0)) if cand.log == "dcase" else np.exp
        eps = float(to_mel(lowest))
        mel = to_mel(out) - eps
        with np.errstate(divide="ignore", invalid="ignore"):
            lev = (20.0 / cand.power) * np.log10(mel)
        return lev, ~(mel > 0.1 * eps) | ~np.isfinite(lev)
    lev = _level(out, cand)
    return lev, lev <= lev.min() + FLOOR_MARGIN_DB


def _floor_mask(y: np.ndarray) -> np.ndarray:
    """True where the output is at its floor (the value of an all-zero frame, or a top_db clip)."""
    lowest = y.min()
    return y <= lowest + 1e-6 * (1.0 + abs(lowest))


@dataclass
class _WindowTrace:
    u: np.ndarray  # impulse position minus frame start (hop * t), samples
    level: np.ndarray  # dB relative to the peak, NaN where at the floor
    peak: np.ndarray  # per band: the level of the loudest point (the reference of ``level``)


def _impulse_trace(
    probe: Probe,
    cand: LogCandidate,
    hop: int,
    residues: list[int],
    spacing: int,
    peak: np.ndarray | None = None,
) -> _WindowTrace:
    """One call with unit impulses at ``base + j * spacing + residues[j]``; returns the traced window levels
    relative to ``peak`` (per band; default: this call's loudest point)."""
    base = 2 * spacing + hop * -(
        -8192 // hop
    )  # a multiple of hop: impulse j lands on u = residues[j] (mod hop)
    positions = [base + j * spacing + r for j, r in enumerate(residues)]
    y = np.zeros(positions[-1] + spacing + 8192, np.float32)
    y[positions] = 1.0
    out = probe(y)
    lev, floor = _impulse_levels(out, cand)
    us, rows = [], []
    n_frames = out.shape[1]
    for s in positions:
        t_lo = max(0, (s - spacing // 2) // hop)
        t_hi = min(n_frames, (s + spacing // 2) // hop + 1)
        for t in range(t_lo, t_hi):
            us.append(s - t * hop)
            rows.append(np.where(floor[:, t], np.nan, lev[:, t]))
    rows = np.array(rows)  # [points, bands]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-floor rows and bands are expected here
        if peak is None:
            peak = np.nanmax(rows, axis=0)
        rel = rows - peak[None, :]
        usable = np.isfinite(peak)
        level = np.nanmedian(rel[:, usable], axis=1) if usable.any() else np.full(len(us), np.nan)
    return _WindowTrace(np.array(us), level, peak)


def _fit_window(trace: _WindowTrace, hop: int) -> list[tuple[float, str, bool, int, int]]:
    """Candidate windows ``(error_db, name, periodic, win_length, offset)`` best first; ``offset`` is the
    window index of position ``u = 0``."""
    seen = np.isfinite(trace.level)
    if seen.sum() < 3:
        raise ValueError(
            "the impulse probe left fewer than 3 frames above the output floor; cannot trace a window"
        )
    u, lev = trace.u[seen], trace.level[seen]
    zero_u = trace.u[~seen]
    extent = int(u.max() - u.min() + 1)
    peak_u = float(np.mean(u[lev > lev.max() - 3.0]))
    results = []
    lengths = range(max(2, extent - 4), extent + max(24, extent // 8))
    for name in WINDOWS:
        for periodic in (True, False):
            for n in lengths:
                w = _filters.window(MelSpec(n_fft=n, window=name, periodic=periodic, hop_length=1))
                with np.errstate(divide="ignore"):
                    wdb = 20.0 * np.log10(np.abs(w))
                centre = float(np.argmax(w)) if name == "boxcar" else (n / 2 if periodic else (n - 1) / 2)
                guess = int(round(centre - peak_u))
                for c in (
                    range(guess - 3, guess + 4)
                    if name != "boxcar"
                    else range(-int(u.min()) - 2, -int(u.min()) + 3)
                ):
                    idx = u + c
                    inside = (idx >= 0) & (idx < n)
                    if not inside.all():
                        continue
                    pred = wdb[idx]
                    if not np.isfinite(pred).all():
                        continue
                    resid = lev - pred
                    err = float(np.mean(np.abs(resid - np.median(resid))))
                    zi = zero_u + c
                    zin = (zi >= 0) & (zi < n)
                    if zin.any() and (wdb[zi[zin]] > -30.0).any():
                        continue  # the function saw nothing where this window is loud
                    results.append((err, name, periodic, n, c))
    if not results:
        raise ValueError("no window shape fits the impulse probe")
    results.sort(key=lambda r: r[0])
    best = results[0][0]
    return [r for r in results if r[0] <= 3.0 * best + 1e-4][:8]


def _trace_window(probe: Probe, cand: LogCandidate, layout: FrameLayout):
    hop = layout.hop
    # One impulse first: how many frames see it bounds the window length.
    single = np.zeros(8 * MAX_WIN, np.float32)
    single[4 * MAX_WIN] = 1.0
    out = probe(single)
    seen_frames = int((~_floor_mask(out)).any(axis=0).sum())
    support = (seen_frames + 1) * hop
    spacing = hop * (support // hop + 3)
    step = max(1, hop // 64)
    coarse = _impulse_trace(probe, cand, hop, list(range(0, hop, step)), spacing)
    windows = _fit_window(coarse, hop)
    if step > 1:
        # Second pass at single-sample steps around the window's edges (decides boxcar and truncated tails).
        _, _, _, n, c = windows[0]
        edges = [(-c + d) % hop for d in range(-step - 2, step + 3)] + [
            (n - c + d) % hop for d in range(-step - 2, step + 3)
        ]
        fine = _impulse_trace(probe, cand, hop, sorted(set(edges)), spacing, peak=coarse.peak)
        trace = _WindowTrace(
            np.concatenate([coarse.u, fine.u]), np.concatenate([coarse.level, fine.level]), coarse.peak
        )
        windows = _fit_window(trace, hop)
    return windows


MAX_WIN = 16384
MAX_FIT_FRAMES = 96
POLISHED = 3  # filterbank readings refined and tried on the test clip
FLOOR_MARGIN_DB = 20.0  # impulse readings this close to the output floor are not used to trace the window
