"""A DCASE 2021-2025 run's results: the year's official score, decisions and files.

For the section layouts the runner hands the scored clips here instead of computing AUC/pAUC per machine ID:

- **Decisions.** Each unit's training clips are scored by its own model (one more scoring job per unit,
  :func:`add_training_scores`, cached like any other), a gamma distribution is fit to those scores and its 0.9
  quantile is the unit's threshold (:func:`asdlens.evaluate.gamma_threshold`, as every baseline of those years
  does); a test clip is anomalous when its score is above it.
- **Metrics.** :func:`asdlens.evaluate.evaluate_official` with the layout as the protocol: 2021 AUC/pAUC per
  section x domain on that domain's clips, 2022-2025 AUC(source)/AUC(target) on that domain's normals plus all
  anomalies and pAUC over the section; the official score is the harmonic mean of the year's values.
  Evaluation clips without a label or domain (no ground truth given) are scored and written, not evaluated.
- **Files** in the run folder: ``anomaly_score_<type>_section_<NN>[_<domain>]_test.csv`` and
  ``decision_result_...`` (:func:`asdlens.evaluate.write_submission`), and ``result.csv`` in the year's
  evaluator layout (:func:`asdlens.evaluate.write_evaluator_result_csv`, byte-compatible with the evaluator's
  own ``<system>_result.csv`` on these score files).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..evaluate import (
    DECISION_QUANTILE,
    ScoreRow,
    evaluate_official,
    gamma_threshold,
    write_evaluator_result_csv,
    write_submission,
)
from .config import Experiment
from .graph import JobBuilder, RunJobs
from .plan import Plan, training_group

#: The file the year's evaluator-style result is written to, in the run folder.
RESULT_CSV = "result.csv"


def check_settings(exp: Experiment, plan: Plan) -> None:
    """Settings a DCASE 2021-2025 run cannot be scored with, named before anything trains."""
    if plan.sections and exp.metric.max_fpr is None:
        raise ValueError(
            f"metric.max_fpr=None: the {plan.layout} official score is a harmonic mean that includes pAUC; "
            "set metric.max_fpr (0.1 in every evaluator)"
        )


def add_training_scores(builder: JobBuilder, exp: Experiment, rj: RunJobs) -> None:
    """Add one scoring job per unit over its own training clips (section layouts only).

    The job reads the same feature entries as the fit (equal shard keys), so it costs one forward pass.
    """
    if not rj.plan.sections:
        return
    for unit in rj.plan.units:
        group = training_group(unit)
        shards = builder.feature_jobs(exp, unit.train, f"train {unit.name}")
        rj.scores[group.label] = builder.score_job(exp, group, rj.fits[unit.name], shards)


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


def score_rows(plan: Plan, scored: dict[str, list[tuple[str, float, int | None]]]) -> list[ScoreRow]:
    """One :class:`~asdlens.evaluate.ScoreRow` per scored test clip, labels and domains from the clips."""
    rows = []
    for group in plan.tests:
        for clip, (name, score, _) in zip(group.clips, scored[group.label], strict=True):
            rows.append(ScoreRow(clip.machine_type, clip.machine_id, clip.domain, name, clip.label, score))
    return rows


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


def evaluate(exp: Experiment, plan: Plan, rows: list[ScoreRow], decisions) -> tuple[Any, list[str]]:
    """The year's :class:`~asdlens.evaluate.OfficialResult` over the clips that have a label and a domain, or
    None when no clip has both (an evaluation tree without ground truth); plus messages."""
    usable = [r for r in rows if r.label in (0, 1) and r.domain in ("source", "target")]
    messages = []
    if len(usable) < len(rows):
        messages.append(
            f"{len(rows) - len(usable)} of {len(rows)} test clips have no label or domain (evaluation names "
            "without ground truth: set dataset.ground_truth); they are in the score files but not evaluated"
        )
    if not usable:
        return None, messages
    return evaluate_official(usable, plan.layout, decisions=decisions, max_fpr=exp.metric.max_fpr), messages


def domain_table(official) -> list[dict[str, Any]]:
    """The per section x domain table: one row per type x section x domain with the domain's AUC (the year's
    rule), its own clips' pAUC, the section's pAUC (2022+) and the counts."""
    if official is None:
        return []
    out = []
    for r in official.sections:
        for dom in ("source", "target"):
            out.append(
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
            )
    return out


def write_official_files(result, plan: Plan) -> list[Path]:
    """The score and decision files of every scored test clip of a :class:`~asdlens.experiment.RunResult`
    and, when it was evaluated, ``result.csv``."""
    rows = score_rows(plan, result.scores)
    decisions = decisions_of(plan, rows, result.thresholds)
    written = write_submission(result.out_dir, rows, plan.layout, decisions=decisions)
    if result.official is not None:
        written.append(write_evaluator_result_csv(result.out_dir / RESULT_CSV, result.official))
    return written


#: The values a DCASE 2021-2025 result is summed up by (``explain`` steps, terminal tables): the official score
#: and the harmonic means it is made of.
HEADLINE_METRICS = ("official_score", "auc_source", "auc_target", "pauc")
HEADLINE_NAMES = {
    "official_score": "official score",
    "auc_source": "AUC (source)",
    "auc_target": "AUC (target)",
    "pauc": "pAUC",
}


def headline(summary: dict | None, score: float | None) -> dict[str, float | None]:
    """:data:`HEADLINE_METRICS` of one mean block of an :class:`~asdlens.evaluate.OfficialResult` (its
    ``overall`` or one of its ``types``) and its official score.

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


def section_values(official) -> dict[str, dict[str, float | None]]:
    """Per ``"<type> section <NN>"``: AUC(source), AUC(target), the official pAUC(s) of the section."""
    if official is None:
        return {}
    out = {}
    for r in official.sections:
        values = {"auc_source": r.auc_source, "auc_target": r.auc_target}
        if official.protocol == "dcase2021":
            values.update(pauc_source=r.pauc_source, pauc_target=r.pauc_target)
        else:
            values["pauc"] = r.pauc
        out[f"{r.machine_type} section {r.section}"] = values
    return out
