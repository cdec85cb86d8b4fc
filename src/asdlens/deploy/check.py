"""``deploy_check``: the ladder Keras -> SavedModel -> LiteRT float32 -> float16 -> dynamic -> int8 (ONNX beside it).

For every step and unit it exports the artifact, scores the run's test clips with the artifact's own runtime and
compares with the Keras run (its ``anomaly_score_*.csv``): max and mean relative |Δ score|, AUC and pAUC per ID
and their change against Keras and against the previous step, artifact size and single-thread latency per clip.

Where a change comes from: each step is also exported without its frontend (``score_logmel``: the same
network, quantization and aggregate, fed the exact NumPy log-mel), so ``ΔAUC = ΔAUC(network) + ΔAUC(frontend)``
with ``ΔAUC(network)`` the change that remains with the exact frontend. The frontend alone (mel power) is
exported too and compared with the NumPy backend bin by bin.

Flags: an ID whose AUC moves by more than the Keras model's run-to-run spread (how far retraining with other
seeds moves that ID's AUC, or a given number) is flagged with the stage that moves it most; a float32 step whose
scores move by more than :data:`DEFECT_RELATIVE` is a conversion defect (float32 rounding moves them ~1e-6).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..atomic import atomic_write_json
from .check_constants import WITHIN_DB
from .export import export_unit, write_graph
from .families import family_for
from .fold import network_function
from .formats import SUFFIX, path_size
from .frontend_graph import FrontendGraph, magnitude_for
from .options import CheckOptions, ExportOptions, default_out
from .scoring import metrics_of, progress_bar, read_clip, score_groups
from .scoring_graph import scoring_function

#: The ladder in order; ONNX (float32) is compared with Keras beside it, not as a step of the ladder.
LADDER = (
    ("savedmodel", "none"),
    ("litert", "none"),
    ("litert", "float16"),
    ("litert", "dynamic"),
    ("litert", "int8"),
)
BESIDE = (("onnx", "none"),)


def step_name(fmt: str, quantize: str) -> str:
    """``savedmodel``, ``litert f32``, ``litert int8``, ``onnx``."""
    if fmt == "litert":
        return f"litert {'f32' if quantize == 'none' else quantize}"
    return fmt


def _steps(check: CheckOptions) -> list[tuple[str, str]]:
    """The ladder's steps (then ONNX) that ``check`` asks for, in ladder order."""
    return [
        (f, q)
        for f, q in (*LADDER, *BESIDE)
        if f in check.formats and (f != "litert" or q in check.quantizations)
    ]


def _median_ms(fn, inputs) -> float | None:
    if not inputs:
        return None
    fn(inputs[0])  # warm-up: first calls allocate and (LiteRT) prepare the delegate
    times = []
    for x in inputs:
        t0 = time.perf_counter()
        fn(x)
        times.append((time.perf_counter() - t0) * 1000.0)
    return float(np.median(times))


def _score_deltas(scores: dict, ref: dict) -> dict:
    a = np.array([s for rows in scores.values() for _, s, _ in rows])
    b = np.array([s for label in scores for _, s, _ in ref[label]])
    rel = np.abs(a - b) / np.maximum(np.abs(b), np.finfo(np.float64).tiny)
    return {"max_rel": float(rel.max()), "mean_rel": float(rel.mean()), "max_abs": float(np.abs(a - b).max())}


def _frontend_parity(runtime, clips_audio, exact_power) -> dict:
    worst, worst_db = 0.0, 0.0
    for y, ref in zip(clips_audio, exact_power, strict=True):
        out = np.asarray(runtime(y), np.float64)
        keep = ref >= ref.max() * 10 ** (-WITHIN_DB / 10)
        rel = np.abs(out[keep] - ref[keep]) / ref[keep]
        worst = max(worst, float(rel.max()))
        worst_db = max(worst_db, float(np.abs(10 * np.log10(np.maximum(out[keep], 1e-30) / ref[keep])).max()))
    return {"max_rel_power": worst, "max_db": worst_db, "within_db": WITHIN_DB, "clips": len(exact_power)}


class _Unit:
    """Everything about one unit that every step reuses: groups, Keras scores, exact features, the model."""

    def __init__(self, source, name: str, keras: dict, export: ExportOptions, parity_clips: int):
        from ..features.stacking import stack_frames

        exp = source.experiment
        self.name = name
        self.model = source.load_model(name)
        self.groups = source.tests(name)
        self.n_samples = export.n_samples or source.clip_length(name)
        self.read = lambda c: read_clip(c, exp, sample_rate=exp.spec.sample_rate, n_samples=self.n_samples)
        self.keras = {g.label: keras[g.label] for g in self.groups}
        clips = [c for g in self.groups for c in g.clips]
        self.exact = {c.path: np.asarray(source.logmel(self.read(c)), np.float32) for c in clips}
        power = dataclasses.replace(exp.spec, log=None)
        self.parity = clips[:parity_clips]
        self.parity_power = [np.asarray(source.logmel(self.read(c), power), np.float64) for c in self.parity]
        model, frames = self.model, exp.frames
        self.keras_ms = _median_ms(
            lambda y: model(stack_frames(np.asarray(source.logmel(y), np.float32), frames)),
            [self.read(c) for c in clips[:5]],
        )
        self.calibration = source.calibration_clips(name, export.calibration_clips)


def deploy_check(
    run_dir: str | Path,
    out_dir: str | Path | None = None,
    *,
    units: Sequence[str] | None = None,
    data_root: str | Path | None = None,
    check: CheckOptions | None = None,
    export: ExportOptions | None = None,
    progress: bool = True,
) -> dict:
    """Run the deployment ladder on a finished run; write ``deploy.json`` and the artifacts into ``out_dir``.

    >>> deploy_check("run", units=["pump"], check=CheckOptions(spread=0.01),
    ...              export=ExportOptions(batchnorm="keep"))  # doctest: +SKIP

    Parameters
    ----------
    run_dir : path
        A finished ``asdlens run`` folder.
    out_dir : path, optional
        Gets ``deploy.json``, ``artifacts/<step>/`` and ``probes/<step>/`` (and ``seeds/``, the reseeded runs);
        default ``run_dir/deploy`` (:data:`~asdlens.deploy.options.DEPLOY_FOLDER`).
    units : sequence of str, optional
        Units to check (default all).
    data_root : path, optional
        The run's data if it moved.
    check : CheckOptions, optional
        The steps (formats, LiteRT modes), the spread or the seeds that measure it, clips timed and compared
        (default ``CheckOptions()``).
    export : ExportOptions, optional
        How every step's graphs are built: clip length, BatchNorm (``batch-stats`` is the defect deploy-check
        must catch), int8 calibration clips (default ``ExportOptions()``).
    progress : bool

    Returns
    -------
    dict
        What ``deploy.json`` holds (see the docs, ``docs/deployment.md``).
    """
    from ..runtime import machine_info
    from .source import open_run
    from .spread import keras_spread

    check = check or CheckOptions()
    export = export or ExportOptions()
    steps = _steps(check)
    source = open_run(run_dir, data_root)
    exp = source.experiment
    names = list(units) if units else source.unit_names
    for name in names:
        source.unit(name)
    out = Path(out_dir) if out_dir is not None else default_out(run_dir)
    keras_scores = _keras_scores(source, names)
    keras_results = metrics_of([g for n in names for g in source.tests(n)], keras_scores, exp.metric.max_fpr)
    spread = check.spread
    spread_info = (
        keras_spread(source, keras_results, check.seeds, out / "seeds", progress) if spread is None else None
    )
    report = {
        "run_dir": str(source.run_dir.absolute()), "experiment": exp.name, "units": names,
        "batchnorm": export.batchnorm, "machine": machine_info(), "tf_intra_op_threads": _tf_threads(),
        "spread": spread_info or {"given": spread}, "steps": [],
    }  # fmt: skip
    keras_step = {"name": "keras", "format": "keras", "quantization": "none", "units": {}, "ids": []}
    unit_state = {}
    for name in names:
        u = unit_state[name] = _Unit(source, name, keras_scores, export, check.parity_clips)
        keras_step["units"][name] = {
            "size_bytes": path_size(source.model_path(name)),
            "latency_ms": u.keras_ms,
        }
    keras_step["ids"] = [r.to_dict() for r in keras_results]
    report["steps"].append(keras_step)
    total = len(steps) * sum(2 * sum(len(g.clips) for g in unit_state[n].groups) for n in names)
    with progress_bar(progress, "deploy-check", total) as advance:
        for fmt, q in steps:
            report["steps"].append(
                _step(source, unit_state, (fmt, q), export, out, check.latency_clips, advance)
            )
    from .verdict import annotate

    annotate(report, spread)
    atomic_write_json(out / "deploy.json", report)
    return report


def _tf_threads() -> int | None:
    """TensorFlow's intra-op threads: set in code, else from TF_NUM_INTRAOP_THREADS, else None (all cores)."""
    import os

    import tensorflow as tf

    n = int(tf.config.threading.get_intra_op_parallelism_threads())
    env = os.environ.get("TF_NUM_INTRAOP_THREADS")
    return n if n else (int(env) if env and env.isdigit() else None)


def _keras_scores(source, names) -> dict:
    """The run's own score of every test clip of ``names``, read from its official score files (the year's names:
    ``anomaly_score_<type>_id_<NN>.csv``, or per section for DCASE 2021-2026), paired with the test clips."""
    from ..evaluate.score_folder import read_score_folder

    plan = source.plan
    try:  # every test clip of the run, so that the files of units not checked are known too
        folder = read_score_folder(source.run_dir, [c for g in plan.tests for c in g.clips], plan.layout)
    except ValueError as exc:
        raise ValueError(f"{source.run_dir}: deploy-check compares with the run's scores: {exc}") from None
    by_path = {c.path: score for unit in folder.units.values() for c, score in unit}
    return {
        g.label: [(c.file_name, by_path[c.path], c.label) for c in g.clips]
        for name in names
        for g in source.tests(name)
    }


def _step(
    source, unit_state: dict, step_id: tuple[str, str], export: ExportOptions, out: Path, latency_clips: int,
    advance,
) -> dict:  # fmt: skip
    from .runtimes import Runtime

    fmt, q = step_id
    batchnorm = export.batchnorm
    exp = source.experiment
    name = step_name(fmt, q)
    folder = name.replace(" ", "-")
    step = {"name": name, "format": fmt, "quantization": q, "units": {}, "ids": []}
    all_scores, all_exact = {}, {}
    for unit, u in unit_state.items():
        info = export_unit(
            source, unit, fmt, q, out / "artifacts" / folder,
            options=dataclasses.replace(export, n_samples=u.n_samples), model=u.model,
        )  # fmt: skip
        runtime = Runtime(out / "artifacts" / folder / info.file, fmt)
        common = dict(
            frames=exp.frames, aggregate=exp.scoring.aggregate,
            network=network_function(u.model, batchnorm=batchnorm), family=family_for(exp.model.name, exp.scoring.backend),
        )  # fmt: skip
        frontend = FrontendGraph(exp.spec, u.n_samples, source.channel_stage, magnitude_for(fmt))
        probe_fn = scoring_function(frontend, graph="score_logmel", **common)
        cal = [u.exact[c.path] if c.path in u.exact else _exact(source, u, c) for c in u.calibration]
        probe_path = write_graph(
            probe_fn, fmt, q, out / "probes" / folder / f"{unit}-score_logmel{SUFFIX[fmt]}",
            representative=(lambda cal=cal: iter(cal)) if q == "int8" else None,
        )  # fmt: skip
        probe = Runtime(probe_path, fmt)
        scores = score_groups(runtime, u.groups, u.read, advance)
        exact = score_groups(probe, u.groups, lambda c, u=u: u.exact[c.path], advance)
        all_scores.update(scores)
        all_exact.update(exact)
        record = {
            "artifact": str((out / "artifacts" / folder / info.file).relative_to(out)),
            "size_bytes": info.size_bytes, "float_parts": info.float_parts, "quantized_parts": info.quantized_parts,
            "latency_ms": _median_ms(runtime, [u.read(c) for g in u.groups for c in g.clips][:latency_clips]),
            "score": _score_deltas(scores, u.keras), "score_exact_frontend": _score_deltas(exact, u.keras),
        }  # fmt: skip
        if q != "int8":  # int8 covers the network only: its frontend is the float32 one
            power = dataclasses.replace(frontend, spec=dataclasses.replace(exp.spec, log=None))
            power_fn = scoring_function(power, graph="logmel", **common)
            power_path = write_graph(power_fn, fmt, q, out / "probes" / folder / f"{unit}-mel{SUFFIX[fmt]}")
            record["frontend"] = _frontend_parity(
                Runtime(power_path, fmt), [u.read(c) for c in u.parity], u.parity_power
            )
        step["units"][unit] = record
    groups = [g for u in unit_state.values() for g in u.groups]
    results = metrics_of(groups, all_scores, exp.metric.max_fpr)
    exact_results = metrics_of(groups, all_exact, exp.metric.max_fpr)
    for r, e in zip(results, exact_results, strict=True):
        step["ids"].append({**r.to_dict(), "auc_exact_frontend": e.auc, "pauc_exact_frontend": e.pauc})
    return step


def _exact(source, u, clip):
    return np.asarray(source.logmel(u.read(clip)), np.float32)
