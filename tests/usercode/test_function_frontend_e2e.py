"""``asdlens explain dcase2020 MINE.yaml`` where MINE's frontend is a user's function, end to end on a generated
DCASE 2020 tree: the seed notebook's ``get_mel`` pasted unchanged (reproduced by a MelSpec: the ladder walks its
fields), and an opaque function (one ``frontend`` step, its own feature entries)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from asdlens.data.synth import generate

#: The seed notebook's cells 1 and 14 as the user wrote them (``../shared/seed/notebook.txt``), unchanged.
SEED = """import tensorflow_datasets as tfds
import tensorflow as tf
import librosa
import numpy as np
import os

A = tf.signal.linear_to_mel_weight_matrix(
    num_mel_bins=128, num_spectrogram_bins=512+1, sample_rate=16_000, dtype=tf.float32
)

def get_mel(item):
    audio = tf.cast(item["audio"], dtype=tf.float32)
    audio = audio / 2**15
    # Step 1: Spectrogram
    audio = tf.signal.stft(audio, frame_length=1024, frame_step=512, pad_end=True)
    audio = tf.abs(audio)

    # Step 2: Mel-spectrogram
    melgrams = tf.tensordot(
            tf.square(audio), A, axes=1
    )
    item["audio"] = melgrams

    return item
"""

OPAQUE = """import numpy as np

W = np.random.default_rng(0).random((257, 24)) ** 4


def projected(y):
    n = len(y) // 512 * 512
    power = np.abs(np.fft.rfft(y[:n].reshape(-1, 512) * np.hanning(512), axis=1)) ** 2
    return np.log(power @ W + 1e-6).T
"""


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("userfn")
    data = generate(root / "data", layout="dcase2020", types=["pump"], ids=["00"], n_train=6, n_test_normal=3,
                    n_test_anomaly=3, duration=1.0, seed=1)  # fmt: skip
    return root, data


def _explain(root: Path, data: Path, yaml_text: str, code: str, name: str) -> tuple[dict, dict, str]:
    folder = root / name
    folder.mkdir()
    (folder / "my_features.py").write_text(code)
    (folder / "mine.yaml").write_text(yaml_text)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "COLUMNS": "300"}
    out = folder / "out"
    done = subprocess.run(
        [sys.executable, "-m", "asdlens", "explain", "dcase2020", str(folder / "mine.yaml"), "--data", str(data),
         "--out", str(out), "--no-progress", "--executor", "inline", "--set", "training.epochs=1"],
        capture_output=True, text=True, env=env, cwd=folder, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    stdout = " ".join(done.stdout.split())  # the terminal's line breaks left out
    explanation = json.loads((out / "explain.json").read_text())
    run = json.loads((out / "run.json").read_text())
    return explanation, run, stdout


@pytest.mark.slow
@pytest.mark.ci
def test_the_seed_notebooks_get_mel_pasted_unchanged_runs_as_its_identified_spec(tree):
    root, data = tree
    yaml_text = "name: seed\nfrontend:\n  function: my_features.py:get_mel\n"
    explanation, run, stdout = _explain(root, data, yaml_text, SEED, "seed")
    assert "reproduced by a MelSpec" in stdout and "the run uses that spec" in stdout
    (found,) = run["frontend_functions"].values()
    assert found["reproduced"] and found["uses"] == "spec" and found["residual_db"] < 1e-3
    assert found["spec"]["pad_end"] and found["spec"]["triangles"] == "mel"
    # int16 counts in (the function divides by 2**15 itself), [frames, mels] out, a tfds item dict
    assert found["convention"] == {"call": "item", "input_scale": "int16", "layout": "frames_mels"}
    names = [s["name"] for s in explanation["steps"]]
    assert names[0] == "REF" and "frontend" not in names
    assert {"framing", "mel_scale", "frequency_range", "log"} <= set(names)
    for step in explanation["steps"]:
        assert 0.0 <= step["value"]["auc"] <= 1.0


@pytest.mark.slow
def test_an_opaque_function_runs_as_one_frontend_step(tree):
    root, data = tree
    yaml_text = "name: opaque\nfrontend:\n  function: my_features.py:projected\n"
    explanation, run, stdout = _explain(root, data, yaml_text, OPAQUE, "opaque")
    assert "not a MelSpec" in stdout and "the function computes the features" in stdout
    (found,) = run["frontend_functions"].values()
    assert not found["reproduced"] and found["uses"] == "function" and found["features"].startswith("fn")
    assert [s["name"] for s in explanation["steps"]] == ["REF", "frontend"]
    entries = list((root / "opaque" / "out" / "cache" / "features").glob(f"{found['features']}-ch0/*.npy"))
    assert len(entries) == 12  # every clip's features, computed by the function, under its own key
