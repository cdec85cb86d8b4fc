"""``asdlens diff`` and ``asdlens identify`` end to end: real WAV files, spec files, user modules, the report."""

from __future__ import annotations

import json

import pytest
import soundfile as sf
from typer.testing import CliRunner

from asdlens.cli import app
from asdlens.diff import diff
from asdlens.report import PNG_MAGIC, check_html
from signals import make_signal

runner = CliRunner()


def test_diff_writes_json_and_a_report_with_embedded_pngs(tmp_path):
    wav = tmp_path / "clip.wav"
    y = make_signal("hum", seconds=2.0)
    sf.write(wav, y, 16000, subtype="PCM_16")
    spec_file = tmp_path / "mine.yaml"
    spec_file.write_text("preset: dcase2020\nn_mels: 64\nfmax: 7000\n")
    out_json, out_dir = tmp_path / "diff.json", tmp_path / "report"
    result = runner.invoke(
        app,
        [
            "diff",
            "dcase2020",
            str(spec_file),
            "--audio",
            str(wav),
            "--json",
            str(out_json),
            "--report",
            str(out_dir),
        ],
    )
    assert result.exit_code == 0, result.output
    for text in ("differing fields", "ladder", "Shapley", "frequency_range", "n_mels"):
        assert text in result.output
    data = json.loads(out_json.read_text())
    assert data["comparison"]["differing_fields"] == {"n_mels": [128, 64], "fmax": [8000.0, 7000.0]}
    assert [s["group"] for s in data["ladder"]["steps"]] == ["frequency_range", "n_mels"]
    assert data["ladder"]["steps"][-1]["distance_db"] == 0.0
    shares = data["attribution"]["shares"]
    assert sum(shares.values()) == pytest.approx(1.0)
    # The JSON holds what the API returns on the same (16-bit) audio.
    pcm, _ = sf.read(wav, dtype="float32")
    direct, _ = diff("dcase2020", str(spec_file), pcm)
    assert data["attribution"]["values_db"] == pytest.approx(direct.attribution.values_db)
    html = out_dir / "report.html"
    images = check_html(html)
    assert len(images) == 4
    for name in ("spectrograms", "difference", "filterbanks", "ladder"):
        assert (out_dir / f"{name}.png").read_bytes().startswith(PNG_MAGIC)


def test_diff_without_audio_uses_a_generated_clip():
    result = runner.invoke(app, ["diff", "librosa", "librosa-0.8"])
    assert result.exit_code == 0, result.output
    assert "generated 10 s pump clip" in result.output
    assert "framing" in result.output and "100.0 %" in result.output


@pytest.mark.parametrize(
    ("args", "files", "message"),
    [
        (["librosa", "nope"], {}, "unknown preset 'nope'"),
        (["librosa", "{d}/bad.yaml"], {"bad.yaml": "n_mels: [1, 2\n"}, "not valid YAML"),
        (["librosa", "{d}/typo.json"], {"typo.json": '{"n_mel": 64}'}, "unknown MelSpec field"),
        (["librosa", "{d}/missing.yaml"], {}, "cannot read spec file"),
        (["librosa", "{d}/sr.yaml"], {"sr.yaml": "sample_rate: 22050\n"}, "different sample_rate"),
        (["librosa", "tf.signal", "--audio", "{d}/none.wav"], {}, "none.wav"),
        (["librosa", "tf.signal", "--audio", "{d}/text.wav"], {"text.wav": "not audio"}, "text.wav"),
    ],
)
def test_diff_user_errors_exit_2(tmp_path, args, files, message):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    result = runner.invoke(app, ["diff", *[a.format(d=tmp_path) for a in args]])
    assert result.exit_code == 2, result.output
    assert "error:" in result.output and message in result.output
    assert "Traceback" not in result.output


MODULE = """
import numpy as np
from asdlens.features import melspectrogram

def good(y):
    return melspectrogram(y, {"n_fft": 512, "hop_length": 128, "n_mels": 40, "fmin": 60.0, "log": "dcase"}).T

def boom(y):
    raise RuntimeError("model not loaded")

def flat(y):
    return np.abs(y)

NOT_A_FUNCTION = 3
"""


def test_identify_command_on_a_py_file(tmp_path):
    module = tmp_path / "frontend.py"
    module.write_text(MODULE)
    out = tmp_path / "id.json"
    result = runner.invoke(app, ["identify", f"{module}:good", "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "reproduced" in result.output
    data = json.loads(out.read_text())
    assert data["reproduced"] and data["transposed"]
    spec = data["spec"]
    assert (spec["n_fft"], spec["hop_length"], spec["n_mels"], spec["fmin"], spec["log"]) == (
        512,
        128,
        40,
        60.0,
        "dcase",
    )


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("{d}/frontend.py:boom", "raised RuntimeError: model not loaded"),
        ("{d}/frontend.py:flat", "expected a 2-D mel spectrogram"),
        ("{d}/frontend.py:missing", "has no attribute 'missing'"),
        ("{d}/frontend.py:NOT_A_FUNCTION", "is not callable"),
        ("{d}/absent.py:good", "no such Python file"),
        ("no_such_module_xyz:fn", "cannot import no_such_module_xyz"),
        ("frontend", "must look like MODULE:FUNCTION"),
    ],
)
def test_identify_user_errors_exit_2(tmp_path, target, message):
    (tmp_path / "frontend.py").write_text(MODULE)
    result = runner.invoke(app, ["identify", target.format(d=tmp_path)])
    assert result.exit_code == 2, result.output
    assert "error:" in result.output and message in result.output


def test_cli_help_does_not_import_frameworks():
    import subprocess
    import sys

    code = "import sys; from asdlens.cli import app; import asdlens.diff; print('tensorflow' in sys.modules, 'torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
