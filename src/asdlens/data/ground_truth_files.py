"""Published ground truth of the DCASE evaluation sets: the file formats and their readers.

Formats (the official evaluators y-kawagu/dcase2021_task2_evaluator, Kota-Dohi/dcase2022_evaluator,
nttcslab/dcase202{3,4}_task2_evaluator, and nttcslab/dcase2023_task2_baseline_ae ``datasets/``):

- 2021 ``ground_truth_<type>_section_03_{source,target}_test.csv``: ``section_03_source_test_0000.wav,<0|1>``;
- 2022+ ``ground_truth_data/ground_truth_<type>_section_03_test.csv``: ``section_03_0000.wav,<0|1>`` (1 anomaly),
  ``ground_truth_domain/...``: ``section_03_0000.wav,<0 source|1 target>``;
- 2022 ``ground_truth_attributes/<type>/attributes_03.csv``: ``file_name,d1p,d1v,file_name_with_(full_)attributes``;
- 2023+ ``ground_truth_attributes/ground_truth_<type>_section_00_test.csv``: ``section_00_0000.wav,<true name
  without .wav>`` (2024 hidden-attribute types add a third column, the full name with ``.wav``);
- ``eval_data_list_<year>.csv``: a line with the type, then ``<evaluation name>,<true name>[,<label>]``;
- 2024/2025 ``attributes_00_{train,test}_correspondence.csv`` (``source_file_name,target_file_name``): the full
  name of every ``noAttribute`` file, in a folder named after the type.

How the entries are merged and applied to clips: :mod:`asdlens.data.ground_truth`.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .clips import Attributes, DataWarning
from .sections import merge_attributes, parse_labelled_name

_GT_FILE = re.compile(r"^ground_truth_(.+)_section_(\d{2})_(?:(source|target)_)?test\.csv$")
_CORRESPONDENCE = re.compile(r"^attributes_(\d{2})_(train|test)_correspondence\.csv$")
_GT_ATTRIBUTES_2022 = re.compile(r"^attributes_(\d{2})\.csv$")
_DCASE2020_NAME = re.compile(r"^(normal|anomaly)_id_\d{2}_\d{8}\.wav$")


@dataclass(frozen=True)
class TruthEntry:
    """What one ground-truth file says about one file.

    Attributes
    ----------
    machine_type : str
    file_name : str
        The name the tree uses (evaluation name, or the ``noAttribute`` name of a correspondence).
    label, domain : int or None, str or None
    attributes : tuple of pairs or None
    true_name : str or None
        The labelled name the source gives, if any.
    kind : {"labels", "domains", "names", "list", "correspondence"}
    source : pathlib.Path
    """

    machine_type: str
    file_name: str
    label: int | None
    domain: str | None
    attributes: Attributes | None
    true_name: str | None
    kind: str
    source: Path


@dataclass
class GroundTruth:
    """Every entry read from the ground-truth files, and what reading them found."""

    entries: list[TruthEntry] = field(default_factory=list)
    warnings: list[DataWarning] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)


def _rows(path: Path) -> list[list[str]]:
    with open(path, newline="") as f:
        return [[c.strip() for c in row] for row in csv.reader(f) if row and any(c.strip() for c in row)]


def _int(value: str, path: Path, n: int, allowed: tuple[int, ...] = (0, 1)) -> int:
    try:
        out = int(float(value))
    except ValueError:
        out = None
    if out not in allowed:
        raise ValueError(f"{path}:{n}: expected one of {list(allowed)}, got {value!r}")
    return out


def _from_true_name(
    machine_type: str,
    name: str,
    true_name: str,
    kind: str,
    path: Path,
    n: int,
    pairs: Attributes | None = None,
) -> TruthEntry:
    parsed = parse_labelled_name(os.path.basename(true_name))
    if parsed is None:
        m = _DCASE2020_NAME.match(os.path.basename(true_name))
        if m:  # DCASE 2020 lists: normal_id_01_00000098.wav
            return TruthEntry(
                machine_type, name, int(m.group(1) == "anomaly"), None, (), true_name, kind, path
            )
        raise ValueError(f"{path}:{n}: {true_name!r} is not a labelled DCASE file name")
    attributes, _ = merge_attributes(pairs, parsed.attributes)
    return TruthEntry(machine_type, name, parsed.label, parsed.domain, attributes, true_name, kind, path)


def _read_eval_list(gt: GroundTruth, path: Path, rows: list[list[str]]) -> None:
    machine_type = None
    missing_split = 0
    for n, row in enumerate(rows, start=1):
        if len(row) == 1:
            machine_type = row[0]
            continue
        if machine_type is None or len(row) not in (2, 3):
            raise ValueError(
                f"{path}:{n}: expected a machine type line, then '<name>,<true name>[,<label>]' rows"
            )
        entry = _from_true_name(machine_type, row[0], row[1], "list", path, n)
        if len(row) == 3 and entry.label != _int(row[2], path, n):
            raise ValueError(
                f"{path}:{n}: the label column says {row[2]} but the true name says {entry.label}"
            )
        missing_split += parse_labelled_name(row[1]) is not None and parse_labelled_name(row[1]).missing_split
        gt.entries.append(entry)
    _report_missing_split(gt, path, missing_split)


def _report_missing_split(gt: GroundTruth, path: Path, count: int) -> None:
    if count:
        gt.warnings.append(
            DataWarning(
                "name-without-test",
                path,
                f"{count} true name(s) lack '_test_' (the published 2024 RoboticArm names); read as test clips",
            )
        )


def _read_gt_file(gt: GroundTruth, path: Path, rows: list[list[str]], m: re.Match) -> None:
    machine_type, _section, domain_in_name = m.groups()
    folder = path.parent.name
    if domain_in_name:  # 2021: labels per domain, the domain in the file name
        kind = "labels"
    elif folder in ("ground_truth_data", "ground_truth_domain", "ground_truth_attributes"):
        kind = {"ground_truth_data": "labels", "ground_truth_domain": "domains"}.get(folder, "names")
    else:
        raise ValueError(
            f"{path}: cannot tell whether it holds labels, domains or true names; keep it in a folder named "
            "ground_truth_data, ground_truth_domain or ground_truth_attributes, as the evaluators do"
        )
    missing_split = 0
    for n, row in enumerate(rows, start=1):
        if kind == "names":
            if len(row) not in (2, 3):
                raise ValueError(f"{path}:{n}: expected '<name>,<true name>[,<full name>]', got {row!r}")
            # hidden-attribute types (2024): column 2 says noAttribute, column 3 has the attributes
            entry = _from_true_name(machine_type, row[0], row[-1], kind, path, n)
            missing_split += parse_labelled_name(row[-1]).missing_split
        else:
            if len(row) != 2:
                raise ValueError(f"{path}:{n}: expected '<name>,<0|1>', got {row!r}")
            value = _int(row[1], path, n)
            if kind == "domains":
                entry = TruthEntry(
                    machine_type, row[0], None, ("source", "target")[value], None, None, kind, path
                )
            else:
                entry = TruthEntry(machine_type, row[0], value, domain_in_name, None, None, kind, path)
        gt.entries.append(entry)
    _report_missing_split(gt, path, missing_split)


def _read_gt_attributes_2022(gt: GroundTruth, path: Path, rows: list[list[str]]) -> None:
    header = rows[0]
    for n, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise ValueError(f"{path}:{n}: expected {len(header)} columns ({','.join(header)}), got {row!r}")
        machine_type = row[0].replace("\\", "/").split("/")[0]
        cells = row[1:-1]
        pairs = tuple((cells[i], cells[i + 1]) for i in range(0, len(cells) - 1, 2) if cells[i])
        gt.entries.append(
            _from_true_name(machine_type, os.path.basename(row[0]), row[-1], "names", path, n, pairs=pairs)
        )


def _read_correspondence(gt: GroundTruth, path: Path, rows: list[list[str]]) -> None:
    if rows[0] != ["source_file_name", "target_file_name"]:
        raise ValueError(f"{path}: expected the header 'source_file_name,target_file_name', got {rows[0]}")
    machine_type = path.parent.name
    for n, row in enumerate(rows[1:], start=2):
        if len(row) != 2:
            raise ValueError(f"{path}:{n}: expected '<full name>,<noAttribute name>', got {row!r}")
        full, hidden = row
        a, b = parse_labelled_name(full), parse_labelled_name(hidden)
        if a is None or b is None:
            raise ValueError(f"{path}:{n}: {row!r} are not labelled DCASE file names")
        if (a.section, a.domain, a.label, a.index) != (b.section, b.domain, b.label, b.index):
            gt.warnings.append(
                DataWarning(
                    "correspondence-mismatch", path, f"line {n}: {full} and {hidden} name different clips"
                )
            )
        # attributes only: label and domain are already in the noAttribute name
        gt.entries.append(
            TruthEntry(machine_type, hidden, None, None, a.attributes, full, "correspondence", path)
        )


def _files(paths: Iterable[str | os.PathLike]) -> list[Path]:
    out = []
    for p in paths:
        p = Path(p).expanduser()
        if p.is_file():
            out.append(p)
        elif p.is_dir():
            out += sorted(
                q
                for q in p.rglob("*")
                if q.is_file() and not any(s.startswith(".") for s in q.relative_to(p).parts)
            )
        else:
            raise ValueError(f"{p}: no such ground-truth file or folder")
    return out


def read_ground_truth(paths: str | os.PathLike | Sequence[str | os.PathLike]) -> GroundTruth:
    """Read ground-truth files: a file, a folder (an evaluator's checkout, ``ground_truth_data/`` ...) or several.

    Files that are not CSV (``README.md``, code) are skipped silently; CSVs of no known format are listed in
    the warnings.

    Raises
    ------
    ValueError
        A path that does not exist, or a file of a known format with a malformed row (file and line named).
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    gt = GroundTruth()
    for path in _files(paths):
        if path.suffix.lower() != ".csv":
            continue
        rows = _rows(path)
        if not rows:
            gt.warnings.append(DataWarning("ground-truth-ignored", path, "empty file"))
            continue
        m = _GT_FILE.match(path.name)
        if path.name.startswith("eval_data_list") or (
            len(rows[0]) == 1 and len(rows) > 1 and len(rows[1]) in (2, 3)
        ):
            _read_eval_list(gt, path, rows)
        elif _CORRESPONDENCE.match(path.name):
            _read_correspondence(gt, path, rows)
        elif _GT_ATTRIBUTES_2022.match(path.name) and rows[0][-1].startswith("file_name_with"):
            _read_gt_attributes_2022(gt, path, rows)
        elif m:
            _read_gt_file(gt, path, rows, m)
        else:
            gt.warnings.append(
                DataWarning("ground-truth-ignored", path, "not a ground-truth format asdlens knows")
            )
            continue
        gt.files.append(path)
    if not gt.files:
        raise ValueError(f"no ground-truth files found in {', '.join(map(str, paths))}")
    return gt
