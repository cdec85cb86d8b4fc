"""What differs between two experiments, grouped the way ``explain`` walks it, and the configs in between.

The frontend's fields are grouped as the differ groups them (:data:`asdlens.features.spec.FIELD_GROUPS`, pipeline
order); then come ``frames``, ``model``, the framework groups, ``training``, ``scoring``, ``metric`` and
``dataset``, one group per config section. The framework groups (:data:`asdlens.models.frameworks.SETTING_GROUPS`)
are ``framework`` (the implementation alone: ``model.framework`` with every default held equal) and one group per
framework default (``init``, ``batchnorm``, ``optimizer``, ``order``, ``loss``); they compare the *resolved*
values (a null is the framework's default), so a Keras-vs-torch ladder prices each default that differs. When
``model.name`` differs too, the framework settings join the ``model`` group: each family comes with its own
implementation and defaults (and a family without a torch implementation could not take the other's). A frontend
group whose fields differ only in settings that cannot change a number (for example
``window_position`` when the window fills the frame) is kept as a step but marked *inert*: its step reuses the
previous step's features and models and changes nothing.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from ..experiment import Experiment
from ..features.channels import CHANNEL_FIELD_GROUPS
from ..features.spec import FIELD_GROUPS
from ..models.frameworks import SETTING_GROUPS

SECTION_GROUPS = ("frames", "model", "training", "scoring", "metric", "dataset")
#: The one step that swaps a whole frontend when one side's is a user's function no MelSpec reproduces.
FRONTEND_GROUP = "frontend"
GROUP_ORDER = (
    tuple(CHANNEL_FIELD_GROUPS)
    + (FRONTEND_GROUP,)
    + tuple(FIELD_GROUPS)
    + ("frames", "model", *SETTING_GROUPS)
    + SECTION_GROUPS[2:]
)
FRAMEWORK_FIELDS = frozenset(k for keys in SETTING_GROUPS.values() for k in keys)


@dataclass(frozen=True)
class Group:
    """One step of the ladder: a set of fields that differ between REF and MINE.

    Attributes
    ----------
    name : str
        A frontend group of ``FIELD_GROUPS`` or a config section.
    fields : tuple of str
        Dotted keys (``frontend.fmin``, ``training.epochs``) whose values differ.
    ref, mine : dict
        Their values in REF and in MINE.
    inert : bool
        True when the change cannot alter any number (equal canonical frontend settings).
    """

    name: str
    fields: tuple[str, ...]
    ref: dict[str, Any]
    mine: dict[str, Any]
    inert: bool = False

    def describe(self) -> str:
        return ", ".join(f"{k.split('.', 1)[-1]} {self.ref[k]!r}→{self.mine[k]!r}" for k in self.fields)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _section_values(exp: Experiment, section: str) -> dict[str, Any]:
    if section == "frames":
        return {"frames": exp.frames}
    data = exp.to_dict(complete=True)[section]  # every field, so a field set on one side only is seen
    return {
        f"{section}.{k}": v
        for k, v in data.items()
        if not (section == "dataset" and k == "root") and f"{section}.{k}" not in FRAMEWORK_FIELDS
    }


def framework_values(exp: Experiment) -> dict[str, Any]:
    """``model.framework`` and every framework setting, resolved (a null is the framework's default)."""
    resolved = exp.framework_settings()
    out = {"model.framework": exp.model.framework}
    for key in FRAMEWORK_FIELDS - {"model.framework"}:
        out[key] = resolved[key.split(".", 1)[1]]
    return out


def _framework_groups(ref: Experiment, mine: Experiment) -> list[Group]:
    va, vb = framework_values(ref), framework_values(mine)
    groups = []
    for name, keys in SETTING_GROUPS.items():
        changed = tuple(k for k in keys if va[k] != vb[k])
        if changed:
            groups.append(Group(name, changed, {k: va[k] for k in changed}, {k: vb[k] for k in changed}))
    return groups


def _fold_into_model(groups: list[Group]) -> list[Group]:
    """The framework groups merged into the ``model`` group (when ``model.name`` differs)."""
    model = next(g for g in groups if g.name == "model")
    moved = [g for g in groups if g.name in SETTING_GROUPS]
    merged = Group(
        "model",
        model.fields + tuple(k for g in moved for k in g.fields),
        {**model.ref, **{k: v for g in moved for k, v in g.ref.items()}},
        {**model.mine, **{k: v for g in moved for k, v in g.mine.items()}},
    )
    return [merged if g is model else g for g in groups if g.name not in SETTING_GROUPS]


def _channel_groups(ref: Experiment, mine: Experiment) -> list[Group]:
    """The channel stage's groups (:data:`~asdlens.features.channels.CHANNEL_FIELD_GROUPS`, first in the
    ladder: the stage runs before the frontend), by the fields as written; inert when taking a group's fields
    leaves the stage's canonical form (what its key hashes) unchanged."""
    a, b = ref.channels.to_dict(), mine.channels.to_dict()
    groups = []
    for name, names in CHANNEL_FIELD_GROUPS.items():
        changed = tuple(f"channels.{f}" for f in names if a[f] != b[f])
        if changed:
            taken = dataclasses.replace(
                ref.channels, **{k.split(".", 1)[1]: b[k.split(".", 1)[1]] for k in changed}
            )
            inert = taken.canonical() == ref.channels.canonical()
            values = [{k: d[k.split(".", 1)[1]] for k in changed} for d in (a, b)]
            groups.append(Group(name, changed, *values, inert))
    return groups


def differing_groups(ref: Experiment, mine: Experiment, *, order: list[str] | None = None) -> list[Group]:
    """The groups in which ``ref`` and ``mine`` differ, in ladder order.

    Parameters
    ----------
    ref, mine : Experiment
    order : list of str, optional
        Group names in the order to walk; groups not named follow in the default order. Unknown names raise
        ``ValueError`` listing the known ones.
    """
    groups = _channel_groups(ref, mine) + _function_group(ref, mine)
    groups += [] if groups and groups[-1].name == FRONTEND_GROUP else _spec_groups(ref, mine)
    for section in SECTION_GROUPS:
        va, vb = _section_values(ref, section), _section_values(mine, section)
        changed = tuple(k for k in va if va[k] != vb[k])
        if changed:
            groups.append(Group(section, changed, {k: va[k] for k in changed}, {k: vb[k] for k in changed}))
        if section == "model":
            groups += _framework_groups(ref, mine)
    if ref.model.name != mine.model.name:
        groups = _fold_into_model(groups)
    return _ordered(groups, order)


def frontend_name(exp: Experiment) -> str:
    """How a ladder names an experiment's frontend: an opaque function's target, else its spec."""
    if exp.function is not None and exp.function.opaque:
        return exp.function.function
    return f"MelSpec {exp.spec.key()}" + (f" ({exp.preset})" if exp.preset else "")


def _function_group(ref: Experiment, mine: Experiment) -> list[Group]:
    """One ``frontend`` step when either side's features come from an opaque function and they differ."""
    opaque = any(e.function is not None and e.function.opaque for e in (ref, mine))
    if not opaque or ref.frontend_key == mine.frontend_key:
        return []
    key = "frontend.function"
    return [Group(FRONTEND_GROUP, (key,), {key: frontend_name(ref)}, {key: frontend_name(mine)})]


def _spec_groups(ref: Experiment, mine: Experiment) -> list[Group]:
    """The frontend groups of :data:`FIELD_GROUPS` in which the two specs differ."""
    groups = []
    a, b = ref.spec.resolved().to_dict(), mine.spec.resolved().to_dict()
    ca, cb = ref.spec.canonical().to_dict(), mine.spec.canonical().to_dict()
    for name, names in FIELD_GROUPS.items():
        changed = tuple(f"frontend.{f}" for f in names if a[f] != b[f])
        if changed:
            inert = all(ca[k.split(".", 1)[1]] == cb[k.split(".", 1)[1]] for k in changed)
            groups.append(
                Group(
                    name,
                    changed,
                    {k: a[k.split(".", 1)[1]] for k in changed},
                    {k: b[k.split(".", 1)[1]] for k in changed},
                    inert,
                )
            )
    return groups


def _ordered(groups: list[Group], order: list[str] | None) -> list[Group]:
    if not order:
        return groups
    unknown = [o for o in order if o not in GROUP_ORDER]
    if unknown:
        raise ValueError(f"--order: unknown group(s) {unknown}; known groups: {list(GROUP_ORDER)}")
    rank = {name: i for i, name in enumerate(order)}
    return sorted(groups, key=lambda g: (rank.get(g.name, len(rank)), GROUP_ORDER.index(g.name)))


def compose(ref: Experiment, mine: Experiment, groups: list[Group] | tuple[Group, ...]) -> Experiment:
    """``ref`` with the fields of ``groups`` taken from ``mine``.

    The framework settings start from ``ref``'s resolved values, so a step that changes ``model.framework``
    keeps every default of ``ref`` (the stored config keeps the values that differ from the new framework's).
    """
    spec_changes: dict[str, Any] = {}
    sections: dict[str, dict[str, Any]] = {}
    for key, value in framework_values(ref).items():
        section, _, name = key.partition(".")
        sections.setdefault(section, {})[name] = value
    frames = ref.frames
    function = ref.function
    for group in groups:
        if group.name == FRONTEND_GROUP:
            # the whole frontend: the function and the spec that carries its band count and sample rate
            function, spec_changes = mine.function, mine.spec.resolved().to_dict()
            continue
        for key in group.fields:
            section, _, name = key.partition(".")
            if section == "frontend":
                spec_changes[name] = group.mine[key]
            elif key == "frames":
                frames = mine.frames
            elif key in FRAMEWORK_FIELDS:
                sections.setdefault(section, {})[name] = group.mine[key]
            else:
                sections.setdefault(section, {})[name] = getattr(getattr(mine, section), name)
    changes: dict[str, Any] = {s: dataclasses.replace(getattr(ref, s), **c) for s, c in sections.items()}
    if spec_changes:
        changes["spec"] = dataclasses.replace(ref.spec.resolved(), **spec_changes)
    label = "+".join(g.name for g in groups) or "ref"
    return dataclasses.replace(ref, frames=frames, function=function, name=f"{ref.name}[{label}]", **changes)


def with_seed(exp: Experiment, seed: int) -> Experiment:
    """``exp`` trained with another seed (for ``--repeats``)."""
    return dataclasses.replace(exp, training=dataclasses.replace(exp.training, seed=seed))
