"""The on-disk layouts, file-name parsing, layout detection and :func:`scan`.

DCASE 2020 and MIMII are parsed here; DCASE 2021 in :mod:`.dcase2021`, DCASE 2022-2025 (one naming) in
:mod:`.dcase2022`, their attribute tables in :mod:`.attributes` and published ground truth in
:mod:`.ground_truth`. Facts (from the DCASE 2020 Task 2 task page and its baseline, and the MIMII paper / zenodo record / mimii_baseline):

- DCASE 2020 Task 2 development set: ``<root>/<type>/train/normal_id_01_00000000.wav`` and
  ``<root>/<type>/test/{normal,anomaly}_id_01_00000000.wav``; the additional training set uses the same names
  under ``train/`` with the evaluation IDs; the evaluation test set is ``<type>/test/id_05_00000000.wav`` with no
  label in the name. Types: ToyCar, ToyConveyor, fan, pump, slider, valve.
- MIMII: ``<snr>_dB_<type>/<type>/id_00/{normal,abnormal}/00000000.wav`` (zenodo archives ``-6_dB_pump.zip``
  ...), which the mimii_baseline extracts to ``min6dB/``, ``0dB/`` and ``6dB/`` instead. IDs 00/02/04/06.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Sequence
from pathlib import Path

from . import dcase2021, dcase2022
from .attributes import apply_attribute_files
from .clips import LAYOUTS, Clip, DataWarning, ScanResult, layout_spec
from .ground_truth import apply_ground_truth, read_ground_truth
from .wavfile import AudioError, wav_info

DCASE2020_TYPES = ("ToyCar", "ToyConveyor", "fan", "pump", "slider", "valve")
MIMII_TYPES = ("fan", "pump", "slider", "valve")
MIMII_SNRS = (-6, 0, 6)
MIMII_IDS = ("00", "02", "04", "06")

_DCASE_LABELED = re.compile(r"^(normal|anomaly)_id_(\d{2})_(\d{8})\.wav$", re.IGNORECASE)
_DCASE_UNLABELED = re.compile(r"^id_(\d{2})_(\d{8})\.wav$", re.IGNORECASE)
_MIMII_FILE = re.compile(r"^(\d{8})\.wav$", re.IGNORECASE)
_MIMII_ID = re.compile(r"^id_(\d{2})$")
_SNR_TYPE_DIR = re.compile(r"^(-?\d+)_dB_(.+)$")  # zenodo: -6_dB_pump
_SNR_DIR = re.compile(r"^(min)?(\d+)dB$")  # mimii_baseline: min6dB, 0dB, 6dB

DCASE_PATTERN = "<type>/{train,test}/{normal,anomaly}_id_NN_NNNNNNNN.wav (or <type>/test/id_NN_NNNNNNNN.wav)"
MIMII_PATTERN = "[<snr>_dB_<type> | min6dB | 0dB | 6dB]/<type>/id_NN/{normal,abnormal}/NNNNNNNN.wav"


def is_wav(path: Path) -> bool:
    return path.suffix.lower() == ".wav"


#: The file asdlens's generator (:mod:`asdlens.data.synth`) writes beside the trees it makes, and the hidden folder
#: of the tree's root it is in: the official scripts take every visible entry of a data folder as a machine type
#: (``select_dirs`` of the DCASE 2020 baseline globs ``<root>/*``), and hidden names are not matched by ``*``.
GENERATOR_MANIFEST = "manifest.csv"
GENERATOR_FOLDER = ".asdlens"


def manifest_path(root: str | os.PathLike) -> Path:
    """Where the generator writes the manifest of the tree at ``root``: ``<root>/.asdlens/manifest.csv``."""
    return Path(root) / GENERATOR_FOLDER / GENERATOR_MANIFEST


def find_manifest(root: str | os.PathLike) -> Path | None:
    """The generator's manifest of the tree at ``root``: ``.asdlens/manifest.csv``, or ``manifest.csv`` in the
    root itself (where trees generated before it moved have it); None if neither is there."""
    for path in (manifest_path(root), Path(root) / GENERATOR_MANIFEST):
        if path.is_file():
            return path
    return None


def is_generated(root: str | os.PathLike, layout: str) -> bool:
    """Whether the tree at ``root`` was written by asdlens's generator: its manifest (:func:`find_manifest`) is in
    ``root`` or, for the section layouts, one folder up (the generator writes it above ``dev_data/`` and
    ``eval_data/``, the roots a run is given)."""
    root = Path(root)
    places = [root, root.parent] if layout_spec(layout).sections else [root]
    return any(find_manifest(p) is not None for p in places)


def parse_dcase2020(path: Path) -> Clip | str:
    """A :class:`Clip` for a DCASE 2020 path, or the reason it is not one."""
    parts = path.parts
    if len(parts) < 3 or parts[-2] not in ("train", "test"):
        return f"not inside a <type>/train or <type>/test folder (expected {DCASE_PATTERN})"
    split, machine_type = parts[-2], parts[-3]
    m = _DCASE_LABELED.match(path.name)
    if m:
        kind, machine_id, index = m.groups()
        label = 1 if kind.lower() == "anomaly" else 0
        if split == "train" and label == 1:
            return "anomaly clip in a train/ folder (DCASE 2020 training sets hold normal clips only)"
    else:
        m = _DCASE_UNLABELED.match(path.name)
        if not m:
            return f"file name does not match {DCASE_PATTERN}"
        if split == "train":
            return "unlabeled name id_NN_... in a train/ folder (training file names start with normal_)"
        machine_id, index = m.groups()
        label = None
    return Clip(path, "dcase2020", machine_type, machine_id, split, label, None, int(index))


def parse_snr_dir(name: str, machine_type: str) -> int | None | str:
    """SNR in dB from a MIMII folder name; None if the folder is no SNR folder; a reason if it contradicts."""
    m = _SNR_TYPE_DIR.match(name)
    if m:
        if m.group(2) != machine_type:
            return f"SNR folder {name!r} names type {m.group(2)!r} but holds {machine_type!r}"
        return int(m.group(1))
    m = _SNR_DIR.match(name)
    if m:
        return -int(m.group(2)) if m.group(1) else int(m.group(2))
    return None


def parse_mimii(path: Path) -> Clip | str:
    """A :class:`Clip` for a MIMII path, or the reason it is not one."""
    parts = path.parts
    if len(parts) < 4 or parts[-2] not in ("normal", "abnormal") or not _MIMII_ID.match(parts[-3]):
        return f"not inside <type>/id_NN/normal or abnormal (expected {MIMII_PATTERN})"
    m = _MIMII_FILE.match(path.name)
    if not m:
        return f"file name is not NNNNNNNN.wav (expected {MIMII_PATTERN})"
    machine_type = parts[-4]
    snr = parse_snr_dir(parts[-5], machine_type) if len(parts) >= 5 else None
    if isinstance(snr, str):
        return snr
    label = 1 if parts[-2] == "abnormal" else 0
    machine_id = _MIMII_ID.match(parts[-3]).group(1)
    return Clip(path, "mimii", machine_type, machine_id, None, label, snr, int(m.group(1)))


PARSERS = {
    "dcase2020": parse_dcase2020,
    "mimii": parse_mimii,
    "dcase2021": dcase2021.parse_dcase2021,
    **{year: functools.partial(dcase2022.parse_dcase2022, layout=year) for year in dcase2022.YEARS},
}
PATTERNS = {
    "dcase2020": DCASE_PATTERN,
    "mimii": MIMII_PATTERN,
    "dcase2021": dcase2021.PATTERN,
    **{year: dcase2022.PATTERN for year in dcase2022.YEARS},
}


class NoClipsError(ValueError):
    """``layout="auto"`` found no clip of any layout."""


def _walk(root: Path) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Every visible file under ``root`` (sorted), and the topmost empty or unlistable folders."""
    files: list[Path] = []
    problems: list[tuple[Path, str]] = []
    holds_files: set[Path] = set()
    dirs: list[Path] = []

    def onerror(exc: OSError) -> None:
        problems.append((Path(exc.filename), f"cannot list folder: {exc.strerror}"))

    for here, subdirs, names in os.walk(root, onerror=onerror, followlinks=True):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        here_path = Path(here)
        dirs.append(here_path)
        visible = [n for n in names if not n.startswith(".")]
        files.extend(here_path / n for n in visible)
        if visible:
            p = here_path
            while p not in holds_files:
                holds_files.add(p)
                if p == root:
                    break
                p = p.parent
    unlistable = {p for p, _ in problems}
    for d in dirs:
        if d != root and d not in holds_files and d.parent in holds_files and d not in unlistable:
            problems.append((d, "empty folder: no files (an empty machine type, ID or split folder?)"))
    return sorted(files), problems


_YEAR_FOLDER = re.compile(r"^dcase[_-]?(20\d\d)(t2|_?task_?2)?$", re.IGNORECASE)


def _year_hints(paths: Sequence[Path]) -> set[str]:
    """Years named by dataset folders (``dcase2023t2``, ``DCASE2024_task2``) on the paths."""
    parts = {part for p in paths for part in p.parts}
    return {f"dcase{m.group(1)}" for m in map(_YEAR_FOLDER.match, parts) if m}


def _detect(paths: list[Path], extra_hints: Sequence[Path] = ()) -> tuple[str, str, tuple[str, ...]]:
    """``(layout, reason, candidates)``: the layout that parses most of ``paths``, why, and what else fits."""
    family = {
        "dcase2020": parse_dcase2020,
        "mimii": parse_mimii,
        "dcase2021": dcase2021.parse_dcase2021,
        "dcase2022": dcase2022.parse_dcase2022,
    }
    parsed = {name: [c for c in map(parse, paths) if isinstance(c, Clip)] for name, parse in family.items()}
    counts = {name: len(clips) for name, clips in parsed.items()}
    best = max(family, key=lambda name: counts[name])  # first on a tie: dcase2020, then mimii
    if counts[best] == 0:
        raise NoClipsError(
            f"no DCASE 2020-2026 or MIMII clips found among {len(paths)} WAV file(s); expected "
            f"{DCASE_PATTERN} (2020), {dcase2022.PATTERN} (2021-2026) or {MIMII_PATTERN}"
        )
    hints = _year_hints([*paths[:50], *extra_hints])
    if best in ("dcase2020", "mimii"):
        return best, f"{counts[best]} of {len(paths)} WAV files have {best} names", (best,)
    candidates: tuple[str, ...] = ()
    if counts["dcase2021"] == counts["dcase2022"]:  # train/ folders only: the two namings are the same
        types = {c.machine_type for c in parsed["dcase2021"]}
        if "dcase2021" in hints or ("pump" in types and "bearing" not in types):
            return (
                "dcase2021",
                "train/ folders only, with 2021 evidence (folder name or pump)",
                ("dcase2021",),
            )
        if not hints & set(dcase2022.YEARS) and "bearing" not in types:
            candidates = ("dcase2021",)
    elif counts["dcase2021"] > counts["dcase2022"]:
        return "dcase2021", "source_test/ and target_test/ folders", ("dcase2021",)
    channels = probe_channels(parsed["dcase2022"])
    year, reason, more = dcase2022.guess_year(parsed["dcase2022"], hints, channels)
    if year == "dcase2026":
        candidates = ()  # two channels or a 2026-only type: never the mono 2021 data
    return year, reason, (*more, *candidates)


def probe_channels(clips: Sequence[Clip]) -> set[int]:
    """Channel counts in the headers of one clip per machine type (the first by path): cheap evidence for the
    year (2026 is two-channel). Files whose header cannot be read are left out (``asdlens data check`` reports
    them)."""
    first: dict[str, Clip] = {}
    for clip in sorted(clips, key=lambda c: c.path):
        first.setdefault(clip.machine_type, clip)
    found = set()
    for clip in first.values():
        try:
            found.add(wav_info(clip.path).channels)
        except AudioError:
            pass
    return found


def detect_layout(paths: list[Path]) -> str:
    """The layout that parses most of ``paths`` (DCASE 2020 before MIMII on a tie; the DCASE 2022-2026 year
    from the evidence :func:`asdlens.data.dcase2022.guess_year` weighs, including the channel count of one
    file per machine type).

    Raises
    ------
    NoClipsError
        A ValueError, when no layout parses any path.
    """
    return _detect(paths)[0]


def scan(
    root: str | os.PathLike,
    layout: str = "auto",
    *,
    ground_truth: str | os.PathLike | Sequence[str | os.PathLike] | None = None,
) -> ScanResult:
    """List the clips of a DCASE Task 2 (2020-2026) or MIMII tree.

    Parameters
    ----------
    root : path
        Any folder of the tree: the dataset root, one machine type, one SNR folder ...; the parts of the path
        above ``root`` count too (``root=".../pump/train"`` still knows the type).
    layout : {"auto", "dcase2020", "mimii", "dcase2021", "dcase2022", ..., "dcase2025", "dcase2026"}
        "auto" picks the layout that matches most WAV files; within DCASE 2022-2026 (one naming) the year comes
        from a ``dcaseYYYY`` folder name, the sections, the machine types, the channel count (2026 is the only
        two-channel year; one header per type is read), ``supplemental/`` or ``noAttribute`` names, and an
        undecidable choice is reported in ``ScanResult.warnings``.
    ground_truth : path, sequence of paths, or None
        Published ground truth for evaluation test files (a file, or a folder such as an evaluator checkout:
        ``ground_truth_*.csv``, ``ground_truth_data/``, ``ground_truth_domain/``, ``ground_truth_attributes/``,
        ``eval_data_list_<year>.csv``, ``attributes_00_*_correspondence.csv``; see :mod:`asdlens.data.ground_truth`).
        It fills in hidden labels, domains and attributes; disagreements are reported, not fixed.

    Returns
    -------
    ScanResult
        ``clips`` sorted by path; ``skipped`` lists every other file and every empty folder with the reason;
        ``warnings`` what was read but is odd (known defects of published files, disagreements).

    Raises
    ------
    ValueError
        If ``root`` is not a folder, ``layout`` is unknown, ``layout="auto"`` finds no clip of any layout
        (:class:`NoClipsError`), or a ground-truth file is missing or malformed (file and line named).
    """
    if layout not in ("auto", *LAYOUTS):
        raise ValueError(
            f"layout={layout!r} is not allowed; choose one of ['auto', {', '.join(map(repr, LAYOUTS))}]"
        )
    root = Path(root).expanduser().absolute()
    if not root.is_dir():
        raise ValueError(f"{root}: not a folder" if root.exists() else f"{root}: no such folder")
    files, skipped = _walk(root)
    wavs = [p for p in files if is_wav(p)]
    warnings: list[DataWarning] = []
    if layout == "auto":
        layout, reason, candidates = _detect(wavs, [root])
        if len(candidates) > 1:
            warnings.append(
                DataWarning(
                    "layout-ambiguous",
                    root,
                    f"read as {layout} ({reason}); {', '.join(candidates)} fit equally; pass layout= "
                    "(--layout) to choose"
                    + ("" if "dcase2021" in candidates else " (2022-2025 share their metrics)"),
                )
            )
    parse = PARSERS[layout]
    clips: list[Clip] = []
    for p in files:
        if not is_wav(p):
            skipped.append((p, "not a .wav file"))
            continue
        parsed = parse(p)
        if isinstance(parsed, Clip):
            clips.append(parsed)
        else:
            skipped.append((p, parsed))
    if layout_spec(layout).sections:
        clips, found = apply_attribute_files(clips, [p for p in files if not is_wav(p)])
        warnings += found
        warnings += [DataWarning(*w) for w in dcase2022.name_warnings(clips)]
    if ground_truth is not None:
        clips, found = apply_ground_truth(clips, read_ground_truth(ground_truth), layout)
        warnings += found
    return ScanResult(
        root=root,
        layout=layout,
        clips=sorted(clips, key=lambda c: c.path),
        skipped=sorted(skipped),
        warnings=warnings,
    )
