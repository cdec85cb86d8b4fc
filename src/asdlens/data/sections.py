"""The file-name grammar DCASE 2021-2025 share: sections, domains, labels and attribute suffixes.

Facts (the baseline READMEs of y-kawagu/dcase2021_task2_baseline_ae, Kota-Dohi/dcase2022_task2_baseline_ae and
nttcslab/dcase2023_task2_baseline_ae; the evaluators' ground-truth files; see docs/dcase2021-2025.md):

- labelled names: ``section_00_source_train_normal_0000_<attributes>.wav``,
  ``section_00_target_test_anomaly_0012_<attributes>.wav``; 2021 test names carry no attribute suffix;
- attribute suffixes are key/value tokens joined by ``_`` (``car_A1_spd_28V_mic_1``, ``m-n_W``, ``vel_21``), with
  exceptions (2021 ``A1Spd28VMic1``, 2024 RoboticArm ``weight15_BckgF``); 2024/2025 hide some types' attributes
  as ``noAttribute``;
- the 2024 RoboticArm names in the published ground truth lack ``_test_``
  (``section_00_source_normal_0035_weight15_BckgF``).

This module only parses; the year modules (:mod:`.dcase2021`, :mod:`.dcase2022`) decide what a folder may hold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .clips import Attributes

#: The suffix 2024/2025 use where a type's attributes are hidden.
HIDDEN_ATTRIBUTES = "noAttribute"
#: The key a suffix that does not split into key/value pairs is kept under.
WHOLE_SUFFIX_KEY = "attribute"

_LABELLED = re.compile(
    r"^section_(\d{2})_(source|target)_(train|test)_(normal|anomaly)_(\d{4,})(?:_(.*))?\.wav$", re.IGNORECASE
)
# Known defect of the published 2024 RoboticArm eval names: no "_test_" between domain and label.
_NO_SPLIT = re.compile(
    r"^section_(\d{2})_(source|target)_(normal|anomaly)_(\d{4,})(?:_(.*))?\.wav$", re.IGNORECASE
)
_KEY = re.compile(r"^[A-Za-z][A-Za-z-]*$")


@dataclass(frozen=True)
class LabelledName:
    """What a labelled DCASE 2021-2025 file name says.

    Attributes
    ----------
    section, domain, split : str
        ``split`` is "train" or "test" as written in the name (None when the name lacks it).
    label : int
        0 normal, 1 anomaly.
    index : int
    attributes : tuple of pairs or None
        Parsed suffix (:func:`parse_attribute_suffix`); None when hidden or absent.
    suffix : str or None
        The raw attribute suffix (None when the name has none).
    missing_split : bool
        True for the 2024 RoboticArm defect (no ``_test_``/``_train_`` in the name).
    """

    section: str
    domain: str
    split: str | None
    label: int
    index: int
    attributes: Attributes | None
    suffix: str | None
    missing_split: bool = False


def parse_attribute_suffix(suffix: str | None) -> Attributes | None:
    """The attributes a file-name suffix states.

    Parameters
    ----------
    suffix : str or None
        What follows the index, without the leading ``_`` and the ``.wav`` (``"car_A1_spd_28V"``).

    Returns
    -------
    tuple of (key, value) pairs, or None
        None for no suffix or the hidden marker ``noAttribute`` (unknown, not a value); ``()`` for an empty
        suffix (``..._0000_.wav``); pairs when the tokens alternate key/value with keys made of letters and
        hyphens; otherwise the whole suffix as ``(("attribute", suffix),)`` (2021 ``A1Spd28VMic1``, 2024
        ``weight15_BckgF``: a guess at their keys would be wrong as often as right).
    """
    if suffix is None:
        return None
    if suffix == "":
        return ()
    if suffix == HIDDEN_ATTRIBUTES:
        return None
    tokens = suffix.split("_")
    if len(tokens) % 2 == 0 and all(_KEY.match(k) for k in tokens[0::2]) and all(tokens[1::2]):
        return tuple(zip(tokens[0::2], tokens[1::2], strict=True))
    return ((WHOLE_SUFFIX_KEY, suffix),)


def format_attributes(attributes: Attributes | None) -> str:
    """``"car=A1;spd=28V"`` (``""`` for none, ``"?"`` for unknown): for tables, manifests and tfds."""
    if attributes is None:
        return "?"
    return ";".join(f"{k}={v}" for k, v in attributes)


def parse_labelled_name(name: str) -> LabelledName | None:
    """Parse ``section_00_source_test_normal_0012_<attrs>.wav`` (also without ``.wav``); None if it is not one.

    The 2024 RoboticArm defect (``section_00_source_normal_0035_weight15_BckgF``) parses with
    ``missing_split=True`` so the caller can report it.
    """
    if not name.lower().endswith(".wav"):
        name = name + ".wav"
    m = _LABELLED.match(name)
    if m:
        section, domain, split, kind, index, suffix = m.groups()
        missing = False
    else:
        m = _NO_SPLIT.match(name)
        if not m:
            return None
        section, domain, kind, index, suffix = m.groups()
        split, missing = None, True
    return LabelledName(
        section=section,
        domain=domain.lower(),
        split=None if split is None else split.lower(),
        label=1 if kind.lower() == "anomaly" else 0,
        index=int(index),
        attributes=parse_attribute_suffix(suffix),
        suffix=suffix,
        missing_split=missing,
    )


def merge_attributes(
    primary: Attributes | None, secondary: Attributes | None
) -> tuple[Attributes | None, list[tuple[str, str, str]]]:
    """``primary`` pairs, then the ``secondary`` pairs whose key ``primary`` lacks; and the conflicts.

    Returns
    -------
    (attributes, conflicts)
        ``attributes`` is None only when both are None. ``conflicts`` lists ``(key, primary value, secondary
        value)`` for keys both give with different values (the primary value is kept; the caller reports).
    """
    if primary is None and secondary is None:
        return None, []
    merged = list(primary or ())
    have = dict(merged)
    conflicts = []
    for key, value in secondary or ():
        if key not in have:
            merged.append((key, value))
            have[key] = value
        elif have[key] != value:
            conflicts.append((key, have[key], value))
    return tuple(merged), conflicts
