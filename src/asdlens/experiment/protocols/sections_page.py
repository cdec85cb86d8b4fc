"""The report page of a DCASE 2021-2026 run: the year's official score first, then per section x domain.

Published values come from the year's table (:data:`asdlens.experiment.protocols.sections.YEARS`):
``dcase2021-dev`` / ``dcase2022-dev`` (the AE baselines' README excerpts: fan and valve per section) and
``dcase2023-eval`` ... ``dcase2025-eval`` (the evaluation types, MSE or MAHALA by ``scoring.backend``); a type or
section the table does not have gets no value. ``dcase2026-eval`` publishes official scores only: the page lists
them with their sources (secondary ones marked) instead.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...data.layouts import is_generated
from ...evaluate import (
    COLUMN_NAMES,
    HEADLINE_METRICS,
    HEADLINE_NAMES,
    domain_clips,
    headline,
    official_columns,
    reference,
    section_values,
)
from ...evaluate.published import section_rows
from ...report import Report
from ...report.figures import heatmap_figure, histogram_figure, roc_figure
from ..render import cell, opening, protocol_differences, training_and_run_sections
from .intervals_shown import interval_section
from .section_rows import score_rows

#: Histogram colours of each (domain, label); other clips (no label or domain) are grey.
DOMAIN_PARTS = (
    ("source", 0, "#3a7"),
    ("target", 0, "#1f5fa8"),
    ("source", 1, "#d54"),
    ("target", 1, "#e9a23b"),
)


def _first_sentence(text: str) -> str:
    """The first sentence of a reference table's source note (its lines joined)."""
    joined = " ".join(line.strip() for line in text.splitlines())
    head, _, _ = joined.partition(". ")
    return head.rstrip(".") + "."


def _score_section(rep: Report, protocol, result) -> None:
    official, rule = result.evaluation.official, protocol.year.rule
    top = headline(official.overall, official.official_score)
    values = (
        "every AUC and pAUC per section x domain"
        if rule.pauc == "domain"
        else ("AUC (source), AUC (target) and pAUC per section")
    )
    rep.heading("Official score")
    rep.paragraph(
        f"Official score {cell(official.official_score)}: the harmonic mean of {official.n_values} values "
        f"({values}), floored at eps as the evaluators compute it. Its parts: "
        + ", ".join(f"{HEADLINE_NAMES[m]} {cell(top[m])}" for m in HEADLINE_METRICS[1:])
        + " (harmonic means over sections)."
    )
    notes = []
    if protocol.year.published is not None:
        notes.append(f"Published values: {_first_sentence(reference(protocol.year.published).source)}")
    diffs = protocol_differences(result.config, protocol.year.shipped.get(result.config.scoring.backend))
    if diffs:
        notes.append(f"This run differs from the published protocol in: {', '.join(diffs)}.")
    if is_generated(Path(result.config.dataset.root), result.layout):
        notes.append(
            "The data is asdlens's generated data (a .asdlens/manifest.csv of the generator is beside it): published values "
            "are for the real recordings and are shown for the layout only."
        )
    if notes:
        rep.paragraph(" ".join(notes))
    _published_scores(rep, protocol, official.official_score)


def _published_scores(rep: Report, protocol, ours: float | None) -> None:
    """Other systems' published official scores beside ours, each with its source (2025: the baseline, the
    frozen-encoder systems, the winner; 2026: the baselines, channel policies, the winner)."""
    rows = []
    for name in protocol.year.scores:
        table = reference(name)
        split = "eval" if name.endswith("eval") else "dev"
        for r in table.official_scores():
            source = (r.source or _first_sentence(table.source)) + (" (secondary)" if r.secondary else "")
            rows.append([r.system, split, r.channels, cell(r.value), source])
    if not rows:
        return
    rep.heading("Published official scores")
    headers = ["system", "set", "channels", "official score", "source"]
    rows = [["this run", "", "", cell(ours), ""]] + rows
    if not any(r[2] for r in rows):  # a mono year: no channel policy to name
        headers, rows = headers[:2] + headers[3:], [r[:2] + r[3:] for r in rows]
    rep.table(headers, rows)


def _sections_table(rep: Report, protocol, result) -> None:
    official = result.evaluation.official
    columns = official_columns(result.layout)
    table, system = protocol.published(result.config.scoring.backend)
    rows = section_rows([r.to_dict() for r in official.sections], columns, table, system)
    rep.heading("Per section x domain")
    headers = ["type", "section"]
    for c in columns:
        headers += [COLUMN_NAMES[c], "published", "diff"]
    rep.table(
        headers,
        [
            [
                r["machine_type"],
                r["section"],
                *(
                    x
                    for c in columns
                    for x in (cell(r[c]), cell(r[f"published_{c}"]), cell(r[f"diff_{c}"], True))
                ),
            ]
            for r in rows
        ],
    )
    grid = [[np.nan if getattr(r, c) is None else getattr(r, c) for c in columns] for r in official.sections]
    rep.figure(
        heatmap_figure(
            grid,
            [f"{r.machine_type} {r.section}" for r in official.sections],
            [COLUMN_NAMES[c] for c in columns],
            f"{result.config.name}: per section x domain",
            limits=(0.0, 1.0),
        ),
        "official_heatmap",
        caption="the official values per type x section (2021: AUC and pAUC per domain; 2022+: AUC per domain, pAUC)",
    )


def _means_and_decisions(rep: Report, result) -> None:
    official = result.evaluation.official
    top = headline(official.overall, official.official_score)
    rep.heading("Per machine type (harmonic means over sections) and overall")
    rows = []
    for machine_type, summary in official.types.items():
        h = headline(summary, summary["score"])
        rows.append([machine_type, *(cell(h[m]) for m in HEADLINE_METRICS)])
    rows.append(["all types", *(cell(top[m]) for m in HEADLINE_METRICS)])
    rep.table(["type", *(HEADLINE_NAMES[m] for m in HEADLINE_METRICS)], rows)
    if any(r.precision_source is not None for r in official.sections):
        rep.heading("Decisions (precision, recall, F1 per domain)")
        rep.table(
            ["type", "section", "domain", "precision", "recall", "F1"],
            [
                [
                    r.machine_type,
                    r.section,
                    d,
                    cell(getattr(r, f"precision_{d}")),
                    cell(getattr(r, f"recall_{d}")),
                    cell(getattr(r, f"f1_{d}")),
                ]
                for r in official.sections
                for d in ("source", "target")
            ],
        )


def _roc_curves(layout: str, groups, rows) -> list[tuple[str, list, list]]:
    """Per section x domain of ``groups``: the ROC curve on the clips that domain's AUC uses."""
    curves = []
    for g in groups:
        unit = [r for r in rows if (r.machine_type, r.section) == (g.machine_type, g.machine_id)]
        for dom in ("source", "target"):
            kept = domain_clips(layout, dom, unit)
            curves.append((f"section {g.machine_id} {dom}", [r.label for r in kept], [r.score for r in kept]))
    return curves


def _histogram_panels(groups, rows) -> list[tuple[str, list]]:
    """Per section of ``groups``: its scores by domain x label, and those without either."""
    known = {(d, lab) for d, lab, _ in DOMAIN_PARTS}
    panels = []
    for g in groups:
        unit = [r for r in rows if (r.machine_type, r.section) == (g.machine_type, g.machine_id)]
        parts = [
            (
                f"{d} {'anomaly' if lab else 'normal'}",
                color,
                [r.score for r in unit if (r.domain, r.label) == (d, lab)],
            )
            for d, lab, color in DOMAIN_PARTS
        ]
        parts.append(("unlabelled", "#888", [r.score for r in unit if (r.domain, r.label) not in known]))
        panels.append((g.label, parts))
    return panels


def _figures(rep: Report, protocol, result) -> None:
    plan, e = result.plan, result.evaluation
    rows = score_rows(plan, result.scores)
    rep.heading("ROC curves and score histograms")
    for machine_type in dict.fromkeys(g.machine_type for g in plan.tests):
        groups = [g for g in plan.tests if g.machine_type == machine_type]
        if e.official is not None:
            curves = _roc_curves(result.layout, groups, rows)
            rep.figure(
                roc_figure(
                    curves, f"ROC: {machine_type}", dashed={c[0] for c in curves if c[0].endswith("target")}
                ),
                f"roc_{machine_type}",
                caption=f"{machine_type}: ROC per section x domain on {protocol.year.rule.auc_clips} (dotted: FPR 0.1)",
            )
        rep.figure(
            histogram_figure(
                _histogram_panels(groups, rows),
                f"scores: {machine_type}",
                threshold=e.thresholds.get(groups[0].unit),
            ),
            f"scores_{machine_type}",
            caption=f"{machine_type}: anomaly scores per section by domain and label (dotted: decision threshold)",
        )


def _values(official) -> dict:
    """The run's values in the shape of its intervals (:func:`.intervals_shown.interval_rows`)."""
    return {
        "units": section_values(official),
        "types": {t: headline(s, s["score"]) for t, s in official.types.items()},
        "overall": headline(official.overall, official.official_score),
    }


def section_report(protocol, result) -> Report:
    """The :class:`asdlens.report.Report` of a DCASE 2021-2025 run (``protocol``: its
    :class:`~asdlens.experiment.protocols.sections.SectionsProtocol`). The result's ``plan`` gives each clip's
    domain and label for the ROC curves and histograms; without it they are left out."""
    e = result.evaluation
    rep = Report(f"asdlens run: {result.config.name}")
    rep.paragraph(
        opening(
            result,
            scored_with=f", scored with the {result.layout} evaluator's rules",
            extra=f"; validation from the {result.config.training.validation_from}",
        )
    )
    if e.official is None:
        rep.heading("Not evaluated")
        rep.paragraph(
            "No test clip has both a label and a domain (evaluation names without ground truth): the score and "
            "decision files are written; set dataset.ground_truth to evaluate them."
        )
    else:
        _score_section(rep, protocol, result)
        _sections_table(rep, protocol, result)
        _means_and_decisions(rep, result)
        interval_section(rep, e.intervals, _values(e.official))
    if e.messages:
        rep.heading("Messages")
        rep.table(["message"], [[m] for m in e.messages])
    if result.plan is not None:
        _figures(rep, protocol, result)
    rep.heading("Decision thresholds (gamma fit of the training clips' scores, 0.9 quantile)")
    rep.table(
        ["model", "training clips", "threshold"],
        [[u, len(e.train_scores.get(u, [])), cell(t)] for u, t in e.thresholds.items()],
    )
    training_and_run_sections(rep, result)
    return rep
