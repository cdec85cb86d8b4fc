"""The protocol part of ``make bench``: training throughput and the ``dcase2020`` experiment's wall time."""

from __future__ import annotations

import time

from ..engine import EngineOptions


def protocol_benchmark(
    workdir,
    *,
    epochs: int = 100,
    n_clips: int = 200,
    types=("pump", "fan"),
    ids=("00", "02", "04", "06"),
    engine: EngineOptions | None = None,
) -> dict:
    """Training throughput of the DCASE 2020 autoencoder and the wall time of the ``dcase2020`` experiment.

    The experiment runs on a generated DCASE 2020 tree of ``len(types) x len(ids) x n_clips`` clips (per ID:
    60 % training, 20 % normal and 20 % anomalous test clips, 10 s each) with the shipped config and
    ``training.epochs=epochs`` on ``engine`` (default: the ``local`` executor, no live display); the timings are
    the runner's own (features, training, scoring, total).
    """
    from pathlib import Path

    from ..data.synth import generate
    from ..experiment import load_experiment, run_experiment
    from ..models import training_throughput

    workdir = Path(workdir)
    n_train, n_test = int(n_clips * 0.6), int(n_clips * 0.2)
    start = time.perf_counter()
    data = generate(
        workdir / "data", types=list(types), ids=list(ids), n_train=n_train, n_test_normal=n_test,
        n_test_anomaly=n_clips - n_train - n_test, workers=2, overwrite=True,
    )  # fmt: skip
    generated = time.perf_counter() - start
    exp = load_experiment("dcase2020", [f"training.epochs={epochs}"])
    run = run_experiment(
        exp,
        data_root=data,
        out_dir=workdir / "run",
        engine=engine or EngineOptions(progress=False),
        report=False,
    )
    return {
        "training": training_throughput("dcase2020_autoencoder"),
        "dcase2020_experiment": {
            "types": list(types),
            "ids": list(ids),
            "clips_per_id": n_clips,
            "epochs": epochs,
            "generate_s": generated,
            "timings_s": run.timings,
            "mean_auc": run.mean_auc,
            "mean_pauc": run.mean_pauc,
        },
    }
