"""The terminal tables of a DCASE 2021-2025 ``results.json`` (``asdlens run``, ``asdlens results``).

AUC per section x domain, then pAUC per section (2022 on) or per section x domain (2021), each beside the
published value (``pub``) and our difference (``Δ``) where the year's table has one; then per type and overall
the official score and the harmonic means it is made of. Notes go below the tables, so every table fits 80
columns.
"""

from __future__ import annotations

from typing import Any

from ...data.layouts import is_generated
from ...evaluate import HEADLINE_METRICS, headline, official_columns
from ...evaluate.published import section_rows
from ...report.numbers import fmt, fmt_interval
from ...report.terminal import notes, table
from .intervals_shown import interval_note

#: Short headers of the means table (the notes below it spell them out).
MEAN_HEADERS = {
    "official_score": "official",
    "auc_source": "AUC src",
    "auc_target": "AUC tgt",
    "pauc": "pAUC",
}


def _value(value: float | None) -> str:
    return fmt(value) if value is not None else "undefined"


def _metric_table(
    title: str, rows: list[dict[str, Any]], columns: list[tuple[str, str | None]], published: bool
):
    """One row per ``(row, domain)`` of ``columns`` (``(column, domain or None)``): the value, pub, Δ."""
    with_domain = any(dom is not None for _, dom in columns)
    name = "AUC" if columns[0][0].startswith("auc") else "pAUC"
    headers = [
        "type",
        "section",
        *(["domain"] if with_domain else []),
        name,
        *(["pub", "Δ"] if published else []),
    ]
    out = table(title, headers, left=("type", "section", "domain"))
    for r in rows:
        for column, dom in columns:
            cells = [r["machine_type"], r["section"], *([dom] if with_domain else []), _value(r[column])]
            if published:
                cells += [fmt(r[f"published_{column}"]), fmt(r[f"diff_{column}"], signed=True)]
            out.add_row(*cells)
    return out


def _means_table(data: dict[str, Any]):
    """Per type and over all types the official score (with its 95 % interval when the run has them) and the
    harmonic means it is made of."""
    official, intervals = data["official"], data.get("intervals")
    headers = [*MEAN_HEADERS.values()]
    if intervals:
        headers.insert(1, "95% CI")
    out = table("harmonic means over sections", ["type", *headers], left=("type",))

    def cells(values: dict, bounds: dict | None) -> list[str]:
        out = [fmt(values[m]) for m in HEADLINE_METRICS]
        if intervals:
            out.insert(1, fmt_interval((bounds or {}).get("official_score")))
        return out

    for machine_type, summary in official["types"].items():
        bounds = intervals and intervals["types"].get(machine_type)
        out.add_row(machine_type, *cells(headline(summary, summary["score"]), bounds))
    overall = headline(official["overall"], data["official_score"])
    out.add_row("all types", *cells(overall, intervals and intervals["overall"]))
    return out


def print_section_tables(protocol, data: dict[str, Any], console, *, title: str) -> None:
    """The tables of a DCASE 2021-2025 ``results.json`` (``protocol``: its
    :class:`~asdlens.experiment.protocols.sections.SectionsProtocol`) on a rich ``console``."""
    layout, official = data["layout"], data.get("official")
    notes(console, data.get("messages") or [])
    if official is None:
        console.print(f"{title}: scored and written, not evaluated (no test clip has a label and a domain)")
        return
    rule = protocol.year.rule
    columns = official_columns(layout)
    table_, system = protocol.published(
        ((data.get("experiment") or {}).get("scoring") or {}).get("backend", "default")
    )
    rows = section_rows(official["sections"], columns, table_, system)
    published = any(r[f"published_{c}"] is not None for r in rows for c in columns)
    console.print(f"[bold]{title}[/] ({layout})", highlight=False)
    # the year's official columns, each with the domain it is per (None: per section)
    per = [(c, c.partition("_")[2] or None) for c in columns]
    auc, pauc = [x for x in per if x[0].startswith("auc")], [x for x in per if x[0].startswith("pauc")]
    console.print(_metric_table("AUC per section x domain", rows, auc, published))
    pauc_title = "pAUC per section x domain" if pauc[0][1] else "pAUC per section"
    console.print(_metric_table(pauc_title, rows, pauc, published))
    below = [
        f"AUC: {rule.auc_clips}; pAUC: "
        + ("that domain's clips" if rule.pauc == "domain" else "the section's")
    ]
    if published:
        below.append(f"pub: the published value ({protocol.year.published}, {system}); Δ: ours - published")
        root = ((data.get("experiment") or {}).get("dataset") or {}).get("root")
        if root and is_generated(root, layout):
            below.append(
                "the data is asdlens's generated data; the published columns are the real recordings' and only "
                "show the layout"
            )
    notes(console, below)
    console.print(_means_table(data))
    notes(console, ["src/tgt: the harmonic mean over sections of AUC (source) / AUC (target)"])
    console.print(
        f"[bold]official score {fmt(data['official_score'])}[/] (harmonic mean of {official['n_values']} values, "
        f"as the {layout} evaluator)",
        highlight=False,
    )
    ci95 = official.get("official_score_ci95")
    if ci95 is not None:
        notes(console, [f"official score ci95 {fmt(ci95, '.6f')}: the evaluator's jackknife of the pooled AUC/pAUC "
                        "(docs/uncertainty.md)"])  # fmt: skip
    if data.get("intervals"):
        notes(console, [interval_note(data["intervals"])])
    if data.get("bad_files"):
        console.print(f"[yellow]{len(data['bad_files'])} clip(s) left out (--skip-bad); see results.json[/]")
