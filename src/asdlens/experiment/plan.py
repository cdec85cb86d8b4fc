"""What a run trains and scores: the clips of the dataset section, split, grouped into models and test groups.

- DCASE 2020: train/test by folder; ``model.per: type`` pools a type's IDs into one model (the baseline).
- MIMII: per type x ID x SNR, the ``dataset.split`` protocol (``asdlens.data.mimii_split``) with
  ``dataset.split_seed``; ``model.per: id`` trains one model per type x ID x SNR (the paper), ``type`` one per
  type x SNR.
- DCASE 2021-2025: train/test by folder (2025's ``supplemental/`` is in neither); each **section** is a test
  group (``Clip.machine_id`` holds it), scored on both domains; ``model.per: type`` pools a type's sections and
  both domains into one model (every baseline of those years), ``id`` trains one per type x section. The
  training clips of each unit are a group too (:func:`training_group`): their scores fit the decision
  threshold.
- ``model.per: all``: one model on the training clips of every selected type (per SNR for MIMII), as the ID
  classifiers of the field train; every test group scores with it. Its training clips include IDs that have
  no test clips (DCASE 2020's additional training data, when it sits in the tree): more classes to tell apart.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from ..data import Clip, DataWarning, scan, split_clips
from ..data.clips import GroupKey, group_order, layout_spec, snr_order
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
        None when one model covers every ID (section) of the type (``model.per: type``).
    train : tuple of Clip
        Normal training clips in path order (the order the official code reads them in).
    kind : {"id", "section"}
        What ``machine_id`` is: a machine ID (DCASE 2020, MIMII) or a section (DCASE 2021-2025).
    """

    machine_type: str
    snr: int | None
    machine_id: str | None
    train: tuple[Clip, ...]
    kind: str = "id"

    @property
    def key(self) -> GroupKey:
        return GroupKey(self.machine_type, self.snr, self.machine_id, self.kind)

    @property
    def name(self) -> str:
        """File-safe name (:attr:`GroupKey.slug`): ``pump``, ``fan_6dB``, ``fan_min6dB_id_00``, ``fan_section_00``."""
        return self.key.slug


@dataclass(frozen=True)
class TestGroup:
    """The test clips of one machine ID (at one SNR) or section, scored by the model of ``unit``.

    ``kind`` is ``"id"`` (DCASE 2020, MIMII), ``"section"`` (DCASE 2021-2025) or ``"train"``: the training
    clips of ``unit``, scored for the decision threshold (:func:`training_group`).
    """

    machine_type: str
    snr: int | None
    machine_id: str
    unit: str
    clips: tuple[Clip, ...]
    kind: str = "id"

    @property
    def label(self) -> str:
        """``"pump id_00"``, ``"fan id_00 6dB"``, ``"fan section 00"`` (:attr:`GroupKey.label`), or
        ``"fan training clips"``."""
        if self.kind == "train":
            return f"{self.unit} training clips"
        return GroupKey(self.machine_type, self.snr, self.machine_id, self.kind).label


def training_group(unit: Unit) -> TestGroup:
    """A unit's training clips as a group to score with its own model (their scores fit the gamma threshold)."""
    return TestGroup(unit.machine_type, unit.snr, unit.machine_id or "", unit.name, unit.train, "train")


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
    warnings: list[DataWarning] = field(default_factory=list)
    per: str = "type"
    pool: tuple[Clip, ...] = ()

    @property
    def sections(self) -> bool:
        """Whether the layout's unit is a section (:attr:`asdlens.data.LayoutSpec.sections`): a data fact; how a
        run is scored is :func:`asdlens.experiment.protocols.protocol_of`."""
        return layout_spec(self.layout).sections

    @property
    def clips(self) -> list[Clip]:
        """Every clip the run needs, once, in path order."""
        seen = {c.path: c for u in self.units for c in u.train}
        seen.update({c.path: c for t in self.tests for c in t.clips})
        return [seen[p] for p in sorted(seen)]

    def without(self, bad: set[Path]) -> Plan:
        """The plan with the clips in ``bad`` left out (``--skip-bad``)."""
        units = [
            dataclasses.replace(u, train=tuple(c for c in u.train if c.path not in bad)) for u in self.units
        ]
        tests = [
            dataclasses.replace(t, clips=tuple(c for c in t.clips if c.path not in bad)) for t in self.tests
        ]
        pool = tuple(c for c in self.pool if c.path not in bad)
        return Plan(self.root, self.layout, units, tests, list(self.warnings), self.per, pool)


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
        found = sorted({c.snr for c in clips}, key=snr_order)
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
    result = scan(root, exp.dataset.layout, ground_truth=exp.dataset.ground_truth)
    root = result.root
    if not result.clips:
        raise ValueError(f"{root}: no {exp.dataset.layout} clips found")
    clips = _filter(result.clips, exp, root)
    train, test = split_clips(clips, exp.dataset.split, seed=exp.dataset.split_seed)
    if not test:
        raise ValueError(f"{root}: no test clips among the {len(clips)} selected clips")
    return _grouped(root, result.layout, train, test, exp.model.per, list(result.warnings))


def regroup(plan: Plan, per: str) -> Plan:
    """``plan``'s clips grouped into units for ``model.per`` = ``per`` (the same plan if it already is).

    A runner builds one plan per dataset section and may share it between experiments that differ in
    ``model.per`` (``explain`` from a per-type autoencoder to a model across all types); the jobs of each
    experiment are built on its own grouping.
    """
    if plan.per == per:
        return plan
    train = plan.pool or tuple({c.path: c for u in plan.units for c in u.train}.values())
    tests = [c for t in plan.tests for c in t.clips]
    return _grouped(plan.root, plan.layout, list(train), tests, per, list(plan.warnings))


def _grouped(
    root: Path, layout: str, train: list[Clip], test: list[Clip], per: str, warnings: list[DataWarning]
) -> Plan:
    per_id, per_all = per == "id", per == "all"
    if per_all and ALL_TYPES in {c.machine_type for c in (*train, *test)}:
        raise ValueError(f"{root}: a machine type is called {ALL_TYPES!r}, the name of model.per=all's model")

    def unit_of(machine_type: str, snr: int | None, machine_id: str) -> tuple[str, int | None, str | None]:
        return (ALL_TYPES if per_all else machine_type, snr, machine_id if per_id else None)

    train_by: dict[tuple, list[Clip]] = {}
    for c in train:
        train_by.setdefault(unit_of(*c.group), []).append(c)
    test_by: dict[tuple, list[Clip]] = {}
    for c in test:
        test_by.setdefault(c.group, []).append(c)
    units = {
        key: Unit(*key, tuple(sorted(cs, key=lambda c: c.path)))
        for key, cs in sorted(train_by.items(), key=lambda kv: group_order(kv[0]))
    }
    tests = []
    for (machine_type, snr, machine_id), cs in sorted(test_by.items(), key=lambda kv: group_order(kv[0])):
        key = unit_of(machine_type, snr, machine_id)
        if key not in units:
            kind = "section" if layout_spec(layout).sections else "id"
            where = GroupKey(machine_type, snr, machine_id, kind).label
            raise ValueError(f"{root}: {where} has test clips but no training clips to fit its model on")
        tests.append(
            TestGroup(machine_type, snr, machine_id, units[key].name, tuple(sorted(cs, key=lambda c: c.path)))
        )
    used = {t.unit for t in tests}
    pool = tuple(sorted(train, key=lambda c: c.path))
    plan = Plan(root, layout, [u for u in units.values() if u.name in used], tests, warnings, per, pool)
    return as_sections(plan) if layout_spec(layout).sections else plan


def as_sections(plan: Plan) -> Plan:
    """A DCASE 2021-2025 plan: its units and groups named by section, the scan's warnings kept."""
    renamed = {u.name: dataclasses.replace(u, kind="section") for u in plan.units}
    units = list(renamed.values())
    tests = [dataclasses.replace(t, unit=renamed[t.unit].name, kind="section") for t in plan.tests]
    return dataclasses.replace(plan, units=units, tests=tests)
