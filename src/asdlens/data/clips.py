"""Clip records: one frozen row per audio file of a DCASE Task 2 (2020-2026) or MIMII tree."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..groups import GroupKey, group_order, snr_order


@dataclass(frozen=True)
class LayoutSpec:
    """What a dataset layout is, as the data layer knows it.

    Attributes
    ----------
    name : str
        The layout (``dataset.layout``).
    naming : str
        The file-naming scheme its parser reads: ``"dcase2020"``, ``"mimii"``, ``"dcase2021"`` or ``"dcase2022"``
        (DCASE 2022-2026 share one naming, which is why ``auto`` cannot always tell those years apart).
    unit : {"id", "section"}
        What ``Clip.machine_id`` holds: a machine ID or a section number. A section layout also has domains
        and attributes.
    channels : int
        Channels of its WAV files (``asdlens data check`` expects them; ``dataset.channel`` picks one).
    channel_names : tuple of str
        What each channel is, where the layout fixes it: DCASE 2026 ``("near", "far")`` (channel 0 the
        microphone near the machine, channel 1 the far one). A layout that names its channels is strict: every
        reader refuses a file with another channel count (:func:`asdlens.data.read_layout_audio`, the tfds
        builder, ``tf_dataset``), as the official 2026 loader asserts a multi-channel file. Empty for the
        others (their count is checked by ``asdlens data check`` only, as before).
    """

    name: str
    naming: str
    unit: str
    channels: int
    channel_names: tuple[str, ...] = ()

    @property
    def sections(self) -> bool:
        """Whether the unit of evaluation is a section (DCASE 2021 on)."""
        return self.unit == "section"

    @property
    def strict_channels(self) -> bool:
        """Whether every reader refuses a file whose channel count is not :attr:`channels` (DCASE 2026)."""
        return bool(self.channel_names)


#: Every layout :func:`asdlens.data.scan` reads, in this order: the first two are the original ones (auto
#: detection prefers them on a tie, as before). DCASE 2020-2025 are mono; MIMII has 8 microphones; DCASE 2026 has
#: two (near on the left, far on the right: nttcslab/dcase2023_task2_baseline_ae v5.x README @ 9b64dc4).
LAYOUT_SPECS: dict[str, LayoutSpec] = {
    spec.name: spec
    for spec in (
        LayoutSpec("dcase2020", "dcase2020", "id", 1),
        LayoutSpec("mimii", "mimii", "id", 8),
        LayoutSpec("dcase2021", "dcase2021", "section", 1),
        *(LayoutSpec(f"dcase{year}", "dcase2022", "section", 1) for year in (2022, 2023, 2024, 2025)),
        LayoutSpec("dcase2026", "dcase2022", "section", 2, ("near", "far")),
    )
}
LAYOUTS = tuple(LAYOUT_SPECS)
#: ``supplemental`` is DCASE 2025's folder of clean machine / noise recordings (neither train nor test).
SPLITS = ("train", "test", "supplemental")
DOMAINS = ("source", "target")


def layout_spec(layout: str) -> LayoutSpec:
    """The :class:`LayoutSpec` of ``layout`` (a ValueError naming the allowed layouts otherwise)."""
    if layout not in LAYOUT_SPECS:
        raise ValueError(f"layout={layout!r} is not allowed; choose one of {list(LAYOUTS)}")
    return LAYOUT_SPECS[layout]


#: Attributes as stored on a clip: ``(("car", "A1"), ("spd", "28V"))``, in the order they were read.
Attributes = tuple[tuple[str, str], ...]


@dataclass(frozen=True, order=True)
class Clip:
    """One audio file of a dataset tree.

    Parameters
    ----------
    path : pathlib.Path
        The WAV file.
    layout : str
        The tree layout the file was found in (one of :data:`LAYOUTS`).
    machine_type : str
        ``"pump"``, ``"fan"``, ``"ToyCar"``, ... as spelled in the tree.
    machine_id : str
        The unit of evaluation, two digits: the machine ID (DCASE 2020, MIMII: ``"00"`` from ``id_00``) or the
        section (DCASE 2021-2026: ``"03"`` from ``section_03``). Code that groups clips by
        ``(machine_type, snr, machine_id)`` therefore groups 2021+ clips by section, as the evaluators do.
    split : {"train", "test", "supplemental"} or None
        The folder (``source_test``/``target_test`` count as "test"; "supplemental" is DCASE 2025's
        clean-machine/noise folder). MIMII has no split on disk, so scanned MIMII clips carry None until a
        protocol (:func:`asdlens.data.splits.mimii_split`) assigns one.
    label : {0, 1} or None
        0 normal, 1 anomalous, None unknown (evaluation test files such as ``id_05_00000000.wav`` or
        ``section_03_0000.wav``, unless ground truth was given to :func:`asdlens.data.scan`).
    snr : int or None
        MIMII signal-to-noise ratio in dB (-6, 0, 6); None for the DCASE layouts or a MIMII tree without SNR
        folder.
    index : int
        The number in the file name (``00000012`` -> 12, ``section_00_source_test_normal_0012_...`` -> 12).
    domain : {"source", "target"} or None
        DCASE 2021-2026: the domain from the file name or the ground truth; None where it is unknown (an
        evaluation test file of 2022+ without ground truth) or the layout has none (DCASE 2020, MIMII).
    attributes : tuple of (str, str) pairs, or None
        DCASE 2021-2026: the clip's attributes (domain-shift parameters), from ``attributes_XX.csv`` where the
        tree has one, then from the file name (``car_A1_spd_28V`` -> ``(("car", "A1"), ("spd", "28V"))``; a
        suffix that does not split into key/value pairs is kept whole as ``(("attribute", suffix),)``).
        None means unknown: hidden (2024/2025 ``noAttribute`` names), or a test name that carries none.
        ``()`` means there are none (DCASE 2020, MIMII, or an empty ``_.wav`` suffix).
    """

    path: Path
    layout: str
    machine_type: str
    machine_id: str
    split: str | None
    label: int | None
    snr: int | None
    index: int
    domain: str | None = None
    attributes: Attributes | None = ()

    @property
    def group(self) -> tuple[str, int | None, str]:
        """``(machine_type, snr, machine_id)``: the unit a model is trained and scored on."""
        return (self.machine_type, self.snr, self.machine_id)

    @property
    def group_key(self) -> GroupKey:
        """The :class:`~asdlens.groups.GroupKey` of :attr:`group` (its label, slug and order)."""
        kind = "section" if LAYOUT_SPECS[self.layout].sections else "id"
        return GroupKey(self.machine_type, self.snr, self.machine_id, kind)

    @property
    def section(self) -> str:
        """The section (DCASE 2021-2026); the same field as ``machine_id``."""
        return self.machine_id

    @property
    def file_name(self) -> str:
        return self.path.name

    def attribute(self, key: str) -> str | None:
        """The value of attribute ``key``, or None when the clip has no such attribute (or they are unknown)."""
        return dict(self.attributes or ()).get(key)


def _match(value, wanted) -> bool:
    if wanted is None:
        return True
    if isinstance(wanted, str | int) or wanted is None:
        return value == wanted
    return value in set(wanted)


def select(
    clips: Iterable[Clip],
    *,
    machine_type: str | Sequence[str] | None = None,
    machine_id: str | Sequence[str] | None = None,
    split: str | Sequence[str] | None = None,
    label: int | Sequence[int] | None = None,
    snr: int | Sequence[int] | None = None,
    domain: str | Sequence[str] | None = None,
) -> list[Clip]:
    """The clips whose fields match: each option is one value, a sequence of allowed values, or None (any).

    ``machine_id`` also selects sections (DCASE 2021-2026 keep the section there).
    """
    return [
        c
        for c in clips
        if _match(c.machine_type, machine_type)
        and _match(c.machine_id, machine_id)
        and _match(c.split, split)
        and _match(c.label, label)
        and _match(c.snr, snr)
        and _match(c.domain, domain)
    ]


def groups(clips: Iterable[Clip]) -> dict[tuple[str, int | None, str], list[Clip]]:
    """Clips by ``(machine_type, snr, machine_id)``, keys sorted, clips in path order."""
    out: dict[tuple[str, int | None, str], list[Clip]] = {}
    for c in sorted(clips, key=lambda c: c.path):
        out.setdefault(c.group, []).append(c)
    return dict(sorted(out.items(), key=lambda kv: group_order(kv[0])))


@dataclass(frozen=True)
class DataWarning:
    """Something in a tree or its ground truth that asdlens read, handled and wants you to know.

    Known defects of the published files (and anything else that is odd but readable) are reported this way,
    never fixed silently. ``code`` is stable, for programs; ``message`` says what was found and what asdlens did.

    Attributes
    ----------
    code : str
        e.g. ``"name-without-test"``, ``"ground-truth-disagreement"``, ``"readme-eval-name"``.
    path : pathlib.Path or None
        The file (or folder) concerned, when there is one.
    message : str
    """

    code: str
    path: Path | None
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path is not None else self.message


@dataclass(frozen=True)
class ScanResult:
    """What :func:`asdlens.data.scan` found under a root.

    Attributes
    ----------
    root : pathlib.Path
    layout : str
        The layout used (the detected one when ``layout="auto"``), one of :data:`LAYOUTS`.
    clips : list of Clip
        Sorted by path.
    skipped : list of (pathlib.Path, str)
        Files (and empty folders) that are not clips of the layout, each with the reason.
    warnings : list of DataWarning
        What was read but deserves attention: known defects of the published names and ground-truth files,
        disagreements between files, an ambiguous layout choice. Empty for a clean tree.
    """

    root: Path
    layout: str
    clips: list[Clip] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    warnings: list[DataWarning] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.clips)

    def __iter__(self):
        return iter(self.clips)

    def select(self, **criteria) -> list[Clip]:
        """Clips matching ``machine_type=``, ``machine_id=``, ``split=``, ``label=``, ``snr=``, ``domain=``
        (see :func:`select`)."""
        return select(self.clips, **criteria)

    @property
    def machine_types(self) -> list[str]:
        return sorted({c.machine_type for c in self.clips})

    def machine_ids(self, machine_type: str | None = None) -> list[str]:
        return sorted({c.machine_id for c in self.clips if machine_type in (None, c.machine_type)})

    def sections(self, machine_type: str | None = None) -> list[str]:
        """The sections (DCASE 2021-2026; the same as :meth:`machine_ids`)."""
        return self.machine_ids(machine_type)

    @property
    def channels(self) -> int:
        """The channel count every clip of the layout has (:attr:`LayoutSpec.channels`: 2 for DCASE 2026)."""
        return LAYOUT_SPECS[self.layout].channels

    def channel_counts(self) -> dict[int | None, int]:
        """How many clips have each channel count, read from the files' headers (None: the header could not
        be read; ``asdlens data check`` says why). A clean DCASE 2026 tree gives ``{2: len(self)}``."""
        from .wavfile import AudioError, wav_info

        counts: dict[int | None, int] = {}
        for clip in self.clips:
            try:
                n: int | None = wav_info(clip.path).channels
            except AudioError:
                n = None
            counts[n] = counts.get(n, 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: (kv[0] is None, kv[0] or 0)))

    @property
    def snrs(self) -> list[int | None]:
        return sorted({c.snr for c in self.clips}, key=snr_order)

    def groups(self) -> dict[tuple[str, int | None, str], list[Clip]]:
        """Clips by ``(machine_type, snr, machine_id)``."""
        return groups(self.clips)
