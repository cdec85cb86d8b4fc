"""A PyTorch run through the engine: the same bytes on the inline and the local executor, and a worker killed in
the middle of a torch fit retried to the same result (the fit is a pure function of its inputs)."""

from __future__ import annotations

import threading

import pytest
import torch
from test_faults import _kill_first_fit  # noqa: I001 - tests/engine on the path

from asdlens.data.synth import generate
from asdlens.engine import EngineOptions
from asdlens.experiment import load_experiment, run_experiment

pytestmark = pytest.mark.slow
SETS = ["training.epochs=30", "training.batch_size=32", "dataset.types=[pump,fan]"]


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("torch-runs") / "data"
    return generate(
        root, layout="dcase2020", types=["pump", "fan"], ids=["00"], n_train=8, n_test_normal=3,
        n_test_anomaly=3, duration=2.0, seed=7,
    )  # fmt: skip


def test_torch_run_same_bytes_inline_and_local_and_after_a_kill(tree, tmp_path):
    exp = load_experiment("dcase2020-torch", SETS)
    inline = run_experiment(exp, data_root=tree, out_dir=tmp_path / "inline", engine=EngineOptions(executor="inline", progress=False),
                            report=False)  # fmt: skip
    assert inline.counters["models_trained"] == 2
    killed: list = []
    killer = threading.Thread(target=_kill_first_fit, args=(tmp_path / "local" / "cache", killed))
    killer.start()
    local = run_experiment(exp, data_root=tree, out_dir=tmp_path / "local", engine=EngineOptions(executor="local", workers=2,
                           progress=False), report=False)  # fmt: skip
    killer.join()
    assert killed, "no fit was seen running"
    retried = [j for j in local.jobs if j["retries"]]
    assert [j["kind"] for j in retried] == ["fit"] and retried[0]["retries"] == 1
    for name in ("results.json", "result.csv"):
        assert (tmp_path / "inline" / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), name
    for unit in ("pump", "fan"):
        a, b = (
            torch.load(tmp_path / run / "models" / f"{unit}.pt", weights_only=True)
            for run in ("inline", "local")
        )
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a), unit
        assert "encoder.0.weight" in a and a["cov_source"].abs().sum() > 0
