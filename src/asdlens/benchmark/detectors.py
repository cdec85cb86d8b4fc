"""The detectors part of ``make bench``: speed of the detector families and of the shipped experiments.

- :func:`family_throughputs`: training samples per second of each shipped detector experiment's model, trained
  by its own ``fit`` on random clips (:func:`asdlens.models.throughput.detector_throughput`);
- :func:`time_experiments`: the wall time of shipped experiments run end to end on a data tree (each in a cache
  of its own, so no experiment reuses another's models), with the runner's timings and the mean AUC / pAUC.

``arcface-knn-full`` (300 epochs of MobileFaceNet, for a GPU) is left out of the timed runs by default; its
estimate from the throughput is reported instead.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ..engine import EngineOptions

#: The shipped experiments the bench times (the detector experiments and the baseline they are compared with).
BENCH_EXPERIMENTS = ("dcase2020", "dcase2020-ae-mahalanobis", "dcase2021-mobilenetv2", "arcface-knn")
THROUGHPUT_EXPERIMENTS = (
    "dcase2020",
    "dcase2021-mobilenetv2",
    "arcface-knn",
    "arcface-knn-full",
)


def family_throughputs(
    names: tuple[str, ...] = THROUGHPUT_EXPERIMENTS, *, n_clips: int = 48, epochs: int = 2, seed: int = 0
) -> dict[str, dict[str, Any]]:
    """Per shipped experiment: :func:`~asdlens.models.throughput.detector_throughput` of its model with its own
    frames, hop, batch size and optimiser settings (``samples_per_s``: stacked vectors for the autoencoder,
    patches or windows for the others)."""
    from ..experiment.config import load_experiment
    from ..experiment.graph import detector_settings
    from ..models.throughput import detector_throughput

    out = {}
    for name in names:
        exp = load_experiment(name, ["training.gpus=0"])
        out[name] = detector_throughput(detector_settings(exp), n_clips=n_clips, epochs=epochs, seed=seed)
    return out


def estimated_training_s(throughput: dict[str, Any], n_samples: int, epochs: int) -> float:
    """Seconds to train ``epochs`` epochs of ``n_samples`` training samples at a measured rate."""
    return n_samples * epochs / throughput["samples_per_s"]


def time_experiments(
    data_root: str | Path,
    workdir: str | Path,
    names: tuple[str, ...] = BENCH_EXPERIMENTS,
    *,
    overrides: list[str] | None = None,
    engine: EngineOptions | None = None,
) -> dict[str, dict[str, Any]]:
    """Run each experiment of ``names`` on ``data_root`` (its own run folder and cache under ``workdir``), on
    ``engine`` (default: the ``local`` executor, no live display).

    Returns
    -------
    dict
        Per experiment: ``wall_s``, ``timings_s`` (the runner's: features, models_and_scores, total),
        ``mean_auc``, ``mean_pauc``, ``models`` (trained) and the ``overrides`` used.
    """
    from ..experiment.config import load_experiment
    from ..experiment.runner import run_experiment

    engine = engine if engine is not None else EngineOptions(progress=False)
    workdir = Path(workdir)
    out = {}
    for name in names:
        exp = load_experiment(name, overrides or [])
        started = time.perf_counter()
        run = run_experiment(exp, data_root=data_root, out_dir=workdir / name, cache_dir=workdir / name / "cache",
                             engine=engine, report=False)  # fmt: skip
        out[name] = {
            "wall_s": time.perf_counter() - started,
            "timings_s": run.timings,
            "mean_auc": run.mean_auc,
            "mean_pauc": run.mean_pauc,
            "models": run.counters["models_trained"],
            "overrides": list(overrides or []),
        }
    return out


def detectors_benchmark(
    workdir,
    *,
    n_clips: int = 200,
    types=("pump", "fan"),
    ids=("00", "02", "04", "06"),
    engine: EngineOptions | None = None,
) -> dict[str, Any]:
    """Training throughput of each family and the wall time of each shipped detector experiment on the bench set
    (the ``protocol`` part's generated tree: ``len(types) x len(ids) x n_clips`` clips of 10 s), each experiment at
    its shipped settings (on ``engine``, see :func:`time_experiments`), with the estimated training time of
    ``arcface-knn-full`` on the same set."""
    from ..data.synth import generate
    from ..experiment.config import load_experiment

    workdir = Path(workdir)
    n_train, n_test = int(n_clips * 0.6), int(n_clips * 0.2)
    data = generate(
        workdir / "data", types=list(types), ids=list(ids), n_train=n_train, n_test_normal=n_test,
        n_test_anomaly=n_clips - n_train - n_test, workers=2, overwrite=True,
    )  # fmt: skip
    throughputs = family_throughputs()
    full = load_experiment("arcface-knn-full")
    spec = full.spec.resolved()
    clip_frames = 1 + int(10.0 * spec.sr) // spec.hop_length
    windows_per_clip = max(1, (clip_frames - full.frames) // full.model.params()["hop"] + 1)
    n_windows = len(types) * len(ids) * n_train * windows_per_clip
    return {
        "set": {"types": list(types), "ids": list(ids), "clips_per_id": n_clips},
        "throughput": throughputs,
        "experiments": time_experiments(data, workdir / "runs", engine=engine),
        "arcface_knn_full_estimated_training_s": estimated_training_s(
            throughputs["arcface-knn-full"], n_windows, full.training.epochs
        ),
    }
