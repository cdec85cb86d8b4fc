"""A PyTorch run exported and deploy-checked end to end: ONNX (frontend + the torch network's weights + aggregate)
scored by onnxruntime against the run's own scores, and the deploy-check ladder on it.

Tolerances as for Keras runs (``test_deploy_e2e``): float32 artifacts move clip scores by float32 rounding;
1e-4 relative is asserted.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from asdlens.cli import app
from asdlens.data.synth import generate
from asdlens.engine import EngineOptions
from asdlens.evaluate import read_anomaly_scores
from asdlens.experiment import load_experiment, run_experiment

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    base = tmp_path_factory.mktemp("deploy-torch")
    root = generate(
        base / "data", layout="dcase2020", types=["pump"], ids=["00", "02"], n_train=10, n_test_normal=4,
        n_test_anomaly=4, duration=2.0, seed=4,
    )  # fmt: skip
    exp = load_experiment("dcase2020-torch", ["training.epochs=3", "training.batch_size=128"])
    run_experiment(
        exp, data_root=root, out_dir=base / "run", engine=EngineOptions(progress=False), report=False
    )
    return base / "run"


def test_torch_run_exports_to_onnx_and_passes_deploy_check(run_dir, tmp_path):
    from asdlens.deploy import CheckOptions, deploy_check, open_artifact

    assert (run_dir / "models" / "pump.pt").is_file() and not (run_dir / "models" / "pump.keras").exists()
    out = tmp_path / "export"
    res = CliRunner().invoke(app, ["export", str(run_dir), "--format", "onnx", "--out", str(out)])
    assert res.exit_code == 0, res.output
    info, _ = open_artifact(out / "pump.onnx")
    assert info.format == "onnx" and info.experiment["model"]["framework"] == "torch"
    res = CliRunner().invoke(app, ["score", str(out / "pump.json"), "--data", str(run_dir.parent / "data"),
                                   "--out", str(tmp_path / "scored"), "--no-progress"])  # fmt: skip
    assert res.exit_code == 0, res.output
    for mid in ("00", "02"):
        ours = dict(read_anomaly_scores(tmp_path / "scored" / f"anomaly_score_pump_id_{mid}.csv"))
        run = dict(read_anomaly_scores(run_dir / f"anomaly_score_pump_id_{mid}.csv"))
        assert ours.keys() == run.keys() and len(ours) == 8
        assert max(abs(ours[k] - run[k]) / run[k] for k in run) < 1e-4
    check = CheckOptions(formats=("onnx", "litert"), quantizations=("none",), spread=0.01, latency_clips=2)
    report = deploy_check(run_dir, tmp_path / "check", check=check, progress=False)
    steps = {s["name"]: s for s in report["steps"]}
    assert list(steps) == ["keras", "litert f32", "onnx"]
    for name in ("litert f32", "onnx"):
        assert steps[name]["summary"]["max_rel"] < 1e-4, name
        assert all(abs(r["d_auc"]) <= 0.001 for r in steps[name]["ids"]), name
