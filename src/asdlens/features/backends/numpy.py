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

Speed. A float32 call without stages goes through :func:`clip_logmel`: the pipeline's own operations on one
clip, in buffers each thread keeps between clips (fresh multi-MB arrays cost page faults, about a fifth of the
work), with the reflect padding done by two slice copies. A test checks it gives the generic pipeline's bits.
"""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ...runtime import thread_budget
from .. import filters
from ..framing import framing
from ..logscale import apply_log

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
        # numpy.fft, as librosa uses it (single-threaded; float32 stays float32 in fast mode).
        return np.fft.rfft(x, n=n, axis=-1)

    def magnitude(self, spectrum, power, dtype):
        if dtype == "float64":
            return np.abs(spectrum) ** power  # librosa's own operations, for bit-identity
        # librosa's float32 arithmetic: its STFT stores the float64 FFT as complex64, then takes |X| ** power.
        # Rounding each bin to complex64 first costs 1e-7 relative, and this is twice as quick as squaring in
        # float64 (half the memory traffic, and numpy's complex64 abs is vectorised).
        out = np.empty(spectrum.shape, np.float32)
        return _magnitude32(spectrum.astype(np.complex64, copy=False), power, out)

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

    def real(self, x):
        return np.real(x)

    def imag(self, x):
        return np.imag(x)

    def sqrt(self, x):
        return np.sqrt(x)

    def pow(self, x, p):
        return np.power(x, p)

    def where(self, cond, x, y):
        return np.where(cond, x, y)

    def sum_frames(self, x):
        return np.sum(x, axis=-2, keepdims=True)

    def flatten_planes(self, x):
        return np.reshape(x, (-1, x.shape[-1]))

    def unflatten_planes(self, x, planes):
        return np.reshape(x, (-1, planes, *x.shape[1:]))

    def compiled(self, y, spec, *, n_samples: int, fast: bool):
        """A float32 call without stages, clip by clip through :func:`clip_logmel` (None: the generic path)."""
        if spec.dtype != "float32" or np.ndim(y) != 2:
            return None
        work = np.float32 if fast else np.float64
        kernel = _Kernel(spec, framing(spec, n_samples), work)
        out = np.empty((len(y), spec.n_mels, kernel.geometry.n_frames), np.float32)

        def one(i):
            out[i] = clip_logmel(y[i], kernel)

        self.map_clips(one, range(len(y)), spec)
        return out


def _magnitude32(spectrum64: np.ndarray, power: float, out: np.ndarray) -> np.ndarray:
    """``|X| ** power`` of a complex64 spectrum into ``out`` (float32), with ``ndarray.__pow__``'s special cases."""
    np.abs(spectrum64, out=out)
    if power == 2.0:
        np.square(out, out=out)
    elif power == 0.5:
        np.sqrt(out, out=out)
    elif power != 1.0:
        np.power(out, np.float32(power), out=out)
    return out


class _Kernel:
    """What :func:`clip_logmel` needs of a spec and clip length, built once per call."""

    def __init__(self, spec, geometry, work):
        self.spec, self.geometry, self.work = spec, geometry, work
        self.window = np.asarray(filters.window(spec), dtype=work)
        self.basis = _BandedBasis(np.ascontiguousarray(filters.mel_filterbank(spec).T).astype(np.float32))


def _scratch(name: str, shape: tuple, dtype) -> np.ndarray:
    """This thread's buffer ``name`` of ``shape`` and ``dtype`` (kept between clips)."""
    buffers = _LOCAL.__dict__.setdefault("buffers", {})
    buf = buffers.get(name)
    if buf is None or buf.shape != shape or buf.dtype != dtype:
        buf = buffers[name] = np.empty(shape, dtype)
    return buf


def clip_logmel(clip: np.ndarray, k: _Kernel) -> np.ndarray:
    """One clip's float32 log-mel ``[n_mels, n_frames]``: the pipeline's operations, in reused buffers.

    The same operations as :func:`asdlens.features.pipeline.run` with :data:`OPS` (pad, frame, window, FFT,
    ``|X| ** power`` from complex64, banded mel product, log), so the same bits; only where intermediate arrays
    live differs.
    """
    g, spec = k.geometry, k.spec
    n = clip.shape[-1]
    x = _scratch("x", (g.pad_left + n + g.pad_right,), k.work)
    x[g.pad_left : g.pad_left + n] = clip
    if g.mode == "reflect" and g.pad_left < n and g.pad_right < n:
        x[: g.pad_left] = clip[1 : g.pad_left + 1][::-1]
        x[g.pad_left + n :] = clip[n - g.pad_right - 1 : n - 1][::-1]
    elif g.mode == "reflect":
        x[:] = np.pad(clip.astype(k.work), (g.pad_left, g.pad_right), mode="reflect")
    else:
        x[: g.pad_left] = 0
        x[g.pad_left + n :] = 0
    frames = OPS.frame(x[None], g.frame_length, g.hop, g.n_frames)[0]
    windowed = _scratch("windowed", frames.shape, k.work)
    np.multiply(frames, k.window, out=windowed)
    bins = spec.n_fft // 2 + 1
    complex_type = np.complex64 if k.work == np.float32 else np.complex128
    spectrum = _scratch("spectrum", (frames.shape[0], bins), complex_type)
    np.fft.rfft(windowed, n=spec.n_fft, axis=-1, out=spectrum)
    if complex_type is np.complex128:
        rounded = _scratch("spectrum64", spectrum.shape, np.complex64)
        rounded[...] = spectrum
        spectrum = rounded
    power = _magnitude32(spectrum, spec.power, _scratch("power", spectrum.shape, np.float32))
    mel = k.basis.apply(power[None])
    return OPS.swap(apply_log(OPS, mel, spec))[0]


OPS = NumpyOps()
