"""Published ground truth of the DCASE evaluation sets: read every format, merge, report disagreements.

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

Where sources disagree, the official scoring files win (``ground_truth_data`` for labels, ``ground_truth_domain``
for domains), then the attribute files' true names, then ``eval_data_list``; every disagreement is reported.
"""

from __future__ import annotations

import csv
import dataclasses
import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .clips import Attributes, Clip, DataWarning
from .dcase2022 import eval_name
from .sections import merge_attributes, parse_labelled_name

_GT_FILE = re.compile(r"^ground_truth_(.+)_section_(\d{2})_(?:(source|target)_)?test\.csv$")
_CORRESPONDENCE = re.compile(r"^attributes_(\d{2})_(train|test)_correspondence\.csv$")
_GT_ATTRIBUTES_2022 = re.compile(r"^attributes_(\d{2})\.csv$")
_DCASE2020_NAME = re.compile(r"^(normal|anomaly)_id_\d{2}_\d{8}\.wav$")
#: Precedence per field, strongest first (the evaluators score with ground_truth_data / ground_truth_domain).
_LABEL_ORDER = ("labels", "names", "list")
_DOMAIN_ORDER = ("domains", "labels", "names", "list")
_ATTRIBUTE_ORDER = ("names", "list", "correspondence")
_KIND_NAMES = {
    "labels": "ground_truth_data",
    "domains": "ground_truth_domain",
    "names": "ground_truth_attributes",
    "list": "eval_data_list",
    "correspondence": "attribute correspondence",
}
#: Computed by the research note (docs/dcase2021-2025.md): labels in the 2022 attribute files and in
#: nttcslab's eval_data_list_2022.csv that disagree with the official ground_truth_data.
KNOWN_2022_LABEL_DISAGREEMENTS = {"ToyCar": 296, "ToyTrain": 312}


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

    def resolve(self) -> tuple[dict[tuple[str, str], TruthEntry], list[DataWarning]]:
        """One merged entry per ``(machine_type, file_name)`` by the precedence above, and the disagreements."""
        by_key: dict[tuple[str, str], list[TruthEntry]] = {}
        for e in self.entries:
            by_key.setdefault((e.machine_type, e.file_name), []).append(e)
        merged: dict[tuple[str, str], TruthEntry] = {}
        disagree: Counter = Counter()
        examples: dict[tuple, list[str]] = {}
        for key, entries in by_key.items():
            label, label_src = _pick(entries, "label", _LABEL_ORDER)
            domain, domain_src = _pick(entries, "domain", _DOMAIN_ORDER)
            for field_name, chosen, src in (("label", label, label_src), ("domain", domain, domain_src)):
                for e in entries:
                    other = getattr(e, field_name)
                    if src is not None and other is not None and other != chosen and e.source != src.source:
                        k = (key[0], field_name, src.source, e.source)
                        disagree[k] += 1
                        examples.setdefault(k, []).append(key[1])
            attributes = None
            for kind in _ATTRIBUTE_ORDER:
                for e in entries:
                    if e.kind == kind and e.attributes is not None:
                        attributes, _ = merge_attributes(attributes, e.attributes)
            true_name = next((e.true_name for e in entries if e.true_name), None)
            merged[key] = TruthEntry(
                key[0],
                key[1],
                label,
                domain,
                attributes,
                true_name,
                "merged",
                (label_src or entries[0]).source,
            )
        warnings = []
        for (machine_type, field_name, kept, other), n in sorted(disagree.items(), key=str):
            shown = ", ".join(examples[(machine_type, field_name, kept, other)][:3])
            warnings.append(
                DataWarning(
                    "ground-truth-disagreement",
                    other,
                    f"{machine_type}: {n} {field_name}(s) here disagree with {kept.name} (e.g. {shown}); "
                    f"kept {kept.parent.name}/{kept.name}, which official scoring uses",
                )
            )
        return merged, warnings


def _pick(entries: list[TruthEntry], attr: str, order: Sequence[str]) -> tuple:
    for kind in order:
        for e in entries:
            if e.kind == kind and getattr(e, attr) is not None:
                return getattr(e, attr), e
    return None, None


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


def apply_ground_truth(
    clips: list[Clip], gt: GroundTruth, layout: str
) -> tuple[list[Clip], list[DataWarning]]:
    """Fill in label, domain and attributes of the clips the ground truth covers; report what does not fit.

    Hidden values (evaluation test files, ``noAttribute`` names) are filled in. A labelled name that the ground
    truth contradicts keeps its name's values and is reported.
    """
    merged, warnings = gt.resolve()
    warnings = list(gt.warnings) + warnings
    used: set[tuple[str, str]] = set()
    out = []
    contradicted: Counter = Counter()
    unlabelled: Counter = Counter()
    weak_labels: set[str] = set()
    official = {(e.machine_type, e.file_name) for e in gt.entries if e.kind == "labels"}
    for clip in clips:
        key = (clip.machine_type, eval_name(clip.file_name))
        entry = merged.get(key)
        if entry is None:
            if clip.split == "test" and clip.label is None:
                unlabelled[clip.machine_type] += 1
            out.append(clip)
            continue
        used.add(key)
        changes = {}
        if clip.label is None and entry.label is not None:
            changes["label"] = entry.label
            if key not in official:
                weak_labels.add(clip.machine_type)
        elif entry.label is not None and entry.label != clip.label:
            contradicted[clip.machine_type] += 1
        if clip.domain is None and entry.domain is not None:
            changes["domain"] = entry.domain
        elif entry.domain is not None and entry.domain != clip.domain:
            contradicted[clip.machine_type] += 1
        if entry.attributes is not None:
            attributes, _ = merge_attributes(clip.attributes, entry.attributes)
            if attributes != clip.attributes:
                changes["attributes"] = attributes
        out.append(dataclasses.replace(clip, **changes) if changes else clip)
    for machine_type, n in sorted(contradicted.items()):
        warnings.append(
            DataWarning(
                "ground-truth-vs-name",
                None,
                f"{machine_type}: the ground truth contradicts {n} label/domain value(s) that the file names state; "
                "kept the names' values",
            )
        )
    for machine_type, n in sorted(unlabelled.items()):
        warnings.append(
            DataWarning(
                "no-ground-truth", None, f"{machine_type}: {n} unlabelled test clip(s) have no ground truth"
            )
        )
    # correspondences also list files a tree need not hold (another part's names): only label rows count
    labelled = {(e.machine_type, e.file_name) for e in gt.entries if e.kind != "correspondence"}
    unused = Counter(k[0] for k in merged if k not in used and k in labelled)
    for machine_type, n in sorted(unused.items()):
        warnings.append(
            DataWarning(
                "ground-truth-without-clip",
                None,
                f"{machine_type}: {n} ground-truth row(s) name no clip here",
            )
        )
    if layout == "dcase2022":
        for machine_type in sorted(weak_labels & set(KNOWN_2022_LABEL_DISAGREEMENTS)):
            warnings.append(
                DataWarning(
                    "known-defect-2022-toy-labels",
                    None,
                    f"{machine_type}: labels came from eval_data_list_2022.csv or ground_truth_attributes, which "
                    f"disagree with the official ground_truth_data on {KNOWN_2022_LABEL_DISAGREEMENTS[machine_type]} "
                    "of 600 evaluation clips; give ground_truth_data and ground_truth_domain for official labels",
                )
            )
    return out, warnings
