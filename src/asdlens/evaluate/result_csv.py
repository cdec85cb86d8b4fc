"""The result file the official evaluators write (``teams_result/<system>_result.csv``): writer and reader.

2021 (y-kawagu/dcase2021_task2_evaluator), per machine type::

    <type>
    section,domain,AUC,pAUC,precision,recall,F1 score
    03,source,...          (source rows for every section, then target rows)
    arithmetic mean,,...   harmonic mean,,...   source harmonic mean,,...   target harmonic mean,,...
    <empty line>

2022-2025 (Kota-Dohi/dcase2022_evaluator, nttcslab/dcase202{3,4}_task2_evaluator), per machine type::

    <type>
    section,AUC (all),AUC (source),AUC (target),pAUC,precision (source),precision (target),recall (source),...
    03,...
    ,,AUC,pAUC,precision,recall,F1 score
    arithmetic mean,,...   harmonic mean,,...   source harmonic mean,,...   target harmonic mean,,...
    <empty line>

then, both: a ``,,AUC,pAUC,precision,recall,F1 score`` line, the four "... over all machine types, sections, and
domains" rows, an empty line, ``official score,,<value>`` (2022+: and ``official score ci95,,<value>``) and an
empty line. Undefined values (no decisions, one class only) are empty cells.

Two evaluator quirks only change the per-type "source/target harmonic mean" rows: 2021 slices the rows at
``len(machine types) // 2`` (right only with 3 sections and 6 or 7 types), 2022 at ``len(sections) // 2`` (the
first section only). By default they are reproduced, so the file is byte for byte what the evaluator writes (checked
against the 2021, 2022 and 2023 evaluators' own output); ``quirks=False`` writes the correct means instead
(:class:`~asdlens.evaluate.official.OfficialResult` always holds the correct ones).
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..atomic import atomic_write_text
from .domains import evaluator_rule
from .files import _csv_text, _num, _parse_num
from .official import MEAN_METRICS, OfficialResult, _column_means, _table

MEAN_HEADER = ["", "", "AUC", "pAUC", "precision", "recall", "F1 score"]
HEADER_2021 = ["section", "domain", "AUC", "pAUC", "precision", "recall", "F1 score"]
HEADER_2022 = [
    "section",
    "AUC (all)",
    "AUC (source)",
    "AUC (target)",
    "pAUC",
    "precision (source)",
    "precision (target)",
    "recall (source)",
    "recall (target)",
    "F1 score (source)",
    "F1 score (target)",
]
MEAN_ROWS = ("arithmetic mean", "harmonic mean", "source harmonic mean", "target harmonic mean")
_OVERALL = " over all machine types, sections, and domains"
_KEYS = {"arithmetic mean": "amean", "harmonic mean": "hmean"}


def _quirk_rows(rows: list, protocol: str, cut: int) -> list[dict]:
    """The evaluators' per-type source/target rows when they slice the performance table at ``cut``."""
    table, _ = _table(rows, protocol)
    return [_column_means(table[:cut], protocol, True), _column_means(table[cut:], protocol, True)]


def write_result_csv(
    path: str | os.PathLike, result: OfficialResult, *, quirks: bool = True, n_types: int | None = None
) -> Path:
    """Write ``result`` in the evaluator's ``<system>_result.csv`` layout of its year, atomically.

    Parameters
    ----------
    path : path
    result : OfficialResult
    quirks : bool
        Reproduce the 2021/2022 evaluators' per-type source/target harmonic-mean slices (see the module
        docstring); False writes the correct means.
    n_types : int or None
        For the 2021 quirk: the number of machine types the evaluator saw (default: those in ``result``).
    """
    protocol = result.protocol
    rule = evaluator_rule(protocol)
    lines: list[list] = []
    n_types = len(result.types) if n_types is None else n_types
    for machine_type, summary in result.types.items():
        rows = [r for r in result.sections if r.machine_type == machine_type]
        lines.append([machine_type])
        if rule.per_domain:
            lines.append(HEADER_2021)
            for dom in ("source", "target"):
                for r in rows:
                    cells = [getattr(r, f"{m}_{dom}") for m in MEAN_METRICS]
                    lines.append([r.section, dom, *map(_num, cells)])
        else:
            lines.append(HEADER_2022)
            for r in rows:
                cells = [r.auc_all, r.auc_source, r.auc_target, r.pauc]
                cells += [
                    getattr(r, f"{m}_{d}")
                    for m in ("precision", "recall", "f1")
                    for d in ("source", "target")
                ]
                lines.append([r.section, *map(_num, cells)])
            lines.append(MEAN_HEADER)
        source, target = summary["source_hmean"], summary["target_hmean"]
        if quirks and rule.quirk is not None:
            cut = n_types // 2 if rule.quirk == "types" else len(rows) // 2
            source, target = _quirk_rows(rows, protocol, cut)
        for name, means in zip(MEAN_ROWS, (summary["amean"], summary["hmean"], source, target), strict=True):
            lines.append([name, "", *(_num(means[m]) for m in MEAN_METRICS)])
        lines.append([])
    lines.append(MEAN_HEADER)
    overall = result.overall
    for name, key in zip(MEAN_ROWS, ("amean", "hmean", "source_hmean", "target_hmean"), strict=True):
        lines.append([name + _OVERALL, "", *(_num(overall[key][m]) for m in MEAN_METRICS)])
    lines.append([])
    lines.append(["official score", "", _num(result.official_score)])
    if not rule.per_domain:
        lines.append(["official score ci95", "", _num(result.ci95)])
    lines.append([])
    return atomic_write_text(path, _csv_text(lines))


@dataclass
class EvaluatorResult:
    """What a ``<system>_result.csv`` holds.

    Attributes
    ----------
    protocol : {"dcase2021", "dcase2022+"}
        Which layout the file has (2022-2025 share one).
    sections : dict
        ``machine_type -> list of {column: value}`` (the header's columns; ``section``/``domain`` as text).
    type_means : dict
        ``machine_type -> {row name: {"AUC": v, "pAUC": v, "precision": v, "recall": v, "F1 score": v}}``.
    overall : dict
        ``{row name: {...}}`` for the "... over all machine types, sections, and domains" rows (the suffix cut).
    official_score, ci95 : float or None
    """

    protocol: str
    sections: dict[str, list[dict]] = field(default_factory=dict)
    type_means: dict[str, dict[str, dict]] = field(default_factory=dict)
    overall: dict[str, dict] = field(default_factory=dict)
    official_score: float | None = None
    ci95: float | None = None


def _means_row(row: list[str], where: str) -> dict[str, float | None]:
    if len(row) != len(MEAN_HEADER):
        raise ValueError(
            f"{where}: expected '<name>,,AUC,pAUC,precision,recall,F1 score' values, got {row!r}"
        )
    return dict(zip(MEAN_HEADER[2:], (_parse_num(c, where) for c in row[2:]), strict=True))


def read_result_csv(path: str | os.PathLike) -> EvaluatorResult:
    """Parse an evaluator ``result.csv`` of any year (written by the official evaluator or :func:`write_result_csv`).

    Raises
    ------
    ValueError
        Naming file and line where the layout is not an evaluator's.
    """
    path = Path(path)
    with open(path, newline="") as f:
        lines = list(csv.reader(f))
    out = EvaluatorResult(protocol="")
    machine_type, header = None, None
    means_header = MEAN_HEADER[2:]
    for n, row in enumerate(lines, start=1):
        where = f"{path}:{n}"
        if not row or not any(row):
            machine_type, header = None, None
            continue
        if row[0] in ("official score", "official score ci95"):
            value = _parse_num(row[2] if len(row) > 2 else "", where)
            if row[0] == "official score":
                out.official_score = value
            else:
                out.ci95 = value
            continue
        if row[:2] == ["", ""]:
            if row[2:] != means_header:
                raise ValueError(f"{where}: expected ',,AUC,pAUC,precision,recall,F1 score', got {row!r}")
            continue
        if row[0].endswith(_OVERALL):
            out.overall[row[0][: -len(_OVERALL)]] = _means_row(row, where)
            continue
        if len(row) == 1:
            machine_type, header = row[0], None
            out.sections[machine_type], out.type_means[machine_type] = [], {}
            continue
        if machine_type is None:
            raise ValueError(f"{where}: a row outside a machine-type block: {row!r}")
        if header is None:
            if row not in (HEADER_2021, HEADER_2022):
                raise ValueError(
                    f"{where}: expected the evaluator's section header after {machine_type!r}, got {row!r}"
                )
            header = row
            out.protocol = "dcase2021" if row == HEADER_2021 else "dcase2022+"
            continue
        if row[0] in MEAN_ROWS:
            out.type_means[machine_type][row[0]] = _means_row(row, where)
            continue
        if len(row) != len(header):
            raise ValueError(f"{where}: expected {len(header)} cells ({','.join(header)}), got {row!r}")
        text = 2 if header == HEADER_2021 else 1
        out.sections[machine_type].append(
            {
                h: (c if i < text else _parse_num(c, where))
                for i, (h, c) in enumerate(zip(header, row, strict=True))
            }
        )
    if out.official_score is None and not any(r and r[0] == "official score" for r in lines):
        raise ValueError(f"{path}: no 'official score' row (not an evaluator result file?)")
    return out
