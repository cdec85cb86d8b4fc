"""DCASE 2022-2026 Task 2: one naming for five years, the year told apart by types, sections, markers, channels.

Facts (Kota-Dohi/dcase2022_task2_baseline_ae and nttcslab/dcase2023_task2_baseline_ae READMEs and
``datasets/machine_type_202{3,4,5,6}_{dev,eval}.yaml``; the evaluators' ground truth; docs/dcase2021-2025.md,
docs/dcase2026.md):

- ``<type>/train/section_00_{source,target}_train_normal_0000_<attributes>.wav`` (990 source + 10 target per
  section), ``<type>/test/section_00_{source,target}_test_{normal,anomaly}_0000_<attributes>.wav`` (50 per
  domain x label), ``<type>/attributes_00.csv``;
- evaluation test names hide label and domain: ``<type>/test/section_03_0000.wav``. The 2022 and 2025 READMEs
  draw them as ``section_03_test_0000.wav``; the published ground truth uses ``section_03_0000.wav`` (a README
  inconsistency, read and reported);
- 2022: sections 00-02 (dev) and 03-05 (eval), the same seven types in both; 2023-2025: section 00 only, and the
  evaluation set has its own types each year;
- 2024/2025 hide some types' attributes (``..._0001_noAttribute.wav``); 2025 adds
  ``<type>/supplemental/section_00_machine_0001_.wav``;
- the baseline's ``tools/rename_eval_wav.py`` writes ``test_rename/``, a copy of ``test/`` with the true names;
- 2026 keeps the 2023-2025 names, section 00 and counts, but every clip has **two channels** (near microphone on
  the left, far on the right), new development types (``ToyCar``, ``fan`` and five ``...Emu`` types with emulated
  two-microphone paths) and evaluation types (``ToyDrone`` and ``ToothBrush`` return from 2023/2024); README,
  ``datasets/machine_type_2026_{dev,eval}.yaml`` and ``datasets/download_path_2026.yaml`` of
  nttcslab/dcase2023_task2_baseline_ae v5.x @ 9b64dc4. A 2026 tree is told from 2023-2025 by those types or,
  where its types are shared (ToyCar, fan, ToyDrone, ToothBrush), by its files' channel count.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from pathlib import Path

from .clips import Clip
from .sections import parse_attribute_suffix, parse_labelled_name

YEARS = ("dcase2022", "dcase2023", "dcase2024", "dcase2025", "dcase2026")
#: The years whose clips are mono (2026 is two-channel).
MONO_YEARS = YEARS[:4]
_DEV_2023 = ("ToyCar", "ToyTrain", "bearing", "fan", "gearbox", "slider", "valve")
#: Machine types per layout: (development, evaluation).
TYPES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "dcase2022": (_DEV_2023, _DEV_2023),
    "dcase2023": (_DEV_2023, ("ToyDrone", "ToyNscale", "ToyTank", "Vacuum", "bandsaw", "grinder", "shaker")),
    "dcase2024": (
        _DEV_2023,
        (
            "3DPrinter",
            "AirCompressor",
            "BrushlessMotor",
            "HairDryer",
            "HoveringDrone",
            "RoboticArm",
            "Scanner",
            "ToothBrush",
            "ToyCircuit",
        ),
    ),
    "dcase2025": (
        _DEV_2023,
        (
            "AutoTrash",
            "BandSealer",
            "CoffeeGrinder",
            "HomeCamera",
            "Polisher",
            "ScrewFeeder",
            "ToyPet",
            "ToyRCCar",
        ),
    ),
    "dcase2026": (
        ("ToyCar", "ToyCarEmu", "bearingEmu", "fan", "gearboxEmu", "sliderEmu", "valveEmu"),
        ("BlowerDustCollector", "Sander", "SewingMachine", "ToothBrush", "ToyDrone"),
    ),
}
#: Types no year but 2026 has: their presence alone says 2026.
TYPES_2026_ONLY = tuple(
    sorted(
        set(TYPES["dcase2026"][0] + TYPES["dcase2026"][1])
        - {t for year in MONO_YEARS for part in TYPES[year] for t in part}
    )
)
#: Sections per layout: (development, evaluation).
SECTIONS = {
    "dcase2022": (("00", "01", "02"), ("03", "04", "05")),
    "dcase2023": (("00",), ("00",)),
    "dcase2024": (("00",), ("00",)),
    "dcase2025": (("00",), ("00",)),
    "dcase2026": (("00",), ("00",)),
}
#: Types whose attributes the file names hide (``noAttribute``): 2024 README "Ground truth attributes"; 2025
#: from the published correspondence files (inferred: the README does not list them).
HIDDEN_ATTRIBUTE_TYPES = {
    "dcase2024": (
        "ToyTrain",
        "gearbox",
        "slider",
        "AirCompressor",
        "BrushlessMotor",
        "HoveringDrone",
        "ToothBrush",
    ),
    "dcase2025": ("ToyTrain", "bearing", "slider", "AutoTrash", "Polisher", "ScrewFeeder", "ToyPet"),
}
TRAIN_COUNTS = (990, 10)
TEST_COUNT = 50

_EVAL_TEST = re.compile(r"^section_(\d{2})_(\d{4,})\.wav$", re.IGNORECASE)
_README_EVAL_TEST = re.compile(r"^section_(\d{2})_test_(\d{4,})\.wav$", re.IGNORECASE)
_SUPPLEMENTAL = re.compile(r"^section_(\d{2})_([A-Za-z]+)_(\d{4,})(?:_(.*))?\.wav$", re.IGNORECASE)
FOLDERS = ("train", "test", "supplemental", "test_rename")
PATTERN = (
    "<type>/{train,test}/section_NN_{source,target}_{train,test}_{normal,anomaly}_NNNN_<attributes>.wav "
    "(eval: <type>/test/section_NN_NNNN.wav)"
)


def parse_dcase2022(path: Path, layout: str = "dcase2022") -> Clip | str:
    """A :class:`Clip` for a DCASE 2022-2026 path (``layout`` names the year), or the reason it is not one.

    Names with a known published defect (2024 RoboticArm without ``_test_``, the README's
    ``section_03_test_0000.wav``) parse; :func:`name_warnings` reports them.
    """
    parts = path.parts
    if len(parts) < 3 or parts[-2] not in FOLDERS:
        return f"not inside a <type>/train or <type>/test folder (expected {PATTERN})"
    folder, machine_type, name = parts[-2], parts[-3], path.name
    if folder == "supplemental":
        m = _SUPPLEMENTAL.match(name)
        if not m:
            return "file name does not match <type>/supplemental/section_NN_<kind>_NNNN_<attributes>.wav"
        section, kind, index, suffix = m.groups()
        attributes = (("kind", kind.lower()), *(parse_attribute_suffix(suffix) or ()))
        return Clip(
            path, layout, machine_type, section, "supplemental", None, None, int(index), None, attributes
        )
    if folder == "test_rename" and (path.parent.parent / "test").is_dir():
        return "test_rename/ is the baseline's renamed copy of test/ (read test/ with ground truth instead)"
    split = "train" if folder == "train" else "test"
    if split == "test":
        m = _EVAL_TEST.match(name) or _README_EVAL_TEST.match(name)
        if m:
            section, index = m.groups()
            return Clip(path, layout, machine_type, section, "test", None, None, int(index), None, None)
    parsed = parse_labelled_name(name)
    if parsed is None:
        return f"file name does not match {PATTERN}"
    if parsed.split is not None and parsed.split != split:
        return f"a {parsed.split} file name in a {folder}/ folder"
    if split == "train" and parsed.label == 1:
        return "anomaly clip in a train/ folder (training sets hold normal clips only)"
    if parsed.missing_split and split == "train":
        return f"file name does not match {PATTERN}"
    return Clip(
        path,
        layout,
        machine_type,
        parsed.section,
        split,
        parsed.label,
        None,
        parsed.index,
        parsed.domain,
        parsed.attributes,
    )


def name_warnings(clips: Iterable[Clip]) -> list[tuple[str, Path, str]]:
    """``(code, path, message)`` for each clip whose name follows a known defective spelling."""
    out = []
    for c in clips:
        name = c.file_name
        if _README_EVAL_TEST.match(name):
            out.append(
                (
                    "readme-eval-name",
                    c.path,
                    "README-style evaluation name section_NN_test_NNNN.wav; the published ground truth names "
                    "this file section_NN_NNNN.wav, and asdlens matches it under that name",
                )
            )
        elif c.split == "test" and c.label is not None:
            parsed = parse_labelled_name(name)
            if parsed is not None and parsed.missing_split:
                out.append(
                    (
                        "name-without-test",
                        c.path,
                        "the name lacks '_test_' (as the published 2024 RoboticArm evaluation names do); "
                        "read as a test clip from its folder",
                    )
                )
    return out


def eval_name(name: str) -> str:
    """The ground-truth spelling of an evaluation test name: ``section_03_test_0000.wav`` -> ``section_03_0000.wav``."""
    m = _README_EVAL_TEST.match(name)
    return f"section_{m.group(1)}_{m.group(2)}.wav" if m else name


def guess_year(
    clips: list[Clip], hints: set[str], channels: Collection[int] = ()
) -> tuple[str, str, tuple[str, ...]]:
    """Which of 2022-2026 a tree in the shared naming is.

    Parameters
    ----------
    clips : list of Clip
        The tree's clips, parsed in the shared naming.
    hints : set of str
        Years named by the tree's folders (``dcase2023t2`` ...).
    channels : collection of int
        Channel counts read from a sample of the files' headers (empty: unknown).

    Returns
    -------
    (layout, reason, candidates)
        ``candidates`` lists every year the evidence allows (more than one: the choice is a guess, and the
        caller warns). The evidence, strongest first: a ``dcaseYYYY`` folder name; sections other than 00
        (2022); a type only 2026 has, or two-channel files (2026, the only stereo year); evaluation types of
        one of 2023-2025; a ``supplemental/`` folder (2025); which types say ``noAttribute`` (gearbox: 2024,
        bearing: 2025).
    """
    named = sorted(hints & set(YEARS))
    if len(named) == 1:
        return named[0], f"folder name says {named[0]}", (named[0],)
    types = {c.machine_type for c in clips}
    sections = {c.machine_id for c in clips}
    if sections - {"00"}:
        return "dcase2022", "sections other than 00 (only 2022 has sections 01-05)", ("dcase2022",)
    only_2026 = sorted(types & set(TYPES_2026_ONLY))
    if only_2026:
        return "dcase2026", f"DCASE 2026 machine types ({', '.join(only_2026)})", ("dcase2026",)
    if 2 in channels:
        return "dcase2026", "two-channel WAV files (DCASE 2026 is the only two-channel year)", ("dcase2026",)
    by_eval = [y for y in MONO_YEARS[1:] if types & set(TYPES[y][1])]
    if len(by_eval) == 1:
        return by_eval[0], f"evaluation machine types of {by_eval[0]}", (by_eval[0],)
    if any(c.split == "supplemental" for c in clips):
        return "dcase2025", "a supplemental/ folder (2025 only)", ("dcase2025",)
    hidden = {c.machine_type for c in clips if "noAttribute" in c.file_name}
    if hidden:
        fits = [y for y in ("dcase2024", "dcase2025") if hidden <= set(HIDDEN_ATTRIBUTE_TYPES[y])]
        if len(fits) == 1:
            return fits[0], f"noAttribute names for {', '.join(sorted(hidden))}", (fits[0],)
        if fits:
            return fits[0], "noAttribute names (2024 or 2025)", tuple(fits)
    candidates = ("dcase2023", "dcase2024", "dcase2025") + (() if channels else ("dcase2026",))
    return "dcase2023", "section 00 only, development types: 2023, 2024 and 2025 look alike", candidates
