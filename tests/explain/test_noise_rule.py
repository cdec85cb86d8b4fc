"""explain's noise rule: a step is beyond noise when the 95 % interval of the paired bootstrap difference of its
metric (over the same test clips, and seeds) excludes 0 - paired, so a small change every replicate agrees on is
real even when each run's own interval is wide."""

from __future__ import annotations

import numpy as np

from asdlens.evaluate.bootstrap import Draws
from asdlens.explain.core import Outcome, _noise


def _outcome(value: float, replicates: np.ndarray) -> Outcome:
    draws = {"units": {}, "types": {}, "overall": {"auc": Draws(value, replicates)}}
    return Outcome({}, {"auc": value}, {}, [0], draws=draws)


def test_paired_differences_decide_and_the_fallback_needs_seeds():
    rng = np.random.default_rng(0)
    base = 0.70 + 0.05 * rng.standard_normal(2000)  # each run's own interval is about +-0.1 wide
    prev = _outcome(0.70, base)
    shifted = _outcome(0.71, base + 0.01 + 0.002 * rng.standard_normal(2000))
    wobble = _outcome(0.701, base + 0.001 + 0.01 * rng.standard_normal(2000))
    assert _noise(prev, shifted, "auc", repeats=1) is False  # +0.01 on every replicate: beyond noise
    assert _noise(prev, wobble, "auc", repeats=1) is True
    # unpaired replicates of the same +0.01 change would not tell it from noise: the pairing is what decides
    independent = _outcome(0.71, 0.71 + 0.05 * rng.standard_normal(2000))
    assert _noise(prev, independent, "auc", repeats=1) is True
    # no draws: the seed spread rule, and nothing to say with one seed
    bare = Outcome({}, {"auc": 0.70, "auc_sd": 0.01}, {}, [0, 1, 2])
    moved = Outcome({}, {"auc": 0.75, "auc_sd": 0.01}, {}, [0, 1, 2])
    assert _noise(bare, moved, "auc", repeats=3) is False
    assert (
        _noise(Outcome({}, {"auc": 0.7}, {}, [0]), Outcome({}, {"auc": 0.8}, {}, [0]), "auc", repeats=1)
        is None
    )
