"""identify, steps 4 and 6: the FFT size candidates and the mel filterbank read from a chirp."""

from __future__ import annotations

import dataclasses

import numpy as np

from ..features import MelSpec, framing, mel_filterbank, melspectrogram
from .compare import first_frame_centre
from .identify_window import MAX_FIT_FRAMES, _floor_mask, _level
from .probes import FrameLayout, LogCandidate


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
