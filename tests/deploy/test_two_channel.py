"""Two-channel (DCASE 2026) artifacts: the channel stage inside the exported graph, in every format, run by the
real runtimes (TensorFlow's SavedModel loader, the LiteRT interpreter, onnxruntime) and compared with the exact
NumPy backend; a 2026 run exported and deploy-checked end to end; the stages no artifact holds refused.

Tolerances: the exported frontend is float32 (LiteRT has no float64), the NumPy backend float64 rounded once.
As for one channel (``test_deploy_e2e``), the mel power is held to 1e-5 relative on the bins within 100 dB of the
clip's peak (deploy-check's criterion, ``WITHIN_DB``), which is 4.3e-5 dB after the log. Magnitude subtraction
is held to 3e-4: its rule ``|C| - a g |F|`` where ``|C| > a g |F|`` (else ``floor |C|``) amplifies float32
rounding where the two channels' magnitudes are close (a difference of two nearly equal numbers, and a branch
that may flip), so NumPy's own float32 pipeline (``fast=True``) is 2.4e-5 from its float64 one on these clips,
where the other policies stay within 1.5e-6, and the exported graphs reach 7.2e-5 (ONNX, transfer clip, on 16
clips; measured).
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from typer.testing import CliRunner

from asdlens.data import read_audio
from asdlens.data.synth import generate
from asdlens.evaluate.submission import read_score_file
from asdlens.features import ChannelSpec, get_preset, melspectrogram

SPEC = get_preset("dcase2020")
POLICIES = [
    ChannelSpec("mean"),
    ChannelSpec("magnitude_subtraction"),  # transfer none, its published default
    ChannelSpec("magnitude_subtraction", transfer="clip"),
    ChannelSpec("complex_subtraction"),  # transfer clip, its published default
    ChannelSpec("complex_subtraction", transfer="none"),
]
FORMATS = ("savedmodel", "litert", "onnx")
WITHIN = 1e-10  # 100 dB below the clip's peak


def _tolerance(channels: ChannelSpec) -> float:
    return 3e-4 if channels.policy == "magnitude_subtraction" else 1e-5


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    root = generate(
        tmp_path_factory.mktemp("d26") / "data", layout="dcase2026", types=["fan"], parts=["dev"], n_train=2,
        n_train_target=1, n_test_normal=2, n_test_anomaly=2, duration=1.0, seed=5,
    )  # fmt: skip
    paths = sorted(root.rglob("*.wav"))[:4]
    return [read_audio(p, channel=None) for p in paths]


def _export(tmp_path, channels, fmt, spec, n_samples):
    from asdlens.deploy.export import write_graph
    from asdlens.deploy.formats import SUFFIX
    from asdlens.deploy.frontend_graph import FrontendGraph, magnitude_for
    from asdlens.deploy.runtimes import Runtime
    from asdlens.deploy.scoring_graph import scoring_function

    frontend = FrontendGraph(spec, n_samples, channels, magnitude_for(fmt))
    fn = scoring_function(frontend, frames=5, aggregate="mean", network=None, family=None, graph="logmel")
    assert fn.input_signature[0].shape.as_list() == [2, n_samples]
    return Runtime(write_graph(fn, fmt, "none", tmp_path / f"frontend{SUFFIX[fmt]}"), fmt)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("channels", POLICIES, ids=lambda c: f"{c.policy}-{c.transfer_method}")
def test_the_exported_two_channel_frontend_equals_numpy(clips, tmp_path, channels, fmt):
    n = clips[0].shape[-1]
    power = dataclasses.replace(SPEC, log=None)
    runtime = _export(tmp_path / "power", channels, fmt, power, n)
    worst = 0.0
    for y in clips:
        ref = np.asarray(melspectrogram(y, power, backend="numpy", channels=channels), np.float64)
        out = np.asarray(runtime(y), np.float64)
        assert out.shape == ref.shape == (SPEC.n_mels, 32)
        keep = ref >= ref.max() * WITHIN
        worst = max(worst, float((np.abs(out[keep] - ref[keep]) / ref[keep]).max()))
    assert worst < _tolerance(channels)
    # The log-mel graph (what the artifact feeds the network): the same bound after 10 log10, in dB.
    runtime = _export(tmp_path / "log", channels, fmt, SPEC, n)
    for y in clips[:2]:
        ref = np.asarray(melspectrogram(y, SPEC, backend="numpy", channels=channels), np.float64)
        np.testing.assert_allclose(runtime(y), ref, rtol=0, atol=10 / np.log(10) * _tolerance(channels))


@pytest.mark.parametrize("length", [1024, 400])
def test_the_real_dft_basis_is_the_real_fft(length):
    from asdlens.deploy.frontend_graph import dft_basis

    frames = np.random.default_rng(length).standard_normal((7, length))
    both = frames @ dft_basis(length, 1024)
    spectrum = np.fft.rfft(frames, n=1024)  # zero-padded to n_fft, as tf.signal.rfft pads a shorter frame
    np.testing.assert_allclose(both[:, :513], spectrum.real, rtol=0, atol=1e-11)
    np.testing.assert_allclose(both[:, 513:], spectrum.imag, rtol=0, atol=1e-11)
    with pytest.raises(ValueError, match=r"needs 0 < length <= n_fft; got length=2048, n_fft=1024"):
        dft_basis(2048, 1024)


def test_stages_no_artifact_holds_are_refused():
    from asdlens.deploy.frontend_graph import FrontendGraph, check_channels_exportable

    with pytest.raises(ValueError, match=r"^run: channels.policy='both' gives two feature planes"):
        check_channels_exportable(ChannelSpec("both"), "run")
    fitted = ChannelSpec("complex_subtraction", transfer="fitted")
    with pytest.raises(ValueError, match=r"^run: channels.transfer='fitted' cannot be exported"):
        check_channels_exportable(fitted, "run")
    for policy in ("near", "far"):  # one channel: the artifact takes that channel's samples, as before
        with pytest.raises(ValueError, match=rf"channels.policy='{policy}' reads one channel"):
            FrontendGraph(SPEC, 16000, ChannelSpec(policy))
    assert FrontendGraph(SPEC, 16000).input_shape == [16000]
    assert FrontendGraph(SPEC, 16000, ChannelSpec("mean")).input_shape == [2, 16000]


@pytest.mark.parametrize(
    "channels, message",
    [({"policy": "both"}, "channels.policy='both'"), ({"transfer": "fitted"}, "channels.transfer='fitted'")],
)
def test_a_run_folder_with_such_a_stage_is_named(tmp_path, channels, message):
    import yaml

    from asdlens.cli import app
    from asdlens.experiment import load_experiment

    config = load_experiment("dcase2026-ae-subtraction").to_dict()
    config["channels"].update(channels)
    (tmp_path / "models").mkdir()
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    res = CliRunner().invoke(app, ["export", str(tmp_path), "--format", "onnx", "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and message in res.output and str(tmp_path) in res.output, res.output


@pytest.mark.slow
@pytest.mark.ci
def test_a_2026_complex_subtraction_run_exports_and_passes_deploy_check(tmp_path):
    from asdlens.cli import app
    from asdlens.deploy import CheckOptions, deploy_check, open_artifact
    from asdlens.engine import EngineOptions
    from asdlens.experiment import load_experiment, run_experiment

    root = generate(
        tmp_path / "data", layout="dcase2026", types=["fan"], parts=["dev"], n_train=8, n_train_target=2,
        n_test_normal=4, n_test_anomaly=4, duration=1.0, seed=5,
    )  # fmt: skip
    exp = load_experiment("dcase2026-ae-subtraction", ["training.epochs=2"])
    run = tmp_path / "run"
    run_experiment(
        exp, data_root=root / "dev_data", out_dir=run, engine=EngineOptions(progress=False), report=False
    )
    out = tmp_path / "export"
    for fmt in ("onnx", "litert"):
        res = CliRunner().invoke(app, ["export", str(run), "--format", fmt, "--out", str(out)])
        assert res.exit_code == 0, res.output
    for suffix in (".onnx", ".tflite"):
        info, runtime = open_artifact(out / f"fan{suffix}")
        assert info.input_shape == [2, 16000] and info.n_samples == 16000
        assert info.channels == {"policy": "complex_subtraction", "over_subtraction": 1.0, "floor": 0.0,
                                 "transfer": "clip", "transfer_eps": 1e-12}  # fmt: skip
        assert "channel stage (complex_subtraction)" in info.frontend
        assert float(runtime(np.zeros((2, 16000), np.float32))) >= 0.0
    sidecar = json.loads((out / "fan.json").read_text())
    assert sidecar["input_shape"] == [2, 16000] and sidecar["channels"]["policy"] == "complex_subtraction"
    # asdlens score reads both channels and writes the year's file, whose scores are the run's own
    res = CliRunner().invoke(app, ["score", str(out / "fan.tflite"), "--data", str(root / "dev_data"),
                                   "--out", str(tmp_path / "scored"), "--no-progress"])  # fmt: skip
    assert res.exit_code == 0, res.output
    name = "anomaly_score_fan_section_00_test.csv"
    ours, theirs = (dict(read_score_file(folder / name)) for folder in (tmp_path / "scored", run))
    assert ours.keys() == theirs.keys() and len(ours) == 16
    assert max(abs(ours[k] - theirs[k]) / theirs[k] for k in ours) < 1e-4

    check = CheckOptions(
        formats=("onnx", "litert"), quantizations=("none", "int8"), spread=0.01, latency_clips=2
    )
    report = deploy_check(run, tmp_path / "check", check=check, progress=False)
    steps = {s["name"]: s for s in report["steps"]}
    assert list(steps) == ["keras", "litert f32", "litert int8", "onnx"]
    for name in ("litert f32", "onnx"):
        s = steps[name]
        assert s["summary"]["max_rel"] < 1e-4, name  # scores against the run's own (NumPy float64 frontend)
        assert all(abs(r["d_auc"]) <= 0.001 for r in s["ids"]), name
        assert s["units"]["fan"]["frontend"]["max_rel_power"] < 1e-5, name
        assert s["units"]["fan"]["frontend"]["clips"] == 16
    assert report["flags"] == [] or all(f["kind"] == "auc" for f in report["flags"])
    assert any("network: int8" in p for p in steps["litert int8"]["units"]["fan"]["quantized_parts"])
