"""``identify``: the :class:`MelSpec` that reproduces an unknown mel-spectrogram function.

The problem has structure, so each setting is read from a probe made for it, not searched on a grid:

1. two input lengths give the orientation and ``n_mels``; bisecting the frame count gives the hop and the
   effective frame length (centred, ``pad_end`` or unpadded framing);
2. doubling the input gives the log kind and the power (a power spectrogram scales by ``2**power``, a log one
   shifts by a known number of dB);
3. isolated unit impulses have a flat spectrum, so each frame's output is ``window[k]**power`` times a constant
   per band: impulses at many sub-hop offsets trace the window, whose shape, length and position in the frame
   give the window type, ``win_length``, ``n_fft`` (where the position shows it) and ``window_position``;
4. a chirp locates each band's centre frequency; a straight line through them on the Slaney or HTK mel axis
   gives ``fmin``/``fmax``, refined (Nelder-Mead, then snapped to whole Hz) for each norm and triangle domain
   against a chirp + noise probe with the spectrum computed once;
5. silence gives the log's floor (``eps``, ``amin``, ``top_db``), the offset gives ``ref``;
6. the few remaining candidates (``pad_mode``, ``n_fft`` where the frames do not show it) are run on a test
   clip and the one with the smallest residual wins.

The residual is :func:`asdlens.diff.distance` of the spec's output against the function's, in dB.
"""

from __future__ import annotations

import dataclasses
import math
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from ..features import MelSpec, framing, mel_filterbank, melspectrogram
from ..features import filters as _filters
from ..features.spec import WINDOWS
from .compare import first_frame_centre
from .distance import DISTANCE_NAME, level_db
from .gap import one_blas_thread
from .probes import FrameLayout, LogCandidate, Probe, frame_layout, log_candidates

#: A spec reproduces a function when the mean level difference on the test clip is at most this (dB).
TOLERANCE_DB = 1e-3


@dataclass(frozen=True)
class Identification:
    """The closest spec found for a function, and how close it is."""

    spec: dict  # MelSpec fields
    transposed: bool  # the function returns [frames, n_mels]
    residual_db: float  # mean |level difference| on the test clip, dB
    max_residual_db: float
    reproduced: bool  # residual_db <= TOLERANCE_DB
    message: str
    evidence: dict  # what each probe showed
    calls: int  # calls of the function
    seconds: float
    distance: str = DISTANCE_NAME

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def melspec(self) -> MelSpec:
        return MelSpec(**self.spec)


def _test_signal(sample_rate: int, seconds: float = 3.0, seed: int = 1) -> np.ndarray:
    """Hum with harmonics, clicks and noise: a machine-like clip with content in every band."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    y = sum(0.2 / k * np.sin(2 * np.pi * 60 * k * t + k) for k in range(1, 12))
    y = y * (1 + 0.3 * np.sin(2 * np.pi * 2 * t)) + 0.03 * rng.standard_normal(t.size)
    for c in rng.choice(t.size - 256, size=int(5 * seconds), replace=False):
        y[c : c + 256] += 0.4 * np.exp(-np.arange(256) / 40) * rng.standard_normal(256)
    return y.astype(np.float32)


# ---------------------------------------------------------------- window from impulses


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


# ---------------------------------------------------------------- spectral candidates


def _pow2_above(n: int) -> int:
    return 1 << max(0, (n - 1).bit_length())


def _spectral_candidates(layout: FrameLayout, windows, sample_rate: int) -> list[MelSpec]:
    """Framings consistent with both the frame counts and where the window sits in the frame."""
    out = []
    for _, name, periodic, win, c in windows:
        sizes = {win, _pow2_above(win), 2 * _pow2_above(win)}
        if c > 0:
            sizes |= {2 * c, 2 * c + 1}
        if c < 0:
            sizes |= {win - 2 * c, win - 2 * c + 1}
        for n_fft in sorted(s for s in sizes if s >= win):
            for position in ("center", "left"):
                for center, pad_end in ((True, False), (False, True), (False, False)):
                    try:
                        spec = MelSpec(
                            sample_rate=sample_rate,
                            n_fft=n_fft,
                            win_length=win,
                            hop_length=layout.hop,
                            window=name,
                            periodic=periodic,
                            window_position=position,
                            center=center,
                            pad_end=pad_end,
                            fmax=None,
                        )
                    except ValueError:
                        continue
                    if _window_index_at_zero(spec) != c:
                        continue
                    try:
                        if any(framing(spec, n).n_frames != t for n, t in layout.counts.items()):
                            continue
                    except ValueError:
                        continue
                    out.append(spec)
    return list(dict.fromkeys(out))


def _window_index_at_zero(spec: MelSpec) -> int:
    """Window index applied to sample ``t * hop`` of the clip in frame ``t``."""
    pad = spec.n_fft // 2 if spec.center else 0
    start = (spec.n_fft - spec.win) // 2 if spec.window_position == "center" else 0
    return pad - start


# ---------------------------------------------------------------- filterbank from a chirp


def _chirp_probe(sample_rate: int, seconds: float, tail: int) -> tuple[np.ndarray, int]:
    n = int(seconds * sample_rate)
    t = np.arange(n) / sample_rate
    nyq = sample_rate / 2
    chirp = 0.5 * np.sin(2 * np.pi * (nyq / (2 * seconds)) * t**2)
    rng = np.random.default_rng(7)
    noise = 0.2 * rng.standard_normal(n // 4)
    return np.concatenate([chirp, noise, np.zeros(tail)]).astype(np.float32), n


def _band_centres(level: np.ndarray, frames: np.ndarray, spec: MelSpec, n_chirp: int):
    """Chirp frequency where each band is loudest (Hz), and which bands had a peak. ``frames``: the frame index
    of each column of ``level``."""
    nyq = spec.sample_rate / 2
    centres = first_frame_centre(spec) + spec.hop * frames
    in_chirp = (centres > 0) & (centres < n_chirp)
    freq = nyq * centres[in_chirp] / n_chirp
    lev = level[:, in_chirp]
    out, ok = np.zeros(level.shape[0]), np.zeros(level.shape[0], bool)
    for i, row in enumerate(lev):
        if not np.isfinite(row).any():
            continue
        top = row >= np.nanmax(row) - 1.0
        out[i], ok[i] = float(np.mean(freq[top])), True
    return out, ok


class _FilterFit:
    """Fits fmin/fmax for one spectral candidate by matching levels on the chirp + noise probe."""

    def __init__(self, spec: MelSpec, cand: LogCandidate, observed: np.ndarray, x: np.ndarray, n_mels: int):
        self.spec, self.cand, self.n_mels = spec, cand, n_mels
        s64 = dataclasses.replace(spec, dtype="float64", power=cand.power)
        self.spectrum = np.asarray(melspectrogram(x, s64, stages=True)["spectrum"])  # [bins, frames]
        self.observed = _level(observed, cand)
        floor = _floor_mask(observed)
        usable = ~floor & np.isfinite(self.observed)
        usable &= self.observed > np.nanmax(np.where(usable, self.observed, -np.inf)) - 70.0
        keep = usable.any(axis=0)  # frames of silence only inform the log floor, not the filterbank
        if keep.sum() > MAX_FIT_FRAMES:  # evenly thinned: the fit needs the sweep, not every frame of it
            chosen = np.flatnonzero(keep)[np.linspace(0, keep.sum() - 1, MAX_FIT_FRAMES).astype(int)]
            keep = np.zeros_like(keep)
            keep[chosen] = True
        self.spectrum = np.ascontiguousarray(self.spectrum[:, keep])
        self.observed, self.usable = self.observed[:, keep], usable[:, keep]
        self.frames_kept = keep
        self.also: list[LogCandidate] = []

    def same_problem(self, other: _FilterFit) -> bool:
        return (
            self.cand.power == other.cand.power
            and self.spectrum.shape == other.spectrum.shape
            and self.observed.shape == other.observed.shape
            and np.array_equal(self.spectrum, other.spectrum)
            and np.allclose(self.observed, other.observed, atol=1e-9, equal_nan=True)
        )

    def filter_spec(self, fmin, fmax, scale, norm, triangles) -> MelSpec:
        return dataclasses.replace(
            self.spec,
            n_mels=self.n_mels,
            fmin=float(fmin),
            fmax=float(fmax),
            mel_scale=scale,
            norm=norm,
            triangles=triangles,
            power=self.cand.power,
        )

    def error(self, fmin, fmax, scale, norm, triangles) -> float:
        try:
            spec = self.filter_spec(fmin, fmax, scale, norm, triangles)
        except ValueError:
            return 1e6
        mel = mel_filterbank(spec) @ self.spectrum
        with np.errstate(divide="ignore"):
            model = (20.0 / self.cand.power) * np.log10(mel)
        mask = self.usable & np.isfinite(model)
        if mask.sum() < 0.5 * self.usable.sum():
            return 1e3
        resid = (self.observed - model)[mask]
        return float(np.mean(np.abs(resid - np.median(resid))))

    def fit(self, start, scale, norm, triangles, *, coarse: bool = False) -> tuple[float, float, float]:
        """Nelder-Mead on (fmin, fmax) from ``start``; unless ``coarse``, then snapped to whole Hz (0, Nyquist)
        when that fits at least as well. Returns ``(error_db, fmin, fmax)``."""
        import scipy.optimize

        nyq = self.spec.sample_rate / 2
        res = scipy.optimize.minimize(
            lambda v: self.error(v[0], v[1], scale, norm, triangles),
            np.array(start, float),
            method="Nelder-Mead",
            options={
                "xatol": 2.0 if coarse else 0.02,
                "fatol": 1e-3 if coarse else 1e-8,
                "initial_simplex": _simplex(start, 3.0 if coarse else 1.0),
                "maxiter": 40 if coarse else 300,
            },
        )
        fmin, fmax = float(res.x[0]), float(res.x[1])
        best = (float(res.fun), fmin, fmax)
        if coarse:
            return best
        for lo in {round(fmin), 0.0 if fmin < 1 else round(fmin)}:
            for hi in {round(fmax), nyq if abs(fmax - nyq) < 1 else round(fmax)}:
                e = self.error(lo, min(hi, nyq), scale, norm, triangles)
                if e <= best[0] * 1.05 + 1e-6:
                    best = (e, float(lo), float(min(hi, nyq)))
        return best


def _simplex(start, size: float):
    a, b = start
    return np.array([[a, b], [a + 5.0 * size, b], [a, b - 12.0 * size]])


def _coarse_filterbanks(fit: _FilterFit, n_chirp: int, n_mels: int) -> list[tuple]:
    """Rough (fmin, fmax) for each mel scale, norm and triangle domain: ``(error, fit, combo, start)``."""
    from ..features.filters import hz_to_mel, mel_to_hz

    spec = fit.spec
    levels = np.where(fit.usable, fit.observed, np.nan)
    centres, ok = _band_centres(levels, np.flatnonzero(fit.frames_kept), spec, n_chirp)
    nyq = spec.sample_rate / 2
    idx = np.arange(n_mels) + 1.0
    found = []
    for scale in ("slaney", "htk"):
        if ok.sum() >= 2:
            mels = hz_to_mel(centres[ok], scale=scale)
            slope, lo = np.polyfit(idx[ok], mels, 1)
            hi = lo + slope * (n_mels + 1)
            f0 = float(np.clip(mel_to_hz(lo, scale=scale), 0.0, nyq * 0.9))
            f1 = float(np.clip(mel_to_hz(hi, scale=scale), f0 + 50.0, nyq))
        else:
            f0, f1 = 0.0, nyq
        for norm in ("slaney", None):
            for triangles in ("hz", "mel"):
                err, fmin, fmax = fit.fit((f0, f1), scale, norm, triangles, coarse=True)
                found.append((err, fit, (scale, norm, triangles), (fmin, fmax)))
    return found


# ---------------------------------------------------------------- log parameters


def _log_specs(spec: MelSpec, cand: LogCandidate, x: np.ndarray, observed: np.ndarray) -> list[MelSpec]:
    """Complete the log stage: ``ref`` from the offset, ``eps``/``amin`` from silent frames, ``top_db`` from a
    clipped floor. Returns the plausible variants."""
    base = dataclasses.replace(spec, log=cand.log, power=cand.power, dtype="float64")
    if cand.log is None:
        return [dataclasses.replace(base, log=None)]
    mel = np.asarray(melspectrogram(x, dataclasses.replace(base, log=None)))
    silent = mel <= 0.0
    lowest = float(observed.min())
    if cand.log in ("dcase", "ln"):
        floor_value = float(np.median(observed[silent])) if silent.any() else None
        if floor_value is None:
            return [dataclasses.replace(base, eps=sys.float_info.epsilon)]
        if cand.log == "dcase":
            eps = 10.0 ** (floor_value * cand.power / 20.0)
        else:
            eps = math.exp(floor_value)
        return [dataclasses.replace(base, eps=_snap(eps, (sys.float_info.epsilon, 1e-10, 1e-8, 1e-6, 1e-12)))]
    # power_to_db
    out = []
    loud = ~silent & (observed > lowest + 1e-6)
    if cand.ref_max:
        ref: float | str = "max"
    else:
        with np.errstate(divide="ignore"):
            offset = float(np.median((observed - 10.0 * np.log10(np.maximum(mel, 1e-30)))[loud]))
        ref = _snap(10.0 ** (-offset / 10.0), (1.0,))
    top = float(observed.max() - lowest)
    if abs(top - round(top)) < 1e-3:  # a clipped floor a whole number of dB below the peak: top_db
        out.append(dataclasses.replace(base, ref=ref, top_db=float(round(top))))
    if silent.any():
        ref_db = 10.0 * math.log10(float(mel.max())) if ref == "max" else 10.0 * math.log10(float(ref))
        amin = 10.0 ** ((float(np.median(observed[silent])) + ref_db) / 10.0)
        out.append(
            dataclasses.replace(base, ref=ref, top_db=None, amin=_snap(amin, (1e-10, 1e-5, 1e-8, 1e-12)))
        )
    out.append(dataclasses.replace(base, ref=ref, top_db=None))
    return out


def _snap(value: float, nice: tuple[float, ...]) -> float:
    for v in nice:
        if abs(value - v) <= 1e-3 * abs(v):
            return v
    return float(f"{value:.6g}")


# ---------------------------------------------------------------- main


def _structured(
    probe, logs, layout, evidence, x_fb, n_chirp, observed_fb, n_mels, sample_rate
) -> list[MelSpec]:
    """Steps 3-5 of the module docstring: window, framing, filterbank and log, read from the probes."""
    # Window per log reading; keep the readings whose window fits best.
    traced = []
    for cand in logs:
        windows = _trace_window(probe, cand, layout)
        traced.append((windows[0][0], cand, windows))
    traced.sort(key=lambda r: r[0])
    best_window_err = traced[0][0]
    traced = [t for t in traced if t[0] <= 3.0 * best_window_err + 1e-3]
    evidence["window"] = [
        {"window": w[1], "periodic": w[2], "win_length": w[3], "fit_db": w[0]} for w in traced[0][2][:3]
    ]
    rough = []
    fitted: list[_FilterFit] = []
    for _, cand, windows in traced:
        for spectral in _spectral_candidates(layout, windows, sample_rate)[:8]:
            if framing(spectral, x_fb.size).n_frames != observed_fb.shape[1]:
                continue
            fit = _FilterFit(spectral, cand, observed_fb, x_fb, n_mels)
            twin = next((f for f in fitted if f.same_problem(fit)), None)
            if twin is not None:
                # Same spectrum and levels as an earlier candidate (a periodic window equals a longer symmetric
                # one; dcase and power_to_db read alike): fit once, keep both log readings.
                twin.also.append(cand)
                continue
            fitted.append(fit)
            rough.extend(_coarse_filterbanks(fit, n_chirp, n_mels))
    rough.sort(key=lambda r: r[0])
    finalists: list[MelSpec] = []
    polished = []
    for _, fit, combo, start in rough:
        key = (combo, fit.cand.log, fit.cand.power)
        if key in polished:
            continue  # the same filterbank reading on a near-identical spectral candidate
        polished.append(key)
        if len(polished) > POLISHED:
            break
        _, fmin, fmax = fit.fit(start, *combo)
        bank = fit.filter_spec(fmin, fmax, *combo)
        for cand in [fit.cand, *fit.also]:
            for logged in _log_specs(bank, cand, x_fb, observed_fb):
                finalists.append(logged)
                if logged.center:
                    other = "reflect" if logged.pad_mode == "constant" else "constant"
                    finalists.append(dataclasses.replace(logged, pad_mode=other))
    return finalists


def _preset_distance(spec: MelSpec) -> int:
    """Fewest fields in which ``spec`` differs from a preset."""
    from ..features import get_preset, list_presets

    return min(len(get_preset(name).diff_fields(spec)) for name in list_presets())


def _preset_fallbacks(n_mels, hop, sample_rate, logs) -> list[MelSpec]:
    """Every preset with the function's band count, hop, sample rate and log reading: a safety net."""
    from ..features import get_preset, list_presets

    out = []
    for name in list_presets():
        for cand in logs:
            try:
                spec = get_preset(name)
                fmax = None if spec.fmax is None or spec.fmax > sample_rate / 2 else spec.fmax
                spec = dataclasses.replace(
                    spec,
                    sample_rate=sample_rate,
                    n_mels=n_mels,
                    hop_length=hop,
                    fmax=fmax,
                    log=cand.log,
                    power=cand.power,
                    ref="max" if cand.ref_max else spec.ref,
                )
            except ValueError:
                continue
            for center, pad_end in ((True, False), (False, True), (False, False)):
                out.append(dataclasses.replace(spec, center=center, pad_end=pad_end))
    return out


def residual(spec: MelSpec, reference: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Mean and max absolute level difference (dB) between ``spec`` on ``y`` and a reference output
    ``[n_mels, frames]`` (on the frames both have)."""
    ours = level_db(melspectrogram(y, spec), spec)
    theirs = level_db(reference, spec)
    frames = min(ours.shape[1], theirs.shape[1])  # a different frame count is compared on the common frames
    diff = np.abs(ours[:, :frames] - theirs[:, :frames])
    return float(diff.mean()), float(diff.max())


def identify(
    fn: Callable,
    audio=None,
    sample_rate: int = 16000,
    *,
    name: str = "function",
    tolerance_db: float = TOLERANCE_DB,
) -> Identification:
    """Find the :class:`MelSpec` that reproduces ``fn``.

    Parameters
    ----------
    fn : callable
        Takes a float32 ``[samples]`` array, returns a mel spectrogram ``[n_mels, frames]`` or
        ``[frames, n_mels]`` (NumPy, TensorFlow or torch), power or log.
    audio : array_like, optional
        Test clip ``[samples]`` at ``sample_rate`` for the final residual; default: a generated machine-like clip.
    sample_rate : int
        Hz.
    name : str
        How messages refer to ``fn``.
    tolerance_db : float
        Residual (mean absolute level difference, dB) up to which the spec counts as reproducing ``fn``.

    Returns
    -------
    Identification
        The closest spec, the residual on the test clip and whether it is within ``tolerance_db``.

    Raises
    ------
    ValueError
        If ``fn`` raises, returns something that is not a 2-D spectrogram, or its frames do not follow the input.
    """
    with one_blas_thread():
        return _identify(fn, audio, sample_rate, name=name, tolerance_db=tolerance_db)


def _identify(fn, audio, sample_rate, *, name, tolerance_db) -> Identification:
    started = time.perf_counter()
    probe = Probe(fn, name)
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, int) or sample_rate < 1:
        raise ValueError(f"sample_rate={sample_rate!r} must be a positive integer (Hz)")
    rng = np.random.default_rng(3)
    noise = (0.1 * rng.standard_normal(4 * sample_rate + 3 * MAX_WIN)).astype(np.float32)
    base = max(sample_rate, 2 * MAX_WIN)
    n_mels = probe.layout(noise[:base], noise[: base + 2 * sample_rate])
    layout = frame_layout(probe, noise, base)
    logs = log_candidates(probe, noise[: 2 * sample_rate])
    evidence: dict = {
        "n_mels": n_mels,
        "transposed": probe.transposed,
        "hop": layout.hop,
        "effective_frame_length": layout.l_eff,
        "log_readings": [dataclasses.asdict(c) for c in logs],
    }

    x_fb, n_chirp = _chirp_probe(sample_rate, 4.0, tail=4 * MAX_WIN // 2)
    observed_fb = probe(x_fb)
    test = _test_signal(sample_rate) if audio is None else np.asarray(audio, dtype=np.float32)
    reference = probe(test)
    try:
        finalists = _structured(
            probe, logs, layout, evidence, x_fb, n_chirp, observed_fb, n_mels, sample_rate
        )
    except ValueError as exc:
        # The function does something the probes cannot read (noise, an unknown window): fall back to the
        # nearest preset-shaped specs below and report the residual.
        evidence["structure_failed"] = str(exc)
        finalists = []
    finalists += _preset_fallbacks(n_mels, layout.hop, sample_rate, logs)
    scored = []
    for spec in dict.fromkeys(finalists):
        spec = dataclasses.replace(spec, dtype=probe.out_dtype)
        if spec.n_mels != reference.shape[0]:
            continue
        frames_match = framing(spec, test.size).n_frames == reference.shape[1]
        mean, peak = residual(spec, reference, test)
        scored.append((not frames_match, mean, peak, spec))
    if not scored:
        raise ValueError(f"{name}: no candidate spec gives the function's output shape {reference.shape}")
    scored.sort(key=lambda r: r[:3])
    frames_differ, best, _, _ = scored[0]
    # Specs that tie (e.g. "dcase" and power_to_db without a floor in reach read alike): prefer the one
    # closest to a known preset, the simpler story.
    tied = [r for r in scored if r[0] == frames_differ and r[1] <= best + 0.1 * tolerance_db]
    frames_differ, mean, peak, spec = min(tied, key=lambda r: (_preset_distance(r[3]), r[1]))
    evidence["candidates_tried"] = len(scored)
    reproduced = mean <= tolerance_db and not frames_differ
    if frames_differ:
        message = (
            f"NOT REPRODUCED: no spec gives {name}'s frame count ({reference.shape[1]} frames for {test.size} "
            f"samples); the closest spec leaves {mean:.3g} dB (max {peak:.3g} dB) on the common frames"
        )
    elif reproduced:
        message = f"{name} is reproduced by this spec: residual {mean:.2e} dB (max {peak:.2e} dB)"
    else:
        message = (
            f"NOT REPRODUCED: the closest spec leaves a residual of {mean:.3g} dB (max {peak:.3g} dB), above "
            f"{tolerance_db:g} dB; {name} does something no MelSpec describes (added noise, an unknown mel "
            "scale or window, a different log)"
        )
    return Identification(
        spec=spec.to_dict(),
        transposed=bool(probe.transposed),
        residual_db=mean,
        max_residual_db=peak,
        reproduced=reproduced,
        message=message,
        evidence=evidence,
        calls=probe.calls,
        seconds=time.perf_counter() - started,
    )
