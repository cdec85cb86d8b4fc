"""A clip's features do not depend on its batch, its position, the BLAS kernel's blocking or the thread count.

Each case runs ``batch_probe.py`` in a fresh process whose environment sets OpenBLAS's kernel
(``OPENBLAS_CORETYPE``: unset, Haswell, SkylakeX, Zen, Prescott) and the threads (1 or 2). In every process, every
clip of a batch must equal the clip computed alone, bit for bit. Across thread counts (with one kernel) the
NumPy float32 features, which the run cache stores, must be the same bits too. Across kernels no equality is
claimed: another kernel may round a product differently, for every clip alike.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
KERNELS = ("", "Haswell", "SkylakeX", "Zen", "Prescott")
#: make test (CI) probes the machine's own kernel and one other; make test-all every kernel.
KERNEL_PARAMS = [k if k in ("", "Haswell") else pytest.param(k, marks=pytest.mark.slow) for k in KERNELS]
THREADS = (1, 2)


def _probe(kernel: str, threads: int, backends: list[str]) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    if kernel:
        env["OPENBLAS_CORETYPE"] = kernel
    for var in (
        "ASDLENS_THREADS",
        "OPENBLAS_NUM_THREADS",
        "OMP_NUM_THREADS",
        "MKL_NUM_THREADS",
        "TF_NUM_INTRAOP_THREADS",
    ):
        env[var] = str(threads)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE.parent), env.get("PYTHONPATH", "")])
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    done = subprocess.run(
        [sys.executable, str(HERE / "batch_probe.py"), *backends],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


class _Probes(dict):
    """The numpy/torch probe of each (kernel, threads), run when first asked for."""

    def __missing__(self, key):
        self[key] = _probe(*key, ["numpy", "torch"])
        return self[key]


@pytest.fixture(scope="module")
def numpy_results() -> dict:
    return _Probes()


@pytest.mark.parametrize("kernel", KERNEL_PARAMS, ids=lambda k: k or "auto")
@pytest.mark.parametrize("threads", THREADS)
def test_numpy_and_torch_batch_equals_single(numpy_results, kernel, threads):
    results = numpy_results[(kernel, threads)]
    bad = [case for case, r in results.items() if not r["batch_equals_single"]]
    assert not bad, f"OPENBLAS_CORETYPE={kernel or 'unset'} threads={threads}: batch != single for {bad}"


@pytest.mark.parametrize("kernel", KERNEL_PARAMS, ids=lambda k: k or "auto")
def test_numpy_float32_does_not_depend_on_threads(numpy_results, kernel):
    for case in ("numpy/exact", "numpy/fast", "numpy/power"):
        digests = {t: numpy_results[(kernel, t)][case]["digest"] for t in THREADS}
        assert len(set(digests.values())) == 1, f"{case} OPENBLAS_CORETYPE={kernel or 'unset'}: {digests}"


@pytest.mark.parametrize("threads", THREADS)
def test_tensorflow_batch_equals_single(threads):
    results = _probe("", threads, ["tensorflow"])
    bad = [case for case, r in results.items() if not r["batch_equals_single"]]
    assert not bad, f"threads={threads}: batch != single for {bad}"
