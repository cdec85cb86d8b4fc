"""Bootstrap intervals over test clips for AUC and pAUC, stratified by label (and domain), and paired differences.

The rule (``docs/uncertainty.md``): a clip-level bootstrap, stratified. The test clips of one unit (a machine ID,
or a section) are split into strata, one per label (and per domain where clips have one: source normals, target
normals, source anomalies, target anomalies); each replicate draws every stratum's clips with replacement, as many
as it has. So every replicate keeps the unit's class and domain counts, and its AUC and pAUC are always defined.
A replicate is a row of counts ``W[b, i]`` (how often clip ``i`` was drawn), and every metric is a function of
those counts:

- AUC (Mann-Whitney, ties count one half), with normal counts ``w0`` and anomaly counts ``w1``:
  ``AUC = sum_ij w0_i w1_j H(s1_j - s0_i) / (sum w0 * sum w1)``, ``H(x) = 1 if x > 0, 1/2 if x = 0, 0 otherwise``.
  With all counts 1 this is ``sklearn.metrics.roc_auc_score``.
- pAUC: sklearn's McClish-standardised partial AUC, ``0.5 * (1 + (A - a^2 / 2) / (a - a^2 / 2))`` with
  ``a = max_fpr`` and ``A`` the area under the ROC curve for ``FPR <= a``. The curve has one segment per distinct
  normal score ``u`` (highest first): FPR rises by ``w0(s0 = u) / N0`` while TPR rises linearly from
  ``w1(s1 > u) / N1`` to ``w1(s1 >= u) / N1`` (anomalies tied with ``u``); the segment that crosses ``a`` is cut
  there by linear interpolation, as sklearn does.

Both sums are computed from cumulative integer counts in float64 (every partial sum is an integer below 2**53,
no BLAS kernel involved), so the replicates are exact and the same on every machine; the counts
come from a NumPy ``Generator`` seeded by :class:`BootstrapOptions` ``seed`` and the unit's name, so adding a unit
does not move another unit's replicates.

An interval is the percentile interval of the replicates (``(1 - confidence) / 2`` and ``(1 + confidence) / 2``
quantiles, NumPy's linear rule). Means over units (per type, overall; arithmetic for DCASE 2020/MIMII, harmonic
floored at eps for DCASE 2021-2025 as each year's rule says) are taken per replicate, so their intervals carry
every unit's noise. A **paired** difference of two systems scored on the same clips uses the same counts for
both: its replicates are ``metric_a[b] - metric_b[b]``, and a difference is *beyond noise* when its interval
excludes 0.

Cost: ``O(B n)`` per metric (cumulative counts in score order, read at the other class's scores by
``searchsorted``), a few milliseconds per unit of a few hundred clips at ``B = 1000``.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .domains import DOMAIN_NAMES, EPS, MAX_FPR

#: Resamples of the intervals asdlens writes.
N_RESAMPLES = 1000


@dataclass(frozen=True)
class BootstrapOptions:
    """How intervals are drawn.

    Attributes
    ----------
    n_resamples : int
        Replicates ``B`` (1000 by default).
    confidence : float
        In (0, 1): 0.95 gives the 2.5 % and 97.5 % quantiles.
    seed : int
        Seeds every unit's generator (with the unit's name).
    max_fpr : float or None
        The pAUC's upper false-positive rate (0.1 in every evaluator); None: no pAUC.
    """

    n_resamples: int = N_RESAMPLES
    confidence: float = 0.95
    seed: int = 0
    max_fpr: float | None = MAX_FPR

    def __post_init__(self):
        if int(self.n_resamples) != self.n_resamples or self.n_resamples < 2:
            raise ValueError(f"n_resamples={self.n_resamples!r} must be an integer of at least 2")
        if not 0.0 < self.confidence < 1.0:
            raise ValueError(f"confidence={self.confidence!r} must be in (0, 1)")
        if self.max_fpr is not None and not 0.0 < self.max_fpr <= 1.0:
            raise ValueError(f"max_fpr={self.max_fpr!r} must be in (0, 1]")

    def to_dict(self) -> dict:
        """What ``results.json`` says about the intervals."""
        return {
            "method": "stratified bootstrap over test clips (by label and domain), percentile interval",
            "n_resamples": self.n_resamples,
            "confidence": self.confidence,
            "seed": self.seed,
        }


def unit_rng(options: BootstrapOptions, unit: str) -> np.random.Generator:
    """The generator of one unit: seeded by ``options.seed`` and the CRC-32 of the unit's name."""
    return np.random.default_rng(np.random.SeedSequence([options.seed, zlib.crc32(unit.encode())]))


def stratified_counts(strata: Sequence[int], n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap counts, drawn with replacement within each stratum.

    Parameters
    ----------
    strata : sequence of int
        ``[n]`` the stratum of each clip.
    n_resamples : int
        ``B``.
    rng : numpy.random.Generator

    Returns
    -------
    numpy.ndarray
        ``[B, n]`` float64 integer counts; each row sums to ``m`` over a stratum of ``m`` clips.
    """
    strata = np.asarray(strata)
    counts = np.zeros((n_resamples, strata.size))
    for stratum in np.unique(strata):  # a handful of strata, never a loop over replicates
        members = np.flatnonzero(strata == stratum)
        m = members.size
        draws = rng.integers(0, m, size=(n_resamples, m))
        flat = np.bincount((np.arange(n_resamples)[:, None] * m + draws).ravel(), minlength=n_resamples * m)
        counts[:, members] = flat.reshape(n_resamples, m)
    return counts


def _split(scores, labels, weights):
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels)
    w = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    if not (s.shape == y.shape and w.shape[1:] == s.shape):
        raise ValueError(f"scores {s.shape}, labels {y.shape} and weights {w.shape} do not match")
    normal, anomaly = y == 0, y == 1
    if not normal.any() or not anomaly.any():
        raise ValueError("AUC needs normal and anomalous clips")
    return s[normal], s[anomaly], w[:, normal], w[:, anomaly]


def auc_replicates(scores: Sequence[float], labels: Sequence[int], weights: np.ndarray) -> np.ndarray:
    """AUC of each replicate (see the module docstring for the formula).

    Parameters
    ----------
    scores : sequence of float
        ``[n]`` anomaly scores (higher is more anomalous).
    labels : sequence of {0, 1}
        ``[n]``.
    weights : numpy.ndarray
        ``[B, n]`` counts (a zero leaves a clip out; all ones give the AUC of the clips as they are).

    Returns
    -------
    numpy.ndarray
        ``[B]`` float64.
    """
    s0, s1, w0, w1 = _split(scores, labels, weights)
    s0_sorted, below = _cumulative(s0, w0)
    # twice the count of normals below each anomaly, ties counted one half: c(< s1) + c(<= s1)
    twice = (
        below[:, np.searchsorted(s0_sorted, s1, "left")] + below[:, np.searchsorted(s0_sorted, s1, "right")]
    )
    return np.einsum("bj,bj->b", twice, w1) / (2.0 * w0.sum(axis=1) * w1.sum(axis=1))


def _cumulative(values: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``values`` sorted and ``[B, n + 1]`` cumulative counts in that order (column ``k``: the first ``k``)."""
    order = np.argsort(values, kind="stable")
    c = np.cumsum(weights[:, order], axis=1)
    return values[order], np.hstack([np.zeros((weights.shape[0], 1)), c])


def pauc_replicates(
    scores: Sequence[float], labels: Sequence[int], weights: np.ndarray, *, max_fpr: float = MAX_FPR
) -> np.ndarray:
    """sklearn's McClish-standardised pAUC (``roc_auc_score(max_fpr=max_fpr)``) of each replicate.

    Parameters are those of :func:`auc_replicates`, plus ``max_fpr`` in (0, 1].

    Returns
    -------
    numpy.ndarray
        ``[B]`` float64.
    """
    s0, s1, w0, w1 = _split(scores, labels, weights)
    s0_sorted, c0 = _cumulative(s0, w0)
    u, first = np.unique(s0_sorted, return_index=True)  # distinct normal scores, ascending
    bounds = np.append(first, s0_sorted.size)
    g = (c0[:, bounds[1:]] - c0[:, bounds[:-1]])[:, ::-1]  # [B, K] normal counts per score, highest first
    u = u[::-1]
    s1_sorted, c1 = _cumulative(s1, w1)
    at_most = c1[:, np.searchsorted(s1_sorted, u, "right")]
    below = c1[:, np.searchsorted(s1_sorted, u, "left")]
    total1 = c1[:, -1:]
    above, tied = total1 - at_most, at_most - below
    n0, n1 = w0.sum(axis=1, keepdims=True), w1.sum(axis=1, keepdims=True)
    right_count = np.cumsum(g, axis=1)
    left, right = (right_count - g) / n0, right_count / n0
    width = np.clip(np.minimum(right, max_fpr) - left, 0.0, None)
    tpr_gt, tpr_ge = above / n1, (above + tied) / n1
    with np.errstate(invalid="ignore", divide="ignore"):
        fraction = np.where(g > 0, width * n0 / g, 0.0)
    tpr_end = tpr_gt + fraction * (tpr_ge - tpr_gt)
    area = np.sum(width * (tpr_gt + tpr_end) / 2.0, axis=1)
    if max_fpr == 1.0:
        return area
    min_area, max_area = 0.5 * max_fpr**2, max_fpr
    return 0.5 * (1.0 + (area - min_area) / (max_area - min_area))


def percentile_interval(draws: np.ndarray, confidence: float = 0.95) -> tuple[float, float]:
    """``(low, high)``: the ``(1 -+ confidence) / 2`` quantiles of ``draws`` (``[B]``)."""
    low, high = np.quantile(np.asarray(draws, dtype=np.float64), [(1 - confidence) / 2, (1 + confidence) / 2])
    return float(low), float(high)


def hmean_rows(values: np.ndarray) -> np.ndarray:
    """Harmonic mean of each row of ``[B, m]`` values, floored at eps as the evaluators' ``hmean``."""
    v = np.maximum(np.asarray(values, dtype=np.float64), EPS)
    return v.shape[1] / np.sum(1.0 / v, axis=1)


def _strata(labels: np.ndarray, domains: np.ndarray | None) -> np.ndarray:
    if domains is None:
        return labels.astype(np.int64)
    index = {d: i for i, d in enumerate(DOMAIN_NAMES)}
    return labels.astype(np.int64) * len(DOMAIN_NAMES) + np.array([index.get(d, 2) for d in domains])


def unit_weights(
    name: str, labels: Sequence[int], domains: Sequence[str] | None, options: BootstrapOptions
) -> np.ndarray:
    """The ``[B, n]`` counts of one unit's replicates, stratified by label (and domain), from :func:`unit_rng`."""
    y = np.asarray(labels)
    d = None if domains is None else np.asarray(domains, dtype=object)
    return stratified_counts(_strata(y, d), options.n_resamples, unit_rng(options, name))


@dataclass(frozen=True)
class Draws:
    """One number and its bootstrap replicates.

    Attributes
    ----------
    value : float
        On the clips as they are (every count 1).
    draws : numpy.ndarray
        ``[B]`` the replicates.
    """

    value: float
    draws: np.ndarray

    def interval(self, confidence: float = 0.95) -> tuple[float, float]:
        return percentile_interval(self.draws, confidence)

    def __sub__(self, other: Draws) -> Draws:
        return Draws(self.value - other.value, self.draws - other.draws)


def metric_draws(metric: str, scores, labels, weights: np.ndarray, *, max_fpr: float = MAX_FPR) -> Draws:
    """:class:`Draws` of ``metric`` (``"auc"`` or ``"pauc"``) over the replicates ``weights`` (``[B, n]``)."""
    ones = np.ones((1, np.asarray(scores).size))
    if metric == "auc":
        return Draws(float(auc_replicates(scores, labels, ones)[0]), auc_replicates(scores, labels, weights))
    if metric == "pauc":
        value = float(pauc_replicates(scores, labels, ones, max_fpr=max_fpr)[0])
        return Draws(value, pauc_replicates(scores, labels, weights, max_fpr=max_fpr))
    raise ValueError(f"metric={metric!r} is not allowed; choose 'auc' or 'pauc'")


def mean_draws(parts: Sequence[Draws], *, harmonic: bool = False) -> Draws:
    """The arithmetic (or eps-floored harmonic) mean of several numbers, replicate by replicate."""
    if not parts:
        raise ValueError("a mean of no values")
    values = np.array([[p.value for p in parts]])
    stacked = np.stack([p.draws for p in parts], axis=1)
    if harmonic:
        return Draws(float(hmean_rows(values)[0]), hmean_rows(stacked))
    return Draws(float(values.mean()), stacked.mean(axis=1))


def auc_interval(
    scores: Sequence[float],
    labels: Sequence[int],
    domains: Sequence[str] | None = None,
    *,
    metric: str = "auc",
    options: BootstrapOptions = BootstrapOptions(),
    name: str = "",
) -> tuple[float, float, float]:
    """``(value, low, high)`` of one unit's AUC (``metric="pauc"``: pAUC), stratified by label (and domain).

    Examples
    --------
    >>> import numpy as np
    >>> y = np.r_[np.zeros(50, int), np.ones(50, int)]
    >>> s = y + np.random.default_rng(0).normal(size=100)
    >>> value, low, high = auc_interval(s, y)
    >>> low < value < high
    True
    """
    w = unit_weights(name, labels, domains, options)
    d = metric_draws(metric, scores, labels, w, max_fpr=options.max_fpr)
    return (d.value, *d.interval(options.confidence))


def paired_difference(
    scores_a: Sequence[float],
    scores_b: Sequence[float],
    labels: Sequence[int],
    domains: Sequence[str] | None = None,
    *,
    metric: str = "auc",
    options: BootstrapOptions = BootstrapOptions(),
    name: str = "",
) -> tuple[float, float, float]:
    """``(delta, low, high)``: ``metric(a) - metric(b)`` on the same clips and its paired-bootstrap interval.

    Both systems are scored on the same replicates (the same counts), so what the clips have in common cancels;
    the difference is beyond noise when ``low > 0`` or ``high < 0``.

    Parameters
    ----------
    scores_a, scores_b : sequence of float
        ``[n]`` each system's anomaly scores of the same clips, in the same order.
    labels : sequence of {0, 1}
    domains : sequence of {"source", "target"} or None
        Strata besides the label (None: by label only).
    metric : {"auc", "pauc"}
    options : BootstrapOptions
    name : str
        The unit's name (seeds its generator).
    """
    if np.asarray(scores_a).shape != np.asarray(scores_b).shape:
        raise ValueError(f"{len(scores_a)} scores of a but {len(scores_b)} of b: pair the same clips")
    w = unit_weights(name, labels, domains, options)
    a = metric_draws(metric, scores_a, labels, w, max_fpr=options.max_fpr)
    b = metric_draws(metric, scores_b, labels, w, max_fpr=options.max_fpr)
    d = a - b
    return (d.value, *d.interval(options.confidence))


def intervals_dict(draws: Mapping[str, Mapping[str, Draws | None]], confidence: float) -> dict:
    """``{name: {metric: [low, high] or None}}`` of nested :class:`Draws`."""
    return {
        name: {m: None if d is None else list(d.interval(confidence)) for m, d in metrics.items()}
        for name, metrics in draws.items()
    }
