"""Process set-up: a quiet TensorFlow import in the asdlens command, thread budgets, machine info."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import soundfile as sf

from asdlens.runtime import machine_info, machine_summary, set_thread_budget, thread_budget

TF_LOG = re.compile(
    r"absl::InitializeLog|^[IWE]\d{4} [\d:.]+\s+\d+ \S+\.cc:\d+\]|oneDNN custom operations|cuda"
)


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    env.update(extra)
    return env


def test_command_with_tensorflow_prints_no_tf_log_lines(tmp_path):
    # TF_CPP_MIN_LOG_LEVEL=2, as many users export it: it hides TensorFlow's C++ warnings but not its E-level
    # lines, such as CUDA's "failed call to cuInit" on a machine without an NVIDIA driver.
    wav = tmp_path / "clip.wav"
    sf.write(wav, (np.random.default_rng(0).standard_normal(16000) * 0.1).astype(np.float32), 16000)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "asdlens",
            "mel",
            str(wav),
            "--backend",
            "tensorflow",
            "--out",
            str(tmp_path / "m.npy"),
        ],
        capture_output=True,
        text=True,
        env=_env(TF_CPP_MIN_LOG_LEVEL="2"),
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "128 mels" in done.stdout
    noisy = [line for line in (done.stdout + done.stderr).splitlines() if TF_LOG.search(line)]
    assert not noisy, noisy
    # Without the quiet import the same TensorFlow prints them: the check above is not vacuous.
    code = "import tensorflow as tf; tf.config.list_physical_devices()"
    raw = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=_env(TF_CPP_MIN_LOG_LEVEL="2"),
        timeout=300,
    )
    assert any(TF_LOG.search(line) for line in raw.stderr.splitlines())
    if not (os.path.exists("/proc/driver/nvidia") or os.path.exists("/dev/nvidiactl")):
        assert "failed call to cuInit" in raw.stderr  # what the command above kept out


def test_quiet_import_keeps_other_stderr_lines():
    code = (
        "import os, sys\n"
        "from asdlens.runtime import _captured_stderr_fd\n"
        "with _captured_stderr_fd():\n"
        "    os.write(2, b'WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\\n')\n"
        "    os.write(2, b'I0000 00:00:1796017346.456591    6591 port.cc:153] oneDNN custom operations are on.\\n')\n"
        "    os.write(2, b'W0000 00:00:1796017346.456591    6591 x.cc:1] a real warning\\n')\n"
        "    os.write(2, b'plain text from a library\\n')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stderr.splitlines() == [
        "W0000 00:00:1796017346.456591    6591 x.cc:1] a real warning",
        "plain text from a library",
    ]


def test_thread_budget_from_environment(monkeypatch):
    monkeypatch.setenv("ASDLENS_THREADS", "3")
    assert thread_budget() == 3
    monkeypatch.delenv("ASDLENS_THREADS")
    assert thread_budget() == len(os.sched_getaffinity(0))


def test_set_thread_budget_sets_every_library(monkeypatch):
    for var in (
        "ASDLENS_THREADS",
        "OMP_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS",
        "TF_NUM_INTRAOP_THREADS",
        "TF_NUM_INTEROP_THREADS",
    ):
        monkeypatch.delenv(var, raising=False)
    import torch

    before = torch.get_num_threads()
    try:
        set_thread_budget(1)
        assert os.environ["TF_NUM_INTRAOP_THREADS"] == "1" and os.environ["OPENBLAS_NUM_THREADS"] == "1"
        assert os.environ["TF_NUM_INTEROP_THREADS"] == "1"
        assert thread_budget() == 1 and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_machine_info_names_cpu_blas_and_versions():
    info = machine_info()
    assert info["cpu"]["cpus"] >= 1 and info["cpu"]["model"]
    assert any(b.get("user_api") == "blas" for b in info["blas"])  # numpy's OpenBLAS
    assert {"numpy", "python"} <= set(info["versions"])
    line = machine_summary(info)
    assert info["cpu"]["model"] in line and f"numpy {info['versions']['numpy']}" in line
    # the line names NumPy's BLAS, whichever library loaded its own first (scipy ships another OpenBLAS)
    import numpy as np
    import scipy.linalg  # noqa: F401

    numpy_blas = [b for b in machine_info()["blas"] if b["of"] == "numpy" and b.get("user_api") == "blas"]
    if numpy_blas and np.__config__.CONFIG["Build Dependencies"]["blas"]["name"].startswith("scipy-openblas"):
        assert f"{numpy_blas[0]['internal_api']} {numpy_blas[0]['version']}" in machine_summary(
            machine_info()
        )
