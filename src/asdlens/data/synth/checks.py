"""The checks every entry point of the generator shares: counts, names, severities, durations.

Each raises a ``ValueError`` naming the option and what it must be; :class:`~asdlens.data.synth.SynthOptions`
and :class:`~asdlens.data.synth.MachineClip` call them once, when they are made.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence


def count(name: str, value: int | None) -> None:
    """``value`` is None (the layout's default) or a non-negative integer."""
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0
    ):
        raise ValueError(f"{name}={value!r} must be a non-negative integer")


def names(name: str, value: Sequence | None) -> tuple[str, ...] | None:
    """A sequence option as a tuple of str; None (the layout's default) when absent or empty."""
    if value is None:
        return None
    if isinstance(value, str):
        raise ValueError(f"{name}={value!r} must be a sequence of names, e.g. [{value!r}], not one string")
    return tuple(str(v) for v in value) or None


def folder_names(name: str, values: Sequence[str] | None) -> None:
    """Every machine type of ``values`` can be a folder name (not empty, no ``/``, no leading dot)."""
    for value in values or ():
        if not value or "/" in value or value.startswith("."):
            raise ValueError(f"{name}: machine type {value!r} is not a folder name")


def is_two_digits(value: str) -> bool:
    """Machine IDs and section numbers are two digits: ``"00"``."""
    return len(value) == 2 and value.isdigit()


def severity_range(severity: Sequence[float]) -> tuple[float, float]:
    """``(low, high)`` as floats within [0, 1]."""
    try:
        lo, hi = (float(v) for v in severity)
    except (TypeError, ValueError):
        lo, hi = 1.0, 0.0  # not two numbers: reported below
    if not 0.0 <= lo <= hi <= 1.0:
        raise ValueError(f"severity={severity!r} must be a range (low, high) within [0, 1]")
    return lo, hi


def n_samples(duration: float, sample_rate: int) -> int:
    """Samples in ``duration`` seconds at ``sample_rate`` Hz, rounded; at least one."""
    n = int(round(float(duration) * int(sample_rate)))
    if n < 1:
        raise ValueError(f"duration={duration!r} s gives no samples at {sample_rate} Hz")
    return n
