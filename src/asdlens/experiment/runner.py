"""``run_experiment``: features -> models -> scores -> AUC/pAUC -> files, with a cache at every step.

The protocol is the official one (see :mod:`asdlens.experiment.features`, :mod:`asdlens.models.training`,
:mod:`asdlens.evaluate.metrics`): log-mel of every clip, ``frames`` stacked into vectors, one autoencoder per
unit (type, or type x ID x SNR) trained on the normal training clips in path order, each test clip scored by the
aggregate of its vectors' reconstruction errors, AUC and pAUC per machine ID.

Determinism: before each model is built, Keras, TensorFlow, NumPy and Python are seeded with ``training.seed``
and TensorFlow's op determinism is on, so a model depends only on its own inputs, never on what ran before it
(and a resumed run gives the same weights as an uninterrupted one).

Resume: features, models and scores are cache entries (:mod:`asdlens.experiment.cache`) written atomically; a
killed run started again recomputes only the missing entries. The run folder's files are rewritten from them.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from ..evaluate import (
    IdResult,
    anomaly_score_file_name,
    atomic_write_json,
    atomic_write_text,
    clip_scores,
    id_metrics,
    snr_folder,
    type_averages,
    write_anomaly_scores,
    write_mimii_result_yaml,
    write_result_csv,
)
from ..features.stacking import n_vectors, stack_frames
from ..runtime import machine_info
from .cache import FileIdentity, RunCache
from .config import Experiment, stable_key
from .features import file_logmels
from .plan import Plan, TestGroup, Unit, make_plan
from .progress import Bars

#: Counter names of :attr:`RunResult.counters`.
COUNTERS = (
    "features_computed",
    "features_cached",
    "models_trained",
    "models_cached",
    "scores_computed",
    "scores_cached",
)


class BadClipsError(ValueError):
    """Clips that cannot be used (unreadable, wrong format, too short); the message lists them."""

    def __init__(self, bad: list[tuple[str, str]]):
        self.bad = bad
        shown = "\n".join(f"  {problem}" for _, problem in bad[:20])
        more = f"\n  ... and {len(bad) - 20} more" if len(bad) > 20 else ""
        super().__init__(
            f"{len(bad)} clip(s) cannot be used; the run stopped before training (finished features are "
            f"cached). Fix or remove them, or pass --skip-bad (skip_bad=True) to leave them out:\n{shown}{more}"
        )


@dataclass(frozen=True)
class TypeAverage:
    """Arithmetic mean over the IDs of one machine type (at one SNR) whose metric is defined."""

    machine_type: str
    snr: int | None
    auc: float | None
    pauc: float | None
    n_ids: int
    n_undefined: int

    @property
    def label(self) -> str:
        return self.machine_type + ("" if self.snr is None else f" {self.snr}dB")


@dataclass
class RunResult:
    """What :func:`run_experiment` produced.

    Attributes
    ----------
    results : list of IdResult
        Per machine type x ID (x SNR): ``auc``, ``pauc``, ``n`` (= ``n_normal + n_anomaly``), ``message``.
    averages : list of TypeAverage
        Per machine type (x SNR).
    counters : dict of str to int
        ``features_computed``, ``features_cached`` (clips), ``models_trained``, ``models_cached`` (models),
        ``scores_computed``, ``scores_cached`` (clips), ``bad_files``.
    out_dir : pathlib.Path
    config : Experiment
        Resolved (``dataset.root`` set).
    layout : str
    bad_files : list of (path, problem)
        Clips left out with ``skip_bad``.
    models : dict
        Per unit name: ``key`` (cache key), ``n_clips``, ``n_vectors``, ``history`` (loss per epoch).
    scores : dict
        Per test group label (``"pump id_00"``): ``[(file_name, score, label), ...]``.
    timings : dict of str to float
        Seconds per stage (not in ``results.json``, which must not depend on the machine).
    """

    results: list[IdResult]
    averages: list[TypeAverage]
    counters: dict[str, int]
    out_dir: Path
    config: Experiment
    layout: str = "dcase2020"
    bad_files: list[tuple[str, str]] = field(default_factory=list)
    models: dict[str, dict] = field(default_factory=dict)
    scores: dict[str, list[tuple[str, float, int | None]]] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def mean_auc(self) -> float | None:
        """Mean of the per-type averages (how the DCASE baseline README averages over types)."""
        return _mean([a.auc for a in self.averages])

    @property
    def mean_pauc(self) -> float | None:
        return _mean([a.pauc for a in self.averages])

    def result(self, machine_type: str, machine_id: str, snr: int | None = None) -> IdResult:
        for r in self.results:
            if (r.machine_type, r.machine_id, r.snr) == (machine_type, machine_id, snr):
                return r
        raise KeyError(f"no result for {machine_type} id_{machine_id} snr={snr}")

    def results_dict(self) -> dict[str, Any]:
        """What ``results.json`` holds: config, per-ID and per-type metrics, models' keys, bad files.

        Only things that the config and the data decide: two runs of the same config give equal dicts.
        """
        return {
            "experiment": self.config.to_dict(),
            "layout": self.layout,
            "results": [r.to_dict() for r in self.results],
            "averages": [asdict(a) for a in self.averages],
            "mean": {"auc": self.mean_auc, "pauc": self.mean_pauc},
            "models": {name: info["key"] for name, info in self.models.items()},
            "bad_files": [{"path": p, "problem": why} for p, why in self.bad_files],
        }

    def to_dict(self) -> dict[str, Any]:
        """Everything, JSON-ready (:meth:`results_dict` plus counters, timings, histories, out_dir)."""
        return {
            **self.results_dict(),
            "counters": dict(self.counters),
            "timings": dict(self.timings),
            "out_dir": str(self.out_dir),
            "training": {
                name: {k: v for k, v in info.items() if k != "key"} for name, info in self.models.items()
            },
        }


def _mean(values: list[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return float(np.mean(kept)) if kept else None


def _versions() -> dict[str, str]:
    """Library versions that can change trained weights: part of every model key."""
    out = {}
    for name in ("keras", "tensorflow"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


class _Run:
    """State of one run: the cache, the counters, the bars."""

    def __init__(self, exp: Experiment, plan: Plan, cache: RunCache, bars: Bars):
        self.exp = exp
        self.plan = plan
        self.cache = cache
        self.bars = bars
        self.counters = dict.fromkeys(COUNTERS, 0)
        self.identity: dict[Path, FileIdentity] = {}
        self.spec_key = exp.spec.key()
        self.models: dict[str, dict] = {}
        self.model_keys: dict[str, str] = {}
        self._loaded: dict[str, Any] = {}  # model key -> keras.Model, so each is loaded once

    # -- features ---------------------------------------------------------------------------------------------
    def feature_path(self, path: Path) -> Path:
        return self.cache.feature_path(self.spec_key, self.exp.dataset.channel, self.identity[path])

    def features(self) -> list[tuple[str, str]]:
        """Make sure every clip's log-mel is cached; return the clips that cannot be used ``(path, problem)``."""
        clips = self.plan.clips
        bad: list[tuple[str, str]] = []
        todo: list[Path] = []
        frames = self.exp.frames
        task = self.bars.task("features", len(clips))
        for c in clips:
            try:
                self.identity[c.path] = FileIdentity.of(c.path)
            except OSError as exc:
                bad.append((str(c.path), f"{c.path}: cannot stat ({exc.strerror or exc})"))
                self.bars.advance(task)
                continue
            cached = self._cached_frames(self.feature_path(c.path))
            if cached is None:
                todo.append(c.path)
                continue
            self.counters["features_cached"] += 1
            if n_vectors(cached, frames) < 1:
                bad.append((str(c.path), self._too_short(c.path, cached)))
            self.bars.advance(task)
        for i, logmel, problem in file_logmels(todo, self.exp.spec, channel=self.exp.dataset.channel):
            path = todo[i]
            if problem is not None:
                bad.append((str(path), problem))
            else:
                self.cache.save_array(self.feature_path(path), logmel)
                self.counters["features_computed"] += 1
                if n_vectors(logmel.shape[-1], frames) < 1:
                    bad.append((str(path), self._too_short(path, logmel.shape[-1])))
            self.bars.advance(task)
        return sorted(bad)

    def _too_short(self, path: Path, n_frames: int) -> str:
        return (
            f"{path}: gives {n_frames} log-mel frame(s), fewer than frames={self.exp.frames}; too short to score "
            "(the official code would score it 0.0)"
        )

    @staticmethod
    def _cached_frames(path: Path) -> int | None:
        """Frames of a cached log-mel (reads the header only), or None if it is missing or broken."""
        try:
            return int(np.load(path, mmap_mode="r", allow_pickle=False).shape[-1])
        except (OSError, ValueError, EOFError, IndexError):
            return None

    def vectors(self, clips: tuple) -> tuple[np.ndarray, list[int]]:
        """Stacked vectors of ``clips`` laid end to end, and the vector count of each clip."""
        parts = []
        for c in clips:
            logmel = self.cache.load_array(self.feature_path(c.path))
            if logmel is None:
                raise RuntimeError(
                    f"{self.feature_path(c.path)}: feature cache entry vanished during the run"
                )
            parts.append(stack_frames(logmel, self.exp.frames))
        counts = [p.shape[0] for p in parts]
        dim = self.exp.input_dim
        data = np.concatenate(parts, axis=0) if parts else np.zeros((0, dim), np.float32)
        return data, counts

    # -- models -----------------------------------------------------------------------------------------------
    def model_key(self, unit: Unit) -> str:
        exp = self.exp
        return stable_key(
            "model",
            {"spec": self.spec_key, "channel": exp.dataset.channel, "frames": exp.frames},
            [self.identity[c.path].key() for c in unit.train],
            asdict(exp.model),
            asdict(exp.training),
            exp.input_dim,
            _versions(),
        )

    def train(self, unit: Unit) -> None:
        key = self.model_key(unit)
        self.model_keys[unit.name] = key
        if self.cache.has_model(key):
            info = self.cache.read_json(self.cache.model_info_path(key))
            self.counters["models_cached"] += 1
        else:
            info = self._fit(unit, key)
            self.counters["models_trained"] += 1
        self.models[unit.name] = {"key": key, **info}

    def _fit(self, unit: Unit, key: str) -> dict:
        import keras

        from ..models import build_model, make_deterministic, save_model, train_autoencoder

        t = self.exp.training
        vectors, _ = self.vectors(unit.train)
        keras.backend.clear_session()
        make_deterministic(t.seed)
        model = build_model(self.exp.model.name, self.exp.input_dim)
        task = self.bars.task(f"train {unit.name}", t.epochs)

        def on_epoch_end(epoch: int, logs: dict) -> None:
            self.bars.advance(
                task, description=f"train {unit.name} loss {logs.get('loss', float('nan')):.3g}"
            )

        history = train_autoencoder(
            model,
            vectors,
            epochs=t.epochs,
            batch_size=t.batch_size,
            validation_split=t.validation_split,
            shuffle=t.shuffle,
            learning_rate=t.learning_rate,
            on_epoch_end=on_epoch_end,
        )
        info = {"n_clips": len(unit.train), "n_vectors": int(vectors.shape[0]), "history": history}
        save_model(model, self.cache.model_path(key))
        # The info file marks the entry complete, so it is written after the model.
        self.cache.write_json(self.cache.model_info_path(key), info)
        self._loaded[key] = model
        return info

    def model(self, key: str):
        if key not in self._loaded:
            from ..models import load_model

            self._loaded[key] = load_model(self.cache.model_path(key))
        return self._loaded[key]

    # -- scores -----------------------------------------------------------------------------------------------
    def score(self, group: TestGroup, task) -> list[tuple[str, float, int | None]]:
        model_key = self.model_keys[group.unit]
        key = stable_key(
            "scores",
            model_key,
            asdict(self.exp.scoring),
            [self.identity[c.path].key() for c in group.clips],
        )
        path = self.cache.score_path(key)
        cached = self.cache.read_json(path)
        names = [c.file_name for c in group.clips]
        if cached is not None and cached.get("files") == names:
            scores = cached["scores"]
            self.counters["scores_cached"] += len(scores)
        else:
            from ..models import reconstruction_errors

            vectors, counts = self.vectors(group.clips)
            errors = reconstruction_errors(self.model(model_key), vectors)
            scores = [float(s) for s in clip_scores(errors, counts, aggregate=self.exp.scoring.aggregate)]
            self.cache.write_json(path, {"files": names, "scores": scores})
            self.counters["scores_computed"] += len(scores)
        self.bars.advance(task, len(scores))
        return [(c.file_name, s, c.label) for c, s in zip(group.clips, scores, strict=True)]


def resolve(exp: Experiment, data_root: str | os.PathLike | None) -> Experiment:
    """The experiment with ``dataset.root`` set to ``data_root`` (absolute), or its own root if None."""
    root = data_root if data_root is not None else exp.dataset.root
    if root is None:
        raise ValueError(
            "no data: give data_root (asdlens run --data ROOT) or set dataset.root in the experiment"
        )
    root = Path(root).expanduser().absolute()
    return exp.with_overrides({"dataset.root": str(root)})


def run_experiment(
    exp: Experiment,
    *,
    data_root: str | os.PathLike | None = None,
    out_dir: str | os.PathLike,
    cache_dir: str | os.PathLike | None = None,
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
        ``result.csv``; for MIMII one folder per SNR plus ``result.yaml``), ``results.json``, ``run.json``
        (counters and timings) and ``report.md`` / ``report.html`` with their PNGs.
    cache_dir : path or None
        Feature, model and score cache; default ``out_dir/cache``. Runs of different configs can share one.
    progress : bool
        Progress bars (rich, on stderr) for extraction, training and scoring.
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
    """
    started = time.perf_counter()
    exp = resolve(exp, data_root)
    out_dir = Path(out_dir)
    cache = RunCache(cache_dir if cache_dir is not None else out_dir / "cache")
    timings: dict[str, float] = {}
    plan = make_plan(exp, exp.dataset.root)
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out_dir / "config.yaml", exp.to_yaml())

    with Bars(progress) as bars:
        run = _Run(exp, plan, cache, bars)
        t0 = time.perf_counter()
        bad = run.features()
        timings["features"] = time.perf_counter() - t0
        if bad:
            if not skip_bad:
                raise BadClipsError(bad)
            plan = plan.without({Path(p) for p, _ in bad})
            run.plan = plan
            _check_trainable(plan)
        t0 = time.perf_counter()
        for unit in plan.units:
            run.train(unit)
        timings["training"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        task = bars.task("scoring", sum(len(g.clips) for g in plan.tests))
        scored = {g.label: run.score(g, task) for g in plan.tests}
        timings["scoring"] = time.perf_counter() - t0

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
    counters = {**run.counters, "bad_files": len(bad)}
    result = RunResult(
        results=results,
        averages=averages,
        counters=counters,
        out_dir=out_dir,
        config=exp,
        layout=plan.layout,
        bad_files=bad,
        models=run.models,
        scores=scored,
        timings=timings,
    )
    _write_outputs(result, plan, cache)
    if report:
        from .run_report import write_run_report

        t0 = time.perf_counter()
        write_run_report(result)
        timings["report"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - started
    atomic_write_json(
        out_dir / "run.json",
        {
            "counters": counters,
            "timings": timings,
            "cache_dir": str(cache.root.absolute()),
            "versions": _versions(),
            "machine": machine_info(),
        },
    )
    return result


def _check_trainable(plan: Plan) -> None:
    empty = [u.name for u in plan.units if not u.train]
    if empty:
        raise ValueError(f"after leaving out the bad clips, no training clips remain for {empty}")


def _copy_atomic(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".tmp-{os.getpid()}-{dst.name}")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


def _write_outputs(result: RunResult, plan: Plan, cache: RunCache) -> None:
    """The run folder's machine-readable files, every one written atomically."""
    out = result.out_dir
    for name, info in result.models.items():
        _copy_atomic(cache.model_path(info["key"]), out / "models" / f"{name}.keras")
        atomic_write_json(out / "models" / f"{name}.json", info)
    for g in plan.tests:
        rows = [(f, s) for f, s, _ in result.scores[g.label]]
        write_anomaly_scores(
            out / snr_folder(g.snr) / anomaly_score_file_name(g.machine_type, g.machine_id), rows
        )
    by_snr: dict[int | None, list[IdResult]] = {}
    for r in result.results:
        by_snr.setdefault(r.snr, []).append(r)
    for snr, rows in by_snr.items():
        write_result_csv(out / snr_folder(snr) / "result.csv", rows)
    if result.layout == "mimii":
        write_mimii_result_yaml(out / "result.yaml", result.results)
    atomic_write_json(out / "results.json", json.loads(json.dumps(result.results_dict())))
