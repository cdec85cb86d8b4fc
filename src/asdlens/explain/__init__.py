"""explain: the AUC gap between two whole pipelines, attributed to each group of their differences.

>>> from asdlens.explain import explain
>>> result = explain("dcase2020", "seed-tf", data_root="data/", out_dir="explain-out", overrides=["training.epochs=5"])
>>> result.total["auc"], [(s.name, s.change["auc"]) for s in result.steps[1:]]

On DCASE 2021-2025 data the values are the year's official score and AUC (source), AUC (target), pAUC
(``result.metrics``): ``explain("dcase2023-ae-mse", "dcase2023-ae-mahalanobis", ...).total["auc_target"]``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .core import Explanation, Outcome, Step, config_id, ladder, shapley_values, summarize_seeds
from .plan import GROUP_ORDER, Group, compose, differing_groups

__all__ = [
    "GROUP_ORDER",
    "Explanation",
    "Group",
    "Outcome",
    "Step",
    "compose",
    "config_id",
    "differing_groups",
    "explain",
    "ladder",
    "shapley_values",
    "summarize_seeds",
]


def explain(
    ref,
    mine,
    *,
    data_root: str | Path,
    out_dir: str | Path,
    overrides: list[str] | dict | None = None,
    types: list[str] | None = None,
    order: list[str] | None = None,
    repeats: int = 1,
    attribute: bool = False,
    progress: bool = True,
    report: bool = True,
    announce: Callable[[str], None] = print,
    executor: str = "local",
    workers: int | None = None,
    threads: int = 1,
    address: str | None = None,
) -> Explanation:
    """Run the ladder from ``ref`` to ``mine`` on the data at ``data_root`` and write ``out_dir``.

    Parameters
    ----------
    ref, mine : str or Experiment
        Shipped experiment names, YAML paths or :class:`asdlens.experiment.Experiment` objects.
    overrides : list of "key=value" or dict, optional
        Applied to both (e.g. ``training.epochs=5`` for a quick look).
    types : list of str, optional
        Machine types to use (``dataset.types``), for both.
    executor, workers, threads, address
        Where the runs' jobs run (see :func:`asdlens.experiment.run_experiment`); every step, seed and Shapley
        subset is one plan of jobs, so independent fits run side by side.

    The values compared depend on the data's layout (:mod:`asdlens.explain.core`): mean AUC/pAUC over types
    (DCASE 2020, MIMII), or the official score and its AUC (source), AUC (target), pAUC (DCASE 2021-2025).

    Writes ``explain.json``, ``report.html`` / ``report.md`` and the figures into ``out_dir``, one run folder
    per distinct experiment under ``out_dir/runs`` (one shared cache in ``out_dir/cache``) and ``run.json``
    (the executor, the machine, timings).
    """
    import time

    from ..atomic import atomic_write_json
    from ..experiment import Experiment, load_experiment, run_experiments
    from ..keys import stable_key
    from ..runtime import machine_info

    def load(x) -> Experiment:
        exp = x if isinstance(x, Experiment) else load_experiment(x)
        extra = dict(overrides) if isinstance(overrides, dict) else list(overrides or [])
        if types:
            if isinstance(extra, dict):
                extra["dataset.types"] = list(types)
            else:
                extra.append("dataset.types=[" + ",".join(types) + "]")
        return exp.with_overrides(extra) if extra else exp

    started = time.perf_counter()
    ref_exp, mine_exp = load(ref), load(mine)
    out = Path(out_dir)

    def run_many(exps: list[Experiment]):
        folders = [out / "runs" / stable_key(e.to_dict())[:10] for e in exps]
        return run_experiments(
            exps,
            out_dirs=folders,
            cache_dir=out / "cache",
            data_root=data_root,
            executor=executor,
            workers=workers,
            threads=threads,
            address=address,
            progress=progress,
            report=False,
            announce=announce,
        )

    result = ladder(
        ref_exp, mine_exp, run_many, order=order, repeats=repeats, attribute=attribute, announce=announce
    )
    out.mkdir(parents=True, exist_ok=True)
    result.write_json(out / "explain.json")
    if report:
        from .render import explanation_report

        explanation_report(result).write(out)
    atomic_write_json(
        out / "run.json",
        {
            "executor": {"name": executor, "workers": workers, "threads": threads, "address": address},
            "runs": result.runs,
            "seconds": time.perf_counter() - started,
            "machine": machine_info(),
        },
    )
    return result
