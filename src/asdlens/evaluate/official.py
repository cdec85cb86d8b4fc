"""The official score of DCASE 2021-2025 Task 2 and the means the evaluators print.

Official score (every evaluator: ``scipy.stats.hmean(numpy.maximum(values, sys.float_info.epsilon), axis=None)``):

- 2021: the harmonic mean of **every** AUC and pAUC of every type x section x domain (84 values on the eval set);
- 2022-2026: the harmonic mean of every AUC(source), AUC(target) and pAUC of every type x section (2022: 63;
  2023: 21; 2024: 27; 2025: 24; 2026: 15 on the evaluation set, 21 on the development set).

The values are laid out in the evaluators' order (types and sections sorted; 2021: per type, source sections
then target sections, AUC then pAUC; 2022+: all AUC(source), then all AUC(target), then all pAUC), so the float
sums are the same. The per-type and overall means are those of the evaluators' ``result.csv`` rows: arithmetic
and harmonic (floored at eps) means of "AUC" (source and target AUCs together), "pAUC" (2021: both domains'
pAUCs; 2022+: the sections' pAUCs), precision, recall and F1; and the source-only / target-only harmonic means.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .domains import EPS, MAX_FPR, ScoreRow, SectionResult, _as_row, evaluator_rule, section_metrics

#: The value groups each per-type/overall mean is taken over.
MEAN_METRICS = ("auc", "pauc", "precision", "recall", "f1")


def hmean_floor(values: Sequence[float]) -> float:
    """``scipy.stats.hmean(numpy.maximum(values, eps))``: the evaluators' harmonic mean (a 0 cannot zero it)."""
    from scipy.stats import hmean

    return float(hmean(np.maximum(np.asarray(values, dtype=float), EPS), axis=None))


def official_score(values: Sequence[float | None]) -> float | None:
    """The official score of a list of values (None if any value is undefined)."""
    values = list(values)
    if not values or any(v is None for v in values):
        return None
    return hmean_floor(values)


def official_columns(protocol: str) -> tuple[str, ...]:
    """The year's official values of one section (:attr:`~asdlens.evaluate.domains.EvaluatorRule.official_columns`):
    2021 ``auc_source``, ``auc_target``, ``pauc_source``, ``pauc_target``; 2022 on ``auc_source``, ``auc_target``,
    ``pauc``."""
    return evaluator_rule(protocol).official_columns


#: How tables and pages name each official column.
COLUMN_NAMES = {
    "auc_source": "AUC (source)",
    "auc_target": "AUC (target)",
    "pauc": "pAUC",
    "pauc_source": "pAUC (source)",
    "pauc_target": "pAUC (target)",
}


def official_values(sections: Sequence[SectionResult], protocol: str) -> list[float | None]:
    """The values the year's official score is the harmonic mean of, in the evaluator's order."""
    rule = evaluator_rule(protocol)
    ordered = sorted(sections, key=lambda r: (r.machine_type, r.section))
    if rule.per_domain:
        out: list[float | None] = []
        for machine_type in sorted({r.machine_type for r in ordered}):
            rows = [r for r in ordered if r.machine_type == machine_type]
            for dom in ("source", "target"):
                for r in rows:
                    out += [getattr(r, f"auc_{dom}"), getattr(r, f"pauc_{dom}")]
        return out
    return [r.auc_source for r in ordered] + [r.auc_target for r in ordered] + [r.pauc for r in ordered]


def _table(sections: Sequence[SectionResult], protocol: str) -> tuple[np.ndarray, np.ndarray]:
    """The evaluators' performance table: one row per (section, domain) of (AUC, pAUC, precision, recall, F1),
    in their order (2021: per type, source sections then target sections; 2022+: every section's source row,
    then every target row, with the section's pAUC in both), NaN for undefined; and which rows are source rows.
    """
    rows, source = [], []
    rule = evaluator_rule(protocol)

    def row(r: SectionResult, dom: str) -> list:
        pauc = getattr(r, f"pauc_{dom}") if rule.pauc == "domain" else r.pauc
        values = [getattr(r, f"auc_{dom}"), pauc] + [getattr(r, f"{m}_{dom}") for m in MEAN_METRICS[2:]]
        return [np.nan if v is None else v for v in values]

    if rule.per_domain:
        for machine_type in sorted({r.machine_type for r in sections}):
            unit = [r for r in sections if r.machine_type == machine_type]
            for dom in ("source", "target"):
                rows += [row(r, dom) for r in unit]
                source += [dom == "source"] * len(unit)
    else:
        for dom in ("source", "target"):
            rows += [row(r, dom) for r in sections]
            source += [dom == "source"] * len(sections)
    return np.array(rows, dtype=float).reshape(-1, len(MEAN_METRICS)), np.array(source, dtype=bool)


def _column_means(table: np.ndarray, protocol: str, harmonic: bool) -> dict[str, float | None]:
    """Mean of each column as the evaluator computes it (2021: ``axis=0`` of the rows; 2022+: ``axis=1`` of the
    transposed table, a contiguous 5 x N array), so the float sums run in the same order."""
    from scipy.stats import hmean

    if table.shape[0] == 0:
        return dict.fromkeys(MEAN_METRICS)
    undefined = np.isnan(table).any(axis=0)
    filled = np.where(np.isnan(table), 1.0, table)  # columns are reduced independently; NaN ones become None
    if evaluator_rule(protocol).per_domain:
        data, axis = filled, 0
    else:
        data, axis = np.ascontiguousarray(filled.T), 1
    values = hmean(np.maximum(data, EPS), axis=axis) if harmonic else np.mean(data, axis=axis)
    return {m: None if bad else float(v) for m, v, bad in zip(MEAN_METRICS, values, undefined, strict=True)}


def _mean(values: list, harmonic: bool) -> float | None:
    if not values or any(v is None for v in values):
        return None
    return hmean_floor(values) if harmonic else float(np.mean(np.asarray(values, dtype=float)))


def means(sections: Sequence[SectionResult], protocol: str) -> dict[str, dict[str, float | None]]:
    """The evaluators' mean rows over some sections.

    Returns
    -------
    dict
        ``{"amean": {...}, "hmean": {...}, "source_hmean": {...}, "target_hmean": {...}, "by_metric": {...}}``;
        the first four map ``auc``, ``pauc``, ``precision``, ``recall``, ``f1`` to a value (None where a value is
        undefined or there are no decisions). ``by_metric`` holds the arithmetic and harmonic means of each
        official column on its own: ``auc_source``, ``auc_target``, ``pauc`` (2022+) or ``pauc_source``,
        ``pauc_target`` (2021), as the 2023+ evaluators' "paper" table prints them per type.
    """
    table, source = _table(sections, protocol)
    out: dict[str, dict] = {
        "amean": _column_means(table, protocol, False),
        "hmean": _column_means(table, protocol, True),
        "source_hmean": _column_means(table[source], protocol, True),
        "target_hmean": _column_means(table[~source], protocol, True),
    }
    out["by_metric"] = {
        c: {
            "amean": _mean([getattr(r, c) for r in sections], False),
            "hmean": _mean([getattr(r, c) for r in sections], True),
        }
        for c in official_columns(protocol)
    }
    return out


@dataclass(frozen=True)
class OfficialResult:
    """Everything a DCASE 2021-2025 evaluation gives: per section, per type, overall, the official score.

    Attributes
    ----------
    protocol : str
    sections : tuple of SectionResult
        Types and sections in sorted order.
    types : dict
        ``machine_type -> means(...)`` of that type's sections, plus ``"score"``: the harmonic mean of the
        type's official values (not printed by the evaluators; handy for a per-type headline).
    overall : dict
        :func:`means` over every section.
    official_score : float or None
        None when a value is undefined (the evaluator would have crashed); ``messages`` says which.
    n_values : int
        How many values the official score is the harmonic mean of.
    messages : tuple of str
    ci95 : float or None
        2022+: the evaluators' "official score ci95" (mean of the jackknife 95 % half-widths of the pooled AUC
        and pAUC) when requested; else None.
    """

    protocol: str
    sections: tuple[SectionResult, ...]
    types: dict[str, dict]
    overall: dict
    official_score: float | None
    n_values: int
    messages: tuple[str, ...] = ()
    ci95: float | None = None

    def to_dict(self) -> dict:
        """Plain data for ``results.json`` (the headline is under ``"official_score"``)."""
        return {
            "protocol": self.protocol,
            "official_score": self.official_score,
            "official_score_ci95": self.ci95,
            "n_values": self.n_values,
            "sections": [r.to_dict() for r in self.sections],
            "types": self.types,
            "overall": self.overall,
            "messages": list(self.messages),
        }

    def section(self, machine_type: str, section: str) -> SectionResult:
        for r in self.sections:
            if (r.machine_type, r.section) == (machine_type, section):
                return r
        raise KeyError(f"no result for {machine_type} section {section}")


def summarize_sections(
    sections: Iterable[SectionResult], protocol: str, *, ci95: float | None = None
) -> OfficialResult:
    """Per-type and overall means and the official score of per-section results."""
    evaluator_rule(protocol)
    sections = tuple(sorted(sections, key=lambda r: (r.machine_type, r.section)))
    types = {}
    for machine_type in sorted({r.machine_type for r in sections}):
        rows = [r for r in sections if r.machine_type == machine_type]
        types[machine_type] = {
            **means(rows, protocol),
            "score": official_score(official_values(rows, protocol)),
        }
    values = official_values(sections, protocol)
    messages = tuple(m for r in sections for m in r.messages)
    score = official_score(values)
    if score is None and values:
        messages += (
            "official score undefined: an AUC or pAUC it needs is undefined (see the messages above)",
        )
    return OfficialResult(
        protocol=protocol,
        sections=sections,
        types=types,
        overall=means(sections, protocol),
        official_score=score,
        n_values=len(values),
        messages=messages,
        ci95=ci95,
    )


#: The values a DCASE 2021-2025 result is summed up by (``explain`` steps, terminal tables, report pages): the
#: official score and the harmonic means it is made of.
HEADLINE_METRICS = ("official_score", "auc_source", "auc_target", "pauc")
HEADLINE_NAMES = {"official_score": "official score", **{m: COLUMN_NAMES[m] for m in HEADLINE_METRICS[1:]}}


def headline(summary: Mapping | None, score: float | None) -> dict[str, float | None]:
    """:data:`HEADLINE_METRICS` of one mean block of an :class:`OfficialResult` (its ``overall`` or one of its
    ``types``, as objects or as ``results.json`` holds them) and its official score.

    ``auc_source``/``auc_target`` are the harmonic means of the domains' AUCs; ``pauc`` that of the sections'
    pAUCs (2022+) or of every domain's pAUC (2021, whose official score takes both domains' pAUCs).
    """
    if summary is None:
        return dict.fromkeys(HEADLINE_METRICS)
    by = summary["by_metric"]
    pauc = by["pauc"]["hmean"] if "pauc" in by else summary["hmean"]["pauc"]
    return {
        "official_score": score,
        "auc_source": by["auc_source"]["hmean"],
        "auc_target": by["auc_target"]["hmean"],
        "pauc": pauc,
    }


def section_values(official: OfficialResult | None) -> dict[str, dict[str, float | None]]:
    """Per ``"<type> section <NN>"``: the year's official values of the section (:func:`official_columns`)."""
    if official is None:
        return {}
    columns = official_columns(official.protocol)
    return {
        f"{r.machine_type} section {r.section}": {c: getattr(r, c) for c in columns}
        for r in official.sections
    }


def domain_table(official: OfficialResult | None) -> list[dict]:
    """The per section x domain table of ``results.json``: one row per type x section x domain with the
    domain's AUC (the year's rule), its own clips' pAUC, the section's pAUC (2022+) and the counts."""
    if official is None:
        return []
    return [
        {
            "machine_type": r.machine_type,
            "section": r.section,
            "domain": dom,
            "auc": getattr(r, f"auc_{dom}"),
            "pauc": getattr(r, f"pauc_{dom}"),
            "pauc_section": r.pauc,
            "n_normal": getattr(r, f"n_normal_{dom}"),
            "n_anomaly": getattr(r, f"n_anomaly_{dom}"),
        }
        for r in official.sections
        for dom in ("source", "target")
    ]


def domain_clips(protocol: str, domain: str, rows: Iterable) -> list[ScoreRow]:
    """The scored clips that enter ``domain``'s AUC under ``protocol``'s rule
    (:meth:`~asdlens.evaluate.domains.EvaluatorRule.auc_mask`): 2021 that domain's clips, 2022 on that domain's
    normals and every anomaly. Clips without a label or domain (evaluation names without ground truth) never do.
    """
    rule = evaluator_rule(protocol)
    rows = [r for r in map(_as_row, rows) if r.label in (0, 1) and r.domain in ("source", "target")]
    if not rows:
        return []
    mask = rule.auc_mask(
        np.array([r.label for r in rows]), np.array([r.domain for r in rows], dtype=object), domain
    )
    return [r for r, keep in zip(rows, mask, strict=True) if keep]


def evaluate(
    rows: Iterable,
    protocol: str,
    *,
    decisions: Mapping[tuple[str, str], int] | None = None,
    max_fpr: float = MAX_FPR,
    ci95: bool = False,
) -> OfficialResult:
    """Score rows -> :class:`OfficialResult`: the one call a runner needs.

    Parameters
    ----------
    rows : iterable of ScoreRow (or tuples/mappings)
        ``(machine_type, section, domain, file_name, label, score)`` per test clip.
    protocol : {"dcase2021", "dcase2022", "dcase2023", "dcase2024", "dcase2025"}
    decisions : mapping or None
        ``(machine_type, file_name) -> 0/1`` for precision, recall and F1.
    max_fpr : float
    ci95 : bool
        Also compute the evaluators' jackknife "official score ci95" (2022+; one AUC and one pAUC per left-out
        clip, so seconds for a few thousand clips).
    """
    rows = list(rows)
    sections = section_metrics(rows, protocol, decisions=decisions, max_fpr=max_fpr)
    interval = None
    if ci95 and not evaluator_rule(protocol).per_domain:
        # pooled in the evaluators' order: types and sections sorted, files sorted within a section
        ordered = sorted((_as_row(r) for r in rows), key=lambda r: (r.machine_type, r.section, r.file_name))
        y = np.array([r.label for r in ordered], dtype=np.int64)
        s = np.array([r.score for r in ordered], dtype=np.float64)
        interval = float(np.mean([jackknife_ci95(y, s), jackknife_ci95(y, s, max_fpr=max_fpr)]))
    return summarize_sections(sections, protocol, ci95=interval)


def jackknife_ci95(labels: Sequence[int], scores: Sequence[float], *, max_fpr: float | None = None) -> float:
    """Half-width of the jackknife 95 % confidence interval of (p)AUC, as the 2022+ evaluators compute it.

    Leave-one-out estimates theta_i, sigma = sqrt(sum((theta_i - mean)^2) / (N (N - 1))), half-width
    ``t_{0.975, N-1} * sigma`` (Mesaros et al., IEEE/ACM TASLP 27(6), 2019, section IV, which the evaluators cite).
    """
    from scipy.stats import t

    roc_auc_score = _binary_roc_auc()
    confidence = 0.95

    y = np.asarray(labels, dtype=np.int64)
    s = np.asarray(scores, dtype=np.float64)
    n = y.size
    if n < 3:
        raise ValueError(f"the jackknife needs at least 3 clips, got {n}")
    keep = np.ones(n, bool)
    estimates = np.empty(n)
    for i in range(n):
        keep[i] = False
        estimates[i] = roc_auc_score(y[keep], s[keep], max_fpr=max_fpr)
        keep[i] = True
    sigma = np.sqrt(np.sum((estimates - estimates.mean()) ** 2) / (n * (n - 1)))
    # (1 - 0.95) / 2 is 0.025000000000000022 in floating point; the evaluators compute it so
    return float(abs(t.ppf((1 - confidence) / 2, n - 1)) * sigma)


def _binary_roc_auc():
    """The function ``sklearn.metrics.roc_auc_score`` ends in for 0/1 labels (``_binary_roc_auc_score``: the same
    floats), without the label checks it repeats on each of the jackknife's N calls (2.5 times faster); the
    public function where a scikit-learn version has no such private name."""
    try:
        from sklearn.metrics._ranking import _binary_roc_auc_score
    except ImportError:  # pragma: no cover - other scikit-learn versions
        from sklearn.metrics import roc_auc_score

        return roc_auc_score
    return _binary_roc_auc_score


def rows_from_clips(clips: Iterable, scores: Iterable[float]) -> list:
    """Score rows from clip records (anything with ``machine_type``, ``machine_id``, ``domain``, ``path``,
    ``label``, e.g. :class:`asdlens.data.Clip`) and their scores, in the same order."""
    clips, scores = list(clips), list(scores)
    if len(clips) != len(scores):
        raise ValueError(f"{len(clips)} clips but {len(scores)} scores")
    return [
        ScoreRow(c.machine_type, c.machine_id, c.domain, c.path.name, c.label, float(s))
        for c, s in zip(clips, scores, strict=True)
    ]
