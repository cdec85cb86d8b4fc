"""Direct NumPy references of the channel policies, written from the formulas (not from asdlens' code).

The STFT is built by hand (padding, index matrix, scipy's window, ``np.fft.rfft``), the mel basis is librosa's
and the log is the DCASE baseline's ``20 / power * log10(x + eps)``. Only centred specs with librosa-style
triangles are needed here.
"""

from __future__ import annotations

import numpy as np
import scipy.signal

SR = 16000


def stereo(seconds: float = 0.5, seed: int = 0, batch: int = 2) -> np.ndarray:
    """``[batch, 2, samples]`` float32: near = machine hum + low noise; far = the hum delayed, low-passed and
    weaker, plus strong noise partly shared with the near microphone (so every policy gives something else)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    t = np.arange(n) / SR
    clips = []
    for b in range(batch):
        hum = sum(0.2 / k * np.sin(2 * np.pi * (60 + 7 * b) * k * t + k) for k in range(1, 9))
        wind = scipy.signal.lfilter([1.0], [1.0, -0.95], rng.standard_normal(n)) * 0.02
        near = hum + 0.2 * wind + 0.005 * rng.standard_normal(n)
        path = scipy.signal.lfilter([0, 0, 0, 0.5, 0.3], [1.0], hum)  # 3 samples later, low-passed
        far = path + wind + 0.05 * rng.standard_normal(n)
        clips.append(np.stack([near, far]))
    return np.stack(clips).astype(np.float32)


def stft(x: np.ndarray, n_fft: int, hop: int, pad_mode: str = "reflect") -> np.ndarray:
    """Centred STFT ``[frames, bins]`` of a 1-D signal in float64 with a periodic Hann window."""
    padded = np.pad(np.asarray(x, np.float64), n_fft // 2, mode=pad_mode)
    n_frames = 1 + (padded.size - n_fft) // hop
    index = np.arange(n_fft)[None, :] + hop * np.arange(n_frames)[:, None]
    return np.fft.rfft(padded[index] * scipy.signal.get_window("hann", n_fft, fftbins=True), axis=-1)


def gain(c: np.ndarray, f: np.ndarray, kind: str, eps: float) -> np.ndarray:
    """Least squares over frames (axis 0) per bin: complex H or magnitude g of C ~ H F."""
    den = np.sum(np.abs(f) ** 2, axis=0) + eps
    if kind == "complex":
        return np.sum(c * np.conj(f), axis=0) / den
    return np.sum(np.abs(c) * np.abs(f), axis=0) / den


def subtracted(c: np.ndarray, f: np.ndarray, channels, h=None) -> np.ndarray:
    """The subtracted magnitude ``m`` of two STFTs ``[frames, bins]`` (``h``: the gain, or None for 1)."""
    a, floor = channels.over_subtraction, channels.floor_value
    h = 1.0 if h is None else h
    if channels.policy == "magnitude_subtraction":
        near, far = np.abs(c), a * h * np.abs(f)
        return np.where(near > far, near - far, floor * near)
    return np.maximum(np.abs(c - a * h * f), floor * np.abs(c))


def logmel_of_power(power: np.ndarray, spec) -> np.ndarray:
    """``[n_mels, frames]``: librosa's mel basis times a ``[frames, bins]`` power spectrum, then the spec's log."""
    import librosa

    basis = librosa.filters.mel(
        sr=spec.sample_rate,
        n_fft=spec.n_fft,
        n_mels=spec.n_mels,
        fmin=spec.fmin,
        fmax=spec.f_max,
        norm="slaney",
        dtype=np.float64,
    )
    mel = basis.astype(np.float64) @ power.T
    if spec.log is None:
        return mel
    assert spec.log == "dcase"
    return 20.0 / spec.power * np.log10(mel + spec.eps)


def reference(clip: np.ndarray, spec, channels, transfer=None) -> np.ndarray:
    """The policy's features of one clip ``[2, samples]``: ``[n_mels, frames]`` (``both``: ``[2, ...]``)."""
    x = np.asarray(clip, np.float64)
    if channels.policy in ("near", "far", "mean"):
        mono = {"near": x[0], "far": x[1], "mean": (x[0] + x[1]) / 2}[channels.policy]
        return logmel_of_power(np.abs(stft(mono, spec.n_fft, spec.hop, spec.pad_mode)) ** spec.power, spec)
    if channels.policy == "both":
        return np.stack([reference(np.stack([ch, ch]), spec, type(channels)("near")) for ch in x])
    c, f = (stft(ch, spec.n_fft, spec.hop, spec.pad_mode) for ch in x)
    method = channels.transfer_method
    h = None
    if method == "clip":
        h = gain(c, f, channels.transfer_kind, channels.transfer_eps)
    elif method == "fitted":
        h = transfer.gain
    return logmel_of_power(subtracted(c, f, channels, h) ** spec.power, spec)
