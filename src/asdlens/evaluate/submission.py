"""The score files DCASE 2021-2025 systems submit: names, writers, readers, and scoring a folder of them.

Names (the baselines' ``01_test.py`` / ``test()`` and the evaluators):

- 2021: ``anomaly_score_<type>_section_<NN>_<source|target>_test.csv`` and ``decision_result_...``, one pair per
  type x section x domain;
- 2022-2025: ``anomaly_score_<type>_section_<NN>_test.csv`` and ``decision_result_<type>_section_<NN>_test.csv``;
- the 2023+ baseline's own spelling, which the 2023+ evaluators accept too:
  ``anomaly_score_DCASE2023T2<type>_section_00_test_seed13711_id(0_)_Eval.csv``.

Rows are ``<wav file name>,<value>`` with no header, comma-separated (``csv.writer``; the 2022 README shows
whitespace, the code writes commas). The evaluators pair scores with the ground truth by **sorting** both files
and matching positions, checking only the counts; asdlens pairs by file name and names every file that is missing
or not a test clip.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..atomic import atomic_write_text
from .domains import ScoreRow, _as_row, check_protocol, evaluator_rule
from .files import _csv_text, _num

KINDS = ("anomaly_score", "decision_result")
_NAME = re.compile(
    r"^(anomaly_score|decision_result)_(?:DCASE20\d\dT2)?(.+?)_section_(\d{2})_(?:(source|target)_)?test"
    r"(?:_seed\d+.*?)?(?:_Eval)?\.csv$"
)


def score_file_name(
    kind: str, machine_type: str, section: str, protocol: str, domain: str | None = None
) -> str:
    """The official name of a score (``kind="anomaly_score"``) or decision (``"decision_result"``) file.

    2021 files are per domain (``domain`` is required); 2022-2025 files cover the section.
    """
    per_domain = evaluator_rule(protocol).per_domain
    if kind not in KINDS:
        raise ValueError(f"kind={kind!r} is not allowed; choose one of {list(KINDS)}")
    if per_domain:
        if domain not in ("source", "target"):
            raise ValueError(
                f"2021 score files are per domain; domain={domain!r} must be 'source' or 'target'"
            )
        return f"{kind}_{machine_type}_section_{section}_{domain}_test.csv"
    return f"{kind}_{machine_type}_section_{section}_test.csv"


def parse_score_file_name(name: str) -> tuple[str, str, str, str | None] | None:
    """``(kind, machine_type, section, domain or None)`` from a score/decision file name; None if it is not one."""
    m = _NAME.match(name)
    return None if m is None else m.groups()


def write_submission(
    folder: str | os.PathLike,
    rows: Iterable,
    protocol: str,
    *,
    threshold: float | None = None,
    decisions: Mapping[tuple[str, str], int] | None = None,
) -> list[Path]:
    """Write the anomaly-score files (and decision files) of scored test clips, one per unit, atomically.

    Parameters
    ----------
    folder : path
    rows : iterable of ScoreRow (or tuples/mappings)
        Labels may be None (evaluation clips); 2021 rows need their domain.
    protocol : {"dcase2021", ..., "dcase2025"}
    threshold : float or None
        Decision threshold (:func:`asdlens.evaluate.decision.gamma_threshold`): decisions are ``score >
        threshold``. Or give ``decisions``; with neither, no decision files are written.
    decisions : mapping or None
        ``(machine_type, file_name) -> 0/1``.

    Returns
    -------
    list of pathlib.Path
        The files written, sorted.
    """
    per_domain = evaluator_rule(protocol).per_domain
    if threshold is not None and decisions is not None:
        raise ValueError("give threshold or decisions, not both")
    units: dict[tuple[str, str, str | None], list[ScoreRow]] = {}
    for raw in rows:
        row = _as_row(raw)
        domain = row.domain if per_domain else None
        units.setdefault((row.machine_type, row.section, domain), []).append(row)
    folder = Path(folder)
    written = []
    for (machine_type, section, domain), unit in sorted(units.items(), key=str):
        unit.sort(key=lambda r: r.file_name)
        name = score_file_name("anomaly_score", machine_type, section, protocol, domain)
        written.append(
            atomic_write_text(folder / name, _csv_text((r.file_name, _num(r.score)) for r in unit))
        )
        if threshold is None and decisions is None:
            continue
        if decisions is not None:
            values = [int(decisions[(machine_type, r.file_name)]) for r in unit]
        else:
            values = [1 if r.score > threshold else 0 for r in unit]
        name = score_file_name("decision_result", machine_type, section, protocol, domain)
        text = _csv_text((r.file_name, v) for r, v in zip(unit, values, strict=True))
        written.append(atomic_write_text(folder / name, text))
    return sorted(written)


def read_score_file(path: str | os.PathLike, *, decision: bool = False) -> list[tuple[str, float]]:
    """``[(file_name, value), ...]`` of one score or decision file, in file order.

    Raises
    ------
    ValueError
        Naming file and line of a row that is not ``<name>,<number>`` (decisions: 0 or 1), or a name listed twice.
    """
    path = Path(path)
    out, seen = [], set()
    with open(path, newline="") as f:
        for n, row in enumerate(csv.reader(f), start=1):
            if not row:
                continue
            if len(row) != 2:
                hint = (
                    " (comma-separated, as the baselines write them)"
                    if len(row) == 1 and " " in row[0]
                    else ""
                )
                raise ValueError(f"{path}:{n}: expected '<file name>,<value>'{hint}, got {row!r}")
            try:
                value = float(row[1])
            except ValueError:
                raise ValueError(f"{path}:{n}: {row[1]!r} is not a number") from None
            if decision and value not in (0.0, 1.0):
                raise ValueError(f"{path}:{n}: a decision must be 0 or 1, got {row[1]!r}")
            if row[0] in seen:
                raise ValueError(f"{path}:{n}: {row[0]} is listed twice")
            seen.add(row[0])
            out.append((row[0], int(value) if decision else value))
    return out


@dataclass(frozen=True)
class Submission:
    """The score and decision files of one system, read from a folder.

    Attributes
    ----------
    scores : dict
        ``(machine_type, file_name) -> score``.
    decisions : dict
        ``(machine_type, file_name) -> 0/1`` (empty when there are no decision files).
    units : dict
        ``(machine_type, file_name) -> (section, domain from the 2021 file name or None)``.
    files : list of pathlib.Path
    """

    scores: dict[tuple[str, str], float]
    decisions: dict[tuple[str, str], int]
    units: dict[tuple[str, str], tuple[str, str | None]]
    files: list[Path]


def read_submission(folder: str | os.PathLike) -> Submission:
    """Read every ``anomaly_score_*.csv`` / ``decision_result_*.csv`` in ``folder`` (both spellings).

    Raises
    ------
    ValueError
        No score files, a malformed file, or a decision file whose names differ from its score file's.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"{folder}: no such folder")
    scores, decisions, units, files = {}, {}, {}, []
    per_file: dict[tuple, set] = {}
    for path in sorted(folder.iterdir()):
        parsed = parse_score_file_name(path.name)
        if parsed is None or not path.is_file():
            continue
        kind, machine_type, section, domain = parsed
        rows = read_score_file(path, decision=kind == "decision_result")
        files.append(path)
        per_file[(kind, machine_type, section, domain)] = {name for name, _ in rows}
        for name, value in rows:
            key = (machine_type, name)
            if kind == "anomaly_score":
                if key in scores:
                    raise ValueError(f"{path}: {name} is also scored in another {machine_type} file")
                scores[key] = value
                units[key] = (section, domain)
            else:
                decisions[key] = value
    if not scores:
        raise ValueError(f"{folder}: no anomaly_score_<type>_section_<NN>_..._test.csv files")
    for (kind, *unit), names in per_file.items():
        if kind == "decision_result" and names != per_file.get(("anomaly_score", *unit), names):
            raise ValueError(
                f"{folder}: decision_result and anomaly_score files of {unit[0]} section {unit[1]} list different files"
            )
    return Submission(scores, decisions, units, files)


def submission_rows(submission: Submission, clips: Iterable, protocol: str) -> list[ScoreRow]:
    """Pair a submission's scores with test clips by machine type and file name.

    ``clips`` are the labelled test clips (e.g. ``scan(root, ground_truth=...).select(split="test")``); every one
    must be scored and every score must name one of them.

    Raises
    ------
    ValueError
        Listing how many clips have no score and how many scores name no clip, with examples.
    """
    check_protocol(protocol)
    by_key = {(c.machine_type, c.path.name): c for c in clips}
    missing = sorted(set(by_key) - set(submission.scores))
    extra = sorted(set(submission.scores) - set(by_key))
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"{len(missing)} test clip(s) have no score (e.g. {missing[0][0]}/{missing[0][1]})")
        if extra:
            parts.append(f"{len(extra)} score(s) name no test clip (e.g. {extra[0][0]}/{extra[0][1]})")
        raise ValueError("; ".join(parts))
    rows = []
    for key, score in sorted(submission.scores.items()):
        clip = by_key[key]
        section, domain = submission.units[key]
        if section != clip.machine_id or (domain is not None and domain != clip.domain):
            raise ValueError(
                f"{key[1]} is in the {key[0]} section {section} {domain or ''} file but the clip is section "
                f"{clip.machine_id} {clip.domain}"
            )
        rows.append(ScoreRow(key[0], clip.machine_id, clip.domain, key[1], clip.label, score))
    return rows
