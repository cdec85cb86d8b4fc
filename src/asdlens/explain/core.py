"""The AUC gap between two experiments, walked one group of differences at a time, and its Shapley split.

A *step* runs one experiment (with ``repeats`` seeds); every step shares one cache directory, so a step whose
group does not touch the features reuses them, and a step that changes nothing measurable reuses the models
and scores too (its cache counters show it). The ladder telescopes: the step changes add up to MINE - REF.

The values that are split depend on the protocol of the data:

- DCASE 2020 and MIMII: the mean AUC (and pAUC) over machine types, each type the arithmetic mean over its IDs,
  as the DCASE 2020 baseline's README averages them (``auc``, ``pauc``).
- DCASE 2021-2025: the year's official score and the three harmonic means it is made of -- AUC (source),
  AUC (target), pAUC -- over every type x section (``official_score``, ``auc_source``, ``auc_target``,
  ``pauc``). A harmonic mean hides which domain moved; each step says how each of them moved.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..evaluate import HEADLINE_METRICS
from ..experiment import Experiment
from .groups import Group, compose, differing_groups, with_seed

#: The metric set of DCASE 2020 / MIMII explanations (the ID protocol's headline: mean AUC and pAUC over types).
METRICS = ("auc", "pauc")
#: The metric set of DCASE 2021-2025 explanations: the official score and its harmonic means.
OFFICIAL_METRICS = HEADLINE_METRICS
MAX_SHAPLEY_GROUPS = 10


@dataclass
class Outcome:
    """One experiment's metrics, averaged over its seeds.

    ``per_id`` is per machine ID (``"pump id_00"``: ``auc``, ``pauc``) or, for DCASE 2021-2025, per section
    (``"fan section 00"``: ``auc_source``, ``auc_target`` and the official pAUC(s)); each with ``<m>_sd``.
    ``value`` holds the :attr:`metrics` (means over types, or the official score and its harmonic means) and
    their standard deviations over seeds.
    """

    per_id: dict[str, dict[str, float | None]]
    value: dict[str, float | None]
    counters: dict[str, int]
    seeds: list[int]
    metrics: tuple[str, ...] = METRICS
    protocol: str | None = None  # DCASE 2021-2025: the layout the values were computed with
    draws: Any = field(default=None, repr=False, compare=False)  # bootstrap draws over clips (and seeds)

    def to_dict(self) -> dict[str, Any]:
        return {"per_id": self.per_id, "value": self.value, "counters": self.counters, "seeds": self.seeds}


@dataclass
class Step:
    index: int
    group: Group | None  # None for step 0, REF itself
    outcome: Outcome
    change: dict[str, float | None] = field(default_factory=dict)  # vs the previous step, per metric
    within_noise: dict[str, bool | None] = field(default_factory=dict)  # None: noise unknown (one seed)
    interval: dict[str, list[float] | None] = field(default_factory=dict)  # 95 % paired CI of each change

    @property
    def name(self) -> str:
        return "REF" if self.group is None else self.group.name

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "name": self.name,
            "group": None if self.group is None else self.group.to_dict(),
            "change": self.change,
            "within_noise": self.within_noise,
            "change_ci95": self.interval,
            **self.outcome.to_dict(),
        }


@dataclass
class Explanation:
    ref: str
    mine: str
    groups: list[Group]
    steps: list[Step]
    repeats: int
    total: dict[str, float | None]
    shapley: dict[str, dict[str, float]] | None = None  # group -> metric -> share
    runs: int = 0
    metrics: tuple[str, ...] = METRICS
    protocol: str | None = None

    def to_dict(self) -> dict[str, Any]:
        if self.metrics == METRICS:
            value = "mean over machine types of the per-type mean over IDs (DCASE 2020 README averaging)"
            extra = {}
        else:
            value = (
                f"the {self.protocol} official score (harmonic mean over types x sections, as its evaluator) and "
                "the harmonic means it is made of: AUC (source), AUC (target), pAUC"
            )
            extra = {"protocol": self.protocol, "metrics": list(self.metrics)}
        return {
            "ref": self.ref,
            "mine": self.mine,
            "repeats": self.repeats,
            "value": value,
            **extra,
            "total": self.total,
            "groups": [g.to_dict() for g in self.groups],
            "steps": [s.to_dict() for s in self.steps],
            "shapley": self.shapley,
            "runs": self.runs,
        }

    def write_json(self, path: str | Path) -> Path:
        from ..atomic import atomic_write_text

        return atomic_write_text(path, json.dumps(self.to_dict(), indent=2, default=str) + "\n")


def _sum_counters(counters: list[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for c in counters:
        for k, v in c.items():
            total[k] = total.get(k, 0) + int(v)
    return total


def summarize_seeds(results: list, seeds: list[int]) -> Outcome:
    """Average the runs of one experiment, one per seed, into one :class:`Outcome`.

    The runs' protocol (:class:`asdlens.experiment.protocols.EvaluationProtocol`) says what a run is summed up
    by: its :meth:`~EvaluationProtocol.headline` (the mean AUC and pAUC over types; DCASE 2021-2025: the official
    score and its harmonic means) and its values per unit (per machine ID or per section). Undefined values are
    left out of the means.
    """
    protocol = results[0].protocol
    values: dict[str, list[float]] = {m: [] for m in protocol.headline_metrics}
    per_unit: dict[str, dict[str, list[float]]] = {}
    for result in results:
        for m, v in protocol.headline(result).items():
            if v is not None:
                values[m].append(v)
        for label, unit in protocol.unit_values(result).items():
            slot = per_unit.setdefault(label, {k: [] for k in unit})
            for k, v in unit.items():
                if v is not None:
                    slot[k].append(v)
    per_id = {label: _mean_sd(samples) for label, samples in per_unit.items()}
    counters = _sum_counters([r.counters for r in results])
    return Outcome(per_id, _mean_sd(values), counters, list(seeds), protocol.headline_metrics,
                   protocol.headline_protocol, _seed_draws(results))  # fmt: skip


def _seed_draws(results: list) -> Any:
    """The bootstrap draws of the seeds' runs pooled (seeds resampled too), or None where a run has no plan or
    scores in memory (a result made elsewhere)."""
    from ..evaluate.intervals import seed_mean
    from ..experiment.compare import run_draws

    try:
        draws = [run_draws(r) for r in results]
    except (AttributeError, ValueError):
        return None
    return None if any(d is None for d in draws) else seed_mean(draws)


def _mean_sd(samples: dict[str, list[float]]) -> dict[str, float | None]:
    """Per metric: the mean over seeds and, with two seeds or more, their standard deviation (``<m>_sd``)."""
    out: dict[str, float | None] = {}
    for m, vals in samples.items():
        out[m] = float(np.mean(vals)) if vals else None
        out[f"{m}_sd"] = float(np.std(vals, ddof=1)) if len(vals) > 1 else None
    return out


def _diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else b - a


def change_intervals(prev: Outcome, cur: Outcome) -> dict[str, list[float] | None]:
    """Per metric, the 95 % interval ``[low, high]`` of the paired bootstrap difference ``cur - prev`` (over
    the same test clips, and seeds); empty without draws."""
    if prev.draws is None or cur.draws is None:
        return {}
    from ..evaluate import difference

    overall = difference(cur.draws, prev.draws)["overall"]
    return {m: None if d is None else [float(v) for v in d.interval()] for m, d in overall.items()}


def _noise(
    prev: Outcome, cur: Outcome, metric: str, repeats: int, intervals: dict | None = None
) -> bool | None:
    """True when the step's change is within noise: the rule of docs/explain.md.

    The paired bootstrap over the test clips (stratified by label and domain) and, with ``repeats`` > 1, over
    the seeds (:func:`asdlens.evaluate.intervals.seed_mean`): the change is within noise when the 95 % interval
    of the paired difference holds 0 (``intervals``: :func:`change_intervals` of the two, computed here when not
    given). Without draws (no scores in memory), two standard errors of the difference of two K-seed means;
    None with one seed and no draws.
    """
    interval = (change_intervals(prev, cur) if intervals is None else intervals).get(metric)
    if interval is not None:
        return bool(interval[0] <= 0.0 <= interval[1])
    sa, sb = prev.value.get(f"{metric}_sd"), cur.value.get(f"{metric}_sd")
    change = _diff(prev.value[metric], cur.value[metric])
    if repeats < 2 or sa is None or sb is None or change is None:
        return None
    return abs(change) <= 2.0 * math.sqrt((sa * sa + sb * sb) / repeats)


def config_id(exp: Experiment) -> str:
    """Identity of what a run computes (its name and description do not count)."""
    data = exp.to_dict()
    data.pop("name"), data.pop("description")
    data["frontend"] = exp.spec.canonical().to_dict()
    if exp.frontend_key != exp.spec.key():  # an opaque function: its features, not the spec's
        data["frontend"]["features"] = exp.frontend_key
    return json.dumps(data, sort_keys=True, default=repr)


class Runs:
    """The outcomes of a set of experiments, run together as one plan (``run_many``), by config identity.

    ``run_many(experiments) -> results`` runs a list of experiments at once (one plan of jobs: what they share
    runs once) and returns one result per experiment, in order: :class:`~asdlens.experiment.RunResult` or
    anything with its ``protocol``, ``evaluation`` and ``counters``.
    """

    def __init__(self, run_many: Callable[[list[Experiment]], list[Any]], repeats: int):
        self._run_many = run_many
        self.repeats = repeats
        self._done: dict[str, Outcome] = {}
        self.count = 0

    def seeds(self, exp: Experiment) -> list[Experiment]:
        return [with_seed(exp, exp.training.seed + r) for r in range(self.repeats)]

    def run(self, experiments: list[Experiment]) -> list[Outcome]:
        """Run ``experiments`` (each with its ``repeats`` seeds) as one plan; one outcome per experiment.

        Equal experiments in the list run once but each gets its own counters (work shared with an earlier one
        in the list counts as cached), which shows that an inert step trained nothing.
        """
        seeded = [self.seeds(exp) for exp in experiments]
        results = self._run_many([e for group in seeded for e in group]) if seeded else []
        self.count += len(results)
        outcomes, i = [], 0
        for exp, group in zip(experiments, seeded, strict=True):
            chunk = results[i : i + len(group)]
            i += len(group)
            outcome = summarize_seeds(chunk, [e.training.seed for e in group])
            self._done.setdefault(config_id(exp), outcome)
            outcomes.append(outcome)
        return outcomes

    def __call__(self, exp: Experiment) -> Outcome:
        """The outcome of ``exp``, run before as part of a plan."""
        return self._done[config_id(exp)]


def ladder(
    ref: Experiment,
    mine: Experiment,
    run_many: Callable[[list[Experiment]], list[Any]],
    *,
    order: list[str] | None = None,
    repeats: int = 1,
    attribute: bool = False,
    announce: Callable[[str], None] = print,
) -> Explanation:
    """Walk from ``ref`` to ``mine`` one differing group at a time, running every step's experiment.

    Every experiment the walk (and the Shapley split) needs is known before anything runs, so they are handed
    to ``run_many`` as one plan: jobs they share run once and independent ones run side by side.

    Parameters
    ----------
    ref, mine : Experiment
    run_many : callable
        ``run_many(experiments) -> results``, one :class:`~asdlens.experiment.RunResult` per experiment in order
        (:func:`summarize_seeds` reads its ``protocol``, ``evaluation`` and ``counters``); normally
        :func:`asdlens.experiment.run_experiments` bound to a data root, one shared cache and an executor.
    order : list of str, optional
        Group names in the order to walk (see :func:`asdlens.explain.groups.differing_groups`).
    repeats : int
        Seeds per step (``training.seed``, ``+1``, ...): the spread marks changes within the noise.
    attribute : bool
        Also compute the Shapley split over the effective groups: ``2**k * repeats`` runs for ``k`` groups
        (fewer when runs coincide); refused above ``MAX_SHAPLEY_GROUPS`` groups.
    announce : callable
        Receives one line before long work starts (how many runs it needs).
    """
    if repeats < 1:
        raise ValueError(f"--repeats={repeats} must be at least 1")
    groups = differing_groups(ref, mine, order=order)
    runs = Runs(run_many, repeats)
    effective = [g for g in groups if not g.inert]
    if attribute and len(effective) > MAX_SHAPLEY_GROUPS:
        raise ValueError(
            f"--attribute: {len(effective)} groups differ; the exact Shapley split needs 2**{len(effective)} "
            f"runs, more than the {2**MAX_SHAPLEY_GROUPS} allowed: use the ladder (and --order) instead"
        )
    announce(
        f"{len(groups)} group(s) differ ({len(groups) - len(effective)} inert): the ladder needs "
        f"{(len(groups) + 1) * repeats} run(s)"
        + (
            f"; the Shapley split needs {2 ** len(effective) * repeats} run(s), shared with the ladder"
            if attribute
            else ""
        )
    )
    step_exps = [ref] + [compose(ref, mine, groups[:i]) for i in range(1, len(groups) + 1)]
    extra = []
    if attribute:
        known = {config_id(e) for e in step_exps}
        for subset in _subsets(len(effective)):
            exp = compose(ref, mine, [effective[i] for i in sorted(subset)])
            if config_id(exp) not in known:
                known.add(config_id(exp))
                extra.append(exp)
    outcomes = runs.run(step_exps + extra)
    metrics, protocol = _protocol(outcomes)
    steps = [Step(0, None, outcomes[0])]
    for i, group in enumerate(groups, start=1):
        outcome, prev = outcomes[i], steps[-1].outcome
        intervals = change_intervals(prev, outcome)  # one paired difference per step
        steps.append(
            Step(
                i,
                group,
                outcome,
                {m: _diff(prev.value[m], outcome.value[m]) for m in metrics},
                {m: _noise(prev, outcome, m, repeats, intervals) for m in metrics},
                {m: intervals.get(m) for m in metrics},
            )
        )
    total = {m: _diff(steps[0].outcome.value[m], steps[-1].outcome.value[m]) for m in metrics}
    shapley = shapley_values(ref, mine, effective, runs, metrics) if attribute else None
    if shapley is not None:
        for g in groups:
            if g.inert:
                shapley[g.name] = {m: 0.0 for m in metrics}
    return Explanation(
        ref.name, mine.name, groups, steps, repeats, total, shapley, runs.count, metrics, protocol
    )


def _protocol(outcomes: list[Outcome]) -> tuple[tuple[str, ...], str | None]:
    """The metric set (and DCASE 2021-2025 protocol) every step shares; a ladder across protocols is refused."""
    kinds = {(o.metrics, o.protocol) for o in outcomes}
    if len(kinds) > 1:
        shown = sorted(p or "dcase2020/mimii" for _, p in kinds)
        raise ValueError(
            f"the steps are scored with different protocols ({shown}): explain compares pipelines on one dataset "
            "layout; give both experiments the same dataset.layout"
        )
    return next(iter(kinds))


def _subsets(n: int):
    from itertools import combinations

    for k in range(n + 1):
        yield from (frozenset(c) for c in combinations(range(n), k))


def shapley_values(
    ref: Experiment,
    mine: Experiment,
    groups: list[Group],
    runs: Callable[[Experiment], Outcome],
    metrics: tuple[str, ...] = METRICS,
) -> dict[str, dict[str, float | None]]:
    """Exact Shapley value of each group for each metric (:func:`asdlens.diff.ladder.shapley`).

    ``v(S)`` is the metric of ``ref`` with the groups ``S`` taken from ``mine``; the values sum to
    ``v(all) - v(none)``. A metric that is undefined for some subset (one class only) gets None.
    """
    from ..diff.ladder import shapley

    def value(metric: str):
        def v(subset: frozenset[int]) -> float:
            x = runs(compose(ref, mine, [groups[i] for i in sorted(subset)])).value[metric]
            return math.nan if x is None else x

        return v

    split = {m: shapley(len(groups), value(m)) for m in metrics}
    return {
        g.name: {m: (None if math.isnan(split[m][i]) else split[m][i]) for m in metrics}
        for i, g in enumerate(groups)
    }
