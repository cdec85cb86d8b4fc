"""A caller's executor serves several ``run_experiments`` calls: its workers start once and stay up between them."""

from __future__ import annotations

import pytest

from asdlens.data.synth import generate
from asdlens.engine import LocalExecutor
from asdlens.experiment import load_experiment, run_experiments


@pytest.mark.slow
def test_a_borrowed_pool_stays_up_and_serves_the_next_call(tmp_path):
    root = generate(
        tmp_path / "data", layout="dcase2020", types=["pump"], ids=["00"], n_train=12, n_test_normal=2,
        n_test_anomaly=2, duration=1.0, seed=3,
    )  # fmt: skip
    pool = LocalExecutor(workers=1)
    try:
        first = load_experiment("dcase2020", ["training.epochs=1"])
        run_experiments(
            [first], out_dirs=[tmp_path / "a"], cache_dir=tmp_path / "cache", data_root=root, pool=pool
        )
        (worker,) = pool._workers
        assert worker.process.is_alive()  # not stopped at the end of the call
        done = worker.finished
        second = first.with_overrides(["training.seed=1"])  # a new fit (and its scoring): jobs for the pool
        run_experiments(
            [second], out_dirs=[tmp_path / "b"], cache_dir=tmp_path / "cache", data_root=root, pool=pool
        )
        assert [w.process.pid for w in pool._workers] == [worker.process.pid]
        assert worker.finished > done  # the same process ran the second call's jobs
        assert (tmp_path / "b" / "results.json").is_file()
    finally:
        pool.close()
