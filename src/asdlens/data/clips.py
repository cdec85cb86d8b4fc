"""Clip records: one frozen row per audio file of a DCASE 2020 Task 2 or MIMII tree."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

LAYOUTS = ("dcase2020", "mimii")
SPLITS = ("train", "test")


@dataclass(frozen=True, order=True)
class Clip:
    """One audio file of a dataset tree.

    Parameters
    ----------
    path : pathlib.Path
        The WAV file.
    layout : {"dcase2020", "mimii"}
        The tree layout the file was found in.
    machine_type : str
        ``"pump"``, ``"fan"``, ``"ToyCar"``, ... as spelled in the tree.
    machine_id : str
        Two-digit machine ID, e.g. ``"00"``.
    split : {"train", "test"} or None
        DCASE 2020: the folder. MIMII has no split on disk, so scanned MIMII clips carry None until a
        protocol (:func:`asdlens.data.splits.mimii_split`) assigns one.
    label : {0, 1} or None
        0 normal, 1 anomalous, None unknown (DCASE 2020 evaluation test files: ``id_05_00000000.wav``).
    snr : int or None
        MIMII signal-to-noise ratio in dB (-6, 0, 6); None for DCASE 2020 or a MIMII tree without SNR folder.
    index : int
        The number in the file name (``00000012`` -> 12).
    """

    path: Path
    layout: str
    machine_type: str
    machine_id: str
    split: str | None
    label: int | None
    snr: int | None
    index: int

    @property
    def group(self) -> tuple[str, int | None, str]:
        """``(machine_type, snr, machine_id)``: the unit a model is trained and scored on."""
        return (self.machine_type, self.snr, self.machine_id)

    @property
    def file_name(self) -> str:
        return self.path.name


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
) -> list[Clip]:
    """The clips whose fields match: each option is one value, a sequence of allowed values, or None (any)."""
    return [
        c
        for c in clips
        if _match(c.machine_type, machine_type)
        and _match(c.machine_id, machine_id)
        and _match(c.split, split)
        and _match(c.label, label)
        and _match(c.snr, snr)
    ]


def groups(clips: Iterable[Clip]) -> dict[tuple[str, int | None, str], list[Clip]]:
    """Clips by ``(machine_type, snr, machine_id)``, keys sorted, clips in path order."""
    out: dict[tuple[str, int | None, str], list[Clip]] = {}
    for c in sorted(clips, key=lambda c: c.path):
        out.setdefault(c.group, []).append(c)
    return dict(
        sorted(out.items(), key=lambda kv: (kv[0][0], -999 if kv[0][1] is None else kv[0][1], kv[0][2]))
    )


@dataclass(frozen=True)
class ScanResult:
    """What :func:`asdlens.data.scan` found under a root.

    Attributes
    ----------
    root : pathlib.Path
    layout : {"dcase2020", "mimii"}
        The layout used (the detected one when ``layout="auto"``).
    clips : list of Clip
        Sorted by path.
    skipped : list of (pathlib.Path, str)
        Files (and empty folders) that are not clips of the layout, each with the reason.
    """

    root: Path
    layout: str
    clips: list[Clip] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.clips)

    def __iter__(self):
        return iter(self.clips)

    def select(self, **criteria) -> list[Clip]:
        """Clips matching ``machine_type=``, ``machine_id=``, ``split=``, ``label=``, ``snr=`` (see :func:`select`)."""
        return select(self.clips, **criteria)

    @property
    def machine_types(self) -> list[str]:
        return sorted({c.machine_type for c in self.clips})

    def machine_ids(self, machine_type: str | None = None) -> list[str]:
        return sorted({c.machine_id for c in self.clips if machine_type in (None, c.machine_type)})

    @property
    def snrs(self) -> list[int | None]:
        return sorted({c.snr for c in self.clips}, key=lambda s: -999 if s is None else s)

    def groups(self) -> dict[tuple[str, int | None, str], list[Clip]]:
        """Clips by ``(machine_type, snr, machine_id)``."""
        return groups(self.clips)
