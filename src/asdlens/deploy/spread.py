"""The Keras model's run-to-run spread: how far retraining with other seeds moves each ID's AUC.

deploy-check flags a deployment step only when it moves an ID's AUC by more than retraining alone does. The
reseeded runs are ordinary runs of the run's experiment (``training.seed`` changed), sharing the run's cache so
their features are not recomputed.
"""

from __future__ import annotations

from pathlib import Path


def keras_spread(source, keras_results: list, seeds: int, out_dir: Path, progress: bool) -> dict:
    """Retrain ``seeds`` times with other seeds; per ID the largest |AUC(seed) - AUC(run)|.

    Returns
    -------
    dict
        ``seeds`` (the seeds trained), ``per_id`` (``{"pump id_00": spread}``), ``runs`` (the folders).
    """
    from ..engine import EngineOptions
    from ..experiment import run_experiment

    exp = source.experiment
    base = exp.training.seed
    cache = source.run_dir / "cache"
    reference = {r.label: r.auc for r in keras_results}
    per_id = dict.fromkeys(reference, 0.0)
    runs, used = [], []
    for k in range(1, seeds + 1):
        seed = base + k
        folder = Path(out_dir) / f"seed-{seed}"
        result = run_experiment(
            exp.with_overrides({"training.seed": seed}), data_root=source.data_root, out_dir=folder,
            cache_dir=cache if cache.is_dir() else Path(out_dir) / "cache", engine=EngineOptions(progress=progress),
            report=False,
        )  # fmt: skip
        for r in result.results:
            if r.label in per_id and r.auc is not None and reference[r.label] is not None:
                per_id[r.label] = max(per_id[r.label], abs(r.auc - reference[r.label]))
        runs.append(str(folder))
        used.append(seed)
    return {"seeds": used, "per_id": per_id, "runs": runs}
