"""``manifest.csv``: one row per generated clip, its columns defined once.

Every tree writes :data:`MANIFEST_FIELDS`; DCASE 2021-2025 trees add :data:`SECTION_FIELDS`' last four
(``domain``, ``attributes``, ``part``, ``true_name``). Empty cells stand for None.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ...atomic import atomic_write_text
from .clip import Anomaly

MANIFEST_FIELDS = (
    "path",
    "layout",
    "machine_type",
    "machine_id",
    "split",
    "label",
    "snr",
    "index",
    "anomaly_kind",
    "severity",
)
SECTION_FIELDS = (*MANIFEST_FIELDS, "domain", "attributes", "part", "true_name")


@dataclass(frozen=True)
class ManifestRow:
    """What the manifest says about one clip (``machine_id`` holds the section in DCASE 2021-2025 trees)."""

    path: str
    layout: str
    machine_type: str
    machine_id: str
    split: str | None
    label: int | None
    index: int
    anomaly: Anomaly
    snr: int | None = None
    domain: str | None = None
    attributes: str | None = None  # "key=value"
    part: str | None = None
    true_name: str | None = None

    def cells(self, fields: Sequence[str]) -> dict[str, object]:
        """The row as CSV cells of ``fields``: None as empty, the severity with four decimals."""
        values = {name: getattr(self, name) for name in fields if hasattr(self, name)}
        values["anomaly_kind"] = self.anomaly.kind
        values["severity"] = f"{self.anomaly.severity:.4f}"
        return {name: "" if values[name] is None else values[name] for name in fields}


def write_manifest(path: Path, rows: Sequence[ManifestRow], fields: Sequence[str]) -> Path:
    """Write ``rows`` sorted by path as CSV with a header of ``fields`` (CRLF lines, as ``csv`` writes them)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(fields), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(row.cells(fields) for row in sorted(rows, key=lambda r: r.path))
    return atomic_write_text(path, buf.getvalue())


def read_manifest(root: str | os.PathLike) -> list[dict]:
    """The rows of the manifest of the tree at ``root`` (``<root>/.asdlens/manifest.csv``, or ``<root>/manifest.csv``
    in trees generated before it moved: :func:`asdlens.data.layouts.find_manifest`) with ``label``, ``index``, ``snr`` as int (None if empty) and
    ``severity`` as float; ``path`` stays relative to ``root``. DCASE 2021-2025 manifests add ``domain``,
    ``attributes`` (``key=value``), ``part`` (dev/eval) and ``true_name`` (the labelled name of the clip)."""
    from ..layouts import find_manifest, manifest_path

    path = find_manifest(root)
    if path is None:
        raise FileNotFoundError(
            f"{root}: no generator manifest ({manifest_path(root)}, or manifest.csv in the root)"
        )
    rows = []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            row["label"] = int(row["label"]) if row["label"] != "" else None
            row["index"] = int(row["index"])
            row["snr"] = int(row["snr"]) if row["snr"] else None
            row["severity"] = float(row["severity"])
            row["split"] = row["split"] or None
            row["anomaly_kind"] = row["anomaly_kind"] or None
            rows.append(row)
    return rows
