"""What a run trains and scores: the clips of the dataset section, split, grouped into models and test groups.

- DCASE 2020: train/test by folder; ``model.per: type`` pools a type's IDs into one model (the baseline).
- MIMII: per type x ID x SNR, the ``dataset.split`` protocol (``asdlens.data.mimii_split``) with
  ``dataset.split_seed``; ``model.per: id`` trains one model per type x ID x SNR (the paper), ``type`` one per
  type x SNR.
- ``model.per: all``: one model on the training clips of every selected type (per SNR for MIMII), as the ID
  classifiers of the field train; every test group scores with it. Its training clips include IDs that have
  no test clips (DCASE 2020's additional training data, when it sits in the tree): more classes to tell apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..data import Clip, scan, split_clips
from ..evaluate.files import snr_folder
from .config import Experiment

#: ``Unit.machine_type`` of a model trained across every machine type (``model.per: all``).
ALL_TYPES = "all"


@dataclass(frozen=True)
class Unit:
    """One model: the clips it trains on.

    Attributes
    ----------
    machine_type : str
        The machine type, or :data:`ALL_TYPES` when one model covers every type (``model.per: all``).
    snr : int or None
    machine_id : str or None
        None when one model covers every ID of the type (``model.per: type``).
    train : tuple of Clip
        Normal training clips in path order (the order the official code reads them in).
    """

    machine_type: str
    snr: int | None
    machine_id: str | None
    train: tuple[Clip, ...]

    @property
    def name(self) -> str:
        """File-safe name: ``pump``, ``fan_6dB``, ``fan_min6dB_id_00``."""
        parts = [self.machine_type]
        if self.snr is not None:
            parts.append(snr_folder(self.snr))
        if self.machine_id is not None:
            parts.append(f"id_{self.machine_id}")
        return "_".join(parts)


@dataclass(frozen=True)
class TestGroup:
    """The test clips of one machine ID (at one SNR), scored by the model of ``unit``."""

    machine_type: str
    snr: int | None
    machine_id: str
    unit: str
    clips: tuple[Clip, ...]

    @property
    def label(self) -> str:
        return f"{self.machine_type} id_{self.machine_id}" + ("" if self.snr is None else f" {self.snr}dB")


@dataclass
class Plan:
    """Everything a run will compute, in a fixed order.

    Attributes
    ----------
    per : str
        The ``model.per`` its units were grouped for (:func:`regroup` groups them for another).
    pool : tuple of Clip
        Every selected training clip, also those of units no test group uses (kept for :func:`regroup`).
    """

    root: Path
    layout: str
    units: list[Unit] = field(default_factory=list)
    tests: list[TestGroup] = field(default_factory=list)
    per: str = "type"
    pool: tuple[Clip, ...] = ()

    @property
    def clips(self) -> list[Clip]:
        """Every clip the run needs, once, in path order."""
        seen = {c.path: c for u in self.units for c in u.train}
        seen.update({c.path: c for t in self.tests for c in t.clips})
        return [seen[p] for p in sorted(seen)]

    def without(self, bad: set[Path]) -> Plan:
        """The plan with the clips in ``bad`` left out (``--skip-bad``)."""
        units = [
            Unit(u.machine_type, u.snr, u.machine_id, tuple(c for c in u.train if c.path not in bad))
            for u in self.units
        ]
        tests = [
            TestGroup(
                t.machine_type, t.snr, t.machine_id, t.unit, tuple(c for c in t.clips if c.path not in bad)
            )
            for t in self.tests
        ]
        pool = tuple(c for c in self.pool if c.path not in bad)
        return Plan(self.root, self.layout, units, tests, self.per, pool)


def _filter(clips: list[Clip], exp: Experiment, root: Path) -> list[Clip]:
    ds = exp.dataset
    if ds.types is not None:
        found = sorted({c.machine_type for c in clips})
        missing = [t for t in ds.types if t not in found]
        if missing:
            raise ValueError(f"dataset.types: {missing} not found under {root}; found {found}")
        clips = [c for c in clips if c.machine_type in ds.types]
    if ds.ids is not None:
        found = sorted({c.machine_id for c in clips})
        if not set(ds.ids) & set(found):
            raise ValueError(f"dataset.ids: none of {list(ds.ids)} found under {root}; found {found}")
        clips = [c for c in clips if c.machine_id in ds.ids]
    if ds.snrs is not None:
        found = sorted({c.snr for c in clips}, key=lambda s: -999 if s is None else s)
        missing = [s for s in ds.snrs if s not in found]
        if missing:
            raise ValueError(f"dataset.snrs: {missing} dB not found under {root}; found {found}")
        clips = [c for c in clips if c.snr in ds.snrs]
    return clips


def make_plan(exp: Experiment, root: str | Path) -> Plan:
    """Scan ``root`` with the experiment's layout, select, split and group.

    Raises
    ------
    ValueError
        No clips, a requested type/ID/SNR that is not there, a MIMII group that cannot be split, or a model with
        no training clips (each message names what is missing).
    """
    result = scan(root, exp.dataset.layout)
    root = result.root
    if not result.clips:
        raise ValueError(f"{root}: no {exp.dataset.layout} clips found")
    clips = _filter(result.clips, exp, root)
    train, test = split_clips(clips, exp.dataset.split, seed=exp.dataset.split_seed)
    if not test:
        raise ValueError(f"{root}: no test clips among the {len(clips)} selected clips")
    return _grouped(root, result.layout, train, test, exp.model.per)


def regroup(plan: Plan, per: str) -> Plan:
    """``plan``'s clips grouped into units for ``model.per`` = ``per`` (the same plan if it already is).

    A runner builds one plan per dataset section and may share it between experiments that differ in
    ``model.per`` (``explain`` from a per-type autoencoder to a model across all types); the jobs of each
    experiment are built on its own grouping.
    """
    if plan.per == per:
        return plan
    train = plan.pool or tuple({c.path: c for u in plan.units for c in u.train}.values())
    return _grouped(plan.root, plan.layout, list(train), [c for t in plan.tests for c in t.clips], per)


def _grouped(root: Path, layout: str, train: list[Clip], test: list[Clip], per: str) -> Plan:
    per_id, per_all = per == "id", per == "all"
    if per_all and ALL_TYPES in {c.machine_type for c in (*train, *test)}:
        raise ValueError(f"{root}: a machine type is called {ALL_TYPES!r}, the name of model.per=all's model")

    def unit_of(machine_type: str, snr: int | None, machine_id: str) -> tuple[str, int | None, str | None]:
        return (ALL_TYPES if per_all else machine_type, snr, machine_id if per_id else None)

    def order(key: tuple) -> tuple:
        return (key[0], -999 if key[1] is None else key[1], key[2] or "")

    train_by: dict[tuple, list[Clip]] = {}
    for c in train:
        train_by.setdefault(unit_of(*c.group), []).append(c)
    test_by: dict[tuple, list[Clip]] = {}
    for c in test:
        test_by.setdefault(c.group, []).append(c)
    units = {
        key: Unit(*key, tuple(sorted(cs, key=lambda c: c.path)))
        for key, cs in sorted(train_by.items(), key=lambda kv: order(kv[0]))
    }
    tests = []
    for (machine_type, snr, machine_id), cs in sorted(test_by.items(), key=lambda kv: order(kv[0])):
        key = unit_of(machine_type, snr, machine_id)
        if key not in units:
            where = f"{machine_type} id_{machine_id}" + ("" if snr is None else f" {snr}dB")
            raise ValueError(f"{root}: {where} has test clips but no training clips to fit its model on")
        tests.append(
            TestGroup(machine_type, snr, machine_id, units[key].name, tuple(sorted(cs, key=lambda c: c.path)))
        )
    used = {t.unit for t in tests}
    pool = tuple(sorted(train, key=lambda c: c.path))
    return Plan(root, layout, [u for u in units.values() if u.name in used], tests, per, pool)
