"""The report page of a DCASE 2020 / MIMII run: per-ID table beside the published numbers, the per-type means,
for DCASE 2020 the field's strong systems and official scores, ROC curves, score histograms, loss curves.

Published values come from the layout's table (``dcase2020-dev``, ``mimii-paper``), matched on machine type,
ID (and SNR); IDs the table does not have get no value. A published type mean is the mean over the run's IDs
of their published values (:mod:`asdlens.evaluate.published`), so it sits beside ours like for like.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from ...data.layouts import is_generated
from ...evaluate.published import comparison_rows, official_score_rows, strong_system_rows, type_rows
from ...groups import GroupKey
from ...report import Report
from ...report.figures import histogram_figure, roc_figure
from ..render import cell, opening, protocol_differences, training_and_run_sections
from .intervals_shown import interval_section

#: Histogram colours of each label (None: evaluation clips without one).
LABEL_PARTS = ((0, "normal", "#3a7"), (1, "anomaly", "#d54"), (None, "unlabelled", "#888"))


def _published_note(protocol, result, generated: bool) -> str | None:
    table = protocol.table()
    if table is None:
        return None
    note = f"Published values: {table.source.splitlines()[0]}"
    diffs = protocol_differences(result.config, protocol.rules.shipped)
    if diffs:
        note += f" This run differs from the published protocol in: {', '.join(diffs)}."
    if generated:
        note += (
            " The data root holds a .asdlens/manifest.csv of asdlens's synthetic generator: the published values are "
            "for the real recordings and are shown for the layout only."
        )
    return note


def _id_section(rep: Report, rows: list[dict]) -> None:
    with_snr = any(r["snr"] is not None for r in rows)
    headers = [
        "type",
        *(["SNR dB"] if with_snr else []),
        "ID",
        "normal",
        "anomaly",
        "AUC",
        "published AUC",
        "diff AUC",
        "pAUC",
        "published pAUC",
        "diff pAUC",
        "note",
    ]
    rep.heading("Per machine ID")
    rep.table(
        headers,
        [
            [
                r["machine_type"],
                *([r["snr"]] if with_snr else []),
                r["machine_id"],
                r["n_normal"],
                r["n_anomaly"],
                *_beside_published(r),
                r["message"] or "",
            ]
            for r in rows
        ],
    )


def _beside_published(r: dict) -> list:
    """A comparison row's AUC and pAUC cells: ours, the published value and the difference, each."""
    cells = []
    for m in ("auc", "pauc"):
        cells += [cell(r[m]), cell(r[f"published_{m}"]), cell(r[f"diff_{m}"], True)]
    return cells


def _type_section(rep: Report, protocol, result, results: list[dict]) -> None:
    e = result.evaluation
    rows = type_rows([asdict(a) for a in e.averages], results, protocol.table())
    rep.heading("Per machine type (mean over IDs)")
    if protocol.table() is not None:
        rep.paragraph(
            "The published type mean is the mean of the published per-ID values over this run's IDs (the "
            "README's Average row when the run has every ID of the type); none where one of them is not published."
        )
    body = [
        [
            GroupKey(r["machine_type"], r["snr"]).label,
            r["n_ids"],
            *_beside_published(r),
        ]
        for r in rows
    ]
    body.append(["mean over types", "", cell(e.mean_auc), None, None, cell(e.mean_pauc), None, None])
    rep.table(
        ["type", "IDs", "AUC", "published AUC", "diff AUC", "pAUC", "published pAUC", "diff pAUC"], body
    )
    rep.paragraph(
        f"Score {cell(e.official_score_2020)}: the mean of the mean AUC and the mean pAUC over this run's "
        f"types ({protocol.rules.score_name})."
    )


def _pair(pair) -> str | None:
    if pair is None or pair[0] is None:
        return None
    return f"{pair[0]:.4f} / {pair[1]:.4f}" if pair[1] is not None else f"{pair[0]:.4f} / –"


def _strong_systems_section(rep: Report, result, results: list[dict], generated: bool) -> None:
    e = result.evaluation
    types = [a.machine_type for a in e.averages if a.snr is None]
    source, strong = strong_system_rows(e.averages, results, types)
    rep.heading("Strong systems on the real DCASE 2020 development set")
    rep.paragraph(
        "AUC / pAUC per machine type (mean over the type's IDs) of published detectors on the real DCASE 2020 "
        "development set, beside this run's; the mean is over the types of this run; the official baseline's "
        "row is over this run's IDs. "
        + " ".join(source.splitlines())
        + (
            " This run is on generated data: the published rows show how far the field reaches on the real "
            "recordings, not what a detector should reach here."
            if generated
            else ""
        )
    )
    rep.table(
        ["system", *types, "mean", "caveat"],
        [
            [r["system"], *[_pair(r["per_type"].get(t)) for t in types], _pair(r["mean"]), r["caveat"]]
            for r in strong
        ],
    )
    source, scores = official_score_rows(e.mean_auc, e.mean_pauc)
    rep.paragraph(
        "DCASE 2020 official score (the mean of AUC and pAUC, each averaged per ID, per type, then over the six "
        "types) on the real development and evaluation sets. "
        + " ".join(source.splitlines())
        + " This run's value is the same mean over its own types."
    )
    rep.table(
        ["system", "dev", "eval", "note"],
        [[r["system"], cell(r["dev"]), cell(r["eval"]), r["note"]] for r in scores],
    )


def _figures(rep: Report, result) -> None:
    by_type: dict[GroupKey, list] = {}
    for r in result.evaluation.results:
        by_type.setdefault(GroupKey(r.machine_type, r.snr), []).append(
            (f"id_{r.machine_id}", result.scores[r.label])
        )
    rep.heading("ROC curves and score histograms")
    for key, groups in by_type.items():
        curves = [
            (
                label,
                [lab for *_, lab in rows if lab is not None],
                [s for _, s, lab in rows if lab is not None],
            )
            for label, rows in groups
        ]
        rep.figure(
            roc_figure(curves, f"ROC: {key.label}"),
            f"roc_{key.slug}",
            caption=f"{key.label}: ROC per ID (dotted: FPR 0.1)",
        )
        panels = [
            (
                label,
                [
                    (name, color, [s for _, s, lab in rows if lab == value])
                    for value, name, color in LABEL_PARTS
                ],
            )
            for label, rows in groups
        ]
        rep.figure(
            histogram_figure(panels, f"scores: {key.label}"),
            f"scores_{key.slug}",
            caption=f"{key.label}: anomaly scores per ID",
        )


def _values(e) -> dict:
    """The run's values in the shape of its intervals (:func:`.intervals_shown.interval_rows`)."""
    return {
        "units": {r.label: {"auc": r.auc, "pauc": r.pauc} for r in e.results},
        "types": {a.label: {"auc": a.auc, "pauc": a.pauc} for a in e.averages},
        "overall": {"auc": e.mean_auc, "pauc": e.mean_pauc, "official_score_2020": e.official_score_2020},
    }


def id_report(protocol, result) -> Report:
    """The :class:`asdlens.report.Report` of a run scored per machine ID (``protocol``: its
    :class:`~asdlens.experiment.protocols.ids.IdsProtocol`)."""
    rep = Report(f"asdlens run: {result.config.name}")
    rep.paragraph(opening(result))
    generated = is_generated(Path(result.config.dataset.root), result.layout)
    note = _published_note(protocol, result, generated)
    if note:
        rep.paragraph(note)
    rows = comparison_rows([r.to_dict() for r in result.evaluation.results], protocol.table())
    _id_section(rep, rows)
    _type_section(rep, protocol, result, rows)
    interval_section(rep, result.evaluation.intervals, _values(result.evaluation))
    if protocol.rules.strong_systems:
        _strong_systems_section(rep, result, rows, generated)
    _figures(rep, result)
    training_and_run_sections(rep, result)
    return rep
