"""NumPy backend: the reference. In float64 its operations are librosa's, so the result is bit-identical.

Every clip is computed alone (:mod:`asdlens.features.pipeline`, "batch invariance"): a batch is a loop over
its clips, so a clip's products have the same shapes in any batch.

Threading. OpenBLAS rounds a matrix product differently with a different number of threads, so the threading
is part of the numbers:

- float64 output (librosa's bits): clips run one after another in the calling thread and BLAS keeps its
  threads, as in librosa.
- float32 output: each clip runs with a single-threaded FFT and its mel product on one BLAS thread, whether
  alone or in a batch; a batch's clips run side by side on a thread pool of one thread per core of the
  process's budget (:func:`asdlens.runtime.thread_budget`). A clip's bits therefore depend neither on its
  batch nor on the thread count. On a machine shared with other work this is also several times quicker than
  threading every call: a threaded BLAS call waits for its slowest thread, and on a busy core that thread
  waits for a scheduler time slice.
"""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.fft
from numpy.lib.stride_tricks import sliding_window_view

from ...runtime import thread_budget

_LOCAL = threading.local()  # ``single`` is True while a float32 clip runs: its FFT uses one worker
_LOCK = threading.Lock()
_POOL: ThreadPoolExecutor | None = None
_CONTROLLER = None  # threadpoolctl's controller once looked up (False: threadpoolctl is not installed)
_LIMIT = {"depth": 0, "limiter": None}  # nested and concurrent one-thread sections share one limit


def _pool() -> ThreadPoolExecutor:
    global _POOL
    with _LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=thread_budget(), thread_name_prefix="asdlens-numpy")
        return _POOL


@contextlib.contextmanager
def _one_blas_thread():
    """BLAS on one thread inside (a no-op without threadpoolctl, which comes with scikit-learn).

    The limit is process-wide; concurrent and nested sections share it and the last one out restores it.
    """
    global _CONTROLLER
    with _LOCK:
        if _CONTROLLER is None:
            try:
                from threadpoolctl import ThreadpoolController
            except ImportError:
                _CONTROLLER = False
            else:
                _CONTROLLER = ThreadpoolController()
        if _CONTROLLER and _LIMIT["depth"] == 0:
            _LIMIT["limiter"] = _CONTROLLER.limit(limits=1, user_api="blas")
        _LIMIT["depth"] += 1
    try:
        yield
    finally:
        with _LOCK:
            _LIMIT["depth"] -= 1
            if _LIMIT["depth"] == 0 and _LIMIT["limiter"] is not None:
                _LIMIT["limiter"].restore_original_limits()
                _LIMIT["limiter"] = None


class _BandedBasis:
    """A mel basis ``[bins, n_mels]`` applied as products of groups of mel bands with the bins they cover.

    Each triangle covers few bins (every bin lies in at most two triangles of a Slaney or HTK filterbank), so
    the dense product spends nearly all its time multiplying zeros: groups of ``GROUP`` bands cut the work
    several-fold. Zeros add nothing to a sum, so only the summation order of the nonzero terms changes (float32
    rounding, about 1e-7 relative).
    """

    GROUP = 8  # bands per product: fewer is less zero work, more is fewer (and larger) BLAS calls

    def __init__(self, basis: np.ndarray):
        self.basis = basis
        bins, n_mels = basis.shape
        nonzero = basis != 0
        self.groups = []  # (first band, last band + 1, first bin, last bin + 1)
        for m0 in range(0, n_mels, self.GROUP):
            m1 = min(m0 + self.GROUP, n_mels)
            rows = np.flatnonzero(nonzero[:, m0:m1].any(axis=1))
            lo, hi = (int(rows[0]), int(rows[-1]) + 1) if rows.size else (0, 0)
            self.groups.append((m0, m1, lo, hi))

    def apply(self, spectrum: np.ndarray) -> np.ndarray:
        """``spectrum @ basis`` for ``spectrum`` ``[batch, frames, bins]``: ``[batch, frames, n_mels]``."""
        bins, n_mels = self.basis.shape
        flat = spectrum.reshape(-1, bins)
        out = np.empty((n_mels, flat.shape[0]), self.basis.dtype)  # bands first: each group fills whole rows
        for m0, m1, lo, hi in self.groups:
            if hi > lo:
                np.matmul(self.basis[lo:hi, m0:m1].T, flat[:, lo:hi].T, out=out[m0:m1])
            else:
                out[m0:m1] = 0
        return out.reshape(n_mels, *spectrum.shape[:-1]).transpose(1, 2, 0)


class NumpyOps:
    # One clip at a time (see the module notes); a clip's float64 frames and spectra stay within a few MB.
    per_clip = True

    def map_clips(self, fn, indices, spec):
        """``[fn(i) for i in indices]``; for float32 output each clip single-threaded, on the pool if several."""
        indices = list(indices)
        if spec.dtype == "float64":
            return [fn(i) for i in indices]

        def task(i):
            before = getattr(_LOCAL, "single", False)
            _LOCAL.single = True
            try:
                return fn(i)
            finally:
                _LOCAL.single = before

        with _one_blas_thread():
            if len(indices) < 2 or thread_budget() < 2:
                return [task(i) for i in indices]
            return list(_pool().map(task, indices))

    def asarray(self, y, dtype):
        return np.asarray(y, dtype=dtype)

    def constant(self, x, dtype):
        x = np.asarray(x, dtype=dtype)
        # The float32 mel basis [bins, n_mels] is applied band by band (float64 keeps librosa's dense product).
        return _BandedBasis(x) if x.ndim == 2 and x.dtype == np.float32 else x

    def pad(self, x, left, right, mode):
        return np.pad(x, [(0, 0)] * (x.ndim - 1) + [(left, right)], mode=mode)

    def frame(self, x, length, hop, n_frames):
        return sliding_window_view(x, length, axis=-1)[..., : (n_frames - 1) * hop + 1 : hop, :]

    def rfft(self, x, n):
        workers = 1 if getattr(_LOCAL, "single", False) else thread_budget()
        return scipy.fft.rfft(x, n=n, axis=-1, workers=workers)

    def magnitude(self, spectrum, power, dtype):
        if dtype == "float64":
            return np.abs(spectrum) ** power  # librosa's own operations, for bit-identity
        # librosa's float32 arithmetic: its STFT stores the float64 FFT as complex64, then takes |X| ** power.
        # Rounding each bin to complex64 first costs 1e-7 relative, and this is twice as quick as squaring in
        # float64 (half the memory traffic, and numpy's complex64 abs is vectorised).
        return np.abs(spectrum.astype(np.complex64)) ** power  # dtype is "float32"

    def mel(self, spectrum, basis):
        if isinstance(basis, _BandedBasis):
            with _one_blas_thread():  # the bits must not depend on the batch size (see the module notes)
                return basis.apply(spectrum)
        # basis.T @ spectrum, librosa's operand order: the float64 sums then round exactly as librosa's do.
        return np.swapaxes(np.matmul(basis.T, np.swapaxes(spectrum, -1, -2)), -1, -2)

    def swap(self, x):
        return np.swapaxes(x, -1, -2)

    def log10(self, x):
        return np.log10(x)

    def log(self, x):
        return np.log(x)

    def maximum(self, x, y):
        return np.maximum(x, y)

    def clip_max(self, x):
        return np.max(x, axis=(-2, -1), keepdims=True)

    def concat(self, parts):
        return np.concatenate(parts, axis=0)


OPS = NumpyOps()
