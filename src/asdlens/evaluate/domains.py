"""AUC and pAUC per section and domain, as the DCASE 2021-2026 Task 2 evaluators compute them.

Two rules (y-kawagu/dcase2021_task2_evaluator; Kota-Dohi/dcase2022_evaluator; nttcslab/dcase202{3,4}_task2_evaluator):

- **2021** (``"dcase2021"``): per machine type x section x domain, ``roc_auc_score`` and
  ``roc_auc_score(max_fpr=0.1)`` on **that domain's clips only**.
- **2022-2025** (``"dcase2022"`` ... ``"dcase2025"``): per type x section, AUC(source) on the source-domain
  normal clips plus **all** anomalous clips of the section (``(domain == source) | (label != 0)``), AUC(target)
  likewise, pAUC on **all** clips of the section. The organisers call this intended: one threshold serves both
  domains, so every anomaly counts against each domain's normals (nttcslab/dcase2023_task2_baseline_ae #3).
  The 2023+ baseline also reports pAUC(source) and pAUC(target) on each domain's own clips; they are computed
  here too but are not part of the official score.

- **2026** (``"dcase2026"``): the 2022-2025 rule, unchanged. The 2026 evaluator
  (nttcslab/dcase2026_task2_evaluator @ f6a94a2b) could not be read here; the rule is derived from the 2025 one
  and the task's description of the official score (the harmonic mean over machine types of AUC(source),
  AUC(target) and pAUC "as in 2023-2025"; docs/dcase2026.md). Two channels change the input, not the metric.

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

DOMAIN_NAMES = ("source", "target")
MAX_FPR = 0.1
EPS = sys.float_info.epsilon  # the evaluators' floor and guard


@dataclass(frozen=True)
class EvaluatorRule:
    """How one year's evaluator scores a section and lays out its values: the year's rules as data.

    Attributes
    ----------
    name : str
        The protocol (the layout): ``"dcase2021"`` ... ``"dcase2026"``.
    auc_anomalies : {"domain", "section"}
        Which anomalies enter a domain's AUC besides that domain's normal clips: the domain's own (2021) or every
        anomaly of the section (2022 on; one threshold serves both domains).
    pauc : {"domain", "section"}
        Whether the official pAUC is taken per domain on the domain's own clips (2021) or once over all clips of
        the section (2022 on).
    evaluator : {"dcase2021", "dcase2022"}
        The evaluator code its value order, means and files follow: y-kawagu/dcase2021_task2_evaluator, or
        Kota-Dohi/dcase2022_evaluator and the nttcslab evaluators that kept its layout (2022 on).
    quirk : {"types", "sections"} or None
        Where that evaluator slices its per-type source/target harmonic-mean rows: at ``len(types) // 2``
        (2021), ``len(sections) // 2`` (2022), or nowhere (2023 on); see :mod:`asdlens.evaluate.result_csv`.
    """

    name: str
    auc_anomalies: str
    pauc: str
    evaluator: str
    quirk: str | None = None

    @property
    def per_domain(self) -> bool:
        """The 2021 evaluator: per-domain values, files and rows."""
        return self.evaluator == "dcase2021"

    @property
    def official_columns(self) -> tuple[str, ...]:
        """The values of one section its official score takes: 2021 AUC and pAUC per domain; 2022 on AUC per
        domain and the section's pAUC."""
        if self.pauc == "domain":
            return ("auc_source", "auc_target", "pauc_source", "pauc_target")
        return ("auc_source", "auc_target", "pauc")

    @property
    def auc_clips(self) -> str:
        """Which clips a domain's AUC is computed on, in words."""
        if self.auc_anomalies == "domain":
            return "that domain's clips"
        return "that domain's normals + all anomalies"

    def auc_mask(self, labels: np.ndarray, domains: np.ndarray, domain: str) -> np.ndarray:
        """Which clips enter ``domain``'s AUC (booleans over the section's clips)."""
        own = domains == domain
        return own if self.auc_anomalies == "domain" else own | (labels != 0)


_PER_DOMAIN = {"auc_anomalies": "domain", "pauc": "domain", "evaluator": "dcase2021"}
_SHARED_ANOMALIES = {"auc_anomalies": "section", "pauc": "section", "evaluator": "dcase2022"}
#: Every year's rule, by protocol name (the layout). A new year is one entry here.
RULES: dict[str, EvaluatorRule] = {
    rule.name: rule
    for rule in (
        EvaluatorRule("dcase2021", **_PER_DOMAIN, quirk="types"),
        EvaluatorRule("dcase2022", **_SHARED_ANOMALIES, quirk="sections"),
        EvaluatorRule("dcase2023", **_SHARED_ANOMALIES),
        EvaluatorRule("dcase2024", **_SHARED_ANOMALIES),
        EvaluatorRule("dcase2025", **_SHARED_ANOMALIES),
        # 2025's rule: the 2026 evaluator could not be read (see the module notes).
        EvaluatorRule("dcase2026", **_SHARED_ANOMALIES),
    )
}
#: The protocol names are the layouts; 2022-2026 share one rule.
PROTOCOLS = tuple(RULES)


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


def evaluator_rule(protocol: str) -> EvaluatorRule:
    """The :class:`EvaluatorRule` of ``protocol``, else a ValueError naming the allowed values."""
    if protocol not in RULES:
        raise ValueError(f"protocol={protocol!r} is not allowed; choose one of {list(RULES)}")
    return RULES[protocol]


def check_protocol(protocol: str) -> str:
    """``protocol`` if it is one of :data:`PROTOCOLS`, else a ValueError naming the allowed values."""
    evaluator_rule(protocol)
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
    rule = evaluator_rule(protocol)
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
        mask = rule.auc_mask(y, d, dom)
        what = f"{where} {dom} AUC" if rule.per_domain else f"{where} AUC ({dom})"
        values[f"auc_{dom}"] = _auc(y[mask], s[mask], what, messages)
        values[f"pauc_{dom}"] = _auc(y[own], s[own], f"{where} {dom} pAUC", messages, max_fpr)
        p = r = f = None
        if dec is not None:
            p, r, f = _decision_metrics(y[own], dec[own])
        values[f"precision_{dom}"], values[f"recall_{dom}"], values[f"f1_{dom}"] = p, r, f
    # the 2021 evaluator has no "AUC (all)" column; a per-domain pAUC year has no section pAUC
    values["auc_all"] = None if rule.per_domain else _auc(y, s, f"{where} AUC (all)", messages)
    values["pauc"] = None if rule.pauc == "domain" else _auc(y, s, f"{where} pAUC", messages, max_fpr)
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
    protocol : {"dcase2021", "dcase2022", "dcase2023", "dcase2024", "dcase2025", "dcase2026"}
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
