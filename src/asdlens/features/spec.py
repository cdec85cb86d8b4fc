"""`MelSpec`: every setting that changes a log-mel number, validated at construction.

Field meanings follow librosa wherever librosa has the setting. The fields librosa does not have are the
ones the peers need: ``pad_end`` and ``window_position="left"`` (tf.signal frames ``win_length`` samples and
zero-fills them up to the FFT size), ``triangles="mel"`` (tf.signal and Keras build triangles that are
linear on the mel axis; librosa and torchaudio build them on the Hz axis).
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass, fields
from typing import Any

from ..keys import stable_hash

WINDOWS = ("hann", "hamming", "blackman", "boxcar")
PAD_MODES = ("constant", "reflect")
WINDOW_POSITIONS = ("center", "left")
MEL_SCALES = ("slaney", "htk")
NORMS = ("slaney", None)
TRIANGLES = ("hz", "mel")
LOGS = (None, "dcase", "db", "ln")
DTYPES = ("float32", "float64")

#: Field groups in pipeline order. The differ walks and attributes over these; one place for the grouping.
FIELD_GROUPS: dict[str, tuple[str, ...]] = {
    "framing": ("center", "pad_mode", "pad_end", "hop_length"),
    "window": ("window", "periodic", "win_length", "window_position"),
    "fft_size": ("n_fft",),
    "magnitude": ("power",),
    "mel_scale": ("mel_scale",),
    "frequency_range": ("fmin", "fmax"),
    "filter_norm": ("norm",),
    "triangle_domain": ("triangles",),
    "n_mels": ("n_mels",),
    "log": ("log", "ref", "amin", "top_db", "eps"),
    "signal": ("sample_rate", "dtype"),
}


def _choice(name: str, value: Any, allowed: tuple) -> None:
    if value not in allowed:
        raise ValueError(f"MelSpec.{name}={value!r} is not allowed; choose one of {list(allowed)}")


def _positive_int(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"MelSpec.{name}={value!r} must be a positive integer")


@dataclass(frozen=True)
class MelSpec:
    """Every setting of a log-mel frontend.

    Parameters
    ----------
    sample_rate : int
        Sampling rate of the audio in Hz.
    n_fft : int
        FFT size; the spectrum has ``n_fft // 2 + 1`` bins.
    win_length : int or None
        Window length in samples, ``<= n_fft``. None means ``n_fft`` (librosa).
    hop_length : int or None
        Samples between frames. None means ``win_length // 4`` (librosa).
    window : {"hann", "hamming", "blackman", "boxcar"}
        Window shape (scipy.signal.get_window names).
    periodic : bool
        Periodic (DFT-even, librosa/tf/torch default) or symmetric window.
    window_position : {"center", "left"}
        Where a window shorter than ``n_fft`` sits. "center": frames are ``n_fft`` long and the window is
        zero-padded on both sides (librosa, keras.ops.stft). "left": frames are ``win_length`` long and
        zero-filled at the end up to ``n_fft`` (tf.signal.stft with ``fft_length > frame_length``).
    center : bool
        Pad ``n_fft // 2`` samples on both sides so frame ``t`` is centred on sample ``t * hop_length``.
    pad_mode : {"constant", "reflect"}
        Padding used by ``center``: zeros (librosa >= 0.10) or reflection (librosa <= 0.9, keras, torchaudio).
    pad_end : bool
        tf.signal style: zero-pad the end so that every sample starts a frame (``ceil(n / hop)`` frames).
        Only with ``center=False``.
    power : float
        Exponent of the magnitude: 1.0 for magnitude, 2.0 for power.
    n_mels : int
        Number of mel bands.
    fmin, fmax : float
        Band edges of the filterbank in Hz. ``fmax=None`` means ``sample_rate / 2``.
    mel_scale : {"slaney", "htk"}
        Mel formula: Slaney's (linear below 1 kHz, log above; librosa default) or HTK's
        ``2595 log10(1 + f / 700)`` (tf.signal, keras, torchaudio).
    norm : {"slaney", None}
        "slaney" scales each triangle to unit area in Hz (``2 / bandwidth``); None keeps peak 1.
    triangles : {"hz", "mel"}
        Triangles linear in Hz (librosa, torchaudio) or linear in mel (tf.signal, keras).
    log : {None, "dcase", "db", "ln"}
        None: the mel power itself. "dcase": ``20 / power * log10(x + eps)`` (DCASE 2020 baseline).
        "db": librosa ``power_to_db(x, ref, amin, top_db)`` (``top_db`` applied per clip). "ln": ``log(x + eps)``.
    ref : float or "max"
        Reference of "db"; "max" is librosa's ``ref=np.max`` (per clip).
    amin : float
        Floor of "db".
    top_db : float or None
        Dynamic range kept by "db", per clip.
    eps : float
        Offset of "dcase" and "ln"; the DCASE baseline uses ``sys.float_info.epsilon``.
    dtype : {"float32", "float64"}
        Output precision. float32 matches librosa on float32 audio; float64 matches librosa on float64 audio.
    """

    sample_rate: int = 16000
    n_fft: int = 2048
    win_length: int | None = None
    hop_length: int | None = None
    window: str = "hann"
    periodic: bool = True
    window_position: str = "center"
    center: bool = True
    pad_mode: str = "constant"
    pad_end: bool = False
    power: float = 2.0
    n_mels: int = 128
    fmin: float = 0.0
    fmax: float | None = None
    mel_scale: str = "slaney"
    norm: str | None = "slaney"
    triangles: str = "hz"
    log: str | None = None
    ref: float | str = 1.0
    amin: float = 1e-10
    top_db: float | None = 80.0
    eps: float = sys.float_info.epsilon
    dtype: str = "float32"

    def __post_init__(self) -> None:
        _positive_int("sample_rate", self.sample_rate)
        _positive_int("n_fft", self.n_fft)
        _positive_int("n_mels", self.n_mels)
        if self.win_length is not None:
            _positive_int("win_length", self.win_length)
            if self.win_length > self.n_fft:
                raise ValueError(
                    f"MelSpec.win_length={self.win_length} is larger than n_fft={self.n_fft}; "
                    "the window must fit in the FFT frame"
                )
        if self.hop_length is not None:
            _positive_int("hop_length", self.hop_length)
        if self.hop < 1:
            raise ValueError(f"MelSpec.hop_length resolves to {self.hop}; set it explicitly (>= 1)")
        _choice("window", self.window, WINDOWS)
        _choice("window_position", self.window_position, WINDOW_POSITIONS)
        _choice("pad_mode", self.pad_mode, PAD_MODES)
        _choice("mel_scale", self.mel_scale, MEL_SCALES)
        _choice("norm", self.norm, NORMS)
        _choice("triangles", self.triangles, TRIANGLES)
        _choice("log", self.log, LOGS)
        _choice("dtype", self.dtype, DTYPES)
        for name in ("periodic", "center", "pad_end"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"MelSpec.{name}={getattr(self, name)!r} must be True or False")
        if self.pad_end and self.center:
            raise ValueError(
                "MelSpec.pad_end=True needs center=False (tf.signal pads the end, librosa centres)"
            )
        if not self.power > 0:
            raise ValueError(f"MelSpec.power={self.power!r} must be positive (1.0 magnitude, 2.0 power)")
        nyquist = self.sample_rate / 2
        if self.fmin < 0:
            raise ValueError(f"MelSpec.fmin={self.fmin!r} must be >= 0 Hz")
        if self.fmax is not None and self.fmax > nyquist:
            raise ValueError(
                f"MelSpec.fmax={self.fmax!r} is above the Nyquist frequency {nyquist:g} Hz "
                f"of sample_rate={self.sample_rate}"
            )
        if self.fmin >= self.f_max:
            raise ValueError(f"MelSpec.fmin={self.fmin!r} must be below fmax={self.f_max!r}")
        if isinstance(self.ref, str):
            _choice("ref", self.ref, ("max",))
        elif not self.ref > 0:
            raise ValueError(f"MelSpec.ref={self.ref!r} must be positive or 'max'")
        if not self.amin > 0:
            raise ValueError(f"MelSpec.amin={self.amin!r} must be positive")
        if self.top_db is not None and not self.top_db >= 0:
            raise ValueError(f"MelSpec.top_db={self.top_db!r} must be >= 0 or None")
        if not self.eps >= 0:
            raise ValueError(f"MelSpec.eps={self.eps!r} must be >= 0")

    # Resolved values: librosa's None defaults, in one place.
    @property
    def win(self) -> int:
        """Window length in samples (``win_length`` or ``n_fft``)."""
        return self.n_fft if self.win_length is None else self.win_length

    @property
    def hop(self) -> int:
        """Hop length in samples (``hop_length`` or ``win // 4``)."""
        return self.win // 4 if self.hop_length is None else self.hop_length

    @property
    def f_max(self) -> float:
        """Upper band edge in Hz (``fmax`` or Nyquist)."""
        return self.sample_rate / 2 if self.fmax is None else float(self.fmax)

    @property
    def n_freqs(self) -> int:
        return self.n_fft // 2 + 1

    def resolved(self) -> MelSpec:
        """The same spec with every None default written out."""
        return dataclasses.replace(self, win_length=self.win, hop_length=self.hop, fmax=self.f_max)

    def canonical(self) -> MelSpec:
        """:meth:`resolved`, with every setting that cannot change a number set to its default.

        Two specs with equal canonical forms give identical arrays: ``window_position`` when the window fills
        the frame, ``pad_mode`` without centring, the dB parameters unless ``log="db"``, ``eps`` unless the log
        adds it. :meth:`key` hashes this form, so caches and the ladders of ``diff``/``explain`` treat such
        specs as one.
        """
        spec, default = self.resolved(), MelSpec()
        changes: dict[str, Any] = {}
        if spec.win == spec.n_fft:
            changes["window_position"] = default.window_position
        if not spec.center:
            changes["pad_mode"] = default.pad_mode
        if spec.log != "db":
            changes.update(ref=default.ref, amin=default.amin, top_db=default.top_db)
        if spec.log not in ("dcase", "ln"):
            changes["eps"] = default.eps
        return dataclasses.replace(spec, **changes)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MelSpec:
        """Build from a mapping, naming unknown keys instead of a bare TypeError."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown MelSpec field(s) {unknown}; known fields: {sorted(known)}")
        return cls(**coerce_fields(data))

    def key(self) -> str:
        """Short stable hash of the settings that change a number (:meth:`canonical`), for caches."""
        return stable_hash(self.canonical().to_dict(), length=12)

    def diff_fields(self, other: MelSpec) -> list[str]:
        """Names of the fields whose resolved values differ."""
        a, b = self.resolved().to_dict(), other.resolved().to_dict()
        return [name for name in a if a[name] != b[name]]


_FLOAT_FIELDS = ("power", "fmin", "fmax", "amin", "top_db", "eps")


def coerce_fields(data: dict[str, Any]) -> dict[str, Any]:
    """Coerce text values (from YAML, JSON or ``--set field=value``) to the field types."""
    out = dict(data)
    for name, value in data.items():
        if isinstance(value, str):
            low = value.strip().lower()
            if low in ("none", "null"):
                out[name] = None
            elif low in ("true", "false"):
                out[name] = low == "true"
            elif name in ("sample_rate", "n_fft", "win_length", "hop_length", "n_mels"):
                try:
                    out[name] = int(value)
                except ValueError:
                    raise ValueError(f"MelSpec.{name}={value!r} must be an integer") from None
            elif name in _FLOAT_FIELDS or (name == "ref" and low != "max"):
                try:
                    out[name] = float(value)
                except ValueError:
                    raise ValueError(f"MelSpec.{name}={value!r} must be a number") from None
        elif name in _FLOAT_FIELDS and isinstance(value, int) and not isinstance(value, bool):
            out[name] = float(value)
    return out
