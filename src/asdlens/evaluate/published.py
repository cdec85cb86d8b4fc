"""Ours beside the published value: the comparison rows every page and terminal table shows.

Plain data in, plain data out (``results.json`` entries, published tables from :func:`asdlens.evaluate.reference`);
formatting is the caller's. Which published table goes with which layout is the protocol's choice
(:mod:`asdlens.experiment.protocols`); the rules for reading a table and for a published mean are here.

One rule for a published type mean (:meth:`asdlens.evaluate.ReferenceTable.type_average`): the mean over the IDs a
run evaluated of their published per-ID values, defined only when every one of them is published. It equals the
baseline README's "Average" row when the run has every ID of the type, and stays like for like when it has fewer
(asdlens's generated trees, ``--ids``, or MIMII, whose paper table has seven IDs where the release has four).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .domain_reference import DomainReferenceTable
from .metrics import TypeAverage, official_score_2020, pair_mean_over_types
from .reference import ReferenceTable, reference
from .strong_systems import official_scores, strong_systems

#: The DCASE 2020 development-set table the strong-systems comparison takes its baseline row from.
DCASE2020_BASELINE = "dcase2020-dev"


def diff(ours: float | None, published: float | None) -> float | None:
    """``ours - published``, None when either is missing."""
    return None if ours is None or published is None else ours - published


def comparison_rows(
    results: Iterable[Mapping[str, Any]], table: ReferenceTable | None
) -> list[dict[str, Any]]:
    """Per-ID rows with the published AUC/pAUC and our difference.

    Parameters
    ----------
    results : iterable of mapping
        ``results.json`` ``results`` entries (:meth:`asdlens.evaluate.IdResult.to_dict`).
    table : ReferenceTable or None
        The published per-ID table of the layout (None: no published values).

    Returns
    -------
    list of dict
        Each entry plus ``published_auc``, ``published_pauc``, ``diff_auc``, ``diff_pauc`` (None where the
        table has no value).
    """
    rows = []
    for r in results:
        ref = table.lookup(r["machine_type"], r["machine_id"], r["snr"]) if table else None
        pub_auc = ref.auc if ref else None
        pub_pauc = ref.pauc if ref else None
        rows.append(
            {
                **r,
                "published_auc": pub_auc,
                "published_pauc": pub_pauc,
                "diff_auc": diff(r["auc"], pub_auc),
                "diff_pauc": diff(r["pauc"], pub_pauc),
            }
        )
    return rows


def published_type_mean(
    table: ReferenceTable | None, machine_type: str, snr: int | None, ids: Iterable[str]
) -> dict[str, float | None]:
    """The published ``auc``/``pauc`` mean of a type over ``ids`` (the module's one rule); None values where the
    table lacks the type or one of the IDs."""
    if table is None or not any(r.machine_type == machine_type and r.snr == snr for r in table.rows):
        return {"auc": None, "pauc": None}
    return table.type_average(machine_type, snr, ids=ids)


def type_rows(
    averages: Iterable[Mapping[str, Any]], results: Sequence[Mapping[str, Any]], table: ReferenceTable | None
) -> list[dict[str, Any]]:
    """Per type (x SNR): ``results.json`` ``averages`` entries plus ``published_auc``, ``published_pauc`` (the
    published mean over the IDs the run evaluated) and ``diff_auc``, ``diff_pauc``."""
    out = []
    for a in averages:
        ids = [
            r["machine_id"] for r in results if (r["machine_type"], r["snr"]) == (a["machine_type"], a["snr"])
        ]
        pub = published_type_mean(table, a["machine_type"], a["snr"], ids)
        out.append(
            {
                **a,
                "published_auc": pub["auc"],
                "published_pauc": pub["pauc"],
                "diff_auc": diff(a["auc"], pub["auc"]),
                "diff_pauc": diff(a["pauc"], pub["pauc"]),
            }
        )
    return out


def strong_system_rows(
    averages: Sequence[TypeAverage], results: Sequence[Mapping[str, Any]], types: Sequence[str]
) -> tuple[str, list[dict[str, Any]]]:
    """The run beside the official baseline and the strong DCASE 2020 systems, per machine type.

    Returns
    -------
    source : str
        The strong-systems table's source note.
    rows : list of dict
        ``system``, ``per_type`` (type -> ``(auc, pauc)`` or None), ``mean`` (``(auc, pauc)`` over ``types`` or
        None) and ``caveat``: this run, the official AE baseline (the published mean over the run's IDs), then
        each published system (their means over every ID of the real development set).
    """
    source, systems = strong_systems()
    ours = {a.machine_type: (a.auc, a.pauc) for a in averages if a.snr is None}
    baseline = reference(DCASE2020_BASELINE)
    base = {}
    for t in types:
        if t in baseline.machine_types:
            ids = [r["machine_id"] for r in results if r["machine_type"] == t and r["snr"] is None]
            avg = baseline.type_average(t, ids=ids)
            base[t] = (avg["auc"], avg["pauc"])
    rows = [
        {"system": "this run", "per_type": ours, "mean": pair_mean_over_types(ours, types), "caveat": ""},
        {
            "system": "official AE baseline",
            "per_type": base,
            "mean": pair_mean_over_types(base, types),
            "caveat": "",
        },
    ]
    for system in systems:
        rows.append(
            {
                "system": system.name,
                "per_type": dict(system.per_type),
                "mean": system.mean(types),
                "caveat": system.caveat or "",
            }
        )
    return source, rows


def official_score_rows(mean_auc: float | None, mean_pauc: float | None) -> tuple[str, list[dict[str, Any]]]:
    """This run's DCASE 2020 official score beside the published ones (``system``, ``dev``, ``eval``,
    ``note``; fractions or None), and the published table's source note."""
    source, rows = official_scores()
    ours = {
        "system": "this run",
        "dev": official_score_2020(mean_auc, mean_pauc),
        "eval": None,
        "note": "over this run's machine types",
    }
    return source, [ours, *rows]


def section_rows(
    sections: Iterable[Mapping[str, Any]],
    columns: Sequence[str],
    table: DomainReferenceTable | None,
    system: str | None,
) -> list[dict[str, Any]]:
    """One row per type x section with, per official column, ``published_<column>`` and ``diff_<column>``.

    Parameters
    ----------
    sections : iterable of mapping
        ``results.json`` ``official.sections`` entries (:meth:`asdlens.evaluate.SectionResult.to_dict`).
    columns : sequence of str
        The year's official columns (:func:`asdlens.evaluate.official_columns`).
    table, system : DomainReferenceTable and its system name, or None
        The published table and the system in it comparable with this run (None: no published values).
    """
    rows = []
    for r in sections:
        row = dict(r)
        for c in columns:
            pub = published_value(table, system, r["machine_type"], r["section"], c)
            row.update({c: r[c], f"published_{c}": pub, f"diff_{c}": diff(r[c], pub)})
        rows.append(row)
    return rows


def published_value(
    table: DomainReferenceTable | None, system: str | None, machine_type: str, section: str, column: str
) -> float | None:
    """The published value of ``column`` for one type x section
    (:meth:`~asdlens.evaluate.DomainReferenceTable.section_value`), or None."""
    if table is None or system is None:
        return None
    return table.section_value(system, machine_type, section, column)
