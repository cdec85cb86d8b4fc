"""The generator's two-microphone DCASE 2026 trees: two channels, deterministic, near and far differ, far noisier."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from asdlens.cli import app
from asdlens.data import read_layout_audio, scan
from asdlens.data.check import check_tree
from asdlens.data.synth import generate, read_manifest
from asdlens.data.synth.clip import NORMAL, Take
from asdlens.data.synth.dcase2026 import two_microphones
from asdlens.data.synth.shift import section_shift
from asdlens.pcm import quantize

SMALL = dict(n_train=2, n_train_target=1, n_test_normal=1, n_test_anomaly=1, duration=0.5)


def _digests(root):
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_a_2026_tree_is_two_channel_and_deterministic(tmp_path):
    kw = dict(layout="dcase2026", types=["ToyCarEmu", "fan"], eval_types=["Sander"], seed=4, **SMALL)
    a, b = generate(tmp_path / "a", **kw), generate(tmp_path / "b", **kw, workers=2)
    assert _digests(a) == _digests(b)  # same seed, same bytes, whatever the workers
    other = generate(tmp_path / "c", **{**kw, "seed": 5})
    assert _digests(other) != _digests(a)

    dev = scan(a / "dev_data")
    assert dev.layout == "dcase2026" and dev.machine_types == ["ToyCarEmu", "fan"]
    assert dev.channel_counts() == {2: len(dev)}
    assert check_tree(a / "dev_data").ok
    assert check_tree(a / "eval_data", ground_truth=a / "ground_truth").ok
    labelled = scan(a / "eval_data", ground_truth=a / "ground_truth").select(split="test")
    assert {(c.domain, c.label) for c in labelled} == {
        ("source", 0),
        ("source", 1),
        ("target", 0),
        ("target", 1),
    }
    rows = read_manifest(a)
    assert {r["layout"] for r in rows} == {"dcase2026"} and len(rows) == len(dev) + len(scan(a / "eval_data"))
    for clip in dev.select(split="train"):
        y = read_layout_audio(clip.path, "dcase2026")
        assert y.shape == (2, 8000) and not np.allclose(y[0], y[1], atol=1e-3)


@pytest.mark.parametrize("machine_type", ["ToyCarEmu", "fan", "Sander"])
def test_far_is_noisier_than_near(machine_type, tmp_path):
    shift = section_shift(machine_type, "00")
    snrs = []
    for i in range(3):
        take = Take(
            machine_type, "00", (1, machine_type, "00", "train", "source", 0, i), 16000, 16000, NORMAL
        )
        machine, noise = two_microphones(take, (shift.key, shift.source[0]))
        assert machine.shape == noise.shape == (2, 16000) and machine.dtype == np.float32
        power = np.mean(machine.astype(np.float64) ** 2, axis=1) / np.mean(
            noise.astype(np.float64) ** 2, axis=1
        )
        snrs.append(10 * np.log10(power))
        # partly coherent noise: the near microphone hears a delayed copy of part of the far one's noise
        a, b = noise.astype(np.float64)
        lags = [np.dot(np.roll(a, k), b) / np.sqrt(np.dot(a, a) * np.dot(b, b)) for k in range(16, 129)]
        assert 0.25 < max(lags) < 0.9, max(lags)
    near, far = np.mean(snrs, axis=0)
    assert near > 10.0 and far < 0.0, (near, far)  # near: the machine + low noise; far: noise dominates


def test_the_written_clip_is_the_sum_of_its_parts(tmp_path):
    root = generate(tmp_path / "t", layout="dcase2026", types=["valveEmu"], parts=["dev"], seed=2, **SMALL)
    row = next(r for r in read_manifest(root) if r["split"] == "train" and r["domain"] == "source")
    shift = section_shift("valveEmu", "00")
    value = row["attributes"].split("=")[1]
    take = Take(
        "valveEmu", "00", (2, "valveEmu", "00", "train", "source", 0, row["index"]), 8000, 16000, NORMAL
    )
    machine, noise = two_microphones(take, (shift.key, value))
    stored, _ = sf.read(root / row["path"], dtype="float32")
    np.testing.assert_array_equal(stored.T, quantize(machine + noise))


def test_cli_writes_a_2026_tree(tmp_path):
    out = tmp_path / "cli"
    result = CliRunner().invoke(
        app,
        ["synth", "--layout", "dcase2026", "--out", str(out), "--types", "bearingEmu", "--parts", "dev",
         "--train", "1", "--train-target", "1", "--test-normal", "1", "--test-anomaly", "1", "--duration", "0.25"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert scan(out / "dev_data").layout == "dcase2026" and check_tree(out / "dev_data").ok
