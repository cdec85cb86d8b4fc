"""End to end on a generated tree: a short run, export in every format, the real runtimes, deploy-check.

Tolerances and why: a float32 artifact computes the frontend with float32 frames/FFT and the network with
float32 weights, so clip scores move by float32 rounding (~1e-6 relative measured; 1e-4 asserted, leaving room
for other CPUs' FFT and matrix kernels); the frontend's mel power is asserted to the frontends' criterion, 1e-5
relative on bins within 100 dB of the peak (the generated clips span ~55 dB). AUC is a rank statistic: equal
ranks give equal AUC, so float32 steps are held to 0.001.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from asdlens.cli import app
from asdlens.data.synth import generate
from asdlens.engine import EngineOptions
from asdlens.evaluate import read_anomaly_scores
from asdlens.experiment import load_experiment, run_experiment

QUIET = EngineOptions(progress=False)  # every run of these tests without the live display

pytestmark = [pytest.mark.slow, pytest.mark.ci]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    base = tmp_path_factory.mktemp("deploy")
    root = generate(
        base / "data", layout="dcase2020", types=["pump"], ids=["00", "02"], n_train=10, n_test_normal=4,
        n_test_anomaly=4, duration=2.0, seed=4,
    )  # fmt: skip
    exp = load_experiment("dcase2020", ["training.epochs=3", "training.batch_size=128"])
    run_experiment(exp, data_root=root, out_dir=base / "run", engine=QUIET, report=False)
    return base / "run"


def test_export_score_and_check(run_dir, tmp_path):
    from asdlens.deploy import CheckOptions, deploy_check, open_artifact

    runner = CliRunner()
    out = tmp_path / "export"
    res = runner.invoke(app, ["export", str(run_dir), "--format", "litert", "--out", str(out)])
    assert res.exit_code == 0, res.output
    info, runtime = open_artifact(out / "pump.tflite")
    assert (info.format, info.quantization, info.batchnorm, info.n_samples) == (
        "litert",
        "none",
        "fold",
        32000,
    )
    assert info.size_bytes == (out / "pump.tflite").stat().st_size and info.runtime.startswith(
        "ai-edge-litert"
    )

    res = runner.invoke(app, ["score", str(out / "pump.json"), "--data", str(run_dir.parent / "data"),
                              "--out", str(tmp_path / "scored"), "--no-progress"])  # fmt: skip
    assert res.exit_code == 0, res.output
    for mid in ("00", "02"):
        ours = dict(read_anomaly_scores(tmp_path / "scored" / f"anomaly_score_pump_id_{mid}.csv"))
        keras = dict(read_anomaly_scores(run_dir / f"anomaly_score_pump_id_{mid}.csv"))
        assert ours.keys() == keras.keys() and len(ours) == 8
        rel = [abs(ours[k] - keras[k]) / keras[k] for k in keras]
        assert max(rel) < 1e-4

    report = deploy_check(run_dir, tmp_path / "check", check=CheckOptions(spread=0.01, latency_clips=2),
                          progress=False)  # fmt: skip
    steps = {s["name"]: s for s in report["steps"]}
    assert list(steps) == ["keras", "savedmodel", "litert f32", "litert float16", "litert dynamic",
                           "litert int8", "onnx"]  # fmt: skip
    for name in ("savedmodel", "litert f32", "onnx"):
        s = steps[name]
        assert s["summary"]["max_rel"] < 1e-4, name
        assert all(abs(r["d_auc"]) <= 0.001 for r in s["ids"]), name
        assert s["units"]["pump"]["frontend"]["max_rel_power"] < 1e-5, name
    int8, f32 = steps["litert int8"]["units"]["pump"], steps["litert f32"]["units"]["pump"]
    assert int8["size_bytes"] <= f32["size_bytes"] / 3
    assert any("network: int8" in p for p in int8["quantized_parts"])
    assert any(p.startswith("frontend") for p in int8["float_parts"])  # the FFT and the log stay float
    assert report["flags"] == [] or all(f["kind"] == "auc" for f in report["flags"])
    saved = json.loads((tmp_path / "check" / "deploy.json").read_text())
    assert saved["steps"][2]["summary"] == steps["litert f32"]["summary"]


@pytest.mark.parametrize("batchnorm, defect", [("keep", False), ("batch-stats", True)])
def test_deploy_check_catches_a_conversion_defect(run_dir, tmp_path, batchnorm, defect):
    from asdlens.deploy import CheckOptions, ExportOptions, deploy_check

    check = CheckOptions(
        formats=["litert"], quantizations=["none"], spread=0.01, latency_clips=1, parity_clips=1
    )
    report = deploy_check(
        run_dir, tmp_path / batchnorm, check=check, export=ExportOptions(batchnorm=batchnorm), progress=False
    )
    defects = [f for f in report["flags"] if f["kind"] == "conversion defect"]
    assert bool(defects) == defect
    if defect:
        assert defects[0]["step"] == "litert f32" and defects[0]["stage"] == "network"
        assert defects[0]["max_rel"] > 0.01
    else:  # TF 2.21's converter folds inference-mode BatchNorm itself
        assert report["steps"][1]["summary"]["max_rel"] < 1e-4


def test_bad_inputs_are_named(run_dir, tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["export", str(tmp_path), "--format", "litert", "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and f"{tmp_path}: not a finished run folder (no config.yaml)" in res.output
    res = runner.invoke(app, ["export", str(run_dir), "--format", "onnx", "--quantize", "int8", "--out", "o"])
    assert res.exit_code == 2 and "quantize='int8' needs format='litert'" in res.output
    res = runner.invoke(app, ["export", str(run_dir), "--format", "litert", "--unit", "valve", "--out", "o"])
    assert res.exit_code == 2 and "no unit 'valve'; its units are ['pump']" in res.output
    out = tmp_path / "short"
    assert runner.invoke(app, ["export", str(run_dir), "--format", "litert", "--samples", "16000",
                               "--out", str(out)]).exit_code == 0  # fmt: skip
    res = runner.invoke(app, ["score", str(out / "pump.tflite"), "--data", str(run_dir.parent / "data"),
                              "--out", str(tmp_path / "s"), "--no-progress"])  # fmt: skip
    assert res.exit_code == 2
    assert "samples; the artifact takes exactly 16000" in res.output and ".wav:" in res.output
    np.testing.assert_equal(res.output.count("\n"), 1)  # one line


def test_deploy_check_command_writes_into_the_run_folder_and_fits_80_columns(run_dir):
    res = CliRunner().invoke(
        app, ["deploy-check", str(run_dir), "--formats", "litert", "--quantize", "none,int8", "--spread", "0.01",
              "--no-progress"], env={"COLUMNS": "80"},
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    report = json.loads((run_dir / "deploy" / "deploy.json").read_text())
    assert [s["name"] for s in report["steps"]] == ["keras", "litert f32", "litert int8"]
    assert (run_dir / "deploy" / "report.html").is_file() and f"wrote {run_dir / 'deploy'}" in res.output
    assert max(len(line) for line in res.output.splitlines() if "deploy" not in line) <= 80, res.output
    assert "…" not in res.output
    int8 = report["steps"][2]["summary"]
    assert f"{int8['max_rel']:.1e}" in res.output and f"{int8['auc']:.4f}" in res.output
