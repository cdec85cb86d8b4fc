"""The log stage, written once against a backend's array ops."""

from __future__ import annotations

from typing import Any

from .spec import MelSpec

STAGES = ("frames", "windowed", "spectrum", "mel", "log")


def apply_log(ops: Any, mel: Any, spec: MelSpec) -> Any:
    """Log of a mel array ``[batch, frames, n_mels]`` as ``spec.log`` says (None returns ``mel``).

    "dcase" is the DCASE 2020 baseline's ``20 / power * log10(x + eps)``; "db" is librosa's ``power_to_db``
    with ``top_db`` and ``ref="max"`` taken per clip (librosa takes them over the whole array it is given);
    "ln" is ``log(x + eps)``.
    """
    if spec.log is None:
        return mel
    if spec.log == "dcase":
        return (20.0 / spec.power) * ops.log10(mel + spec.eps)
    if spec.log == "ln":
        return ops.log(mel + spec.eps)
    db = 10.0 * ops.log10(ops.maximum(mel, spec.amin))
    if spec.ref == "max":
        db = db - 10.0 * ops.log10(ops.maximum(ops.clip_max(mel), spec.amin))
    else:
        db = db - 10.0 * _log10(max(spec.amin, abs(float(spec.ref))))
    if spec.top_db is not None:
        db = ops.maximum(db, ops.clip_max(db) - spec.top_db)
    return db


def _log10(x: float) -> float:
    import math

    return math.log10(x)
