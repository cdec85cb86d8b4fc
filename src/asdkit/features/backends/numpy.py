"""NumPy backend: the reference. In float64 its operations are librosa's, so the result is bit-identical."""

from __future__ import annotations

import numpy as np
import scipy.fft
from numpy.lib.stride_tricks import sliding_window_view


class NumpyOps:
    block_clips = 2

    def asarray(self, y, dtype):
        return np.asarray(y, dtype=dtype)

    def constant(self, x, dtype):
        return np.asarray(x, dtype=dtype)

    def pad(self, x, left, right, mode):
        return np.pad(x, [(0, 0)] * (x.ndim - 1) + [(left, right)], mode=mode)

    def frame(self, x, length, hop, n_frames):
        return sliding_window_view(x, length, axis=-1)[..., : (n_frames - 1) * hop + 1 : hop, :]

    def rfft(self, x, n):
        return scipy.fft.rfft(x, n=n, axis=-1, workers=-1)

    def magnitude(self, spectrum, power, dtype):
        if dtype == "float64":
            return np.abs(spectrum) ** power  # librosa's own operations, for bit-identity
        power_spec = np.square(spectrum.real) + np.square(spectrum.imag)
        out = power_spec if power == 2.0 else power_spec ** (power / 2.0)
        return out.astype(dtype, copy=False)

    def mel(self, spectrum, basis):
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
