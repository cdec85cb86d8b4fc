"""The terminal tables of a DCASE 2020 / MIMII ``results.json`` (``asdlens run``, ``asdlens results``).

Per machine ID: AUC and pAUC beside the published values (``pub``) and our difference (``Δ``), the published
columns only where the table has values; per type the means over IDs, over types the mean of those and the
DCASE 2020 official score. Notes go below the tables, so every table fits 80 columns.
"""

from __future__ import annotations

from typing import Any

from ...data.layouts import is_generated
from ...evaluate import official_score_2020
from ...evaluate.published import comparison_rows
from ...groups import GroupKey
from ...report.numbers import fmt, fmt_interval
from ...report.terminal import notes, table
from .intervals_shown import interval_note


def _number(value: float | None, signed: bool = False) -> str:
    return fmt(value, signed=signed)


def _id_table(rows: list[dict[str, Any]]):
    with_snr = any(r["snr"] is not None for r in rows)
    pub = {m: any(r[f"published_{m}"] is not None for r in rows) for m in ("auc", "pauc")}
    headers = ["type", *(["SNR"] if with_snr else []), "ID", "n"]
    for m, name in (("auc", "AUC"), ("pauc", "pAUC")):
        headers += [name, *(["pub", "Δ"] if pub[m] else [])]
    out = table("per machine ID", headers, left=("type", "ID"))
    for r in rows:
        cells = [
            r["machine_type"],
            *([str(r["snr"])] if with_snr else []),
            r["machine_id"],
            str(r["n_normal"] + r["n_anomaly"]),
        ]
        for m in ("auc", "pauc"):
            cells.append(_number(r[m]) if r[m] is not None else "undefined")
            if pub[m]:
                cells += [_number(r[f"published_{m}"]), _number(r[f"diff_{m}"], True)]
        out.add_row(*cells)
    return out, any(pub.values())


def _type_table(data: dict[str, Any]):
    """Per type the means over IDs, then the mean over types; each with its 95 % interval when the run has them
    (``results.json`` of runs before the intervals has none)."""
    intervals = data.get("intervals")
    headers = [
        "type",
        "IDs",
        "AUC",
        *(["95% CI"] if intervals else []),
        "pAUC",
        *(["95% CI "] if intervals else []),
    ]
    out = table("mean over IDs", headers, left=("type",))

    def cells(values: dict, bounds: dict | None) -> list[str]:
        out = []
        for m in ("auc", "pauc"):
            out.append(_number(values[m]))
            if intervals:
                out.append(fmt_interval((bounds or {}).get(m)))
        return out

    for a in data["averages"]:
        label = GroupKey(a["machine_type"], a["snr"]).label
        out.add_row(label, str(a["n_ids"]), *cells(a, intervals and intervals["types"].get(label)))
    out.add_row("mean over types", "", *cells(data["mean"], intervals and intervals["overall"]))
    return out


def print_id_tables(protocol, data: dict[str, Any], console, *, title: str) -> None:
    """The tables of a ``results.json`` scored per machine ID (``protocol``: its
    :class:`~asdlens.experiment.protocols.ids.IdsProtocol`) on a rich ``console``."""
    rows = comparison_rows(data["results"], protocol.table())
    console.print(f"[bold]{title}[/] ({data['layout']})", highlight=False)
    ids, published = _id_table(rows)
    console.print(ids)
    below = []
    if published:
        below.append(f"pub: the published value ({protocol.rules.reference}); Δ: ours - published")
        root = ((data.get("experiment") or {}).get("dataset") or {}).get("root")
        if root and is_generated(root, data["layout"]):
            below.append(
                "the data is asdlens's generated data (its root holds the generator's .asdlens/manifest.csv); the "
                "published columns are the real recordings' and only show the layout"
            )
    below += [r["message"] for r in rows if r["message"]]
    notes(console, below)
    console.print(_type_table(data))
    score = official_score_2020(data["mean"]["auc"], data["mean"]["pauc"])
    intervals = data.get("intervals")
    band = ""
    if intervals:
        band = f" (95% CI {fmt_interval(intervals['overall'].get('official_score_2020'))})"
    console.print(
        f"[bold]score {_number(score)}[/]{band}: the mean of the mean AUC and the mean pAUC "
        f"({protocol.rules.score_name})",
        highlight=False,
    )
    if intervals:
        notes(console, [interval_note(intervals)])
    if data.get("bad_files"):
        console.print(f"[yellow]{len(data['bad_files'])} clip(s) left out (--skip-bad); see results.json[/]")
