"""``attributes_XX.csv``: the attribute table DCASE 2022-2025 ship beside each type's clips.

Format (Kota-Dohi/dcase2022_task2_baseline_ae README; the soundata ``dcase23_task2`` loader; the 2022 evaluator's
``ground_truth_attributes``): a header ``file_name,d1p,d1v[,d2p,d2v,...]`` and one row per clip,
``fan/train/section_00_source_train_normal_0000_m-n_W.wav,m-n,W``: the path relative to the dataset root, then
parameter/value pairs (d = domain-shift parameter). Whether some types carry more than one pair is unconfirmed, so
any number of pairs is read; empty trailing cells are ignored; ``noAttribute`` means unknown.
"""

from __future__ import annotations

import csv
import dataclasses
import re
from pathlib import Path

from .clips import Attributes, Clip, DataWarning
from .sections import HIDDEN_ATTRIBUTES, merge_attributes

ATTRIBUTES_FILE = re.compile(r"^attributes_(\d{2})\.csv$")


def read_attributes_csv(path: Path) -> dict[tuple[str, str], Attributes | None]:
    """``{(folder, file name): attributes}`` from one ``attributes_XX.csv``.

    ``folder`` is the path's split folder (``train``/``test``); attributes are None where a row says
    ``noAttribute``.

    Raises
    ------
    ValueError
        Naming the file (and line) when the header or a row is not the published format.
    """
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows or not rows[0] or rows[0][0] != "file_name":
        raise ValueError(
            f"{path}: expected the header 'file_name,d1p,d1v,...', got {rows[0] if rows else 'nothing'}"
        )
    # the 2022 evaluator's copies add file_name_with_(full_)attributes: not a pair, read elsewhere
    keep = [i for i, h in enumerate(rows[0]) if not h.startswith("file_name_with")]
    rows = [[r[i] if i < len(r) else "" for i in keep] for r in rows]
    header = rows[0]
    if len(header) < 3 or any(not re.fullmatch(r"d\d+[pv]", h) for h in header[1:]) or len(header) % 2 != 1:
        raise ValueError(f"{path}: expected the header 'file_name,d1p,d1v[,d2p,d2v...]', got {header}")
    out: dict[tuple[str, str], Attributes | None] = {}
    for n, row in enumerate(rows[1:], start=2):
        if not row or not any(row):
            continue
        parts = row[0].replace("\\", "/").split("/")
        if len(parts) < 2:
            raise ValueError(f"{path}:{n}: expected '<type>/<split>/<file>.wav' in file_name, got {row[0]!r}")
        cells = [c.strip() for c in row[1:]]
        pairs = [(cells[i], cells[i + 1] if i + 1 < len(cells) else "") for i in range(0, len(cells), 2)]
        pairs = [(k, v) for k, v in pairs if k or v]
        hidden = any(HIDDEN_ATTRIBUTES in (k, v) for k, v in pairs)
        if any(not k for k, _ in pairs):
            raise ValueError(f"{path}:{n}: a value without a parameter name in {row!r}")
        out[(parts[-2], parts[-1])] = None if hidden else tuple(pairs)
    return out


def apply_attribute_files(clips: list[Clip], files: list[Path]) -> tuple[list[Clip], list[DataWarning]]:
    """Merge ``<type>/attributes_XX.csv`` into the clips of that type and section.

    The table's pairs come first, then the pairs the file name adds; a key both give with different values keeps
    the table's value and is reported. Clips the table lacks, and rows with no clip, are reported as counts.
    """
    warnings: list[DataWarning] = []
    tables: dict[tuple[Path, str], tuple[Path, dict]] = {}
    # only tables beside a type's clip folders: a ground-truth copy elsewhere in the tree is not one
    type_dirs = {c.path.parent.parent for c in clips}
    for path in files:
        m = ATTRIBUTES_FILE.match(path.name)
        if m and path.parent in type_dirs:
            try:
                tables[(path.parent, m.group(1))] = (path, read_attributes_csv(path))
            except (ValueError, OSError, UnicodeDecodeError) as exc:
                warnings.append(DataWarning("attributes-unreadable", path, f"not read: {exc}"))
    if not tables:
        return clips, warnings
    used: dict[Path, set] = {p: set() for p, _ in tables.values()}
    missing: dict[Path, int] = {}
    out = []
    for clip in clips:
        # <type>/<split>/<file>: the table sits in <type>/ and is named after the section
        key = (clip.path.parent.parent, clip.machine_id)
        if key not in tables or clip.split == "supplemental":
            out.append(clip)
            continue
        table_path, table = tables[key]
        row_key = (clip.path.parent.name, clip.file_name)
        if row_key not in table:
            if clip.label is not None or clip.split == "train":
                missing[table_path] = missing.get(table_path, 0) + 1
            out.append(clip)
            continue
        used[table_path].add(row_key)
        merged, conflicts = merge_attributes(table[row_key], clip.attributes)
        for k, a, b in conflicts:
            warnings.append(
                DataWarning(
                    "attribute-conflict",
                    clip.path,
                    f"{table_path.name} says {k}={a} but the file name says {k}={b}; kept {k}={a}",
                )
            )
        out.append(dataclasses.replace(clip, attributes=merged))
    for table_path, table in ((p, t) for p, t in tables.values()):
        extra = len(set(table) - used[table_path])
        if extra:
            warnings.append(
                DataWarning(
                    "attributes-without-clip",
                    table_path,
                    f"{extra} row(s) name files that are not in the tree",
                )
            )
        if missing.get(table_path):
            warnings.append(
                DataWarning(
                    "clip-without-attributes",
                    table_path,
                    f"{missing[table_path]} clip(s) of this section have no row here (their name's attributes are used)",
                )
            )
    return out, warnings
