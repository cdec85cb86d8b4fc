"""Speed of the detector families and of the shipped experiments, for ``make bench``.

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
    from ..models.throughput import detector_throughput
    from .config import load_experiment
    from .graph import detector_settings

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
    executor: str = "local",
    workers: int | None = None,
    threads: int = 1,
) -> dict[str, dict[str, Any]]:
    """Run each experiment of ``names`` on ``data_root`` (its own run folder and cache under ``workdir``).

    Returns
    -------
    dict
        Per experiment: ``wall_s``, ``timings_s`` (the runner's: features, models_and_scores, total),
        ``mean_auc``, ``mean_pauc``, ``models`` (trained) and the ``overrides`` used.
    """
    from .config import load_experiment
    from .runner import run_experiment

    workdir = Path(workdir)
    out = {}
    for name in names:
        exp = load_experiment(name, overrides or [])
        started = time.perf_counter()
        run = run_experiment(exp, data_root=data_root, out_dir=workdir / name, cache_dir=workdir / name / "cache",
                             executor=executor, workers=workers, threads=threads, progress=False, report=False)  # fmt: skip
        out[name] = {
            "wall_s": time.perf_counter() - started,
            "timings_s": run.timings,
            "mean_auc": run.mean_auc,
            "mean_pauc": run.mean_pauc,
            "models": run.counters["models_trained"],
            "overrides": list(overrides or []),
        }
    return out
