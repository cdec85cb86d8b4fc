"""The families of trees the generator writes: what differs between them, as the steps of the skeleton.

A family is what differs between trees; everything else (validating the options, the output folder, the process
pool and its progress, writing the clips and the manifest) is the skeleton's, written once in
:mod:`asdlens.data.synth.tree`. Adding a layout is one more row of :data:`FAMILIES`: a family whose ``render``
returns clips of any channel count (``[channels, samples]``), which the skeleton writes as it gets them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..clips import LAYOUT_SPECS
from . import dcase2026, ids, sections, truth
from .files import Rendered
from .manifest import MANIFEST_FIELDS, SECTION_FIELDS
from .options import SynthOptions


def _no_side_files(out: Path, options: SynthOptions, recordings: list) -> None:
    """A tree of clips and manifest only."""


@dataclass(frozen=True)
class TreeFamily:
    """How one family of layouts fills the skeleton (every callable a module-level function: worker processes
    receive the family by pickling).

    Attributes
    ----------
    name : str
    recordings : callable
        ``recordings(options) -> list``: every recording of the tree, in a fixed order.
    render : callable
        ``render(recording, options) -> list[Rendered]``: the recording's clips, audio ``[channels, samples]``;
        runs in worker processes.
    manifest_fields : tuple of str
        The columns of ``manifest.csv``.
    side_files : callable
        ``side_files(out, options, recordings)``: files beside the clips (tables, ground truth).
    """

    name: str
    recordings: Callable[[SynthOptions], list]
    render: Callable[[Any, SynthOptions], list[Rendered]]
    manifest_fields: tuple[str, ...]
    side_files: Callable[[Path, SynthOptions, list], None] = _no_side_files


IDS = TreeFamily("machine IDs", ids.recordings, ids.render, MANIFEST_FIELDS)
SECTIONS = TreeFamily(
    "sections", sections.recordings, sections.render, SECTION_FIELDS, truth.write_side_files
)
#: DCASE 2026: the sections' recordings and side files, each clip heard by a near and a far microphone.
TWO_MICROPHONES = TreeFamily(
    "two microphones", sections.recordings, dcase2026.render, SECTION_FIELDS, truth.write_side_files
)
#: The family of every layout the generator writes.
FAMILIES: dict[str, TreeFamily] = {
    "dcase2020": IDS,
    "mimii": IDS,
    **{name: SECTIONS for name, spec in LAYOUT_SPECS.items() if spec.sections},
    "dcase2026": TWO_MICROPHONES,
}


def family_of(layout: str) -> TreeFamily:
    """The family that writes ``layout`` (every layout of :data:`asdlens.data.LAYOUTS` has one)."""
    if layout not in FAMILIES:
        raise ValueError(f"layout={layout!r} has no generator; the generator writes {list(FAMILIES)}")
    return FAMILIES[layout]
