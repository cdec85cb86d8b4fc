"""The window and the mel filterbank, built once in float64 with NumPy. Every backend uses these.

Mel formulas (facts): HTK ``m = 2595 log10(1 + f / 700)`` (tf.signal writes it ``1127 ln(1 + f / 700)``, the
same curve; the constant cancels in the triangle ratios); Slaney's Auditory Toolbox scale, linear
``f / (200/3)`` below 1 kHz and logarithmic above with step ``ln(6.4) / 27`` (as in librosa.filters.mel).
The arithmetic follows librosa's order, so the Hz-domain float64 filterbank equals librosa's bit for bit.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .spec import MelSpec

_F_SP = 200.0 / 3  # Slaney: Hz per mel below the break
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP
_LOGSTEP = np.log(6.4) / 27.0


def hz_to_mel(freqs, *, scale: str = "slaney") -> np.ndarray:
    """Hz to mel on the given scale ("slaney" or "htk"). Float64 array out."""
    f = np.asarray(freqs, dtype=np.float64)
    if scale == "htk":
        return 2595.0 * np.log10(1.0 + f / 700.0)
    mels = f / _F_SP
    above = f >= _MIN_LOG_HZ
    with np.errstate(divide="ignore"):
        log_part = _MIN_LOG_MEL + np.log(f / _MIN_LOG_HZ) / _LOGSTEP
    return np.where(above, log_part, mels)


def mel_to_hz(mels, *, scale: str = "slaney") -> np.ndarray:
    """Mel to Hz, the inverse of :func:`hz_to_mel`."""
    m = np.asarray(mels, dtype=np.float64)
    if scale == "htk":
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    freqs = _F_SP * m
    above = m >= _MIN_LOG_MEL
    return np.where(above, _MIN_LOG_HZ * np.exp(_LOGSTEP * (m - _MIN_LOG_MEL)), freqs)


def mel_band_edges(spec: MelSpec) -> np.ndarray:
    """The ``n_mels + 2`` band edges in mel: equally spaced from mel(fmin) to mel(fmax)."""
    lo = hz_to_mel(spec.fmin, scale=spec.mel_scale)
    hi = hz_to_mel(spec.f_max, scale=spec.mel_scale)
    return np.linspace(lo, hi, spec.n_mels + 2)


def fft_frequencies(spec: MelSpec) -> np.ndarray:
    """Centre frequency in Hz of each of the ``n_fft // 2 + 1`` spectrum bins."""
    return np.fft.rfftfreq(n=spec.n_fft, d=1.0 / spec.sample_rate)


@lru_cache(maxsize=64)
def _filterbank(spec: MelSpec) -> np.ndarray:
    edges_mel = mel_band_edges(spec)
    edges_hz = mel_to_hz(edges_mel, scale=spec.mel_scale)
    freqs = fft_frequencies(spec)
    if spec.triangles == "hz":
        # Rising edge -(edge_i - f) / width_i, falling edge (edge_{i+2} - f) / width_{i+1}, in Hz.
        widths = np.diff(edges_hz)
        dist = np.subtract.outer(edges_hz, freqs)
        rising = -dist[:-2] / widths[:-1, None]
        falling = dist[2:] / widths[1:, None]
    else:
        # tf.signal / keras: the same triangles, linear on the mel axis (edges equally spaced in mel).
        bins_mel = hz_to_mel(freqs, scale=spec.mel_scale)
        rising = (bins_mel[None, :] - edges_mel[:-2, None]) / (edges_mel[1:-1] - edges_mel[:-2])[:, None]
        falling = (edges_mel[2:, None] - bins_mel[None, :]) / (edges_mel[2:] - edges_mel[1:-1])[:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    if spec.norm == "slaney":
        weights *= (2.0 / (edges_hz[2:] - edges_hz[:-2]))[:, None]
    weights.setflags(write=False)
    return weights


def mel_filterbank(spec: MelSpec) -> np.ndarray:
    """The mel filterbank, ``[n_mels, n_fft // 2 + 1]``, float64, read-only.

    Only the fields that shape the filterbank are used, so specs differing elsewhere share one cache entry.
    """
    return _filterbank(_filter_key(spec))


def _filter_key(spec: MelSpec) -> MelSpec:
    return MelSpec(
        sample_rate=spec.sample_rate,
        n_fft=spec.n_fft,
        hop_length=1,
        n_mels=spec.n_mels,
        fmin=spec.fmin,
        fmax=spec.f_max,
        mel_scale=spec.mel_scale,
        norm=spec.norm,
        triangles=spec.triangles,
    )


#: Each window as a sum of cosines ``w = sum_k a_k cos(k x)``, ``x`` evenly from -pi to pi, with
#: scipy.signal.windows' coefficients (``hann`` = ``general_hamming(0.5)``; ``hamming`` 0.54 and 1 - 0.54;
#: ``blackman`` 0.42, 0.50, 0.08; ``boxcar`` 1).
COSINE_TERMS = {
    "hann": (0.5, 0.5),
    "hamming": (0.54, 1.0 - 0.54),
    "blackman": (0.42, 0.50, 0.08),
    "boxcar": (1.0,),
}


@lru_cache(maxsize=64)
def _window(name: str, length: int, periodic: bool) -> np.ndarray:
    """``scipy.signal.get_window(name, length, fftbins=periodic)`` in float64, in the same arithmetic (so the
    same bits) without importing scipy.signal, which costs ~0.7 s: a third of a feature worker's start."""
    if name not in COSINE_TERMS:
        raise ValueError(f"window={name!r}; choose one of {sorted(COSINE_TERMS)}")
    n = length + 1 if periodic else length  # periodic: the symmetric window one longer, its last sample cut
    if length <= 1:
        w = np.ones(length, np.float64)
    else:
        x = np.linspace(-np.pi, np.pi, n, dtype=np.float64)
        w = np.zeros(n, np.float64)
        for k, a in enumerate(COSINE_TERMS[name]):
            w += a * np.cos(k * x)
        w = w[:length]
    w.setflags(write=False)
    return w


def window(spec: MelSpec) -> np.ndarray:
    """The analysis window, float64, read-only.

    Length ``n_fft`` with the ``win_length`` window centred in it for ``window_position="center"``
    (librosa's ``pad_center``), or length ``win_length`` for "left" (the FFT zero-fills the rest).
    """
    w = _window(spec.window, spec.win, spec.periodic)
    if spec.window_position == "left" or spec.win == spec.n_fft:
        return w
    left = (spec.n_fft - spec.win) // 2
    out = np.zeros(spec.n_fft)
    out[left : left + spec.win] = w
    out.setflags(write=False)
    return out
