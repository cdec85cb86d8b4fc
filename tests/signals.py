"""Shared test signals: real arrays, made here, seeded (``from signals import make_signal``)."""

from __future__ import annotations

import numpy as np

SR = 16000


def make_signal(kind: str, seconds: float = 2.0, sr: int = SR, seed: int = 0) -> np.ndarray:
    """A float32 test clip: "noise", "chirp", "hum" (machine-like hum with clicks) or "silence" (1e-4 noise)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    if kind == "noise":
        y = 0.1 * rng.standard_normal(t.size)
    elif kind == "chirp":
        y = 0.5 * np.sin(2 * np.pi * (50 * t + (sr / 2 - 100) / (2 * seconds) * t**2))
    elif kind == "hum":
        y = sum(0.3 / k * np.sin(2 * np.pi * 50 * k * t + k) for k in range(1, 8))
        y = y * (1 + 0.2 * np.sin(2 * np.pi * 3 * t)) + 0.02 * rng.standard_normal(t.size)
        clicks = rng.choice(t.size - 64, size=int(4 * seconds), replace=False)
        for c in clicks:
            y[c : c + 64] += 0.5 * np.exp(-np.arange(64) / 8) * rng.standard_normal(64)
    elif kind == "silence":
        y = 1e-4 * rng.standard_normal(t.size)
    else:
        raise ValueError(kind)
    return y.astype(np.float32)


SIGNALS = ("noise", "chirp", "hum", "silence")
