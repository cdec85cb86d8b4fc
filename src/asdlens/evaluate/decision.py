"""Decisions from anomaly scores: the baselines' gamma-fit threshold.

Every official DCASE 2020-2025 baseline turns scores into 0/1 decisions the same way
(``00_train.py`` of y-kawagu/dcase2021_task2_baseline_ae and Kota-Dohi/dcase2022_task2_baseline_ae;
``networks/dcase2023t2_ae`` of nttcslab/dcase2023_task2_baseline_ae): fit a gamma distribution to the anomaly
scores of the training clips (``scipy.stats.gamma.fit``, shape, location and scale all free), take the
``decision_threshold`` quantile (0.9 in every ``baseline.yaml``) as the threshold, and call a test clip anomalous
when its score is strictly above it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

DECISION_QUANTILE = 0.9


def gamma_threshold(train_scores: Sequence[float], *, quantile: float = DECISION_QUANTILE) -> float:
    """The decision threshold: ``gamma.ppf(quantile, *gamma.fit(train_scores))``.

    Parameters
    ----------
    train_scores : sequence of float
        Anomaly scores of the training clips (one per clip, as the baselines fit them).
    quantile : float
        In (0, 1); the baselines use 0.9.

    Raises
    ------
    ValueError
        Fewer than 3 scores, non-finite scores, all scores equal (no distribution to fit), or a quantile
        outside (0, 1).
    """
    from scipy.stats import gamma

    if not 0.0 < float(quantile) < 1.0:
        raise ValueError(f"quantile={quantile!r} must be in (0, 1)")
    x = np.asarray(train_scores, dtype=np.float64)
    if x.ndim != 1 or x.size < 3:
        raise ValueError(f"a gamma fit needs at least 3 training scores, got {x.size}")
    if not np.all(np.isfinite(x)):
        raise ValueError("training scores must be finite for the gamma fit")
    if np.ptp(x) == 0:
        raise ValueError("all training scores are equal; the gamma fit has nothing to fit")
    shape, loc, scale = gamma.fit(x)
    return float(gamma.ppf(quantile, shape, loc=loc, scale=scale))


def decide(scores: Sequence[float], threshold: float) -> list[int]:
    """``1 if score > threshold else 0`` per score, as the baselines write ``decision_result_*.csv``."""
    return [1 if float(s) > threshold else 0 for s in scores]
