"""The DCASE 2026 trees: the 2023-2025 sections and domain shift, heard by two microphones.

Channel 0 is the microphone near the machine, channel 1 a far one (DCASE 2026 Task 2: "relatively stronger
environmental noise" on the far one, arXiv 2606.01578; near on the left, nttcslab/dcase2023_task2_baseline_ae
v5.x README @ 9b64dc4). Per clip:

- **near** = the machine with its section's shift in effect (:func:`asdlens.data.synth.shift.shifted_machine`)
  + its factory hall 10 dB quieter than the 2023 trees put it (:data:`NEAR_HALL_DB`) + a faint, delayed copy of
  the environmental noise (:data:`NEAR_LEAK_DB` below the far microphone's);
- **far** = the machine through a longer path, fixed per type x section (:class:`FarPath`: a delay, a short
  exponentially decaying reverberation, a second-order low-pass, :data:`FAR_GAIN_DB`) + the hall at the 2023
  level + **environmental noise** much stronger than at the near microphone (:func:`environment`: wind-like
  low-passed noise with gusts, babble-like speech-shaped noise with syllabic modulation, impacts), at
  :data:`FAR_ENV_SNR` dB against the machine's reference power. The part the near microphone also hears is
  coherent between the two (the same signal, another delay); a decorrelated part reaches the far one only.

The ``...Emu`` types have emulated two-microphone paths (their far channel is the near machine through the path
alone); the real two-microphone types (ToyCar, fan, the evaluation types) also let the far path's gain wander
slowly (:data:`REAL_WANDER`), so that the far machine is not one fixed filter of the near one. Anomalies, domain
shift, names, counts and side files are those of the 2023-2025 trees (:mod:`asdlens.data.synth.sections`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import scipy.fft

from .clip import Take
from .files import Rendered
from .machines import reference_power, stable_seed
from .options import SynthOptions
from .records import Recording, full_name
from .sections import recording_take, rendered
from .shift import hall_noise, shifted_machine

NEAR_HALL_DB = 10.0  # dB: the near microphone's hall is this much quieter than in the 2023 trees
NEAR_LEAK_DB = -18.0  # dB: the environmental noise at the near microphone, relative to the far one's
FAR_GAIN_DB = -6.0  # dB: the far microphone's distance loss on the direct path
FAR_ENV_SNR = (-3.0, 3.0)  # dB: machine reference power over the far environmental noise, drawn per clip
COHERENT = (
    0.8  # share of the far environmental noise's power the near microphone also hears (the rest: far only)
)
REAL_WANDER = 0.15  # depth of the slow gain wander of a real (not emulated) far path
LEVEL = (
    0.1  # RMS the far microphone's machine + noise is scaled to (fixed per type x section, never per clip)
)


@dataclass(frozen=True)
class FarPath:
    """The far microphone's path from the machine, fixed per machine type x section.

    Attributes
    ----------
    delay : int
        Samples of the direct sound's extra travel.
    rt60 : float
        Seconds: the reverberation's decay to -60 dB.
    reverb : float
        Energy of the reverberant tail relative to the direct sound.
    cutoff : float
        Hz: the -3 dB point of the second-order low-pass (air absorption, the machine's directivity).
    """

    delay: int
    rt60: float
    reverb: float
    cutoff: float


@lru_cache(maxsize=256)
def far_path(machine_type: str, section: str, sr: int) -> FarPath:
    """The :class:`FarPath` of a type x section: a pure function of them (the same for every seed)."""
    rng = np.random.default_rng(stable_seed("far-path", machine_type, section))
    return FarPath(
        delay=int(round(rng.uniform(0.003, 0.012) * sr)),
        rt60=float(rng.uniform(0.15, 0.35)),
        reverb=float(rng.uniform(0.3, 0.8)),
        cutoff=float(rng.uniform(1500.0, 4000.0)),
    )


@lru_cache(maxsize=64)
def path_response(path: FarPath, n: int, sr: int) -> np.ndarray:
    """The path's frequency response on the rfft bins of ``n + tail`` samples (complex128): the delayed direct
    sound plus an exponentially decaying tail (its noise seeded by the path), low-passed, at :data:`FAR_GAIN_DB`."""
    tail = int(0.3 * sr)
    size = scipy.fft.next_fast_len(n + path.delay + tail)
    rng = np.random.default_rng(stable_seed("far-tail", path.delay, round(path.rt60 * 1e6)))
    t = np.arange(tail) / sr
    decay = rng.standard_normal(tail) * np.exp(-6.91 * t / path.rt60)
    decay *= np.sqrt(path.reverb / np.sum(decay**2))
    h = np.zeros(size)
    h[path.delay] = 1.0
    start = path.delay + int(0.002 * sr)
    h[start : start + tail] += decay
    f = np.fft.rfftfreq(size, 1.0 / sr)
    lowpass = 1.0 / np.sqrt(1.0 + (f / path.cutoff) ** 4)
    return scipy.fft.rfft(h) * lowpass * 10 ** (FAR_GAIN_DB / 20.0)


def through_path(x: np.ndarray, path: FarPath, sr: int) -> np.ndarray:
    """``x`` as the far microphone hears it through ``path``: float32 ``[n]``."""
    response = path_response(path, x.size, sr)
    size = 2 * (response.size - 1)
    return scipy.fft.irfft(scipy.fft.rfft(x, size) * response, size)[: x.size].astype(np.float32)


def _lowpassed(rng: np.random.Generator, n: int, sr: int, cutoff: float, order: float) -> np.ndarray:
    """White noise through a low-pass of ``order`` (magnitude ``1 / sqrt(1 + (f / cutoff) ** (2 order))``),
    RMS 1."""
    f = np.fft.rfftfreq(n, 1.0 / sr)
    spec = scipy.fft.rfft(rng.standard_normal(n)) / np.sqrt(1.0 + (f / cutoff) ** (2 * order))
    y = scipy.fft.irfft(spec, n)
    return y / np.sqrt(np.mean(y**2))


def environment(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Outdoor / shop-floor noise, float64 ``[n]`` with RMS 1: wind (noise below ~200 Hz with slow gusts),
    babble (speech-shaped noise, several talkers' syllabic envelopes at 3-6 Hz) and impacts (decaying bursts),
    mixed with weights drawn per clip."""
    t = np.arange(n) / sr
    gusts = 1.0 + 0.8 * np.sin(2 * np.pi * rng.uniform(0.1, 0.5) * t + rng.uniform(0, 2 * np.pi))
    wind = _lowpassed(rng, n, sr, rng.uniform(120.0, 250.0), 2.0) * gusts
    speech = _lowpassed(rng, n, sr, 3000.0, 2.0) - _lowpassed(rng, n, sr, 300.0, 2.0)
    talkers = rng.integers(3, 7)
    envelope = sum(
        np.maximum(np.sin(2 * np.pi * rng.uniform(3.0, 6.0) * t + rng.uniform(0, 2 * np.pi)), 0.0) ** 2
        for _ in range(talkers)
    )
    babble = speech * envelope
    impacts = np.zeros(n)
    count = rng.poisson(1.0 * n / sr)
    impacts[rng.integers(0, n, count)] = rng.uniform(1.0, 4.0, count)
    kernel = rng.standard_normal(int(0.05 * sr)) * np.exp(-np.arange(int(0.05 * sr)) / (0.01 * sr))
    bursts = scipy.fft.irfft(scipy.fft.rfft(impacts, 2 * n) * scipy.fft.rfft(kernel, 2 * n), 2 * n)[:n]
    parts = [p / max(np.sqrt(np.mean(p**2)), 1e-12) for p in (wind, babble, bursts)]
    weights = (rng.uniform(0.4, 1.0), rng.uniform(0.3, 1.0), rng.uniform(0.15, 0.5))
    out = sum(w * p for w, p in zip(weights, parts, strict=True))
    return out / np.sqrt(np.mean(out**2))


def two_microphones(take: Take, attribute: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """The take at both microphones, its two parts apart: ``(machine, noise)``, each float32 ``[2, n]``
    (channel 0 near, channel 1 far) at the tree's fixed scale; the clip is their sum. Separate parts let tests
    and ``bench`` measure each channel's (and each channel policy's) signal-to-noise ratio."""
    machine_type, section, n, sr = take.machine_type, take.machine_id, take.n, take.sr
    near_machine = shifted_machine(take, attribute).astype(np.float64)
    far_machine = through_path(near_machine, far_path(machine_type, section, sr), sr).astype(np.float64)
    rng = take.rng("environment")
    if not machine_type.endswith("Emu"):
        t = np.arange(n) / sr
        far_machine *= 1.0 + REAL_WANDER * np.sin(
            2 * np.pi * rng.uniform(0.05, 0.3) * t + rng.uniform(0, 6.3)
        )
    ref = reference_power(machine_type, section, sr)
    hall, snr = hall_noise(take, attribute)
    hall_gain = np.sqrt(ref / 10 ** (snr / 10.0))
    env_gain = np.sqrt(ref / 10 ** (rng.uniform(*FAR_ENV_SNR) / 10.0))
    coherent, far_only = environment(n, sr, rng), environment(n, sr, rng)
    lag = int(rng.integers(int(0.001 * sr), int(0.008 * sr)))
    far_env = env_gain * (np.sqrt(COHERENT) * coherent + np.sqrt(1.0 - COHERENT) * far_only)
    near_env = env_gain * np.sqrt(COHERENT) * 10 ** (NEAR_LEAK_DB / 20.0) * np.roll(coherent, -lag)
    # The two halls differ by position: the far one hears the same hall, delayed by a quarter of the clip.
    near_noise = hall_gain * 10 ** (-NEAR_HALL_DB / 20.0) * hall + near_env
    far_noise = hall_gain * np.roll(hall, n // 4) + far_env
    scale = LEVEL / np.sqrt(ref + hall_gain**2 + env_gain**2)
    machine = np.stack([near_machine, far_machine]) * scale
    noise = np.stack([near_noise, far_noise]) * scale
    return machine.astype(np.float32), noise.astype(np.float32)


def render(rec: Recording, options: SynthOptions) -> list[Rendered]:
    """The recording's two-channel clip ``[2, n]`` (near, far) with its attribute in effect, and its manifest
    row (the 2023-2025 trees' row)."""
    take = recording_take(rec, options)
    machine, noise = two_microphones(take, rec.attribute)
    return rendered(rec, options, take, machine + noise, full_name(rec))


def snr_db(machine: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """Per channel, ``10 log10`` of the machine's over the noise's power, ``[channels]`` (dB)."""
    m = np.mean(machine.astype(np.float64) ** 2, axis=-1)
    e = np.mean(noise.astype(np.float64) ** 2, axis=-1)
    return 10.0 * np.log10(m / e)
