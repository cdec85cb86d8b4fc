"""Machine sound models for the synthetic generator: per-ID signatures, anomalies, factory background.

Everything here is a pure function of its arguments and a ``numpy.random.Generator``; the rest of
:mod:`asdlens.data.synth` decides the seeds (per clip) and writes files. The models are deliberately simple but
carry what a detector of machine sounds keys on:

- rotation: a fundamental ``f0`` with an ID-specific harmonic profile, slow speed wander and per-clip operating
  point (load, speed) whose spread sets how variable the ID's normal sound is (its difficulty);
- structure: broadband noise shaped by the ID's resonances and modulated by the rotation;
- slow amplitude modulation; for valves an open/close cycle with a "clack" per event, for sliders the strokes;
- anomalies with a severity in [0, 1]: bearing clicks, frequency drift, imbalance modulation, a rubbing noise
  band, missing/extra valve events, leak hiss;
- factory-like background: pink-ish noise with rumble, hum from other machines and distant impacts.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import scipy.fft

ANOMALY_KINDS = (
    "bearing_clicks",
    "frequency_drift",
    "imbalance",
    "rubbing",
    "missing_events",
    "extra_events",
    "leak_hiss",
)

# Which anomalies each machine type can show (loosely after the MIMII paper's list: contamination, leakage,
# rotating unbalance, rail damage, ...).
TYPE_ANOMALIES: dict[str, tuple[str, ...]] = {
    "pump": ("leak_hiss", "bearing_clicks", "imbalance", "frequency_drift", "rubbing"),
    "fan": ("imbalance", "bearing_clicks", "rubbing", "frequency_drift"),
    "slider": ("rubbing", "bearing_clicks", "frequency_drift", "missing_events"),
    "valve": ("missing_events", "extra_events", "leak_hiss", "bearing_clicks"),
    "ToyCar": ("bearing_clicks", "rubbing", "imbalance", "frequency_drift"),
    "ToyConveyor": ("rubbing", "bearing_clicks", "frequency_drift", "imbalance"),
}
#: The anomalies of a type not in TYPE_ANOMALIES (the generic machine of other type names).
GENERIC_ANOMALIES = ANOMALY_KINDS[:4] + ("leak_hiss",)

# Per type: rotation frequency range (Hz), number of harmonics, harmonic decay, event period range (s) or None.
_TYPE_MODEL: dict[str, dict] = {
    "pump": dict(f0=(22.0, 48.0), harmonics=24, decay=(4.0, 9.0), events=None, hum=0.8),
    "fan": dict(f0=(12.0, 28.0), harmonics=32, decay=(8.0, 16.0), events=None, hum=0.5),
    "slider": dict(f0=(45.0, 70.0), harmonics=12, decay=(3.0, 6.0), events=(0.8, 1.5), hum=0.35),
    "valve": dict(f0=(50.0, 60.0), harmonics=8, decay=(2.0, 4.0), events=(0.4, 1.1), hum=0.12),
    "ToyCar": dict(f0=(70.0, 140.0), harmonics=20, decay=(5.0, 10.0), events=None, hum=0.9),
    "ToyConveyor": dict(f0=(28.0, 60.0), harmonics=16, decay=(4.0, 8.0), events=None, hum=0.6),
}
_GENERIC_MODEL = dict(f0=(20.0, 80.0), harmonics=16, decay=(4.0, 10.0), events=None, hum=0.6)

_TABLE = 8192  # wavetable length: nearest-sample lookup, phase error < 2*pi*K/8192


def model_type(machine_type: str) -> str:
    """The type whose sound model a type uses: DCASE 2026's emulated ``ToyCarEmu``, ``valveEmu`` ... that of
    the machine they emulate (``ToyCar``, ``valve``); every other type its own."""
    return machine_type.removesuffix("Emu") if machine_type.endswith("Emu") else machine_type


def anomaly_kinds(machine_type: str) -> tuple[str, ...]:
    """The anomalies a machine type can show: ``TYPE_ANOMALIES`` of its :func:`model_type`, or the generic
    machine's."""
    return TYPE_ANOMALIES.get(model_type(machine_type), GENERIC_ANOMALIES)


def stable_seed(*parts) -> int:
    """A 32-bit seed from strings/ints that is the same in every Python process (``hash()`` is not)."""
    return zlib.crc32("\x1f".join(map(str, parts)).encode())


@dataclass(frozen=True, eq=False)
class Signature:
    """The fixed sound of one machine (type x ID). Amplitudes are linear; frequencies in Hz."""

    machine_type: str
    machine_id: str
    f0: float
    harmonic_amps: np.ndarray  # [K]
    harmonic_phases: np.ndarray  # [K]
    resonances: np.ndarray  # [R, 3]: centre Hz, bandwidth Hz, gain
    broadband: float  # level of the resonant broadband part relative to the harmonic part (RMS)
    rotation_mod: float  # depth of the broadband modulation by the rotation
    am_rate: float  # Hz
    am_depth: float
    spread: float  # normal variability (1 = typical); larger is harder
    anomaly_gain: float  # scales anomaly strength per ID; smaller is harder
    event_period: float | None  # s (valve, slider)
    event_duty: float
    event_freqs: np.ndarray  # [3] Hz of the event "clack" resonances
    click_freq: float  # Hz, resonance excited by bearing clicks
    rub_band: tuple[float, float]  # Hz
    mic_delays: np.ndarray  # [8] samples
    mic_gains: np.ndarray  # [8]


@lru_cache(maxsize=256)
def signature(machine_type: str, machine_id: str) -> Signature:
    """The signature of one machine: a pure function of type and ID, the same for every seed."""
    rng = np.random.default_rng(stable_seed("signature", machine_type, machine_id))
    model = _TYPE_MODEL.get(model_type(machine_type), _GENERIC_MODEL)
    f0 = rng.uniform(*model["f0"])
    k = np.arange(1, model["harmonics"] + 1)
    decay = rng.uniform(*model["decay"])
    amps = np.exp(-(k - 1) / decay) * rng.lognormal(0.0, 0.6, k.size)
    if machine_type == "fan":  # blade-pass harmonic of a 4-7 blade fan stands out
        amps[rng.integers(4, 8) - 1] *= 4.0
    amps *= model["hum"] / np.sqrt(0.5 * np.sum(amps**2))  # harmonic part RMS = model["hum"]
    n_res = int(rng.integers(3, 6))
    centres = np.sort(np.exp(rng.uniform(np.log(250.0), np.log(6000.0), n_res)))
    resonances = np.stack(
        [centres, centres * rng.uniform(0.05, 0.25, n_res), rng.uniform(0.3, 1.0, n_res)], 1
    )
    events = model["events"]
    # Difficulty: IDs differ in how much their normal sound varies and how loud their faults get.
    spread = float(rng.uniform(0.5, 1.8))
    anomaly_gain = float(rng.uniform(0.55, 1.0))
    rub_lo = rng.uniform(900.0, 3500.0)
    return Signature(
        machine_type=machine_type,
        machine_id=machine_id,
        f0=float(f0),
        harmonic_amps=amps,
        harmonic_phases=rng.uniform(0, 2 * np.pi, k.size),
        resonances=resonances,
        broadband=float(rng.uniform(0.3, 0.8)),
        rotation_mod=float(rng.uniform(0.1, 0.5)),
        am_rate=float(rng.uniform(0.2, 3.0)),
        am_depth=float(rng.uniform(0.03, 0.2)),
        spread=spread,
        anomaly_gain=anomaly_gain,
        event_period=None if events is None else float(rng.uniform(*events)),
        event_duty=float(rng.uniform(0.25, 0.6)),
        event_freqs=np.sort(rng.uniform(600.0, 5000.0, 3)),
        click_freq=float(rng.uniform(2500.0, 6500.0)),
        rub_band=(float(rub_lo), float(rub_lo * rng.uniform(1.3, 1.8))),
        mic_delays=np.concatenate([[0], rng.integers(-3, 4, 7)]).astype(int),
        mic_gains=np.concatenate([[1.0], rng.uniform(0.8, 1.0, 7)]),
    )


def _freqs(n: int, sr: int) -> np.ndarray:
    return np.fft.rfftfreq(n, 1.0 / sr)


def _bands(f: np.ndarray, bands: np.ndarray) -> np.ndarray:
    """Sum of resonance magnitude responses (second-order-like peaks) over frequencies ``f``."""
    out = np.zeros_like(f)
    for centre, width, gain in bands:
        out += gain / np.sqrt(1.0 + ((f - centre) / (0.5 * width)) ** 2)
    return out


def _shaped_noise(rng: np.random.Generator, n: int, magnitude: np.ndarray) -> np.ndarray:
    """White noise filtered by ``magnitude`` (rfft bins), scaled so that its RMS is the RMS of ``magnitude``."""
    white = rng.standard_normal(n, dtype=np.float32)
    spec = scipy.fft.rfft(white)
    spec *= magnitude
    return scipy.fft.irfft(spec, n)  # Parseval: the output RMS is about the RMS of ``magnitude``


def _convolve_events(impulses: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    n = impulses.size
    size = scipy.fft.next_fast_len(n + kernel.size)
    out = scipy.fft.irfft(scipy.fft.rfft(impulses, size) * scipy.fft.rfft(kernel, size), size)
    return out[:n]


def _decaying(freqs, decay_s: float, sr: int, length_s: float, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(length_s * sr)) / sr
    phases = rng.uniform(0, 2 * np.pi, len(freqs))
    return (
        np.exp(-t / decay_s) * np.sum(np.sin(2 * np.pi * np.outer(freqs, t) + phases[:, None]), 0)
    ).astype(np.float32)


def _slow(rng: np.random.Generator, n: int, sr: int, amount: float, fmax: float = 0.5) -> np.ndarray:
    """A slow random curve (three sinusoids below ``fmax`` Hz), standard deviation about ``amount``, ``[n]``.

    Evaluated at 100 Hz and interpolated: full-rate sines would cost more than the rest of a clip.
    """
    coarse = np.arange(0.0, n / sr + 0.02, 0.01)
    f = rng.uniform(0.03, fmax, 3)
    ph = rng.uniform(0, 2 * np.pi, 3)
    curve = amount * np.sqrt(2.0 / 3.0) * np.sin(2 * np.pi * f[:, None] * coarse + ph[:, None]).sum(0)
    return np.interp(np.arange(n) / sr, coarse, curve).astype(np.float32)


def _event_times(rng, sig: Signature, seconds: float) -> np.ndarray:
    period = sig.event_period * (1 + 0.03 * sig.spread * rng.standard_normal())
    start = rng.uniform(0, period)
    times = np.arange(start, seconds, period)
    return times + 0.01 * sig.spread * rng.standard_normal(times.size) * period


_GRID = np.arange(_TABLE) / _TABLE
_COS = np.cos(2 * np.pi * _GRID).astype(np.float32)  # cos lookup by rotation phase index


def _unit(y: np.ndarray) -> np.ndarray:
    return y / max(float(np.sqrt(np.mean(np.square(y, dtype=np.float64)))), 1e-12)


def machine_sound(
    sig: Signature,
    n: int,
    sr: int,
    rng: np.random.Generator,
    *,
    anomaly: str | None = None,
    severity: float = 0.0,
) -> np.ndarray:
    """One clip of the machine alone (no background), float32 ``[n]``, RMS near 1 for a normal clip.

    ``severity`` in [0, 1] scales the anomaly; it is multiplied by the ID's ``anomaly_gain``.
    """
    strength = float(severity) * sig.anomaly_gain

    # Operating point of this clip: speed, load and timbre vary a little from clip to clip (more for IDs with
    # a larger spread: their normal sound is less predictable, so their anomalies are harder to detect).
    f0 = sig.f0 * (1.0 + 0.006 * sig.spread * rng.standard_normal())
    load_db = 0.8 * sig.spread * rng.standard_normal()
    track = f0 * (1.0 + _slow(rng, n, sr, 0.002 * sig.spread).astype(np.float64))
    if anomaly == "frequency_drift":
        direction = rng.choice([-1.0, 1.0])
        track *= 1.0 + direction * strength * (0.10 + 0.15 * (np.arange(n) / n) ** 1.5)
    cycles = np.cumsum(track) / sr  # float64: float32 would lose the phase after a few seconds
    phase_idx = (cycles * _TABLE).astype(np.int64) & (_TABLE - 1)

    k = np.arange(1, sig.harmonic_amps.size + 1)
    amps = sig.harmonic_amps * np.exp(0.06 * sig.spread * rng.standard_normal(k.size))
    amps = np.where(k * f0 * 1.1 < sr / 2, amps, 0.0)
    if anomaly == "imbalance":
        amps = amps.copy()
        amps[0] += 1.5 * strength * np.sqrt(np.sum(amps**2))
        amps[1] *= 1.0 + 2.0 * strength
    table = (amps[:, None] * np.cos(2 * np.pi * k[:, None] * _GRID + sig.harmonic_phases[:, None])).sum(0)
    y = table.astype(np.float32)[phase_idx]

    f = _freqs(n, sr)
    shape = _bands(f, sig.resonances) + 0.15 / np.sqrt(1.0 + f / 500.0)
    broadband = _shaped_noise(
        rng, n, (shape * (sig.broadband / np.sqrt(np.mean(shape**2)))).astype(np.float32)
    )
    mod_depth = sig.rotation_mod + (0.6 * strength if anomaly == "imbalance" else 0.0)
    y += broadband * (1.0 + mod_depth * _COS[phase_idx])
    y *= 1.0 + _slow(rng, n, sr, sig.am_depth, fmax=sig.am_rate)

    if sig.event_period is not None:
        y = _add_events(y, sig, sr, rng, anomaly, strength)

    y = _add_fault_sound(y, sig, sr, rng, anomaly, strength, phase_idx)
    return (y * 10 ** (load_db / 20.0)).astype(np.float32)


def _add_fault_sound(
    y, sig: Signature, sr: int, rng, anomaly: str | None, strength: float, phase_idx
) -> np.ndarray:
    """The anomalies that add a sound of their own: bearing clicks, rubbing once per turn, leak hiss."""
    n = y.size
    seconds = n / sr
    f = _freqs(n, sr)
    if anomaly == "bearing_clicks":
        rate = rng.uniform(5.0, 15.0)  # clicks per second, Poisson
        times = np.cumsum(rng.exponential(1.0 / rate, int(rate * seconds * 2) + 4))
        times = times[times < seconds]
        impulses = np.zeros(n, np.float32)
        impulses[(times * sr).astype(int)] = rng.uniform(0.5, 1.0, times.size)
        kernel = _decaying([sig.click_freq, sig.click_freq * 1.37], 0.0025, sr, 0.02, rng)
        y += (6.0 * strength) * _convolve_events(impulses, kernel).astype(np.float32)
    elif anomaly == "rubbing":
        lo, hi = sig.rub_band
        rub = _unit(_shaped_noise(rng, n, ((f >= lo) & (f <= min(hi, 0.49 * sr))).astype(np.float32)))
        offset = int(rng.integers(_TABLE))
        contact = np.clip(_COS[(phase_idx + offset) & (_TABLE - 1)], 0.0, None)  # contact once per turn
        y += (0.9 * strength) * rub * contact
    elif anomaly == "leak_hiss":
        hiss = _unit(
            _shaped_noise(
                rng, n, (np.clip((f - 2500.0) / 2000.0, 0.0, 1.0) * (f < 0.49 * sr)).astype(np.float32)
            )
        )
        y += (0.4 * strength) * hiss
    return y


def _add_events(y, sig: Signature, sr: int, rng, anomaly: str | None, strength: float) -> np.ndarray:
    """Valve open/close or slider strokes: a clack at each event, flow/slide noise while open."""
    n = y.size
    seconds = n / sr
    times = _event_times(rng, sig, seconds)
    keep = np.ones(times.size, bool)
    extra = np.zeros(0)
    if anomaly == "missing_events" and times.size:
        keep = rng.random(times.size) > 0.25 + 0.6 * strength
        if keep.all():
            keep[rng.integers(times.size)] = False
    elif anomaly == "extra_events":
        extra = rng.uniform(0, seconds, max(1, int(round(times.size * (0.4 + 1.2 * strength)))))
    times = times[keep]
    open_len = sig.event_duty * sig.event_period
    gate = np.zeros(n, np.float32)
    impulses = np.zeros(n, np.float32)
    for start in np.concatenate([times, extra]):
        a = int(max(start, 0) * sr)
        b = int(min(start + open_len, seconds) * sr)
        if a >= n:
            continue
        gate[a:b] = 1.0
        impulses[a] += 1.0
        if b < n:
            impulses[b] += 0.7
    kernel = _decaying(sig.event_freqs, 0.012, sr, 0.08, rng)
    clacks = _convolve_events(impulses, kernel).astype(np.float32)
    # Between events the machine is quieter (valve closed, slider at rest).
    return y * (0.35 + 0.65 * gate) + 0.5 * clacks


@lru_cache(maxsize=64)
def hall(machine_type: str) -> tuple[float, np.ndarray]:
    """The factory hall a machine type was recorded in: spectral tilt and the hum frequencies (Hz) of the
    other machines there. Fixed per type, as MIMII recorded each type in its own real factory; only levels and
    phases change from clip to clip (a background that changed colour per clip would swamp the anomalies)."""
    rng = np.random.default_rng(stable_seed("hall", machine_type))
    return float(rng.uniform(0.8, 1.2)), rng.uniform(40.0, 400.0, int(rng.integers(1, 4)))


def background(n: int, sr: int, rng: np.random.Generator, machine_type: str = "") -> np.ndarray:
    """Factory-like background, float32 ``[n]`` with RMS 1: pink-ish noise, rumble, other machines, impacts.

    The colour and the hums come from :func:`hall` of ``machine_type``; levels, phases and impacts from ``rng``.
    """
    f = _freqs(n, sr)
    tilt, hums = hall(machine_type)
    tilt *= rng.uniform(0.97, 1.03)
    shape = 1.0 / np.maximum(f, 20.0) ** (tilt / 2) + 1.2 * 20.0 ** (-tilt / 2) / np.sqrt(1 + (f / 80.0) ** 2)
    spec = scipy.fft.rfft(rng.standard_normal(n, dtype=np.float32)) * (shape / np.sqrt(np.mean(shape**2)))
    # Other machines in the hall: hums with harmonics, added as spectral lines (no full-rate sines).
    spec_rms = np.sqrt(n / 2.0)
    for hum in hums * (1.0 + 0.002 * rng.standard_normal(hums.size)):
        level = rng.uniform(0.15, 0.45)
        for k in (1, 2, 3):
            b = int(round(k * hum * n / sr))
            if 0 < b < f.size - 1:
                spec[b] += (level / k) * spec_rms * np.exp(1j * rng.uniform(0, 2 * np.pi))
    noise = scipy.fft.irfft(spec, n).astype(np.float32)
    noise *= 1.0 + _slow(rng, n, sr, 0.3)
    impacts = np.zeros(n, np.float32)
    count = rng.poisson(0.6 * n / sr)
    impacts[rng.integers(0, n, count)] = rng.uniform(0.5, 2.0, count)
    kernel = _decaying(rng.uniform(150.0, 2500.0, 3), 0.03, sr, 0.2, rng)
    out = noise + _convolve_events(impacts, kernel).astype(np.float32)
    return _unit(out).astype(np.float32)


@lru_cache(maxsize=256)
def reference_power(machine_type: str, machine_id: str, sr: int) -> float:
    """Mean power of the ID's normal machine sound: the reference for the SNR, as in the MIMII paper.

    Computed from four fixed 2 s normal clips, so it depends on neither the seed nor on how many clips are made.
    """
    sig = signature(machine_type, machine_id)
    powers = []
    for i in range(4):
        rng = np.random.default_rng(stable_seed("reference", machine_type, machine_id, i))
        y = machine_sound(sig, 2 * sr, sr, rng)
        powers.append(float(np.mean(y.astype(np.float64) ** 2)))
    return float(np.mean(powers))


def mix(
    machine: np.ndarray,
    noise: np.ndarray,
    *,
    snr: float | None,
    ref_power: float,
    channels: int,
    sig: Signature,
    rng: np.random.Generator,
    level: float = 0.1,
) -> np.ndarray:
    """Machine + background at ``snr`` dB (relative to the ID's mean power), ``[channels, n]`` float32.

    The total scale is fixed per ID and SNR (never per clip), so an anomaly that makes a machine louder stays
    louder, as in recordings. Channels: the machine reaches each microphone with a small delay and gain; the
    background is diffuse (a common part with other delays plus a decorrelated part).
    """
    n = machine.size
    noise_gain = 0.0 if snr is None else np.sqrt(ref_power / 10 ** (snr / 10.0))
    total = np.sqrt(ref_power + noise_gain**2)
    scale = level / total
    out = np.empty((channels, n), np.float32)
    if channels == 1:
        out[0] = machine + noise_gain * noise
    else:
        delays = np.resize(sig.mic_delays, channels)
        gains = np.resize(sig.mic_gains, channels)
        bg_delays = rng.integers(-3, 4, channels)
        offsets = rng.integers(n // 8, n - n // 8, channels)
        for c in range(channels):
            out[c] = gains[c] * np.roll(machine, delays[c])
            if noise_gain:
                out[c] += noise_gain * (
                    0.9 * np.roll(noise, bg_delays[c]) + 0.44 * np.roll(noise, offsets[c])
                )
    out *= scale
    return out
