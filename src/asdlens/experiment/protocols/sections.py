"""DCASE 2021-2026: the year's metrics per section x domain, its official score, decisions and files.

Each year is a row of :data:`YEARS` (its rules as data): the evaluator's rule (:data:`asdlens.evaluate.RULES`:
which clips enter each domain's AUC, pAUC per domain or per section, the official columns), the published table
with the system comparable to each scorer, and the shipped experiment behind those numbers.

- **Decisions.** Each unit's training clips are scored by its own model (one more scoring job per unit,
  :meth:`SectionsProtocol.add_jobs`, cached like any other), a gamma distribution is fit to those scores and its
  0.9 quantile is the unit's threshold (:func:`asdlens.evaluate.gamma_threshold`, as every baseline of those
  years does); a test clip is anomalous when its score is above it.
- **Metrics.** :func:`asdlens.evaluate.evaluate_official` with the layout as the protocol. Evaluation clips
  without a label or domain (no ground truth given) are scored and written, not evaluated.
- **Files** in the run folder: ``anomaly_score_<type>_section_<NN>[_<domain>]_test.csv`` and
  ``decision_result_...`` (:func:`asdlens.evaluate.write_submission`), and ``result.csv`` in the year's
  evaluator layout (:func:`asdlens.evaluate.write_evaluator_result_csv`, byte-compatible with the evaluator's
  own ``<system>_result.csv`` on these score files).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...evaluate import (
    DECISION_QUANTILE,
    HEADLINE_METRICS,
    RULES,
    BootstrapOptions,
    EvaluatorRule,
    OfficialResult,
    ScoreRow,
    domain_table,
    evaluate_official,
    gamma_threshold,
    headline,
    reference,
    section_values,
    write_evaluator_result_csv,
    write_submission,
)
from ...evaluate.intervals import intervals_json, section_draws
from ..plan import Plan, training_group
from ..results import results_json
from .interface import EvaluationProtocol, require
from .section_rows import score_rows

#: The file the year's evaluator-style result is written to, in the run folder.
RESULT_CSV = "result.csv"


@dataclass(frozen=True)
class Year:
    """One DCASE 2021-2025 year's rules.

    Attributes
    ----------
    rule : EvaluatorRule
        The evaluator's rule (:data:`asdlens.evaluate.RULES`); ``rule.name`` is the layout.
    published : str or None
        The published table of the year (:func:`asdlens.evaluate.reference`).
    systems : dict
        ``scoring.backend`` -> the system of ``published`` made with that scorer (a scorer not listed has no
        published value).
    shipped : dict
        ``scoring.backend`` -> the shipped experiment that reproduces that system (its settings are the
        published protocol).
    scores : tuple of str
        Tables of other systems' published official scores (with their sources), shown beside a run's.
    """

    rule: EvaluatorRule
    published: str | None = None
    systems: dict[str, str] = field(default_factory=dict)
    shipped: dict[str, str] = field(default_factory=dict)
    scores: tuple[str, ...] = ()

    @property
    def layout(self) -> str:
        return self.rule.name


_AE_2023 = {"default": "MSE", "mahalanobis": "MAHALA"}
_SHIPPED_2023 = {"default": "dcase2023-ae-mse", "mahalanobis": "dcase2023-ae-mahalanobis"}
# The 2026 baseline's experiments (the near channel): until they are shipped, no protocol difference is listed.
_SHIPPED_2026 = {"default": "dcase2026-ae-mse", "mahalanobis": "dcase2026-ae-mahalanobis"}
#: Every DCASE 2021-2026 year. A new year is one row here (with its evaluator rule in asdlens.evaluate.RULES and
#: its layout in asdlens.data.LAYOUT_SPECS).
YEARS: dict[str, Year] = {
    year.layout: year
    for year in (
        Year(RULES["dcase2021"], "dcase2021-dev", {"default": "AE"}, {"default": "dcase2021-ae"}),
        Year(RULES["dcase2022"], "dcase2022-dev", {"default": "AE"}, {"default": "dcase2022-ae"}),
        Year(RULES["dcase2023"], "dcase2023-eval", _AE_2023, _SHIPPED_2023),
        Year(RULES["dcase2024"], "dcase2024-eval", _AE_2023, _SHIPPED_2023),
        Year(
            RULES["dcase2025"],
            "dcase2025-eval",
            _AE_2023,
            _SHIPPED_2023,
            ("dcase2025-eval", "dcase2025-systems-dev", "dcase2025-systems-eval"),
        ),
        # Official scores only (no per-type values); the rule is 2025's (the 2026 evaluator could not be read).
        Year(
            RULES["dcase2026"], "dcase2026-eval", _AE_2023, _SHIPPED_2026, ("dcase2026-dev", "dcase2026-eval")
        ),
    )
}
#: The layouts scored per section x domain.
SECTION_LAYOUTS = tuple(YEARS)


@dataclass
class SectionEvaluation:
    """The metrics of a DCASE 2021-2025 run.

    Attributes
    ----------
    official : OfficialResult or None
        The year's metrics per section x domain and the official score (None for an evaluation tree without
        ground truth).
    thresholds : dict
        Per unit, the decision threshold (gamma fit of its training clips' scores at 0.9), or None where it
        could not be fit.
    train_scores : dict
        Per unit, the scores of its training clips (what the thresholds are fit to).
    messages : list of str
        What was scored but not evaluated, thresholds that could not be fit, and the data's warnings
        (:attr:`asdlens.data.ScanResult.warnings`).
    intervals : dict or None
        The bootstrap intervals (:func:`asdlens.evaluate.intervals.intervals_json`), None when not evaluated.
    """

    official: OfficialResult | None
    thresholds: dict[str, float | None] = field(default_factory=dict)
    train_scores: dict[str, list[float]] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    intervals: dict | None = None

    @property
    def official_score(self) -> float | None:
        """The year's official score, or None."""
        return None if self.official is None else self.official.official_score


def thresholds(train_scores: dict[str, list[float]]) -> tuple[dict[str, float | None], list[str]]:
    """Per unit: the gamma threshold of its training scores (None, with a message, when it cannot be fit)."""
    out, messages = {}, []
    for unit, scores in train_scores.items():
        try:
            out[unit] = gamma_threshold(scores, quantile=DECISION_QUANTILE)
        except ValueError as exc:
            out[unit] = None
            messages.append(f"{unit}: no decision threshold ({exc}); decision files are not written")
    return out, messages


def decisions_of(
    plan: Plan, rows: list[ScoreRow], limits: dict[str, float | None]
) -> dict[tuple[str, str], int] | None:
    """``(machine_type, file_name) -> 0/1`` with each group's unit threshold; None if a unit has none."""
    unit_of = {(c.machine_type, c.path.name): g.unit for g in plan.tests for c in g.clips}
    out = {}
    for r in rows:
        limit = limits.get(unit_of[(r.machine_type, r.file_name)])
        if limit is None:
            return None
        out[(r.machine_type, r.file_name)] = 1 if r.score > limit else 0
    return out


def usable_rows(rows: list[ScoreRow]) -> tuple[list[ScoreRow], list[str]]:
    """The rows that have a label and a domain (the ones evaluated), and a message about the others."""
    usable = [r for r in rows if r.label in (0, 1) and r.domain in ("source", "target")]
    messages = []
    if len(usable) < len(rows):
        messages.append(
            f"{len(rows) - len(usable)} of {len(rows)} test clips have no label or domain (evaluation names "
            "without ground truth: set dataset.ground_truth); they are in the score files but not evaluated"
        )
    return usable, messages


def evaluate_rows(
    exp, plan: Plan, rows: list[ScoreRow], decisions
) -> tuple[OfficialResult | None, list[str]]:
    """The year's :class:`~asdlens.evaluate.OfficialResult` over the clips that have a label and a domain, or
    None when no clip has both (an evaluation tree without ground truth); plus messages. 2022 on, with the
    evaluators' ``official score ci95`` (their jackknife), as their ``result.csv`` carries it."""
    usable, messages = usable_rows(rows)
    if not usable:
        return None, messages
    official = evaluate_official(
        usable, plan.layout, decisions=decisions, max_fpr=exp.metric.max_fpr, ci95=True
    )
    return official, messages


def section_intervals(rows: list[ScoreRow], layout: str, max_fpr: float) -> dict | None:
    """The bootstrap intervals of the evaluated rows (:func:`asdlens.evaluate.intervals.section_draws`)."""
    usable, _ = usable_rows(rows)
    if not usable:
        return None
    options = BootstrapOptions(max_fpr=max_fpr)
    return intervals_json(section_draws(usable, layout, options), options)


def evaluation_json(e: SectionEvaluation) -> tuple[dict[str, Any], dict[str, Any]]:
    """The evaluation's part of ``results.json``: the metrics, and the tail (messages, intervals)."""
    metrics = {
        "official_score": e.official_score,
        "domains": domain_table(e.official),
        "official": None if e.official is None else e.official.to_dict(),
        "thresholds": {
            name: {
                "threshold": value,
                "quantile": DECISION_QUANTILE,
                "n_train": len(e.train_scores.get(name, ())),
            }
            for name, value in e.thresholds.items()
        },
    }
    tail: dict[str, Any] = {"messages": list(e.messages)}
    if e.intervals is not None:
        tail["intervals"] = e.intervals
    return metrics, tail


@dataclass(frozen=True)
class SectionsProtocol(EvaluationProtocol):
    """The year's official metrics per section x domain (DCASE 2021-2025); see the module docstring."""

    year: Year
    headline_metrics: tuple[str, ...] = HEADLINE_METRICS

    @property
    def layout(self) -> str:
        return self.year.layout

    @property
    def headline_protocol(self) -> str:  # type: ignore[override]
        return self.year.layout

    def published(self, backend: str):
        """``(table, system)`` published for runs scored with ``backend``, or ``(None, None)``."""
        system = self.year.systems.get(backend)
        if self.year.published is None or system is None:
            return None, None
        return reference(self.year.published), system

    def check_settings(self, exp, plan) -> None:
        if exp.metric.max_fpr is None:
            raise ValueError(
                f"metric.max_fpr=None: the {plan.layout} official score is a harmonic mean that includes pAUC; "
                "set metric.max_fpr (0.1 in every evaluator)"
            )

    def add_jobs(self, builder, exp, rj) -> None:
        """One scoring job per unit over its own training clips (their scores fit the decision threshold). It
        reads the same feature entries as the fit (equal shard keys), so it costs one forward pass."""
        for unit in rj.plan.units:
            group = training_group(unit)
            shards = builder.feature_jobs(exp, unit.train, f"train {unit.name}")
            rj.scores[group.label] = builder.score_job(
                exp, group, rj.fits[unit.name], shards, own_training=True
            )

    def scored_groups(self, plan):
        return [*plan.tests, *(training_group(u) for u in plan.units)]

    def evaluate(self, exp, plan, scored) -> SectionEvaluation:
        train_scores = {u.name: [s for _, s, _ in scored[training_group(u).label]] for u in plan.units}
        limits, messages = thresholds(train_scores)
        rows = score_rows(plan, scored)
        official, more = evaluate_rows(exp, plan, rows, decisions_of(plan, rows, limits))
        messages += more + ([] if official is None else list(official.messages))
        messages += [f"data: {w}" for w in plan.warnings]
        intervals = None if official is None else section_intervals(rows, plan.layout, exp.metric.max_fpr)
        return SectionEvaluation(official, limits, train_scores, messages, intervals)

    def results_dict(self, result) -> dict[str, Any]:
        """``official_score``, ``domains`` (:func:`asdlens.evaluate.domain_table`), ``official``
        (:meth:`asdlens.evaluate.OfficialResult.to_dict`), the decision ``thresholds``, the ``messages`` and the
        ``intervals`` (:func:`evaluation_json`)."""
        return results_json(result, *evaluation_json(result.evaluation))

    def write_files(self, result) -> None:
        """The score and decision files of every scored test clip and, when it was evaluated, ``result.csv``."""
        plan, e = result.plan, result.evaluation
        rows = score_rows(plan, result.scores)
        write_submission(result.out_dir, rows, plan.layout, decisions=decisions_of(plan, rows, e.thresholds))
        if e.official is not None:
            write_evaluator_result_csv(result.out_dir / RESULT_CSV, e.official)

    def files_written(self) -> str:
        return "the anomaly_score/decision_result files, result.csv"

    def check_results(self, data: dict[str, Any]) -> None:
        require(data, "layout", "official", "domains", "official_score")
        if data["official"] is not None:
            require(data["official"], "sections", "types", "overall", where="results.json official")

    def with_published(self, data: dict[str, Any]) -> dict[str, Any]:
        from ...evaluate import official_columns
        from ...evaluate.published import section_rows

        if data["official"] is None:
            return data
        table, system = self.published(
            ((data.get("experiment") or {}).get("scoring") or {}).get("backend", "default")
        )
        sections = section_rows(data["official"]["sections"], official_columns(self.layout), table, system)
        return {**data, "official": {**data["official"], "sections": sections}}

    def print_tables(self, data: dict[str, Any], console, *, title: str) -> None:
        from .sections_tables import print_section_tables

        print_section_tables(self, data, console, title=title)

    def report(self, result):
        from .sections_page import section_report

        return section_report(self, result)

    def headline(self, result) -> dict[str, float | None]:
        official = result.evaluation.official
        return headline(None if official is None else official.overall, result.evaluation.official_score)

    def unit_values(self, result) -> dict[str, dict[str, float | None]]:
        return section_values(result.evaluation.official)
