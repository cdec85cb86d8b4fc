"""The result files of the official baselines: writers and readers.

DCASE 2020 (``01_test.py`` of y-kawagu/dcase2020_task2_baseline, ``csv.writer(f, lineterminator="\\n")``):

- ``anomaly_score_<type>_id_<NN>.csv``: one row ``file_name,score`` per test file, no header.
- ``result.csv``: per machine type a row with the type, a row ``id,AUC,pAUC``, one row per ID (``00``, without
  the ``id_`` prefix), a row ``Average,<auc>,<pauc>`` and an empty row.

Numbers are written as Python writes a float (shortest repr), so they read back bit for bit. A metric that is
undefined (one class only) is an empty cell; the official code would have crashed there.

MIMII (``baseline.py`` of MIMII-hitachi/mimii_baseline): ``result.yaml``, a mapping
``<type>_id_<NN>_<db>: {AUC: value}`` where ``<db>`` is the SNR folder name (``6dB``, ``0dB``, ``min6dB``).
asdlens also writes the DCASE files for MIMII runs, one folder per SNR named the same way.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..atomic import atomic_write_text
from ..groups import snr_folder  # noqa: F401 - re-exported: the SNR folders of the result files
from .metrics import IdResult, mean_defined


def anomaly_score_file_name(machine_type: str, machine_id: str) -> str:
    """``anomaly_score_<type>_id_<NN>.csv``, as ``01_test.py`` names it."""
    return f"anomaly_score_{machine_type}_id_{machine_id}.csv"


def _num(value: float | None) -> str:
    return "" if value is None else repr(float(value))


def _parse_num(text: str, where: str) -> float | None:
    if text.strip() == "":
        return None
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{where}: {text!r} is not a number") from None


def _csv_text(rows: Iterable[Sequence]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def write_anomaly_scores(path: str | Path, rows: Iterable[tuple[str, float]]) -> Path:
    """Write ``file_name,score`` rows (no header) to ``path`` atomically."""
    return atomic_write_text(path, _csv_text((name, _num(score)) for name, score in rows))


def read_anomaly_scores(path: str | Path) -> list[tuple[str, float]]:
    """Read an ``anomaly_score_*.csv`` file: ``[(file_name, score), ...]`` in file order.

    Raises
    ------
    ValueError
        Naming the file and line of a malformed row.
    """
    path = Path(path)
    out = []
    with open(path, newline="") as f:
        for n, row in enumerate(csv.reader(f), start=1):
            if len(row) != 2:
                raise ValueError(f"{path}:{n}: expected 'file_name,score', got {row!r}")
            score = _parse_num(row[1], f"{path}:{n}")
            if score is None:
                raise ValueError(f"{path}:{n}: empty score for {row[0]}")
            out.append((row[0], score))
    return out


@dataclass(frozen=True)
class ResultSection:
    """One machine type's block of ``result.csv``.

    Attributes
    ----------
    machine_type : str
    rows : tuple of (machine_id, auc, pauc)
        ``machine_id`` without the ``id_`` prefix; None for an empty cell.
    average : (auc, pauc)
        The ``Average`` row.
    """

    machine_type: str
    rows: tuple[tuple[str, float | None, float | None], ...]
    average: tuple[float | None, float | None]


def result_sections(results: Iterable[IdResult]) -> list[ResultSection]:
    """Group per-ID results by machine type (first-appearance order) into ``result.csv`` sections, with the
    arithmetic mean over the IDs whose metric is defined as the ``Average`` row."""
    by_type: dict[str, list[IdResult]] = {}
    for r in results:
        by_type.setdefault(r.machine_type, []).append(r)
    sections = []
    for machine_type, rows in by_type.items():
        snrs = {r.snr for r in rows}
        if len(snrs) > 1:
            raise ValueError(
                f"{machine_type}: result.csv holds one SNR per file; got {sorted(snrs, key=str)} "
                "(write one result folder per SNR)"
            )
        sections.append(
            ResultSection(
                machine_type,
                tuple((r.machine_id, r.auc, r.pauc) for r in rows),
                (mean_defined(r.auc for r in rows), mean_defined(r.pauc for r in rows)),
            )
        )
    return sections


def write_result_csv(path: str | Path, results: Iterable[IdResult] | Sequence[ResultSection]) -> Path:
    """Write ``result.csv`` in the official layout from per-ID results (or ready sections), atomically."""
    results = list(results)
    sections = results if results and isinstance(results[0], ResultSection) else result_sections(results)
    lines: list[list[str]] = []
    for sec in sections:
        lines.append([sec.machine_type])
        lines.append(["id", "AUC", "pAUC"])
        lines.extend([mid, _num(auc), _num(pauc)] for mid, auc, pauc in sec.rows)
        lines.append(["Average", _num(sec.average[0]), _num(sec.average[1])])
        lines.append([])
    return atomic_write_text(path, _csv_text(lines))


def read_result_csv(path: str | Path) -> list[ResultSection]:
    """Parse a ``result.csv`` written by the official ``01_test.py`` or by :func:`write_result_csv`.

    Raises
    ------
    ValueError
        Naming the file and line where the layout is not the official one.
    """
    path = Path(path)
    with open(path, newline="") as f:
        lines = list(csv.reader(f))
    sections = []
    i = 0
    while i < len(lines):
        if not lines[i]:
            i += 1
            continue
        if len(lines[i]) != 1:
            raise ValueError(f"{path}:{i + 1}: expected a machine type on its own, got {lines[i]!r}")
        machine_type = lines[i][0]
        if i + 1 >= len(lines) or lines[i + 1] != ["id", "AUC", "pAUC"]:
            raise ValueError(f"{path}:{i + 2}: expected the header 'id,AUC,pAUC' after {machine_type!r}")
        i += 2
        rows, average = [], None
        while i < len(lines) and lines[i]:
            row = lines[i]
            if len(row) != 3:
                raise ValueError(f"{path}:{i + 1}: expected 'id,AUC,pAUC', got {row!r}")
            values = (_parse_num(row[1], f"{path}:{i + 1}"), _parse_num(row[2], f"{path}:{i + 1}"))
            if row[0] == "Average":
                average = values
            else:
                rows.append((row[0], *values))
            i += 1
        if average is None:
            raise ValueError(f"{path}: the {machine_type!r} block has no 'Average' row")
        sections.append(ResultSection(machine_type, tuple(rows), average))
    return sections


def mimii_result_key(machine_type: str, machine_id: str, snr: int | None) -> str:
    """``<type>_id_<NN>_<db>`` as mimii_baseline keys ``result.yaml`` (``fan_id_00_min6dB``)."""
    key = f"{machine_type}_id_{machine_id}"
    return key if snr is None else f"{key}_{snr_folder(snr)}"


def write_mimii_result_yaml(path: str | Path, results: Iterable[IdResult]) -> Path:
    """Write mimii_baseline's ``result.yaml`` (``{key: {AUC: value}}``; an undefined AUC is ``null``)."""
    import yaml

    data = {mimii_result_key(r.machine_type, r.machine_id, r.snr): {"AUC": r.auc} for r in results}
    return atomic_write_text(path, yaml.safe_dump(data, default_flow_style=False))


def read_mimii_result_yaml(path: str | Path) -> dict[str, float | None]:
    """``{key: auc}`` from a mimii_baseline ``result.yaml``."""
    import yaml

    path = Path(path)
    data = yaml.safe_load(path.read_text()) or {}
    if not isinstance(data, dict) or not all(isinstance(v, dict) and "AUC" in v for v in data.values()):
        raise ValueError(f"{path}: expected a mapping of '<type>_id_<NN>_<db>: {{AUC: value}}'")
    return {k: (None if v["AUC"] is None else float(v["AUC"])) for k, v in data.items()}
