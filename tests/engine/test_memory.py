"""Training streams from the cache: a run's memory grows with the clips' log-mels, not with the stacked vectors.

Each run is a child process (``asdlens run``, ``inline`` executor, so features, training and scoring all happen
in it); its peak resident set size comes from ``wait4``. The allowance for the frameworks (Python, NumPy,
TensorFlow, Keras) is measured, not assumed: it is the peak of a run on an almost empty tree.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from asdlens.data.synth import generate

pytestmark = pytest.mark.slow
MB = 2**20


def _peak_rss(tree, out) -> int:
    args = [sys.executable, "-m", "asdlens", "run", "dcase2020", "--data", str(tree), "--out", str(out), "-q",
            "--no-report", "--executor", "inline", "--set", "training.epochs=1"]  # fmt: skip
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, child.stderr.read().decode()
    return usage.ru_maxrss * 1024  # kB on Linux


def test_peak_memory_stays_under_the_vector_bytes_plus_the_frameworks(tmp_path):
    empty = generate(tmp_path / "empty", layout="dcase2020", types=["fan"], ids=["00"], n_train=4,
                     n_test_normal=1, n_test_anomaly=1, duration=10.0, seed=3)  # fmt: skip
    big = generate(tmp_path / "big", layout="dcase2020", types=["fan"], ids=["00"], n_train=400,
                   n_test_normal=2, n_test_anomaly=2, duration=10.0, seed=3, workers=2)  # fmt: skip
    frameworks = _peak_rss(empty, tmp_path / "run-empty")
    peak = _peak_rss(big, tmp_path / "run-big")
    info = json.loads((tmp_path / "run-big" / "models" / "fan.json").read_text())
    vector_bytes = info["n_vectors"] * 128 * 5 * 4  # what an in-memory [n_vectors, 640] float32 array holds
    assert vector_bytes > 250 * MB  # the tree is big enough for a copy of the vectors to show
    allowance = frameworks + 256 * MB  # the frameworks, plus room for the log-mels (a fifth of the vectors)
    assert peak < vector_bytes + allowance, (peak / MB, vector_bytes / MB, frameworks / MB)
    # Sharper: the run grows by less than one copy of the vectors over the empty run (in memory it held ~5).
    assert peak - frameworks < vector_bytes, ((peak - frameworks) / MB, vector_bytes / MB)
