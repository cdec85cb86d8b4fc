"""``explain``: the ladder from one experiment to another, run as one plan of jobs, and its output folder."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..atomic import atomic_write_json
from ..engine import EngineOptions
from ..experiment import Experiment, RunResult, load_experiment, run_experiments
from ..keys import stable_key
from ..runtime import machine_info
from .core import Explanation, ladder


@dataclass(frozen=True)
class ExplainOptions:
    """How the ladder is walked and what is written.

    Attributes
    ----------
    order : tuple of str, optional
        Group names in the order to walk (:func:`asdlens.explain.groups.differing_groups`); the others follow
        in the default order.
    repeats : int
        Seeds per step (``training.seed``, ``+1``, ...): the spread marks changes within the noise.
    attribute : bool
        Also compute the order-free (Shapley) split over the effective groups.
    report : bool
        Write ``report.html`` / ``report.md`` and the figures (``explain.json`` is always written).
    """

    order: tuple[str, ...] | None = None
    repeats: int = 1
    attribute: bool = False
    report: bool = True


def explain(
    ref: str | Experiment,
    mine: str | Experiment,
    *,
    data_root: str | Path,
    out_dir: str | Path,
    overrides: list[str] | dict | None = None,
    options: ExplainOptions | None = None,
    engine: EngineOptions | None = None,
    announce: Callable[[str], None] = print,
) -> Explanation:
    """Run the ladder from ``ref`` to ``mine`` on the data at ``data_root`` and write ``out_dir``.

    Parameters
    ----------
    ref, mine : str or Experiment
        Shipped experiment names, YAML paths or :class:`asdlens.experiment.Experiment` objects.
    overrides : list of "key=value" or dict, optional
        Applied to both (e.g. ``training.epochs=5`` for a quick look, ``dataset.types=[pump,fan]``).
    options : ExplainOptions, optional
        The order of the groups, seeds per step, the Shapley split, the report.
    engine : asdlens.engine.EngineOptions, optional
        Where the runs' jobs run (see :func:`asdlens.experiment.run_experiment`); every step, seed and Shapley
        subset is one plan of jobs, so independent fits run side by side.
    announce : callable
        Receives one line before long work starts, and the engine's notes.

    The values compared depend on the data's layout (:mod:`asdlens.explain.core`): mean AUC/pAUC over types
    (DCASE 2020, MIMII), or the official score and its AUC (source), AUC (target), pAUC (DCASE 2021-2025).

    Writes ``explain.json``, ``report.html`` / ``report.md`` and the figures into ``out_dir``, one run folder
    per distinct experiment under ``out_dir/runs`` (one shared cache in ``out_dir/cache``) and ``run.json``
    (the executor, the machine, timings).
    """
    started = time.perf_counter()
    options = options if options is not None else ExplainOptions()
    engine = engine if engine is not None else EngineOptions()
    out = Path(out_dir)

    def run_many(exps: list[Experiment]) -> list[RunResult]:
        folders = [out / "runs" / stable_key(e.to_dict())[:10] for e in exps]
        return run_experiments(exps, out_dirs=folders, cache_dir=out / "cache", data_root=data_root,
                               engine=engine, report=False, announce=announce)  # fmt: skip

    ref_exp, mine_exp = _load(ref, overrides), _load(mine, overrides)
    functions = {e.function.function: e for e in (ref_exp, mine_exp) if e.function is not None}
    for exp in functions.values():
        announce(exp.function.summary())
    order = list(options.order) if options.order else None
    result = ladder(ref_exp, mine_exp, run_many, order=order, repeats=options.repeats,
                    attribute=options.attribute, announce=announce)  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    result.write_json(out / "explain.json")
    if options.report:
        from .render import explanation_report

        explanation_report(result).write(out)
    executor = {"name": engine.executor, "workers": engine.workers, "threads": engine.threads,
                "address": engine.address}  # fmt: skip
    seconds = time.perf_counter() - started
    run = {"executor": executor, "runs": result.runs, "seconds": seconds, "machine": machine_info()}
    if functions:  # what identify found for each user function (left out otherwise: run.json keeps its form)
        run["frontend_functions"] = {t: e.function.identified(e.spec) for t, e in functions.items()}
    atomic_write_json(out / "run.json", run)
    return result


def _load(x: str | Experiment, overrides: list[str] | dict | None) -> Experiment:
    """``x`` (a name, a YAML path or an Experiment) with ``overrides`` applied (to a file's own fields, before it
    is validated: a frozen encoder's config is only valid with ``model.checkpoint`` set)."""
    if not isinstance(x, Experiment):
        return load_experiment(x, overrides)
    return x.with_overrides(overrides) if overrides else x
