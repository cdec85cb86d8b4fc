"""Process set-up that must happen before the math libraries start: a quiet TensorFlow import, the thread budget
of a process, and what this machine is (for ``run.json``).

TensorFlow 2.21 prints absl lines while its shared libraries load ("All log messages before
absl::InitializeLog() ...", the oneDNN note, "Could not find cuda drivers"); ``TF_CPP_MIN_LOG_LEVEL`` does not
reach them. :func:`quiet_tensorflow_import` makes the first ``import tensorflow`` of the process run with the
C-level stderr captured and writes back every captured line except those informational ones. The ``asdlens``
command, ``python -m asdlens`` and the engine's workers install it; a library user's own process is left alone.

The thread budget (:func:`set_thread_budget`) is one number per process: the NumPy backend's pool, BLAS,
TensorFlow's intra-op pool and torch all use it. Worker processes of the engine set it before anything imports
TensorFlow, so a job's numbers cannot depend on where it ran.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.util
import os
import platform
import re
import sys
import tempfile
from importlib import metadata

#: Environment variable holding a process's thread budget (set by the engine in its workers).
THREADS_ENV = "ASDLENS_THREADS"

# Informational absl lines that TensorFlow's shared libraries print while loading.
_NOISE = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|I\d{4} [\d:.]+\s+\d+ [\w.]+:\d+\] .*)$"
)
# What CUDA's platform prints at its first use on a machine with no NVIDIA driver at all (an E-level line, so
# ``TF_CPP_MIN_LOG_LEVEL=2`` does not hide it): noise there, a real error where a driver exists.
_NO_DRIVER_NOISE = re.compile(r"^E\d{4} [\d:.]+\s+\d+ cuda_platform\.cc:\d+\] failed call to cuInit: .*$")


def _nvidia_driver_present() -> bool:
    return os.path.exists("/proc/driver/nvidia") or os.path.exists("/dev/nvidiactl")


@contextlib.contextmanager
def _captured_stderr_fd(extra_noise: re.Pattern | None = None):
    """Send file descriptor 2 to a temporary file inside; afterwards write its lines back, minus the noise (and
    the lines ``extra_noise`` matches)."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            kept = [
                line
                for line in tmp.read().decode(errors="replace").splitlines()
                if line and not _NOISE.match(line) and not (extra_noise and extra_noise.match(line))
            ]
            if kept:
                sys.stderr.write("\n".join(kept) + "\n")
                sys.stderr.flush()


class _QuietLoader(importlib.abc.Loader):
    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        no_driver = not _nvidia_driver_present()
        with _captured_stderr_fd(_NO_DRIVER_NOISE if no_driver else None):
            self._loader.exec_module(module)
            if no_driver:
                # CUDA's platform starts at the first device query; start it here, where its cuInit line is
                # caught, instead of at the first operation of a run.
                module.config.list_physical_devices("GPU")


class _QuietTensorflowFinder(importlib.abc.MetaPathFinder):
    """Finds ``tensorflow`` once, with a loader that runs its import under :func:`_captured_stderr_fd`."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)  # once: the real finders do the rest
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = _QuietLoader(spec.loader)
        return spec


def quiet_tensorflow_import() -> None:
    """Make the first import of TensorFlow in this process print none of its library-loading absl lines.

    Also sets ``TF_CPP_MIN_LOG_LEVEL=3`` (unless set) for TensorFlow's later C++ logging. Warnings and errors
    that TensorFlow prints while loading still reach stderr; Python warnings are untouched. Idempotent; a no-op
    when TensorFlow is already imported.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "tensorflow" in sys.modules or any(isinstance(f, _QuietTensorflowFinder) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _QuietTensorflowFinder())


def thread_budget() -> int:
    """Threads this process may use for math: ``ASDLENS_THREADS`` if set, else the CPUs it may run on."""
    value = os.environ.get(THREADS_ENV)
    if value:
        try:
            return max(1, int(value))
        except ValueError:
            pass
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def set_thread_budget(threads: int) -> None:
    """Fix this process's math threads to ``threads`` before TensorFlow or torch start their pools.

    Sets ``ASDLENS_THREADS`` (NumPy backend pool), the BLAS/OpenMP variables, TensorFlow's intra-op and inter-op
    threads and, if torch is already imported, ``torch.set_num_threads``. TensorFlow reads its variables when
    its runtime starts, so this must run before the first TensorFlow operation of the process.
    """
    n = str(int(threads))
    os.environ[THREADS_ENV] = n
    # Inter-op threads run independent ops of a training step side by side (the backward pass of a Dense
    # autoencoder has many small ones); each op still computes alone, so the numbers do not depend on them.
    for var in (
        "OMP_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS",
        "TF_NUM_INTRAOP_THREADS",
        "TF_NUM_INTEROP_THREADS",
    ):
        os.environ[var] = n
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(int(threads))


def _cpu() -> dict:
    """CPU model and the SIMD flags that change which kernels the math libraries pick."""
    model, flags = platform.processor() or platform.machine(), []
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name" and model in ("", platform.machine(), platform.processor()):
                    model = value.strip()
                elif key == "flags" and not flags:
                    have = set(value.split())
                    flags = [
                        f for f in ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512_bf16") if f in have
                    ]
    except OSError:
        pass
    return {"model": model, "machine": platform.machine(), "simd": flags, "cpus": os.cpu_count()}


def _blas() -> list[dict]:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    import numpy  # noqa: F401 - threadpoolctl sees loaded libraries only: load NumPy's BLAS, the one asdlens uses

    keep = ("user_api", "internal_api", "version", "architecture", "num_threads", "threading_layer")
    out = []
    for info in threadpool_info():
        entry = {k: info.get(k) for k in keep if info.get(k) is not None}
        entry["library"] = os.path.basename(str(info.get("filepath", "")))
        entry["of"] = next(
            (p for p in ("numpy", "scipy", "torch", "sklearn") if f"/{p}" in str(info.get("filepath"))), ""
        )
        out.append(entry)
    # NumPy's BLAS first: the one the frontends and the Mahalanobis back-end use (the order of the others
    # depends on which library was imported first)
    return sorted(out, key=lambda e: e["of"] != "numpy")


#: What :func:`versions` does with a library that is not installed: leave it out.
OMIT = object()


def versions(
    names=("numpy", "scipy", "librosa", "tensorflow", "keras", "scikit-learn", "torch", "ray"),
    *,
    missing=OMIT,
    python: bool = True,
) -> dict:
    """Installed versions of ``names`` (the libraries that can change a number), with ``python`` first.

    A library that is not installed is left out (``missing=OMIT``) or given the value ``missing``: the model key
    spells it ``"absent"``, so that the keys of cached models stay what they were.
    """
    out = {"python": platform.python_version()} if python else {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            if missing is not OMIT:
                out[name] = missing
    return out


def machine_info() -> dict:
    """What this machine is, as ``run.json`` records it: CPU, BLAS library, kernel and threads, versions.

    ``OPENBLAS_CORETYPE`` is recorded when set (it forces OpenBLAS's kernel, otherwise chosen from the CPU).
    """
    return {
        "cpu": _cpu(),
        "blas": _blas(),
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
        "thread_budget": thread_budget(),
        "versions": versions(),
    }


def machine_summary(info: dict) -> str:
    """One line for a README figure: ``AMD EPYC, 2 CPUs, avx512f; OpenBLAS 0.3.31 SkylakeX x1; numpy 2.4.6``."""
    cpu = info.get("cpu", {})
    simd = (
        "avx512f" if "avx512f" in cpu.get("simd", []) else ("avx2" if "avx2" in cpu.get("simd", []) else "")
    )
    parts = [f"{cpu.get('model', '?')}, {cpu.get('cpus', '?')} CPUs" + (f", {simd}" if simd else "")]
    blas = [b for b in info.get("blas", []) if b.get("user_api") == "blas"]
    if blas:
        b = blas[0]
        kernel = info.get("openblas_coretype") or b.get("architecture", "")
        parts.append(f"{b.get('internal_api', 'blas')} {b.get('version', '')} {kernel}".strip())
    v = info.get("versions", {})
    parts.append(", ".join(f"{k} {v[k]}" for k in ("numpy", "tensorflow", "keras") if k in v))
    return "; ".join(parts)
