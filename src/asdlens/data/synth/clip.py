"""One synthetic clip: which anomaly, which random streams, the mix; :func:`machine_clip` in memory.

A :class:`Take` is one recording of one machine before it is mixed: the machine, the key that seeds its random
streams, its length and the anomaly drawn for it. Every tree renders its clips from takes, so a clip's samples
depend only on its key (never on how many other clips, IDs or types are generated).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ...pcm import quantize
from . import checks
from .machines import anomaly_kinds, background, machine_sound, mix, reference_power, signature, stable_seed


@dataclass(frozen=True)
class Anomaly:
    """What is wrong with a clip: an anomaly kind of its type (None: normal) and its severity in [0, 1]."""

    kind: str | None = None
    severity: float = 0.0


NORMAL = Anomaly()


def check_kind(machine_type: str, anomaly: str | None) -> None:
    """``anomaly`` is None or one of :func:`~asdlens.data.synth.machines.anomaly_kinds` of the type."""
    kinds = anomaly_kinds(machine_type)
    if anomaly is not None and anomaly not in kinds:
        raise ValueError(f"anomaly={anomaly!r} is not a {machine_type} anomaly; choose one of {list(kinds)}")


def draw_anomaly(machine_type: str, severity: tuple[float, float], stream: tuple) -> Anomaly:
    """An anomaly kind of the type and a severity uniform in ``severity``, from the stream ``("anomaly", *stream)``."""
    rng = np.random.default_rng(stable_seed("anomaly", *stream))
    kinds = anomaly_kinds(machine_type)
    kind = kinds[int(rng.integers(len(kinds)))]
    return Anomaly(kind, float(rng.uniform(*severity)))


@dataclass(frozen=True)
class Take:
    """One recording of one machine before mixing.

    Attributes
    ----------
    machine_type, machine_id : str
        The machine (``machine_id`` holds the section in DCASE 2021-2025 trees).
    key : tuple
        Seeds every random stream of the take (:meth:`rng`).
    n, sr : int
        Samples and Hz.
    anomaly : Anomaly
    """

    machine_type: str
    machine_id: str
    key: tuple
    n: int
    sr: int
    anomaly: Anomaly = NORMAL

    def rng(self, stream: str) -> np.random.Generator:
        """The take's random stream ``stream`` ("machine", "background", "mics")."""
        return np.random.default_rng(stable_seed(stream, *self.key))

    def machine(self, sig=None) -> np.ndarray:
        """The machine alone, float32 ``[n]``, with the take's anomaly; ``sig`` replaces the ID's signature."""
        sig = signature(self.machine_type, self.machine_id) if sig is None else sig
        a = self.anomaly
        return machine_sound(sig, self.n, self.sr, self.rng("machine"), anomaly=a.kind, severity=a.severity)


def mixes(take: Take, snrs: Sequence[float | None], channels: int) -> list[np.ndarray]:
    """The take mixed with its background at each of ``snrs`` (dB; None: no background): float32 ``[channels, n]``
    each. One recording at every SNR, as the MIMII data were made: only the noise gain changes."""
    sig = signature(take.machine_type, take.machine_id)
    machine = take.machine(sig)
    noise = background(take.n, take.sr, take.rng("background"), take.machine_type)
    ref = reference_power(take.machine_type, take.machine_id, take.sr)
    return [
        mix(machine, noise, snr=snr, ref_power=ref, channels=channels, sig=sig, rng=take.rng("mics"))
        for snr in snrs
    ]


@dataclass(frozen=True)
class MachineClip:
    """One synthetic machine clip, validated when made; :meth:`audio` renders it.

    Parameters
    ----------
    machine_type : str
        "pump", "fan", "slider", "valve", "ToyCar", "ToyConveyor" (other names get a generic machine).
    machine_id : str
        Two digits; each ID has its own stable sound.
    anomaly : str or None
        None for a normal clip, or one of ``TYPE_ANOMALIES[machine_type]``.
    severity : float
        Anomaly strength in [0, 1].
    seed : int
        Picks the recording: the same seed gives the same samples.
    duration : float
        Seconds.
    sample_rate : int
        Hz.
    channels : int
        1, or 8 for a MIMII-like array (other counts repeat the array's delays and gains).
    snr : float or None
        Background noise at this SNR in dB (per-ID mean power); None for the machine alone.
    """

    machine_type: str = "pump"
    machine_id: str = "00"
    anomaly: str | None = None
    severity: float = 0.6
    seed: int = 0
    duration: float = 10.0
    sample_rate: int = 16000
    channels: int = 1
    snr: float | None = 6.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "machine_id", str(self.machine_id))
        if not checks.is_two_digits(self.machine_id):
            raise ValueError(f"machine_id={self.machine_id!r} must be two digits, e.g. '00'")
        check_kind(self.machine_type, self.anomaly)
        if not 0.0 <= float(self.severity) <= 1.0:
            raise ValueError(f"severity={self.severity!r} must be in [0, 1]")
        checks.n_samples(self.duration, self.sample_rate)
        if int(self.channels) < 1:
            raise ValueError(f"channels={self.channels!r} must be >= 1")

    def audio(self, *, quantized: bool = True) -> np.ndarray:
        """float32 in [-1, 1]: ``[samples]`` if ``channels == 1`` else ``[channels, samples]``; ``quantized``
        rounds to the 16-bit grid, so the array equals what reading a written 16-bit file returns."""
        anomaly = Anomaly(self.anomaly, float(self.severity)) if self.anomaly else NORMAL
        key = (self.seed, self.machine_type, self.machine_id, "clip", self.anomaly or "normal", 0)
        n = checks.n_samples(self.duration, self.sample_rate)
        take = Take(self.machine_type, self.machine_id, key, n, int(self.sample_rate), anomaly)
        (y,) = mixes(take, [self.snr], int(self.channels))
        y = quantize(y) if quantized else np.clip(y, -1.0, 1.0)
        return y[0] if self.channels == 1 else y


def machine_clip(
    machine_type: str = "pump", machine_id: str = "00", *, quantized: bool = True, **fields
) -> np.ndarray:
    """One synthetic machine clip in memory: ``MachineClip(machine_type, machine_id, **fields).audio()``.

    Parameters
    ----------
    machine_type, machine_id : str
        The machine (see :class:`MachineClip`).
    quantized : bool
        Round to the 16-bit grid, so the array equals what reading a written 16-bit file returns.
    **fields
        Any other field of :class:`MachineClip`: ``anomaly``, ``severity``, ``seed``, ``duration``,
        ``sample_rate``, ``channels``, ``snr``.

    Returns
    -------
    numpy.ndarray
        float32 in [-1, 1]: ``[samples]`` if ``channels == 1`` else ``[channels, samples]``.
    """
    return MachineClip(machine_type, machine_id, **fields).audio(quantized=quantized)
