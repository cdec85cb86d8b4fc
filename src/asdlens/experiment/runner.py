"""``run_experiment`` / ``run_experiments``: a plan of jobs (features -> fits -> scores) handed to an executor,
then metrics and the run folder.

The pipeline is the official one (see :mod:`asdlens.experiment.clip_features`, :mod:`asdlens.models.detectors`):
log-mel of every clip, one detector per unit (type, or type x ID x SNR) trained on the normal training clips in
path order, each test clip scored. How the scores become metrics, files and a report is the layout's protocol
(:func:`asdlens.experiment.protocols.protocol_of`): AUC and pAUC per machine ID (DCASE 2020, MIMII), or the
year's official metrics per section x domain, with each unit's training clips scored too for the decision
thresholds (DCASE 2021-2025).

A run is four short phases: prepare (resolve the data root, scan the data, write each ``config.yaml``); the
features of every clip on the engine (:mod:`asdlens.engine`), so every bad clip is known before any training and
stops the run or is left out with ``skip_bad``; the fits and scores, on demand, on the same engine and
executor; then each run folder. Several experiments (the steps and seeds of ``explain``) run as one plan: a job
they share runs once, and independent jobs run side by side on the executor.

Determinism: before each model is built, Keras, TensorFlow, NumPy and Python are seeded with ``training.seed``
and TensorFlow's op determinism is on; features are computed clip by clip; each job reads only its own inputs.
So the same config on the same machine gives the same bytes in ``results.json`` and the official CSVs, on every
executor, and a killed run started again recomputes only what is missing and ends with the same bytes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..atomic import atomic_write_json, atomic_write_text
from ..engine import Engine, EngineOptions, JobRecord, RunCache, Status, Summary, make_executor
from ..models.detectors import network_file
from ..runtime import machine_info
from .config import Experiment
from .graph import JobBuilder, RunJobs, library_versions
from .jobs import FeaturesPayload
from .plan import Plan, make_plan
from .protocols import protocol_of
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


@dataclass
class _Session:
    """What the phases of one :func:`run_experiments` call share."""

    exps: list[Experiment]  # data roots resolved
    out_dirs: list[Path]
    plans: list[Plan]  # the scanned plan of each experiment (one object per dataset section)
    builder: JobBuilder
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def cache(self) -> RunCache:
        return self.builder.cache


def run_experiments(
    exps: Sequence[Experiment],
    *,
    out_dirs: Sequence[str | os.PathLike],
    cache_dir: str | os.PathLike,
    data_root: str | os.PathLike | None = None,
    engine: EngineOptions | None = None,
    report: bool = True,
    skip_bad: bool = False,
    announce: Callable[[str], None] = print,
) -> list[RunResult]:
    """Run several experiments as one plan of jobs on one executor and cache; write each run folder.

    Parameters are those of :func:`run_experiment`; ``out_dirs`` gives one folder per experiment (two equal
    experiments may share one); ``announce`` receives the engine's one-line notes (a damaged cache entry).
    Every experiment runs on one executor made from ``engine`` (``explain`` runs its whole ladder in one call, so
    its workers start once). Results come back in the order of ``exps``.
    """
    started = time.perf_counter()
    engine = engine if engine is not None else EngineOptions()
    session = _prepare(exps, out_dirs, cache_dir, data_root, engine.threads)
    pool = make_executor(engine)
    with Status(engine.progress, executor=pool) as status:
        try:
            first = session.exps[0].dataset.root
            pool.probe(data_root=first, cache_root=session.cache.root, sample=session.plans[0].clips[0].path)
            jobs = Engine(session.cache, pool, status=status.update, announce=announce)
            plans, bads, feature_summaries = _features_phase(session, jobs, skip_bad)
            run_jobs, summaries = _models_phase(session, jobs, plans)
        finally:
            pool.close()
    phases = {"features": feature_summaries, "models_and_scores": summaries}
    executor = {"name": pool.name, "slots": pool.slots, "threads": engine.threads}
    return _write_runs(session, run_jobs, bads, phases, jobs.records, executor, report, started)


def _prepare(exps, out_dirs, cache_dir, data_root, threads: int) -> _Session:
    """Resolve the data roots, scan each dataset once, check the settings and write each ``config.yaml``."""
    if len(out_dirs) != len(exps):
        raise ValueError(f"{len(exps)} experiment(s) but {len(out_dirs)} output folder(s)")
    exps = [resolve(e, data_root) for e in exps]
    scanned: dict[str, Plan] = {}
    for exp in exps:  # one scan per dataset section
        if repr(exp.dataset) not in scanned:
            scanned[repr(exp.dataset)] = make_plan(exp, exp.dataset.root)
    plans = [scanned[repr(e.dataset)] for e in exps]
    for exp, plan in zip(exps, plans, strict=True):
        protocol_of(plan.layout).check_settings(exp, plan)
    for out in out_dirs:
        Path(out).mkdir(parents=True, exist_ok=True)
    for exp, out in zip(exps, out_dirs, strict=True):
        atomic_write_text(Path(out) / "config.yaml", exp.to_yaml())
    builder = JobBuilder(RunCache(cache_dir), threads=threads)
    return _Session(exps, [Path(o) for o in out_dirs], plans, builder)


def _features_phase(session: _Session, engine: Engine, skip_bad: bool):
    """The features of every clip; then the plans without the bad clips, and the bad clips of each run.

    Returns ``(plans, bads, summaries)``, one plan and one sorted list of ``(path, problem)`` per experiment.
    """
    t0 = time.perf_counter()
    builder = session.builder
    distinct = {id(p): p for p in session.plans}
    unstattable = {key: _unstattable(plan, builder) for key, plan in distinct.items()}
    clean = [p.without({Path(b) for b, _ in unstattable[id(p)]}) for p in session.plans]
    jobs = {}
    for exp, plan in zip(session.exps, clean, strict=True):
        jobs.update({job.key: job for job in builder.plan_features(exp, plan)})
    summaries = engine.run(jobs, list(jobs))
    session.timings["features"] = time.perf_counter() - t0
    plans, bads = [], []
    for exp, plan, clean_plan in zip(session.exps, session.plans, clean, strict=True):
        bad = sorted(unstattable[id(plan)] + _bad_clips(exp, clean_plan, builder))
        plans.append(_without_bad(plan, bad, skip_bad))
        bads.append(bad)
    return plans, bads, summaries


def _without_bad(plan: Plan, bad: list[tuple[str, str]], skip_bad: bool) -> Plan:
    """``plan`` without the ``bad`` clips, if ``skip_bad`` allows leaving them out and training clips remain."""
    if bad and not skip_bad:
        raise BadClipsError(bad)
    final = plan.without({Path(p) for p, _ in bad}) if bad else plan
    empty = [u.name for u in final.units if not u.train]
    if empty:
        raise ValueError(f"after leaving out the bad clips, no training clips remain for {empty}")
    return final


def _models_phase(session: _Session, engine: Engine, plans: list[Plan]) -> tuple[list[RunJobs], dict]:
    """The fits and scores of every experiment, on demand; returns the jobs of each run and their summaries."""
    t0 = time.perf_counter()
    builder = session.builder
    run_jobs = [builder.run_jobs(exp, plan) for exp, plan in zip(session.exps, plans, strict=True)]
    for exp, rj in zip(session.exps, run_jobs, strict=True):
        protocol_of(rj.plan.layout).add_jobs(builder, exp, rj)
    graph = {}
    for rj in run_jobs:
        graph.update(rj.all())
    # Models are targets too: the run folder holds each model and its history (a lost model entry is
    # retrained, to the same bytes, even when its scores are cached).
    targets = [j.key for rj in run_jobs for j in (*rj.fits.values(), *rj.scores.values())]
    summaries = engine.run(graph, list(dict.fromkeys(targets)))
    session.timings["models_and_scores"] = time.perf_counter() - t0
    return run_jobs, summaries


def _write_runs(
    session: _Session,
    run_jobs: list[RunJobs],
    bads: list[list[tuple[str, str]]],
    phases: dict[str, dict[str, Summary]],
    records: dict[str, JobRecord],
    executor: dict,
    report: bool,
    started: float,
) -> list[RunResult]:
    """Each run folder: results and official files, the report, ``run.json``; returns the results in order."""
    # Feature entries computed in either phase (phase 2 recomputes damaged ones).
    computed_features = {a for done in phases.values() for s in done.values() for a in s.get("computed", [])}
    summaries = {**phases["features"], **phases["models_and_scores"]}
    results = []
    seen: set[str] = set()
    seen_features: set[str] = set()
    for exp, out, rj, bad in zip(session.exps, session.out_dirs, run_jobs, bads, strict=True):
        result = _assemble(exp, out, rj, bad, summaries, records, computed_features, seen, seen_features)
        result.timings = dict(session.timings)
        results.append(result)
        if report:
            from .render import write_run_report

            t0 = time.perf_counter()
            write_run_report(result)
            result.timings["report"] = time.perf_counter() - t0
        result.timings["total"] = time.perf_counter() - started
        atomic_write_json(
            out / "run.json",
            {
                "counters": result.counters,
                "timings": result.timings,
                "cache_dir": str(session.cache.root.absolute()),
                "executor": executor,
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
    entries = sorted({feat for job in rj.features for feat in FeaturesPayload.from_dict(job.payload).entries})
    new = [e for e in entries if e in computed_features and e not in seen_features]
    seen_features.update(entries)
    counters["features_computed"], counters["features_cached"] = len(new), len(entries) - len(new)
    protocol = protocol_of(plan.layout)

    def fresh(job) -> bool:
        """Computed in this session and not yet counted for an earlier run."""
        new = (
            records.get(job.key) is not None and records[job.key].status == "computed" and job.key not in seen
        )
        seen.add(job.key)
        return new

    models, scored, jobs = {}, {}, []
    for name, job in rj.fits.items():
        counters["models_trained" if fresh(job) else "models_cached"] += 1
        models[name] = {"key": job.key, **summaries[job.key]["info"]}
    for group in protocol.scored_groups(plan):
        job = rj.scores[group.label]
        counters["scores_computed" if fresh(job) else "scores_cached"] += len(group.clips)
        values = summaries[job.key]["scores"]
        scored[group.label] = [(c.file_name, s, c.label) for c, s in zip(group.clips, values, strict=True)]
    for job in [*rj.features, *rj.fits.values(), *rj.scores.values()]:
        if job.key in records:
            jobs.append(records[job.key].to_dict())
    counters["bad_files"] = len(bad)
    result = RunResult(
        protocol=protocol,
        evaluation=protocol.evaluate(exp, plan, scored),
        counters=counters,
        out_dir=out,
        config=exp,
        layout=plan.layout,
        bad_files=bad,
        models=models,
        scores={g.label: scored[g.label] for g in plan.tests},  # the protocol's extra groups are its own
        jobs=jobs,
        plan=plan,
    )
    cache = RunCache(next(iter(rj.fits.values())).cache) if rj.fits else None
    model_files = {}
    for name, job in rj.fits.items():
        network = network_file(cache.model_dir(job.key))  # model.keras or (torch) model.pt
        if network is not None:
            model_files[name] = network
    write_outputs(result, model_files)
    return result


def run_experiment(
    exp: Experiment,
    *,
    data_root: str | os.PathLike | None = None,
    out_dir: str | os.PathLike,
    cache_dir: str | os.PathLike | None = None,
    engine: EngineOptions | None = None,
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
    engine : asdlens.engine.EngineOptions or None
        Where jobs run (``executor``: ``local`` worker processes by default, ``inline``, ``ray``; ``workers``,
        ``threads``, ``address``) and whether the live display of jobs is shown (``progress``).
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
    asdlens.engine.JobFailed
        A job raised (finished entries stay cached; rerunning resumes).
    """
    out = Path(out_dir)
    cache = cache_dir if cache_dir is not None else out / "cache"
    runs = run_experiments([exp], out_dirs=[out], cache_dir=cache, data_root=data_root, engine=engine,
                           report=report, skip_bad=skip_bad)  # fmt: skip
    return runs[0]


__all__ = ["BadClipsError", "RunResult", "TypeAverage", "run_experiment", "run_experiments"]
