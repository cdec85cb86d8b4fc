"""``run_experiment`` / ``run_experiments``: a plan of jobs (features -> fits -> scores) handed to an executor,
then metrics and the run folder.

The protocol is the official one (see :mod:`asdlens.experiment.features`, :mod:`asdlens.models.detectors`,
:mod:`asdlens.evaluate.metrics`): log-mel of every clip, one detector per unit (type, or type x ID x SNR)
trained on the normal training clips in path order, each test clip scored, AUC and pAUC per machine ID. On the
DCASE 2021-2025 layouts each unit's training clips are scored too (the decision thresholds) and the year's
official metrics and files come from :mod:`asdlens.experiment.official_outputs`.

Two phases run on the engine (:mod:`asdlens.experiment.engine`): first the features of every clip (so every
bad clip is known before any training, and stops the run or is left out with ``skip_bad``), then the fits and
scores, on demand. Several experiments (the steps and seeds of ``explain``) run as one plan: a job they share
runs once, and independent jobs run side by side on the executor.

Determinism: before each model is built, Keras, TensorFlow, NumPy and Python are seeded with ``training.seed``
and TensorFlow's op determinism is on; features are computed clip by clip; each job reads only its own inputs.
So the same config on the same machine gives the same bytes in ``results.json`` and the official CSVs, on every
executor, and a killed run started again recomputes only what is missing and ends with the same bytes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from ..atomic import atomic_write_json, atomic_write_text
from ..evaluate import id_metrics, type_averages
from ..models.detectors import network_file
from ..runtime import machine_info
from . import official_outputs
from .cache import FileIdentity, RunCache
from .config import Experiment
from .engine import Engine
from .executors import make_executor
from .graph import JobBuilder, RunJobs, library_versions
from .plan import Plan, make_plan, training_group
from .progress import Status
from .results import COUNTERS, BadClipsError, RunResult, TypeAverage, write_outputs


def resolve(exp: Experiment, data_root: str | os.PathLike | None) -> Experiment:
    """The experiment with ``dataset.root`` set to ``data_root`` (absolute), or its own root if None
    (``dataset.ground_truth``, when set, is made absolute too)."""
    root = data_root if data_root is not None else exp.dataset.root
    if root is None:
        raise ValueError(
            "no data: give data_root (asdlens run --data ROOT) or set dataset.root in the experiment"
        )
    root = Path(root).expanduser().absolute()
    changes = {"dataset.root": str(root)}
    if exp.dataset.ground_truth is not None:
        changes["dataset.ground_truth"] = str(Path(exp.dataset.ground_truth).expanduser().absolute())
    return exp.with_overrides(changes)


def _bad_clips(exp: Experiment, plan: Plan, builder: JobBuilder) -> list[tuple[str, str]]:
    """Clips of ``plan`` that cannot be used: unreadable (a ``.bad.json`` entry) or too short for one vector."""
    bad = []
    for clip in plan.clips:
        try:
            state = builder.cache.feature_state(builder.feature_path(exp, clip))
        except OSError as exc:  # the file vanished since the plan was made
            bad.append((str(clip.path), f"{clip.path}: cannot stat ({exc.strerror or exc})"))
            continue
        if state is None:
            bad.append((str(clip.path), f"{clip.path}: no features were computed"))
        elif state[0] == "bad":
            bad.append((str(clip.path), state[1]))
        elif state[1] < exp.frames:
            bad.append(
                (
                    str(clip.path),
                    f"{clip.path}: gives {state[1]} log-mel frame(s), fewer than frames={exp.frames}; too short "
                    "to score (the official code would score it 0.0)",
                )
            )
    return sorted(bad)


def _unstattable(plan: Plan, builder: JobBuilder) -> list[tuple[str, str]]:
    bad = []
    for clip in plan.clips:
        try:
            builder.identity(clip.path)
        except OSError as exc:
            bad.append((str(clip.path), f"{clip.path}: cannot stat ({exc.strerror or exc})"))
    return bad


def run_experiments(
    exps: Sequence[Experiment],
    *,
    out_dirs: Sequence[str | os.PathLike],
    cache_dir: str | os.PathLike,
    data_root: str | os.PathLike | None = None,
    executor: str = "local",
    workers: int | None = None,
    threads: int = 1,
    address: str | None = None,
    progress: bool = True,
    report: bool = True,
    skip_bad: bool = False,
    announce: Callable[[str], None] = print,
) -> list[RunResult]:
    """Run several experiments as one plan of jobs on one executor and cache; write each run folder.

    Parameters are those of :func:`run_experiment`; ``out_dirs`` gives one folder per experiment (two equal
    experiments may share one). Results come back in the order of ``exps``.
    """
    if len(out_dirs) != len(exps):
        raise ValueError(f"{len(exps)} experiment(s) but {len(out_dirs)} output folder(s)")
    started = time.perf_counter()
    exps = [resolve(e, data_root) for e in exps]
    cache = RunCache(cache_dir)
    plans: dict[str, Plan] = {}
    for exp in exps:  # one scan per dataset section
        ds_key = repr(exp.dataset)
        if ds_key not in plans:
            plans[ds_key] = make_plan(exp, exp.dataset.root)
    run_plans = [plans[repr(e.dataset)] for e in exps]
    for exp, plan in zip(exps, run_plans, strict=True):
        official_outputs.check_settings(exp, plan)
    for out in out_dirs:
        Path(out).mkdir(parents=True, exist_ok=True)
    for exp, out in zip(exps, out_dirs, strict=True):
        atomic_write_text(Path(out) / "config.yaml", exp.to_yaml())

    builder = JobBuilder(cache, threads=threads)
    timings: dict[str, float] = {}
    pool = make_executor(executor, workers=workers, threads=threads, address=address)
    with Status(progress, executor=pool) as status:
        try:
            if hasattr(pool, "probe"):
                pool.probe(
                    data_root=exps[0].dataset.root, cache_root=cache.root, sample=run_plans[0].clips[0].path
                )
            engine = Engine(cache, pool, status=status.update, announce=announce)
            # Phase 1: features of every clip; the bad ones are known before anything trains.
            t0 = time.perf_counter()
            bad_stat = {id(p): _unstattable(p, builder) for p in plans.values()}
            clean_plans = [p.without({Path(b) for b, _ in bad_stat[id(p)]}) for p in run_plans]
            feature_jobs = {}
            for exp, plan in zip(exps, clean_plans, strict=True):
                feature_jobs.update({job.key: job for job in builder.plan_features(exp, plan)})
            feature_summaries = engine.run(feature_jobs, list(feature_jobs))
            timings["features"] = time.perf_counter() - t0
            bads, final_plans = [], []
            for exp, plan, clean in zip(exps, run_plans, clean_plans, strict=True):
                bad = sorted(bad_stat[id(plan)] + _bad_clips(exp, clean, builder))
                if bad and not skip_bad:
                    raise BadClipsError(bad)
                final = plan.without({Path(p) for p, _ in bad}) if bad else plan
                empty = [u.name for u in final.units if not u.train]
                if empty:
                    raise ValueError(f"after leaving out the bad clips, no training clips remain for {empty}")
                bads.append(bad)
                final_plans.append(final)
            # Phase 2: fits and scores, on demand.
            t0 = time.perf_counter()
            run_jobs = [builder.run_jobs(exp, plan) for exp, plan in zip(exps, final_plans, strict=True)]
            for exp, rj in zip(exps, run_jobs, strict=True):
                official_outputs.add_training_scores(builder, exp, rj)
            graph = {}
            for rj in run_jobs:
                graph.update(rj.all())
            # Models are targets too: the run folder holds each model and its history (a lost model entry is
            # retrained, to the same bytes, even when its scores are cached).
            targets = [j.key for rj in run_jobs for j in (*rj.fits.values(), *rj.scores.values())]
            summaries = engine.run(graph, list(dict.fromkeys(targets)))
            timings["models_and_scores"] = time.perf_counter() - t0
        finally:
            pool.close()
    records = engine.records
    # Feature entries computed in either phase (phase 2 recomputes damaged ones).
    computed_features = {
        a for done in (feature_summaries, summaries) for s in done.values() for a in s.get("computed", [])
    }
    summaries = {**feature_summaries, **summaries}
    results = []
    seen: set[str] = set()
    seen_features: set[str] = set()
    for exp, out, rj, bad in zip(exps, out_dirs, run_jobs, bads, strict=True):
        result = _assemble(
            exp, Path(out), rj, bad, summaries, records, computed_features, seen, seen_features
        )
        result.timings = dict(timings)
        results.append(result)
        if report:
            from .run_report import write_run_report

            t0 = time.perf_counter()
            write_run_report(result)
            result.timings["report"] = time.perf_counter() - t0
        result.timings["total"] = time.perf_counter() - started
        atomic_write_json(
            Path(out) / "run.json",
            {
                "counters": result.counters,
                "timings": result.timings,
                "cache_dir": str(cache.root.absolute()),
                "executor": {"name": pool.name, "slots": pool.slots, "threads": threads},
                "versions": library_versions(),
                "machine": machine_info(),
                "jobs": result.jobs,
            },
        )
    return results


def _assemble(
    exp, out, rj: RunJobs, bad, summaries, records, computed_features, seen, seen_features
) -> RunResult:
    """One run's results from the session's job summaries. Counters are deterministic: work done in this
    session counts as computed for the first run (in the given order) that uses it, as cached for the others."""
    plan = rj.plan
    counters = dict.fromkeys(COUNTERS, 0)
    entries = sorted({feat for job in rj.features for _, feat in job.payload["clips"]})
    new = [e for e in entries if e in computed_features and e not in seen_features]
    seen_features.update(entries)
    counters["features_computed"], counters["features_cached"] = len(new), len(entries) - len(new)
    models, scored, jobs = {}, {}, []
    for name, job in rj.fits.items():
        fresh = (
            records.get(job.key) is not None and records[job.key].status == "computed" and job.key not in seen
        )
        seen.add(job.key)
        counters["models_trained" if fresh else "models_cached"] += 1
        models[name] = {"key": job.key, **summaries[job.key]["info"]}
    groups = [*plan.tests, *(training_group(u) for u in plan.units if plan.sections)]
    for group in groups:
        job = rj.scores[group.label]
        fresh = (
            records.get(job.key) is not None and records[job.key].status == "computed" and job.key not in seen
        )
        seen.add(job.key)
        counters["scores_computed" if fresh else "scores_cached"] += len(group.clips)
        values = summaries[job.key]["scores"]
        scored[group.label] = [(c.file_name, s, c.label) for c, s in zip(group.clips, values, strict=True)]
    for job in [*rj.features, *rj.fits.values(), *rj.scores.values()]:
        if job.key in records:
            jobs.append(records[job.key].to_dict())
    counters["bad_files"] = len(bad)
    common = dict(counters=counters, out_dir=out, config=exp, layout=plan.layout, bad_files=bad, models=models,
                  jobs=jobs, plan=plan)  # fmt: skip
    if plan.sections:
        result = _assemble_official(exp, plan, scored, common)
    else:
        result = _assemble_ids(exp, plan, scored, common)
    cache = RunCache(rj.fits[next(iter(rj.fits))].payload["cache"]) if rj.fits else None
    model_files = {}
    for name, job in rj.fits.items():
        network = network_file(cache.model_dir(job.key))  # model.keras or (torch) model.pt
        if network is not None:
            model_files[name] = network
    write_outputs(result, plan, model_files)
    return result


def _assemble_ids(exp: Experiment, plan: Plan, scored: dict, common: dict) -> RunResult:
    """DCASE 2020 and MIMII: AUC and pAUC per machine ID (x SNR), averaged per type."""
    results = [
        id_metrics(
            [lab for _, _, lab in scored[g.label]],
            [s for _, s, _ in scored[g.label]],
            machine_type=g.machine_type,
            machine_id=g.machine_id,
            snr=g.snr,
            max_fpr=exp.metric.max_fpr,
        )
        for g in plan.tests
    ]
    averages = [TypeAverage(t, snr, **v) for (t, snr), v in type_averages(results).items()]
    return RunResult(results=results, averages=averages, scores=scored, **common)


def _assemble_official(exp: Experiment, plan: Plan, scored: dict, common: dict) -> RunResult:
    """DCASE 2021-2025: decision thresholds from the training clips' scores, the year's official metrics."""
    train_scores = {u.name: [s for _, s, _ in scored.pop(training_group(u).label)] for u in plan.units}
    limits, messages = official_outputs.thresholds(train_scores)
    rows = official_outputs.score_rows(plan, scored)
    decisions = official_outputs.decisions_of(plan, rows, limits)
    official, more = official_outputs.evaluate(exp, plan, rows, decisions)
    messages += more + ([] if official is None else list(official.messages))
    messages += [f"data: {w}" for w in plan.warnings]
    return RunResult(
        results=[], averages=[], scores=scored, official=official, thresholds=limits,
        train_scores=train_scores, messages=messages, **common,
    )  # fmt: skip


def run_experiment(
    exp: Experiment,
    *,
    data_root: str | os.PathLike | None = None,
    out_dir: str | os.PathLike,
    cache_dir: str | os.PathLike | None = None,
    executor: str = "local",
    workers: int | None = None,
    threads: int = 1,
    address: str | None = None,
    progress: bool = True,
    report: bool = True,
    skip_bad: bool = False,
) -> RunResult:
    """Run an experiment end to end and write its run folder.

    Parameters
    ----------
    exp : Experiment
        From :func:`asdlens.experiment.load_experiment`.
    data_root : path or None
        Dataset root; None uses ``exp.dataset.root``.
    out_dir : path
        Run folder: ``config.yaml``, ``models/``, the official CSVs (``anomaly_score_<type>_id_<NN>.csv``,
        ``result.csv``; for MIMII one folder per SNR plus ``result.yaml``; DCASE 2021-2025:
        ``anomaly_score_<type>_section_<NN>[_<domain>]_test.csv``, ``decision_result_...`` and the evaluator's
        ``result.csv``), ``results.json``, ``run.json``
        (counters, timings, the machine, and per job where it ran) and ``report.md`` / ``report.html``.
    cache_dir : path or None
        Feature, model and score cache; default ``out_dir/cache``. Runs of different configs can share one, and
        so can several drivers at once (a job one of them is computing, the others wait for).
    executor : {"local", "inline", "ray"}
        Where jobs run: a pool of worker processes on this machine (default), this process, or Ray.
    workers : int or None
        ``local``: worker processes (default: CPUs / ``threads``).
    threads : int
        Math threads of each job (TensorFlow, BLAS; Ray's ``num_cpus``).
    address : str or None
        ``ray``: the cluster to join (``HOST:PORT``); None uses ``RAY_ADDRESS`` or starts a private local Ray.
    progress : bool
        The live display of jobs (rich, on stderr).
    report : bool
        Write the report (matplotlib figures; the slowest of the file outputs).
    skip_bad : bool
        Leave out clips that cannot be used and record them in ``results.json``; by default such clips stop
        the run before training (:class:`BadClipsError` lists them).

    Returns
    -------
    RunResult

    Raises
    ------
    ValueError
        A bad config or data root, missing types/IDs, or :class:`BadClipsError`.
    asdlens.experiment.engine.JobFailed
        A job raised (finished entries stay cached; rerunning resumes).
    """
    out = Path(out_dir)
    return run_experiments(
        [exp],
        out_dirs=[out],
        cache_dir=cache_dir if cache_dir is not None else out / "cache",
        data_root=data_root,
        executor=executor,
        workers=workers,
        threads=threads,
        address=address,
        progress=progress,
        report=report,
        skip_bad=skip_bad,
    )[0]


__all__ = ["BadClipsError", "FileIdentity", "RunResult", "TypeAverage", "run_experiment", "run_experiments"]
