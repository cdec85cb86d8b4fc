"""The side files of a generated DCASE 2021-2025 tree, in the published formats.

- ``<part>_data/<type>/attributes_<NN>.csv`` (2022+; not for hidden-attribute types): ``file_name,d1p,d1v``;
- ``ground_truth/`` for the evaluation test files, laid out as the year's evaluator expects
  (``ground_truth_data/``, ``ground_truth_domain/``, ``ground_truth_attributes/``), plus
  ``eval_data_list_<year>.csv`` as nttcslab's baseline ships it and, for hidden-attribute types (2024/2025),
  ``ground_truth_attributes_all/{dev_data,eval_data}/<type>/attributes_00_{train,test}_correspondence.csv``.

See :mod:`asdlens.data.ground_truth` for the formats (and their sources); that module reads what this one writes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

from ...atomic import atomic_write_text
from .options import SynthOptions
from .records import Recording, dcase2021_test_name, file_name, full_name, true_name


def _csv(rows: Iterable[Sequence]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def write_side_files(out: Path, options: SynthOptions, recordings: list[Recording]) -> None:
    """The attribute tables and the ground truth of a tree whose clips are ``recordings``."""
    write_attribute_tables(out, options.layout, recordings)
    write_ground_truth(out, options.layout, recordings)


def write_attribute_tables(out: Path, layout: str, recordings: list[Recording]) -> None:
    """``attributes_<NN>.csv`` per part, type and section (DCASE 2022+; the 2021 data had none)."""
    if layout == "dcase2021":
        return
    tables: dict[tuple[str, str, str], list] = {}
    for rec in recordings:
        if rec.hidden or rec.split == "supplemental" or (rec.part == "eval" and rec.split == "test"):
            continue
        rows = tables.setdefault((rec.part, rec.machine_type, rec.section), [])
        rows.append([f"{rec.machine_type}/{rec.split}/{file_name(layout, rec)}", *rec.attribute])
    for (part, machine_type, section), rows in sorted(tables.items()):
        text = _csv([["file_name", "d1p", "d1v"], *sorted(rows)])
        atomic_write_text(out / f"{part}_data" / machine_type / f"attributes_{section}.csv", text)


def write_ground_truth(out: Path, layout: str, recordings: list[Recording]) -> None:
    """The evaluators' ground truth for the evaluation test files, and the correspondences of hidden names."""
    gt = out / "ground_truth"
    tests = sorted(
        (r for r in recordings if r.part == "eval" and r.split == "test"),
        key=lambda r: (r.machine_type, r.section, file_name(layout, r)),
    )
    units: dict[tuple, list[Recording]] = {}
    for rec in tests:
        domain = rec.domain if layout == "dcase2021" else None
        units.setdefault((rec.machine_type, rec.section, domain), []).append(rec)
    for (machine_type, section, domain), recs in units.items():
        _write_unit(gt, layout, (machine_type, section, domain), recs)
    if tests:
        _write_eval_list(gt, layout, tests)
    _write_correspondences(gt, recordings)


def _write_unit(gt: Path, layout: str, unit: tuple, recs: list[Recording]) -> None:
    """The ground-truth files of one type x section (2021: x domain): labels, domains, true names."""
    machine_type, section, domain = unit
    labels = _csv([file_name(layout, r), r.label] for r in recs)
    if layout == "dcase2021":
        name = f"ground_truth_{machine_type}_section_{section}_{domain}_test.csv"
        atomic_write_text(gt / "ground_truth_data" / name, labels)
        return
    name = f"ground_truth_{machine_type}_section_{section}_test.csv"
    atomic_write_text(gt / "ground_truth_data" / name, labels)
    domains = _csv([file_name(layout, r), int(r.domain == "target")] for r in recs)
    atomic_write_text(gt / "ground_truth_domain" / name, domains)
    if layout == "dcase2022":
        rows = [["file_name", "d1p", "d1v", "file_name_with_full_attributes"]]
        rows += [
            [
                f"{machine_type}/test/{file_name(layout, r)}",
                *r.attribute,
                f"{machine_type}/test/{full_name(r)}",
            ]
            for r in recs
        ]
        atomic_write_text(
            gt / "ground_truth_attributes" / machine_type / f"attributes_{section}.csv", _csv(rows)
        )
        return
    rows = []
    for r in recs:
        row = [file_name(layout, r), true_name(r)[: -len(".wav")]]
        if r.hidden:  # the 2024 evaluator's third column: the full name
            row.append(full_name(r))
        rows.append(row)
    atomic_write_text(gt / "ground_truth_attributes" / name, _csv(rows))


def _write_eval_list(gt: Path, layout: str, tests: list[Recording]) -> None:
    """``eval_data_list_<year>.csv``: per type a line with its name, then ``<evaluation name>,<true name>``."""
    by_type: dict[str, list[Recording]] = {}
    for rec in tests:
        by_type.setdefault(rec.machine_type, []).append(rec)
    lines: list[list] = []
    for machine_type, recs in by_type.items():
        lines.append([machine_type])
        # 2021 lists the labelled test name, which has no attributes
        lines += [
            [file_name(layout, r), dcase2021_test_name(r) if layout == "dcase2021" else true_name(r)]
            for r in recs
        ]
    atomic_write_text(gt / f"eval_data_list_{layout[-4:]}.csv", _csv(lines))


def _write_correspondences(gt: Path, recordings: list[Recording]) -> None:
    files: dict[tuple[str, str, str, str], list] = {}
    for rec in recordings:
        if rec.hidden and rec.split in ("train", "test"):
            files.setdefault((rec.part, rec.machine_type, rec.section, rec.split), []).append(
                [full_name(rec), true_name(rec)]
            )
    for (part, machine_type, section, split), rows in sorted(files.items()):
        path = gt / "ground_truth_attributes_all" / f"{part}_data" / machine_type
        text = _csv([["source_file_name", "target_file_name"], *sorted(rows)])
        atomic_write_text(path / f"attributes_{section}_{split}_correspondence.csv", text)
