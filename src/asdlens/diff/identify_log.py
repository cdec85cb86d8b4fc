"""identify, step 5: the log's parameters (floor, reference, top_db) from silence and level offsets."""

from __future__ import annotations

import dataclasses
import math
import sys

import numpy as np

from ..features import MelSpec, melspectrogram
from .probes import LogCandidate


def _log_specs(spec: MelSpec, cand: LogCandidate, x: np.ndarray, observed: np.ndarray) -> list[MelSpec]:
    """Complete the log stage: ``ref`` from the offset, ``eps``/``amin`` from silent frames, ``top_db`` from a
    clipped floor. Returns the plausible variants."""
    base = dataclasses.replace(spec, log=cand.log, power=cand.power, dtype="float64")
    if cand.log is None:
        return [dataclasses.replace(base, log=None)]
    mel = np.asarray(melspectrogram(x, dataclasses.replace(base, log=None)))
    silent = mel <= 0.0
    lowest = float(observed.min())
    if cand.log in ("dcase", "ln"):
        floor_value = float(np.median(observed[silent])) if silent.any() else None
        if floor_value is None:
            return [dataclasses.replace(base, eps=sys.float_info.epsilon)]
        if cand.log == "dcase":
            eps = 10.0 ** (floor_value * cand.power / 20.0)
        else:
            eps = math.exp(floor_value)
        return [dataclasses.replace(base, eps=_snap(eps, (sys.float_info.epsilon, 1e-10, 1e-8, 1e-6, 1e-12)))]
    # power_to_db
    out = []
    loud = ~silent & (observed > lowest + 1e-6)
    if cand.ref_max:
        ref: float | str = "max"
    else:
        with np.errstate(divide="ignore"):
            offset = float(np.median((observed - 10.0 * np.log10(np.maximum(mel, 1e-30)))[loud]))
        ref = _snap(10.0 ** (-offset / 10.0), (1.0,))
    top = float(observed.max() - lowest)
    if abs(top - round(top)) < 1e-3:  # a clipped floor a whole number of dB below the peak: top_db
        out.append(dataclasses.replace(base, ref=ref, top_db=float(round(top))))
    if silent.any():
        ref_db = 10.0 * math.log10(float(mel.max())) if ref == "max" else 10.0 * math.log10(float(ref))
        amin = 10.0 ** ((float(np.median(observed[silent])) + ref_db) / 10.0)
        out.append(
            dataclasses.replace(base, ref=ref, top_db=None, amin=_snap(amin, (1e-10, 1e-5, 1e-8, 1e-12)))
        )
    out.append(dataclasses.replace(base, ref=ref, top_db=None))
    return out


def _snap(value: float, nice: tuple[float, ...]) -> float:
    for v in nice:
        if abs(value - v) <= 1e-3 * abs(v):
            return v
    return float(f"{value:.6g}")
