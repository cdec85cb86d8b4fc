"""One clip of a generated DCASE 2021-2025 tree, and its names: labelled, full, and where it is written.

The names follow the year's published data (:mod:`asdlens.data.dcase2021`, :mod:`asdlens.data.dcase2022`):
labelled names ``section_00_source_train_normal_0001_<attribute>.wav``, ``noAttribute`` for the hidden-attribute
types of 2024/2025, evaluation test names that hide the label (``section_00_0012.wav``; 2021:
``section_03_source_test_0012.wav``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..sections import HIDDEN_ATTRIBUTES


@dataclass(frozen=True)
class Recording:
    """One clip to render and where it goes."""

    part: str  # "dev" or "eval"
    machine_type: str
    section: str
    split: str  # train / test / supplemental
    domain: str | None
    label: int | None
    index: int  # in the true name
    attribute: tuple[str, str]
    hidden: bool  # noAttribute names (2024/2025 hidden-attribute types)
    eval_index: int | None = None  # the number in the evaluation test name


def true_name(rec: Recording) -> str:
    """The labelled file name (what the ground truth calls the clip)."""
    if rec.split == "supplemental":
        return f"section_{rec.section}_machine_{rec.index:04d}_.wav"
    kind = "anomaly" if rec.label else "normal"
    suffix = HIDDEN_ATTRIBUTES if rec.hidden else f"{rec.attribute[0]}_{rec.attribute[1]}"
    return f"section_{rec.section}_{rec.domain}_{rec.split}_{kind}_{rec.index:04d}_{suffix}.wav"


def full_name(rec: Recording) -> str:
    """The labelled name with the attributes even where the tree hides them."""
    return true_name(dataclasses.replace(rec, hidden=False))


def dcase2021_test_name(rec: Recording) -> str:
    """The labelled name of a DCASE 2021 test clip, which carries no attributes."""
    kind = "anomaly" if rec.label else "normal"
    return f"section_{rec.section}_{rec.domain}_test_{kind}_{rec.index:04d}.wav"


def relpath(layout: str, rec: Recording) -> str:
    """Where the clip is written, relative to the output root."""
    top = f"{rec.part}_data/{rec.machine_type}"
    if rec.split in ("supplemental", "train"):
        return f"{top}/{rec.split}/{true_name(rec)}"
    folder = f"{rec.domain}_test" if layout == "dcase2021" else "test"
    if rec.part == "dev":
        name = dcase2021_test_name(rec) if layout == "dcase2021" else true_name(rec)
        return f"{top}/{folder}/{name}"
    if layout == "dcase2021":
        return f"{top}/{folder}/section_{rec.section}_{rec.domain}_test_{rec.eval_index:04d}.wav"
    return f"{top}/{folder}/section_{rec.section}_{rec.eval_index:04d}.wav"


def file_name(layout: str, rec: Recording) -> str:
    """The name of the clip's file in the tree (for evaluation test clips: the name that hides the label)."""
    return relpath(layout, rec).rsplit("/", 1)[1]
