"""AUC and pAUC per section and domain, as the DCASE 2021-2025 Task 2 evaluators compute them.

Two rules (y-kawagu/dcase2021_task2_evaluator; Kota-Dohi/dcase2022_evaluator; nttcslab/dcase202{3,4}_task2_evaluator):

- **2021** (``"dcase2021"``): per machine type x section x domain, ``roc_auc_score`` and
  ``roc_auc_score(max_fpr=0.1)`` on **that domain's clips only**.
- **2022-2025** (``"dcase2022"`` ... ``"dcase2025"``): per type x section, AUC(source) on the source-domain
  normal clips plus **all** anomalous clips of the section (``(domain == source) | (label != 0)``), AUC(target)
  likewise, pAUC on **all** clips of the section. The organisers call this intended: one threshold serves both
  domains, so every anomaly counts against each domain's normals (nttcslab/dcase2023_task2_baseline_ae #3).
  The 2023+ baseline also reports pAUC(source) and pAUC(target) on each domain's own clips; they are computed
  here too but are not part of the official score.

pAUC is sklearn's McClish-standardised partial AUC (``max_fpr=0.1``), as every evaluator uses. Precision,
recall and F1 per domain come from 0/1 decisions on that domain's clips, with the evaluators' ``eps`` guards.
Where an AUC is undefined (one class only) the value is None with a message; the evaluators would crash there.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import NamedTuple

import numpy as np

#: The protocol names are the layouts; 2022-2025 share one rule.
PROTOCOLS = ("dcase2021", "dcase2022", "dcase2023", "dcase2024", "dcase2025")
DOMAIN_NAMES = ("source", "target")
MAX_FPR = 0.1
EPS = sys.float_info.epsilon  # the evaluators' floor and guard


class ScoreRow(NamedTuple):
    """One scored test clip: the input of every metric here (a plain tuple works too)."""

    machine_type: str
    section: str
    domain: str | None
    file_name: str
    label: int | None
    score: float


@dataclass(frozen=True)
class SectionResult:
    """The metrics of one machine type x section.

    Attributes
    ----------
    machine_type, section : str
    auc_source, auc_target : float or None
        2021: AUC on that domain's clips; 2022+: that domain's normals plus all anomalies of the section.
    pauc_source, pauc_target : float or None
        pAUC on that domain's clips (official in 2021; the 2023+ baseline's extra columns otherwise).
    pauc : float or None
        2022+: pAUC on all clips of the section (official). None for 2021 (its evaluator has no such value).
    auc_all : float or None
        2022+: AUC on all clips of the section (the evaluators' "AUC (all)" column). None for 2021.
    precision_source, precision_target, recall_source, recall_target, f1_source, f1_target : float or None
        From decisions on each domain's clips; None without decisions.
    n_normal_source, n_anomaly_source, n_normal_target, n_anomaly_target : int
    messages : tuple of str
        Why a value is None (a subset with one class only).
    """

    machine_type: str
    section: str
    auc_source: float | None
    auc_target: float | None
    pauc_source: float | None
    pauc_target: float | None
    pauc: float | None
    auc_all: float | None
    precision_source: float | None
    precision_target: float | None
    recall_source: float | None
    recall_target: float | None
    f1_source: float | None
    f1_target: float | None
    n_normal_source: int
    n_anomaly_source: int
    n_normal_target: int
    n_anomaly_target: int
    messages: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        out = asdict(self)
        out["messages"] = list(self.messages)
        return out


def check_protocol(protocol: str) -> str:
    """``protocol`` if it is one of :data:`PROTOCOLS`, else a ValueError naming the allowed values."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol={protocol!r} is not allowed; choose one of {list(PROTOCOLS)}")
    return protocol


def _as_row(row) -> ScoreRow:
    if isinstance(row, Mapping):
        return ScoreRow(*(row[k] for k in ScoreRow._fields))
    return ScoreRow(*row)


def _auc(y: np.ndarray, s: np.ndarray, what: str, messages: list[str], max_fpr: float | None = None):
    from sklearn.metrics import roc_auc_score

    n_anomaly = int(y.sum())
    if n_anomaly == 0 or n_anomaly == y.size:
        kind = "anomalous" if n_anomaly else "normal"
        messages.append(f"{what}: only {kind} clips ({y.size}); undefined")
        return None
    return float(roc_auc_score(y, s, max_fpr=max_fpr))


def _decision_metrics(y: np.ndarray, decisions: np.ndarray) -> tuple[float, float, float]:
    """Precision, recall, F1 with the evaluators' guards (``tp / max(tp + fp, eps)`` ...)."""
    tp = float(np.sum((y == 1) & (decisions == 1)))
    fp = float(np.sum((y == 0) & (decisions == 1)))
    fn = float(np.sum((y == 1) & (decisions == 0)))
    precision = tp / max(tp + fp, EPS)
    recall = tp / max(tp + fn, EPS)
    return precision, recall, 2.0 * precision * recall / max(precision + recall, EPS)


def section_result(
    machine_type: str,
    section: str,
    labels: Sequence[int],
    scores: Sequence[float],
    domains: Sequence[str],
    protocol: str,
    *,
    decisions: Sequence[int] | None = None,
    max_fpr: float = MAX_FPR,
) -> SectionResult:
    """The metrics of one type x section from parallel arrays (see the module docstring for the rules)."""
    check_protocol(protocol)
    where = f"{machine_type} section {section}"
    labels, domains = list(labels), list(domains)
    if not (len(labels) == len(scores) == len(domains)) or (
        decisions is not None and len(decisions) != len(labels)
    ):
        raise ValueError(f"{where}: labels, scores, domains (and decisions) differ in length")
    if not labels:
        raise ValueError(f"{where}: no scored test clips")
    if any(label not in (0, 1) for label in labels):
        raise ValueError(
            f"{where}: labels must be 0 or 1 (unlabelled clips need ground truth: scan(..., ground_truth=...))"
        )
    bad = next((x for x in domains if x not in DOMAIN_NAMES), "ok")
    if bad != "ok":
        raise ValueError(
            f"{where}: domain {bad!r}; every clip needs 'source' or 'target' (evaluation clips get theirs from the "
            "ground truth: scan(..., ground_truth=...))"
        )
    y = np.asarray(labels, dtype=np.int64)
    s = np.asarray(scores, dtype=np.float64)
    d = np.asarray(domains, dtype=object)
    if not np.all(np.isfinite(s)):
        raise ValueError(f"{where}: non-finite anomaly score")
    dec = None if decisions is None else np.asarray(decisions, dtype=np.int64)
    messages: list[str] = []
    values: dict[str, float | None] = {}
    for dom in DOMAIN_NAMES:
        own = d == dom
        if protocol == "dcase2021":
            values[f"auc_{dom}"] = _auc(y[own], s[own], f"{where} {dom} AUC", messages)
        else:
            mask = own | (y != 0)
            values[f"auc_{dom}"] = _auc(y[mask], s[mask], f"{where} AUC ({dom})", messages)
        values[f"pauc_{dom}"] = _auc(y[own], s[own], f"{where} {dom} pAUC", messages, max_fpr)
        p = r = f = None
        if dec is not None:
            p, r, f = _decision_metrics(y[own], dec[own])
        values[f"precision_{dom}"], values[f"recall_{dom}"], values[f"f1_{dom}"] = p, r, f
    if protocol == "dcase2021":
        values["pauc"] = values["auc_all"] = None
    else:
        values["auc_all"] = _auc(y, s, f"{where} AUC (all)", messages)
        values["pauc"] = _auc(y, s, f"{where} pAUC", messages, max_fpr)
    counts = {
        f"n_{kind}_{dom}": int(np.sum((d == dom) & (y == label)))
        for dom in DOMAIN_NAMES
        for kind, label in (("normal", 0), ("anomaly", 1))
    }
    return SectionResult(machine_type, section, **values, **counts, messages=tuple(dict.fromkeys(messages)))


def section_metrics(
    rows: Iterable,
    protocol: str,
    *,
    decisions: Mapping[tuple[str, str], int] | None = None,
    max_fpr: float = MAX_FPR,
) -> list[SectionResult]:
    """:class:`SectionResult` per machine type x section, types and sections in sorted order (the evaluators').

    Parameters
    ----------
    rows : iterable of ScoreRow (or tuples/mappings with its fields)
        ``(machine_type, section, domain, file_name, label, score)`` per test clip.
    protocol : {"dcase2021", "dcase2022", "dcase2023", "dcase2024", "dcase2025"}
    decisions : mapping or None
        ``(machine_type, file_name) -> 0/1``; gives precision, recall and F1.
    max_fpr : float

    Raises
    ------
    ValueError
        Unknown protocol, a clip without label or domain, a file listed twice, a decision missing.
    """
    check_protocol(protocol)
    units: dict[tuple[str, str], list[ScoreRow]] = {}
    seen: set[tuple[str, str]] = set()
    for raw in rows:
        row = _as_row(raw)
        key = (row.machine_type, row.file_name)
        if key in seen:
            raise ValueError(f"{row.machine_type}: {row.file_name} is scored twice")
        seen.add(key)
        units.setdefault((row.machine_type, row.section), []).append(row)
    out = []
    for (machine_type, section), unit in sorted(units.items()):
        unit.sort(key=lambda r: r.file_name)  # the evaluators pair sorted files
        dec = None
        if decisions is not None:
            missing = [r.file_name for r in unit if (machine_type, r.file_name) not in decisions]
            if missing:
                raise ValueError(
                    f"{machine_type} section {section}: no decision for {missing[0]} (+{len(missing) - 1})"
                )
            dec = [decisions[(machine_type, r.file_name)] for r in unit]
        out.append(
            section_result(
                machine_type,
                section,
                [r.label for r in unit],
                [r.score for r in unit],
                [r.domain for r in unit],
                protocol,
                decisions=dec,
                max_fpr=max_fpr,
            )
        )
    return out
