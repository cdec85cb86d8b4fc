"""Any system's official score files, checked against the test clips: every defect named, none silent.

A folder of ``anomaly_score_*.csv`` files (and ``decision_result_*.csv`` where the year has them) written by any
tool (the official baselines, ASDKit, asdlens, a user's own code) is paired with the labelled test clips of the
data, unit by unit. Names are the year's (:func:`asdlens.evaluate.files.anomaly_score_file_name`: DCASE 2020 and
MIMII, MIMII in one folder per SNR as asdlens writes them; :func:`asdlens.evaluate.submission.parse_score_file_name`:
DCASE 2021-2025, both spellings). Every problem is collected, then all are raised at once
(:class:`ScoreFolderError`), each naming its file (and line) and what is wrong:

- a file that looks like a score file but whose name does not parse, or names a unit with no test clips;
- a unit with test clips but no file;
- a row that is not ``<file name>,<value>``, a value that is not a finite number (a decision: not 0 or 1);
- a clip listed twice (in one file or in two), a name that is not a test clip of the file's unit, and a test clip
  that no file scores (the official evaluators would pair files by position and never notice; a missing clip is
  an error here, never a silent 0).
"""

from __future__ import annotations

import csv
import math
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..groups import snr_folder
from .domains import ScoreRow, evaluator_rule
from .submission import parse_score_file_name

_ID_NAME = re.compile(r"^anomaly_score_(.+)_id_(\d+)\.csv$")
_KINDS = ("anomaly_score", "decision_result")
#: Problems shown per kind before the rest are counted.
SHOWN = 20


class ScoreFolderError(ValueError):
    """The score files do not match the test clips; ``problems`` lists every defect (file, line, what)."""

    def __init__(self, folder: Path, problems: list[str]):
        self.problems = problems
        shown = "\n".join(f"  {p}" for p in problems[:SHOWN])
        more = f"\n  ... and {len(problems) - SHOWN} more" if len(problems) > SHOWN else ""
        super().__init__(f"{folder}: {len(problems)} problem(s) with the score files:\n{shown}{more}")


@dataclass
class ScoreFolder:
    """What a folder of score files holds, paired with the test clips.

    Attributes
    ----------
    units : dict
        Unit key -> ``[(clip, score), ...]`` in clip order; the key is ``(machine_type, snr, machine_id)`` for
        DCASE 2020 / MIMII and ``(machine_type, None, section)`` for DCASE 2021-2025.
    decisions : dict or None
        ``(machine_type, file_name) -> 0/1`` when the folder has decision files, else None.
    files : list of pathlib.Path
        The score (and decision) files read.
    """

    units: dict[tuple, list[tuple[object, float]]] = field(default_factory=dict)
    decisions: dict[tuple[str, str], int] | None = None
    files: list[Path] = field(default_factory=list)

    def score_rows(self) -> list[ScoreRow]:
        """One :class:`~asdlens.evaluate.ScoreRow` per scored test clip (DCASE 2021-2025)."""
        return [
            ScoreRow(c.machine_type, c.machine_id, c.domain, c.path.name, c.label, s)
            for unit in self.units.values()
            for c, s in unit
        ]


def _read_rows(path: Path, decision: bool, problems: list[str]) -> dict[str, float | None]:
    """``name -> value`` of one file; each bad row and each name listed twice is a problem (a clip whose value
    cannot be read maps to None: named once, not again as missing)."""
    out: dict[str, float | None] = {}
    try:
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        problems.append(f"{path}: cannot be read ({exc})")
        return out
    for n, row in enumerate(rows, start=1):
        if not row:
            continue
        where = f"{path}:{n}"
        if len(row) != 2:
            problems.append(f"{where}: expected '<file name>,<value>', got {','.join(row)!r}")
            continue
        name, text = row[0].strip(), row[1].strip()
        try:
            value = float(text)
        except ValueError:
            value = None
        if name in out:
            problems.append(f"{where}: {name} is listed twice in this file")
        elif value is None:
            problems.append(f"{where}: {text!r} is not a number (clip {name})")
        elif not math.isfinite(value):
            problems.append(f"{where}: {text!r} is not a finite score (clip {name})")
        elif decision and value not in (0.0, 1.0):
            problems.append(f"{where}: a decision must be 0 or 1, got {text!r} (clip {name})")
        else:
            out[name] = int(value) if decision else value
            continue
        out.setdefault(name, None)
    return out


def _unit_of_name(path: Path, layout: str) -> tuple[str, tuple, str | None] | str:
    """``(kind, unit key, domain)`` of a score file's name, or why it is not one."""
    if evaluator_rule_or_none(layout) is None:
        m = _ID_NAME.match(path.name)
        if not m:
            return "not a score file name (expected anomaly_score_<type>_id_<NN>.csv)"
        snr = _snr_of(path.parent.name)
        return "anomaly_score", (m.group(1), snr, m.group(2)), None
    parsed = parse_score_file_name(path.name)
    if parsed is None:
        return "not a score file name (expected <anomaly_score|decision_result>_<type>_section_<NN>_..._test.csv)"
    kind, machine_type, section, domain = parsed
    if evaluator_rule(layout).per_domain and domain is None:
        return f"{layout} score files are per domain (..._section_<NN>_<source|target>_test.csv)"
    return kind, (machine_type, None, section), domain


def evaluator_rule_or_none(layout: str):
    """The year's evaluator rule, or None for the layouts scored per machine ID (DCASE 2020, MIMII)."""
    try:
        return evaluator_rule(layout)
    except ValueError:
        return None


def _snr_of(folder: str) -> int | None:
    for snr in (-6, 0, 6):
        if folder == snr_folder(snr):
            return snr
    return None


def _candidates(folder: Path) -> list[Path]:
    """Files named like score or decision files, in ``folder`` and (MIMII) its SNR folders, sorted."""
    found = [p for p in folder.iterdir() if p.is_file()]
    found += [
        p
        for snr in (-6, 0, 6)
        if (folder / snr_folder(snr)).is_dir()
        for p in (folder / snr_folder(snr)).iterdir()
    ]
    return sorted(p for p in found if p.is_file() and p.name.startswith(_KINDS))


def _unit_label(unit: tuple, per_id: bool) -> str:
    from ..groups import GroupKey

    return GroupKey(*unit).label if per_id else f"{unit[0]} section {unit[2]}"


def _expected_name(kind: str, unit: tuple, layout: str, domain: str | None) -> str:
    from .files import anomaly_score_file_name
    from .submission import score_file_name

    if evaluator_rule_or_none(layout) is None:
        return str(Path(snr_folder(unit[1])) / anomaly_score_file_name(unit[0], unit[2]))
    return score_file_name(kind, unit[0], unit[2], layout, domain)


@dataclass
class _Pairing:
    layout: str
    expected: dict[tuple, list]
    files: dict[str, dict[tuple, tuple[Path, dict[str, float]]]]
    problems: list[str]


def _pair(kind: str, p: _Pairing) -> dict[tuple, float]:
    """``(unit, file name) -> value`` of every expected clip a ``kind`` file lists; the rest are problems."""
    rule = evaluator_rule_or_none(p.layout)
    per_domain = rule is not None and rule.per_domain
    values: dict[tuple, float] = {}
    seen: dict[tuple[str, str], Path] = {}
    for unit, clips in sorted(p.expected.items(), key=lambda kv: str(kv[0])):
        for domain in ("source", "target") if per_domain else (None,):
            wanted = {c.path.name for c in clips if domain is None or c.domain == domain}
            if not wanted:
                continue
            label = _unit_label(unit, rule is None) + (f" {domain}" if domain else "")
            if (unit, domain) not in p.files[kind]:
                p.problems.append(
                    f"no {kind} file for {label} (expected {_expected_name(kind, unit, p.layout, domain)})"
                )
                continue
            path, rows = p.files[kind][(unit, domain)]
            for name in sorted(set(rows) - wanted):
                other = seen.get((unit[0], name))
                p.problems.append(
                    f"{path}: {name} is not a test clip of {label}"
                    + (f" (also listed in {other})" if other else "")
                )
            missing = sorted(wanted - set(rows))
            if missing:
                p.problems.append(
                    f"{path}: {len(missing)} test clip(s) of {label} missing: {', '.join(missing)}"
                )
            for name in sorted(wanted & set(rows)):
                seen[(unit[0], name)] = path
                if rows[name] is not None:
                    values[(unit, name)] = rows[name]
    return values


def read_score_folder(folder: str | os.PathLike, clips: Iterable, layout: str) -> ScoreFolder:
    """The score (and decision) files of ``folder`` paired with the test ``clips`` (see the module docstring).

    Parameters
    ----------
    folder : path
    clips : iterable of Clip
        The test clips to score (anything with ``path``, ``machine_type``, ``machine_id``, ``snr``, ``domain``).
    layout : str
        The year (``dcase2020``, ``mimii``, ``dcase2021`` ... ``dcase2025``): its file names and units.

    Raises
    ------
    ScoreFolderError
        Listing every problem, each with its file (and line).
    ValueError
        ``folder`` is not a folder, or holds no score file at all.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"{folder}: no such folder")
    per_id = evaluator_rule_or_none(layout) is None
    clips = list(clips)
    expected: dict[tuple, list] = {}
    for c in clips:
        expected.setdefault((c.machine_type, c.snr if per_id else None, c.machine_id), []).append(c)
    p = _Pairing(layout, expected, {kind: {} for kind in _KINDS}, [])
    for path in _candidates(folder):
        parsed = _unit_of_name(path, layout)
        if isinstance(parsed, str):
            p.problems.append(f"{path}: {parsed}")
            continue
        kind, unit, domain = parsed
        if unit not in expected:
            p.problems.append(
                f"{path}: unknown file: the data has no test clips of {_unit_label(unit, per_id)}"
            )
            continue
        p.files[kind][(unit, domain)] = (path, _read_rows(path, kind == "decision_result", p.problems))
    if not p.files["anomaly_score"] and not p.problems:
        raise ValueError(f"{folder}: no anomaly_score_*.csv files (nor SNR folders holding them)")
    scores = _pair("anomaly_score", p)
    decisions = _pair("decision_result", p) if p.files["decision_result"] else None
    if p.problems:
        raise ScoreFolderError(folder, p.problems)
    out = ScoreFolder(files=sorted(path for k in p.files.values() for path, _ in k.values()))
    for unit, unit_clips in expected.items():
        out.units[unit] = [(c, scores[(unit, c.path.name)]) for c in unit_clips]
    if decisions is not None:
        out.decisions = {(unit[0], name): int(v) for (unit, name), v in decisions.items()}
    return out
