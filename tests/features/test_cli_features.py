"""``asdlens mel`` and ``asdlens presets`` on real WAV files."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import soundfile as sf
from typer.testing import CliRunner

from asdlens.cli import app
from asdlens.features import melspectrogram
from signals import make_signal

runner = CliRunner()


def test_mel_writes_the_preset_output(tmp_path):
    y = make_signal("hum")
    wav = tmp_path / "normal_id_00_00000000.wav"
    sf.write(wav, y, 16000, subtype="PCM_16")
    out = tmp_path / "out" / "mel.npy"
    result = runner.invoke(
        app, ["mel", str(wav), "--preset", "dcase2020", "--set", "n_mels=64", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    saved = np.load(out)
    pcm, _ = sf.read(wav, dtype="float32")  # int16 / 32768, as librosa reads it
    np.testing.assert_array_equal(saved, melspectrogram(pcm, "mimii"))
    assert "64 mels x 63 frames" in result.output


def test_mel_errors_exit_2(tmp_path):
    wav = tmp_path / "a.wav"
    sf.write(wav, make_signal("noise"), 16000)
    cases = [
        (["--preset", "nope"], "unknown preset 'nope'"),
        (["--set", "n_fft"], "--set 'n_fft' must look like field=value"),
        (["--set", "fmax=9000"], "above the Nyquist"),
        (["--set", "sample_rate=22050"], "a.wav"),  # the file is 16 kHz: read_audio names the file
    ]
    for extra, message in cases:
        result = runner.invoke(app, ["mel", str(wav), "--out", str(tmp_path / "o.npy"), *extra])
        assert result.exit_code == 2, (extra, result.output)
        assert message in result.output, (extra, result.output)
    result = runner.invoke(app, ["mel", str(tmp_path / "missing.wav"), "--out", str(tmp_path / "o.npy")])
    assert result.exit_code == 2 and "missing.wav" in result.output


def test_presets_table_lists_every_preset():
    result = runner.invoke(app, ["presets"], env={"COLUMNS": "250"})
    assert result.exit_code == 0
    for name in ("librosa", "dcase2020", "mimii", "tf.signal", "keras", "torchaudio"):
        assert name in result.output
    one = runner.invoke(app, ["presets", "tf.signal"], env={"COLUMNS": "250"})
    assert "lower_edge_hertz=125" in one.output
    assert runner.invoke(app, ["presets", "nope"]).exit_code == 2


def test_help_does_not_import_frameworks():
    code = (
        "import sys; from asdlens.cli import app; import asdlens.features, asdlens.features.api;"
        "heavy = [m for m in ('tensorflow', 'torch', 'keras', 'librosa') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    helped = subprocess.run([sys.executable, "-m", "asdlens", "--help"], capture_output=True, text=True)
    assert helped.returncode == 0 and "mel" in helped.stdout
