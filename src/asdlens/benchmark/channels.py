"""``make bench`` part ``channels``: feature throughput on two-channel DCASE 2026 clips, per channel policy.

A generated 2026 tree of 10 s two-channel clips; for each policy, every clip's log-mel into an empty cache on the
local executor (one worker per CPU, their start included: :func:`asdlens.benchmark.fullsize.feature_throughput`).
``near`` decodes both channels and computes one log-mel (the official baseline's path); the subtractions compute
both channels' STFTs and the per-bin transfer. The issue's goal: 500 two-channel clips/s.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

POLICIES = ("near", "mean", "magnitude_subtraction", "complex_subtraction")


def channels_benchmark(work: str | os.PathLike, *, n_train: int = 150, seed: int = 0) -> dict:
    """Clips per second of each policy's features on one generated 2026 type (``n_train`` + 40 clips of 10 s)."""
    from ..data.synth import generate
    from .fullsize import feature_throughput

    root = generate(
        Path(work) / "d26", layout="dcase2026", types=["fan"], parts=["dev"], n_train=n_train,
        n_train_target=max(1, n_train // 100), n_test_normal=20, n_test_anomaly=20, duration=10.0, seed=seed,
        workers=2, overwrite=True,
    )  # fmt: skip
    out = {}
    for policy in POLICIES:
        with tempfile.TemporaryDirectory(dir=work) as cache:
            out[policy] = feature_throughput(
                root / "dev_data",
                cache,
                experiment="dcase2026-ae-mse",
                overrides=(f"channels.policy={policy}",),
            )
    return {"clip_seconds": 10.0, "policies": out, "goal_clips_per_s": 500}
