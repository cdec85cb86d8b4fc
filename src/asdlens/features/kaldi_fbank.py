"""The Kaldi-compatible log-mel filterbank ("fbank"), written from its definition: the constants, the window and
filterbank builders (float64 NumPy, one place) and a NumPy float64 reference. :mod:`.kaldi_torch` computes the
same numbers in torch (batched) from these builders.

BEATs computes its input with ``torchaudio.compliance.kaldi.fbank`` (microsoft/unilm ``beats/BEATs.py`` @ 768a3c87,
``BEATs.preprocess``), and torchaudio cannot be installed beside the torch this project pins, so asdlens has its own.

The definition (torchaudio ``src/torchaudio/compliance/kaldi.py`` @ 2326b750, ``fbank``, ``_get_window``,
``_get_strided``, ``_feature_window_function``, ``get_mel_banks``; it reproduces Kaldi's ``compute-fbank-feats``):

1. frames of ``window_size = int(sample_rate * frame_length_ms * 0.001)`` samples every
   ``window_shift = int(sample_rate * frame_shift_ms * 0.001)``. ``snip_edges=True``: only frames that fit,
   ``1 + (n - window_size) // window_shift`` of them; ``snip_edges=False``: ``(n + window_shift // 2) //
   window_shift`` frames, the first starting ``window_size // 2 - window_shift // 2`` samples before the clip, the
   signal mirrored at both ends (sample ``-1`` is sample ``0``, sample ``n`` is sample ``n - 1``);
2. dither: torchaudio's default is 0.0 (off) and BEATs keeps it; asdlens has no dither (it would make every
   embedding random);
3. ``remove_dc_offset``: each frame minus its mean;
4. pre-emphasis ``x[j] - 0.97 x[max(0, j - 1)]`` within the frame (the first sample uses itself);
5. the window: "povey" (Kaldi's default) is the symmetric Hann window to the power 0.85, i.e.
   ``(0.5 - 0.5 cos(2 pi i / (N - 1))) ** 0.85``; also "hanning", "hamming" (0.54 / 0.46), "rectangular",
   "blackman" (``c - 0.5 cos(a i) + (0.5 - c) cos(2 a i)``, ``a = 2 pi / (N - 1)``, ``c = 0.42``);
6. zero-padding to the next power of two (``round_to_power_of_two``; 400 -> 512 samples), real FFT, power
   ``|X|^2`` (``use_power``; else the magnitude);
7. triangular filters on the Kaldi mel scale ``1127 ln(1 + f / 700)``: ``n_mels + 2`` edges equally spaced in mel
   from ``mel(low_freq)`` to ``mel(high_freq)`` (``low_freq=20`` Hz; ``high_freq <= 0`` is an offset from Nyquist,
   default 0 = Nyquist); each triangle is linear in mel, evaluated at the mel value of the FFT bins
   ``k * sample_rate / padded`` for ``k < padded / 2``; the Nyquist bin gets weight 0;
8. ``log(max(x, eps))`` with ``eps`` = float32 machine epsilon (``use_log``).

Left out, as BEATs does not use them: the energy column (``use_energy``, ``raw_energy``, ``energy_floor``,
``htk_compat`` only change that column), VTLN warping (factor 1), ``subtract_mean`` and ``min_duration``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Any

import numpy as np

from ..keys import stable_hash
from .audio import as_batch

#: ``std::numeric_limits<float>::epsilon()``: the floor of Kaldi's log (torchaudio's ``EPSILON``).
EPSILON = float(np.finfo(np.float32).eps)
#: Kaldi's mel scale: ``MEL_SCALE * ln(1 + f / MEL_BREAK_HZ)``.
MEL_SCALE = 1127.0
MEL_BREAK_HZ = 700.0
KALDI_WINDOWS = ("povey", "hanning", "hamming", "rectangular", "blackman")


def _fail(name: str, value: Any, why: str) -> None:
    raise ValueError(f"KaldiFbankSpec.{name}={value!r} {why}")


@dataclass(frozen=True)
class KaldiFbankSpec:
    """Every setting of the Kaldi fbank. Defaults are torchaudio's ``kaldi.fbank`` defaults.

    Parameters
    ----------
    sample_rate : float
        Sampling rate in Hz.
    frame_length_ms, frame_shift_ms : float
        Frame length and shift in milliseconds (25 and 10).
    n_mels : int
        Number of triangular filters (torchaudio's default 23; BEATs uses 128).
    low_freq : float
        Lower edge of the first filter in Hz (20).
    high_freq : float
        Upper edge of the last filter in Hz; ``<= 0`` is an offset from Nyquist (0: Nyquist).
    preemphasis : float
        Pre-emphasis coefficient in ``[0, 1]`` (0.97; 0 turns it off).
    remove_dc_offset : bool
        Subtract each frame's mean.
    window : {"povey", "hanning", "hamming", "rectangular", "blackman"}
        Window shape (symmetric, as Kaldi's).
    blackman_coeff : float
        The constant of the generalised Blackman window (0.42).
    round_to_power_of_two : bool
        Zero-pad each frame to the next power of two before the FFT.
    snip_edges : bool
        Only frames that fit in the clip (True), or frames every shift with mirrored edges (False).
    use_power : bool
        Power spectrum (True) or magnitude (False).
    use_log : bool
        Log of the filter energies (True) or the energies themselves.
    """

    sample_rate: float = 16000.0
    frame_length_ms: float = 25.0
    frame_shift_ms: float = 10.0
    n_mels: int = 23
    low_freq: float = 20.0
    high_freq: float = 0.0
    preemphasis: float = 0.97
    remove_dc_offset: bool = True
    window: str = "povey"
    blackman_coeff: float = 0.42
    round_to_power_of_two: bool = True
    snip_edges: bool = True
    use_power: bool = True
    use_log: bool = True

    def __post_init__(self) -> None:
        for name in ("remove_dc_offset", "round_to_power_of_two", "snip_edges", "use_power", "use_log"):
            if not isinstance(getattr(self, name), bool):
                _fail(name, getattr(self, name), "must be True or False")
        if not self.sample_rate > 0:
            _fail("sample_rate", self.sample_rate, "must be positive (Hz)")
        if isinstance(self.n_mels, bool) or not isinstance(self.n_mels, int) or self.n_mels < 4:
            _fail("n_mels", self.n_mels, "must be an integer >= 4 (Kaldi needs at least 3 bins)")
        if self.window not in KALDI_WINDOWS:
            _fail("window", self.window, f"is not allowed; choose one of {list(KALDI_WINDOWS)}")
        if not 0.0 <= self.preemphasis <= 1.0:
            _fail("preemphasis", self.preemphasis, "must be in [0, 1]")
        if self.window_size < 2:
            _fail("frame_length_ms", self.frame_length_ms, f"gives {self.window_size} samples; need >= 2")
        if self.window_shift < 1:
            _fail("frame_shift_ms", self.frame_shift_ms, f"gives {self.window_shift} samples; need >= 1")
        if self.padded_window_size % 2:
            _fail("frame_length_ms", self.frame_length_ms, "gives an odd FFT size; use round_to_power_of_two")
        nyquist = self.sample_rate / 2
        if not 0.0 <= self.low_freq < nyquist:
            _fail("low_freq", self.low_freq, f"must be in [0, {nyquist:g}) Hz")
        if not 0.0 < self.high_hz <= nyquist or self.low_freq >= self.high_hz:
            _fail(
                "high_freq",
                self.high_freq,
                f"resolves to {self.high_hz:g} Hz; need low_freq < it <= {nyquist:g}",
            )

    @property
    def window_size(self) -> int:
        """Samples per frame (torchaudio's arithmetic and order: ``int(sr * ms * 0.001)``)."""
        return int(self.sample_rate * self.frame_length_ms * 0.001)

    @property
    def window_shift(self) -> int:
        """Samples between frame starts."""
        return int(self.sample_rate * self.frame_shift_ms * 0.001)

    @property
    def padded_window_size(self) -> int:
        """FFT size: the next power of two of ``window_size`` (or ``window_size``)."""
        if not self.round_to_power_of_two:
            return self.window_size
        return 1 << (self.window_size - 1).bit_length()

    @property
    def n_bins(self) -> int:
        """Spectrum bins: ``padded_window_size // 2 + 1``."""
        return self.padded_window_size // 2 + 1

    @property
    def high_hz(self) -> float:
        """``high_freq`` resolved: a value ``<= 0`` is an offset from Nyquist."""
        return self.high_freq + self.sample_rate / 2 if self.high_freq <= 0 else float(self.high_freq)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def key(self) -> str:
        """Short stable hash of the settings (for cache keys)."""
        return stable_hash(self.to_dict(), length=12)


def kaldi_mel(freq) -> np.ndarray:
    """Hz to Kaldi mel: ``1127 ln(1 + f / 700)`` (float64)."""
    return MEL_SCALE * np.log1p(np.asarray(freq, dtype=np.float64) / MEL_BREAK_HZ)


def kaldi_mel_to_hz(mel) -> np.ndarray:
    """Kaldi mel to Hz, the inverse of :func:`kaldi_mel`."""
    return MEL_BREAK_HZ * np.expm1(np.asarray(mel, dtype=np.float64) / MEL_SCALE)


def n_frames(spec: KaldiFbankSpec, n_samples: int) -> int:
    """Frames of a clip of ``n_samples`` samples (raises ``ValueError`` if shorter than one frame)."""
    if n_samples < spec.window_size:
        raise ValueError(
            f"a clip of {n_samples} samples is shorter than one Kaldi frame ({spec.window_size} samples = "
            f"{spec.frame_length_ms:g} ms at {spec.sample_rate:g} Hz)"
        )
    if spec.snip_edges:
        return 1 + (n_samples - spec.window_size) // spec.window_shift
    return (n_samples + spec.window_shift // 2) // spec.window_shift


def frame_indices(spec: KaldiFbankSpec, n_samples: int) -> np.ndarray:
    """Sample index of every frame sample, ``[n_frames, window_size]`` int64, mirrored edges resolved."""
    m = n_frames(spec, n_samples)
    start = 0 if spec.snip_edges else spec.window_size // 2 - spec.window_shift // 2
    j = np.arange(m)[:, None] * spec.window_shift - start + np.arange(spec.window_size)[None, :]
    j = np.where(j < 0, -j - 1, j)  # mirror at the start: sample -1 is sample 0
    return np.where(j >= n_samples, 2 * n_samples - 1 - j, j)  # and at the end: sample n is sample n - 1


@lru_cache(maxsize=16)
def _window(name: str, size: int, blackman_coeff: float) -> np.ndarray:
    i = np.arange(size, dtype=np.float64)
    a = 2.0 * np.pi / (size - 1)
    if name == "rectangular":
        w = np.ones(size)
    elif name == "hamming":
        w = 0.54 - 0.46 * np.cos(a * i)
    elif name == "blackman":
        w = blackman_coeff - 0.5 * np.cos(a * i) + (0.5 - blackman_coeff) * np.cos(2 * a * i)
    else:
        w = 0.5 - 0.5 * np.cos(a * i)
        if name == "povey":
            w = w**0.85
    w.setflags(write=False)
    return w


def kaldi_window(spec: KaldiFbankSpec) -> np.ndarray:
    """The window, ``[window_size]`` float64, read-only."""
    return _window(spec.window, spec.window_size, float(spec.blackman_coeff))


@lru_cache(maxsize=16)
def _banks(n_mels: int, padded: int, sample_rate: float, low: float, high: float) -> np.ndarray:
    edges = kaldi_mel(low) + np.arange(n_mels + 2) * ((kaldi_mel(high) - kaldi_mel(low)) / (n_mels + 1))
    left, centre, right = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    bin_mel = kaldi_mel(np.arange(padded // 2) * (sample_rate / padded))[None, :]
    up = (bin_mel - left) / (centre - left)
    down = (right - bin_mel) / (right - centre)
    banks = np.zeros((n_mels, padded // 2 + 1))
    banks[:, :-1] = np.maximum(0.0, np.minimum(up, down))  # the Nyquist bin keeps weight 0
    banks.setflags(write=False)
    return banks


def kaldi_mel_banks(spec: KaldiFbankSpec) -> np.ndarray:
    """The triangular filters, ``[n_mels, n_bins]`` float64, read-only (peak 1, no area normalisation)."""
    return _banks(spec.n_mels, spec.padded_window_size, float(spec.sample_rate), spec.low_freq, spec.high_hz)


def kaldi_mel_centres(spec: KaldiFbankSpec) -> np.ndarray:
    """Centre frequency of each filter in Hz, ``[n_mels]`` (equally spaced on the Kaldi mel scale)."""
    lo, hi = kaldi_mel(spec.low_freq), kaldi_mel(spec.high_hz)
    return kaldi_mel_to_hz(lo + np.arange(1, spec.n_mels + 1) * ((hi - lo) / (spec.n_mels + 1)))


def kaldi_fbank_numpy(y, spec: KaldiFbankSpec) -> np.ndarray:
    """The reference: Kaldi fbank of ``y`` in float64, ``[frames, n_mels]`` or ``[batch, frames, n_mels]``.

    ``y`` is ``[samples]`` or ``[batch, samples]`` in the units the caller wants (BEATs scales [-1, 1) audio by
    ``2 ** 15`` first; the log makes that a constant offset ``2 ln(2 ** 15)`` only above the ``eps`` floor).
    """
    batch, squeeze = as_batch(y)
    index = frame_indices(spec, batch.shape[-1])
    window = kaldi_window(spec)
    banks = kaldi_mel_banks(spec)
    out = np.empty((len(batch), len(index), spec.n_mels))
    for c, clip in enumerate(np.asarray(batch, dtype=np.float64)):
        frames = clip[index]  # [frames, window_size]
        if spec.remove_dc_offset:
            frames = frames - frames.mean(axis=1, keepdims=True)
        if spec.preemphasis:
            previous = np.concatenate([frames[:, :1], frames[:, :-1]], axis=1)
            frames = frames - spec.preemphasis * previous
        spectrum = np.abs(np.fft.rfft(frames * window, n=spec.padded_window_size, axis=1))
        energies = (spectrum**2 if spec.use_power else spectrum) @ banks.T
        out[c] = np.log(np.maximum(energies, EPSILON)) if spec.use_log else energies
    return out[0] if squeeze else out
