"""The domain shift of generated DCASE 2021-2025 data: one attribute per type x section that changes the sound.

The kind is a stable function of type and section:

- ``spd`` (speed): the rotation runs at a different rate (source 100 % and 104 %, target 88 % or 116 %);
- ``load``: louder (1.5 dB per step), brighter harmonics and more broadband noise (source 0 and 1, target 3);
- ``noise`` (background): source factory hall A at +6 / +3 dB SNR, target hall B (other hums and colour) at 0 dB;
- ``mic`` (microphone position): the target microphone also hears a reflection 1.4 ms later (a comb filter) and
  sits 3 dB further away.

The source domain has two values of its attribute (or one for ``mic``), the target one value outside their
range. :func:`render_shifted` renders one clip with an attribute value in effect; :mod:`asdlens.data.synth.sections`
lays out whole trees.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from .clip import Take
from .machines import background, mix, reference_power, signature, stable_seed

SHIFT_KINDS = ("spd", "load", "noise", "mic")
#: Per kind: source values, target values (one is drawn per section).
SHIFT_VALUES = {
    "spd": (("100", "104"), ("88", "116")),
    "load": (("0", "1"), ("3",)),
    "noise": (("1", "2"), ("3",)),
    "mic": (("1",), ("2",)),
}
#: noise value -> (factory hall, SNR in dB)
NOISE_SETTINGS = {"1": ("A", 6.0), "2": ("A", 3.0), "3": ("B", 0.0)}
BASE_SNR = 6.0  # dB, hall A: the background of every section whose shift is not the noise
MIC_REFLECTION_S, MIC_REFLECTION_GAIN, MIC_DISTANCE_DB = 0.0014, 0.6, -3.0


@dataclass(frozen=True)
class Shift:
    """The domain shift of one machine type x section: attribute ``key`` with its source and target values."""

    key: str
    source: tuple[str, ...]
    target: tuple[str, ...]


def section_shift(machine_type: str, section: str) -> Shift:
    """The shift of a section: a pure function of type and section (the same for every seed and year)."""
    kind = SHIFT_KINDS[(stable_seed("shift", machine_type) + int(section)) % len(SHIFT_KINDS)]
    source, targets = SHIFT_VALUES[kind]
    rng = np.random.default_rng(stable_seed("shift-target", machine_type, section))
    return Shift(kind, source, (targets[int(rng.integers(len(targets)))],))


def _shifted_signature(machine_type: str, section: str, key: str, value: str):
    sig = signature(machine_type, section)
    if key == "spd":
        factor = int(value) / 100.0
        period = None if sig.event_period is None else sig.event_period / factor
        return dataclasses.replace(sig, f0=sig.f0 * factor, event_period=period)
    if key == "load":
        load = int(value)
        k = np.arange(1, sig.harmonic_amps.size + 1)
        amps = sig.harmonic_amps * (1.0 + 0.25 * load * (k >= 3))
        return dataclasses.replace(sig, harmonic_amps=amps, broadband=sig.broadband * (1.0 + 0.2 * load))
    return sig


def shifted_machine(take: Take, attribute: tuple[str, str]) -> np.ndarray:
    """The machine alone with ``attribute`` = (key, value) in effect (speed, load, microphone position), as the
    microphone near it hears it: float32 ``[n]``."""
    name, value = attribute
    section = take.machine_id
    machine = take.machine(_shifted_signature(take.machine_type, section, name, value))
    if name == "load":
        machine = machine * np.float32(10 ** (1.5 * int(value) / 20.0))
    if name == "mic" and value != "1":
        delay = int(round(MIC_REFLECTION_S * take.sr))
        echo = np.concatenate([np.zeros(delay, np.float32), machine[:-delay]])
        machine = (machine + MIC_REFLECTION_GAIN * echo) * np.float32(10 ** (MIC_DISTANCE_DB / 20.0))
    return machine.astype(np.float32)


def hall_noise(take: Take, attribute: tuple[str, str]) -> tuple[np.ndarray, float]:
    """The factory hall's background of the take with ``attribute`` in effect (the ``noise`` shift picks the
    hall and its SNR): float32 ``[n]`` with RMS 1, and the SNR in dB."""
    name, value = attribute
    hall, snr = NOISE_SETTINGS[value] if name == "noise" else ("A", BASE_SNR)
    return background(take.n, take.sr, take.rng("background"), f"{take.machine_type}/hall {hall}"), snr


def render_shifted(take: Take, attribute: tuple[str, str], *, clean: bool = False) -> np.ndarray:
    """The take of ``take.machine_type`` section ``take.machine_id`` with ``attribute`` = (key, value) in effect,
    mixed with its hall's background: float32 ``[1, n]``.

    ``clean`` leaves the background out (2025's supplemental "machine" recordings).
    """
    section = take.machine_id
    machine = shifted_machine(take, attribute)
    noise, snr = hall_noise(take, attribute)
    return mix(
        machine,
        noise,
        snr=None if clean else snr,
        ref_power=reference_power(take.machine_type, section, take.sr),
        channels=1,
        sig=signature(take.machine_type, section),
        rng=take.rng("mics"),
    )
