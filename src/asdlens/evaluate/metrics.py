"""AUC and pAUC per machine ID, and the per-type averages, as the DCASE 2020 baseline computes them.

``01_test.py`` of y-kawagu/dcase2020_task2_baseline: ``metrics.roc_auc_score(y_true, y_pred)`` and
``metrics.roc_auc_score(y_true, y_pred, max_fpr=param["max_fpr"])`` (``max_fpr: 0.1`` in ``baseline.yaml``; sklearn
returns the McClish-standardised partial AUC) per machine ID; the per-type "Average" row is the arithmetic mean
over IDs. Where the official code would crash (a test set with one class only), we return None and say why.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from ..groups import GroupKey


@dataclass(frozen=True)
class IdResult:
    """AUC and pAUC of one machine ID (at one SNR for MIMII).

    Attributes
    ----------
    machine_type, machine_id : str
    snr : int or None
        MIMII SNR in dB; None for DCASE 2020.
    auc, pauc : float or None
        None when undefined; ``message`` says why.
    n_normal, n_anomaly : int
        Labelled test clips of each class.
    message : str or None
        Why a metric is missing (one class only, no labels), else None.
    """

    machine_type: str
    machine_id: str
    snr: int | None
    auc: float | None
    pauc: float | None
    n_normal: int
    n_anomaly: int
    message: str | None = None

    @property
    def n(self) -> int:
        """Labelled test clips: ``n_normal + n_anomaly``."""
        return self.n_normal + self.n_anomaly

    def to_dict(self) -> dict:
        """The fields plus ``n``."""
        return {**asdict(self), "n": self.n}

    @property
    def label(self) -> str:
        """``"pump id_00"`` or ``"fan id_00 6dB"`` (:attr:`asdlens.groups.GroupKey.label`)."""
        return GroupKey(self.machine_type, self.snr, self.machine_id).label


def _check_max_fpr(max_fpr) -> None:
    if max_fpr is not None and not (0 < max_fpr <= 1):
        raise ValueError(f"metric.max_fpr={max_fpr!r} must be in (0, 1], or None for no pAUC")


def id_metrics(
    labels: Sequence[int | None],
    scores: Sequence[float],
    *,
    machine_type: str,
    machine_id: str,
    snr: int | None = None,
    max_fpr: float | None = 0.1,
) -> IdResult:
    """AUC and pAUC of one machine ID with ``sklearn.metrics.roc_auc_score``.

    Parameters
    ----------
    labels : sequence of {0, 1, None}
        0 normal, 1 anomaly, None unknown (evaluation-set clips; they are scored but not counted).
    scores : sequence of float
        Anomaly scores, same order; higher is more anomalous.
    machine_type, machine_id, snr
        Which ID this is (for the record and the messages).
    max_fpr : float or None
        Upper false-positive rate of the pAUC (0.1 in the baseline); None skips the pAUC.

    Returns
    -------
    IdResult
        With ``auc``/``pauc`` None and a ``message`` when the test set has fewer than two classes.

    Raises
    ------
    ValueError
        If lengths differ, a label is not 0/1/None, a score is not finite, or ``max_fpr`` is out of range.
    """
    from sklearn.metrics import roc_auc_score

    _check_max_fpr(max_fpr)
    where = GroupKey(machine_type, snr, machine_id).label
    if len(labels) != len(scores):
        raise ValueError(f"{len(labels)} labels but {len(scores)} scores for {where}")
    bad = [lab for lab in labels if lab not in (0, 1, None)]
    if bad:
        raise ValueError(f"labels must be 0, 1 or None; got {bad[0]!r} for {where}")
    keep = [i for i, lab in enumerate(labels) if lab is not None]
    y = np.array([labels[i] for i in keep], dtype=np.int64)
    s = np.array([scores[i] for i in keep], dtype=np.float64)
    if not np.all(np.isfinite(s)):
        raise ValueError(f"non-finite anomaly score for {where}")
    n_anomaly = int(y.sum())
    n_normal = int(y.size - n_anomaly)
    message = None
    if y.size == 0:
        message = f"{where}: no labelled test clips (evaluation-set files carry no label); AUC undefined"
    elif n_anomaly == 0:
        message = f"{where}: the test set has only normal clips ({n_normal}); AUC needs anomalies too"
    elif n_normal == 0:
        message = f"{where}: the test set has only anomalous clips ({n_anomaly}); AUC needs normal clips too"
    if message is not None:
        return IdResult(machine_type, machine_id, snr, None, None, n_normal, n_anomaly, message)
    auc = float(roc_auc_score(y, s))
    pauc = None if max_fpr is None else float(roc_auc_score(y, s, max_fpr=max_fpr))
    return IdResult(machine_type, machine_id, snr, auc, pauc, n_normal, n_anomaly, None)


def mean_defined(values: Iterable[float | None]) -> float | None:
    """Arithmetic mean of the values that are not None (None if there are none)."""
    kept = [float(v) for v in values if v is not None]
    return float(np.mean(kept)) if kept else None


def mean_over_types(type_means: Iterable[float | None]) -> float | None:
    """The mean over machine types of per-type means (each the mean over the type's IDs), as the DCASE 2020
    baseline README averages: arithmetic, over the types whose mean is defined (None if none is)."""
    return mean_defined(type_means)


def pair_mean_over_types(
    per_type: Mapping[str, tuple[float | None, float | None] | None], types: Sequence[str]
) -> tuple[float, float] | None:
    """``(mean AUC, mean pAUC)`` over ``types`` (:func:`mean_over_types`) of per-type ``(auc, pauc)`` pairs; None
    unless every type has both (a published system's mean over fewer types than ours would not be comparable)."""
    pairs = [per_type.get(t) for t in types]
    if not pairs or any(p is None or p[0] is None or p[1] is None for p in pairs):
        return None
    return (mean_over_types(p[0] for p in pairs), mean_over_types(p[1] for p in pairs))


def official_score_2020(mean_auc: float | None, mean_pauc: float | None) -> float | None:
    """The DCASE 2020 Task 2 official score: the mean of the mean AUC and the mean pAUC, each averaged per ID,
    per type, then over types (:func:`mean_over_types`); None if either is undefined.

    The challenge ranked on this mean over its six types (:func:`asdlens.evaluate.strong_systems.official_scores`
    lists published values, in percent there); a run gets the same mean over its own types.
    """
    if mean_auc is None or mean_pauc is None:
        return None
    return (mean_auc + mean_pauc) / 2


@dataclass(frozen=True)
class TypeAverage:
    """Arithmetic mean over the IDs of one machine type (at one SNR) whose metric is defined."""

    machine_type: str
    snr: int | None
    auc: float | None
    pauc: float | None
    n_ids: int
    n_undefined: int

    @property
    def label(self) -> str:
        """``"fan"`` or ``"fan 6dB"`` (:attr:`asdlens.groups.GroupKey.label`)."""
        return GroupKey(self.machine_type, self.snr).label


def type_averages(results: Iterable[IdResult]) -> dict[tuple[str, int | None], dict[str, float | None]]:
    """Per ``(machine_type, snr)``: ``{"auc": mean, "pauc": mean, "n_ids": IDs averaged, "n_undefined": ...}``.

    The official "Average" row is the arithmetic mean over the type's IDs; IDs whose AUC is undefined are left
    out and counted in ``n_undefined`` so a report can say so.
    """
    grouped: dict[tuple[str, int | None], list[IdResult]] = {}
    for r in results:
        grouped.setdefault((r.machine_type, r.snr), []).append(r)
    out = {}
    for key, rows in grouped.items():
        out[key] = {
            "auc": mean_defined(r.auc for r in rows),
            "pauc": mean_defined(r.pauc for r in rows),
            "n_ids": sum(r.auc is not None for r in rows),
            "n_undefined": sum(r.auc is None for r in rows),
        }
    return out


def type_average_rows(results: Iterable[IdResult]) -> list[TypeAverage]:
    """:func:`type_averages` as :class:`TypeAverage` rows, in the order the types first appear."""
    return [TypeAverage(t, snr, **v) for (t, snr), v in type_averages(results).items()]
