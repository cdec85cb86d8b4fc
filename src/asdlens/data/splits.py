"""Train/test splits: DCASE 2020-2025 (the folder) and the two MIMII protocols.

MIMII ships no split. Two protocols are in use, both per machine type x ID x SNR:

- ``"paper"`` (Purohit et al., 2019, the MIMII paper): the test set is every abnormal clip plus the same number of
  normal clips drawn at random; the remaining normal clips train the model. Here the draw is
  ``numpy.random.default_rng(seed).choice`` over the normal clips in path order, so it is reproducible.
- ``"repo"`` (MIMII-hitachi/mimii_baseline, ``dataset_generator`` in baseline.py): normal files sorted by path; the
  first N (N = number of abnormal files) go to the test set with all abnormal files, the rest train.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

import numpy as np

from .clips import LAYOUT_SPECS, Clip, groups

MIMII_PROTOCOLS = ("paper", "repo")


def _one_group(clips: list[Clip]) -> tuple[str, int | None, str]:
    keys = {c.group for c in clips}
    if len(keys) != 1:
        shown = ", ".join(f"{t}/snr={s}/id_{i}" for t, s, i in sorted(keys, key=str)[:4])
        raise ValueError(
            f"mimii_split takes the clips of one machine type x ID x SNR group; got {len(keys)} groups "
            f"({shown}...); use mimii_splits() for a whole tree"
        )
    return keys.pop()


def mimii_split(
    clips: Iterable[Clip], protocol: str = "paper", *, seed: int = 0
) -> tuple[list[Clip], list[Clip]]:
    """Split the clips of one MIMII machine type x ID x SNR group into train and test.

    Parameters
    ----------
    clips : iterable of Clip
        All clips (normal and abnormal) of one group.
    protocol : {"paper", "repo"}
        See the module docstring.
    seed : int
        Seeds the random draw of the ``"paper"`` protocol (unused by ``"repo"``).

    Returns
    -------
    (train, test) : tuple of list of Clip
        Copies of the clips with ``split`` set to "train"/"test"; train holds normal clips only; both in path
        order.

    Raises
    ------
    ValueError
        Unknown protocol, clips from several groups, clips without a label, no abnormal clips, or fewer
        normal clips than abnormal ones (nothing left to train on).
    """
    if protocol not in MIMII_PROTOCOLS:
        raise ValueError(f"protocol={protocol!r} is not allowed; choose one of {list(MIMII_PROTOCOLS)}")
    clips = sorted(clips, key=lambda c: c.path)
    if not clips:
        raise ValueError("mimii_split got no clips")
    machine_type, snr, machine_id = _one_group(clips)
    where = f"{machine_type} id_{machine_id}" + (f" at {snr} dB" if snr is not None else "")
    if any(c.label is None for c in clips):
        raise ValueError(f"{where}: clips without a label cannot be split by a MIMII protocol")
    normal = [c for c in clips if c.label == 0]
    abnormal = [c for c in clips if c.label == 1]
    if not abnormal:
        raise ValueError(f"{where}: no abnormal clips, so neither protocol can build a test set")
    if len(normal) <= len(abnormal):
        raise ValueError(
            f"{where}: {len(normal)} normal clip(s) for {len(abnormal)} abnormal; both protocols need more "
            "normal clips than abnormal ones to leave a training set"
        )
    n = len(abnormal)
    if protocol == "repo":
        test_normal = set(range(n))
    else:
        test_normal = {int(i) for i in np.random.default_rng(seed).choice(len(normal), size=n, replace=False)}
    train = [dataclasses.replace(c, split="train") for i, c in enumerate(normal) if i not in test_normal]
    test = [dataclasses.replace(c, split="test") for i, c in enumerate(normal) if i in test_normal]
    test += [dataclasses.replace(c, split="test") for c in abnormal]
    return train, sorted(test, key=lambda c: c.path)


def mimii_splits(
    clips: Iterable[Clip], protocol: str = "paper", *, seed: int = 0
) -> dict[tuple[str, int | None, str], tuple[list[Clip], list[Clip]]]:
    """:func:`mimii_split` for every ``(machine_type, snr, machine_id)`` group; each group uses the same seed."""
    return {key: mimii_split(group, protocol, seed=seed) for key, group in groups(clips).items()}


def dcase2020_split(clips: Iterable[Clip]) -> tuple[list[Clip], list[Clip]]:
    """DCASE 2020 clips by their folder: ``(train, test)``, each in path order."""
    clips = sorted(clips, key=lambda c: c.path)
    bad = [c for c in clips if c.split not in ("train", "test")]
    if bad:
        raise ValueError(f"{bad[0].path}: split={bad[0].split!r}; dcase2020_split takes DCASE 2020 clips")
    return [c for c in clips if c.split == "train"], [c for c in clips if c.split == "test"]


def dcase_split(clips: Iterable[Clip]) -> tuple[list[Clip], list[Clip]]:
    """DCASE 2020-2025 clips by their folder: ``(train, test)``, each in path order.

    DCASE 2025's ``supplemental/`` clips (clean machine or noise recordings) are in neither: a detector that
    uses them selects them itself (``select(clips, split="supplemental")``).
    """
    clips = sorted(clips, key=lambda c: c.path)
    bad = [c for c in clips if c.split not in ("train", "test", "supplemental")]
    if bad:
        raise ValueError(f"{bad[0].path}: split={bad[0].split!r}; dcase_split takes DCASE clips")
    return [c for c in clips if c.split == "train"], [c for c in clips if c.split == "test"]


def split_clips(
    clips: Iterable[Clip], protocol: str = "paper", *, seed: int = 0
) -> tuple[list[Clip], list[Clip]]:
    """Train and test clips of any tree: DCASE by folder, MIMII by ``protocol`` per group, concatenated."""
    clips = list(clips)
    layouts = {c.layout for c in clips}
    if layouts == {"dcase2020"}:
        return dcase2020_split(clips)
    if len(layouts) == 1 and all(LAYOUT_SPECS[x].sections for x in layouts):
        return dcase_split(clips)
    if layouts == {"mimii"}:
        train, test = [], []
        for tr, te in mimii_splits(clips, protocol, seed=seed).values():
            train += tr
            test += te
        return sorted(train, key=lambda c: c.path), sorted(test, key=lambda c: c.path)
    if not layouts:
        return [], []
    raise ValueError(f"split_clips takes clips of one layout; got {sorted(layouts)}")
