"""PyTorch backend: the shared pipeline in ``torch`` ops (CPU or any device the input lives on).

``OPS`` serves :func:`asdlens.features.melspectrogram` (NumPy in, ``torch.Tensor`` out);
:class:`asdlens.features.torch.LogMel` wraps the same operations in an ``nn.Module`` with its constants as buffers.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ...runtime import thread_budget
from .numpy import _BandedBasis, _pool


def torch_dtype(name: str) -> torch.dtype:
    """``"float32"`` / ``"float64"`` to the torch dtype."""
    return {"float32": torch.float32, "float64": torch.float64}[name]


def banded(basis: torch.Tensor) -> list:
    """A float32 mel basis ``[bins, n_mels]`` as ``(lo, hi, basis[lo:hi, m0:m1])`` per group of bands.

    :meth:`TorchOps.mel` multiplies each group only with the bins ``lo:hi`` it covers (as the NumPy backend's
    ``_BandedBasis``): the dense product spends most of its time on zeros.
    """
    groups = _BandedBasis(basis.detach().cpu().numpy()).groups
    return [(lo, hi, basis[lo:hi, m0:m1].contiguous()) for m0, m1, lo, hi in groups]


class TorchOps:
    """Array operations of :class:`asdlens.features.pipeline.Ops` in PyTorch."""

    # One clip at a time (batch invariance, see asdlens.features.pipeline): its float64 frame and spectrum
    # temporaries stay near cache size, and the clips of a batch run on a thread pool (one thread per core; torch
    # releases the GIL inside its ops), which keeps every core busy.
    per_clip = True

    def map_clips(self, fn, indices, spec):
        """``[fn(i) for i in indices]`` on the NumPy backend's thread pool (one thread per core)."""
        indices = list(indices)
        if thread_budget() < 2 or len(indices) < 2:
            return [fn(i) for i in indices]
        return list(_pool().map(fn, indices))

    def asarray(self, y, dtype):
        if isinstance(y, torch.Tensor):
            return y.to(torch_dtype(dtype))
        arr = np.asarray(y, dtype=dtype)
        # torch.from_numpy shares memory, warns on read-only arrays and refuses negative strides (a reversed
        # view); a copy is cheap next to the FFT.
        usable = arr.flags.writeable and all(s >= 0 for s in arr.strides)
        return torch.from_numpy(arr if usable else arr.copy())

    def constant(self, x, dtype):
        x = torch.tensor(np.asarray(x), dtype=torch_dtype(dtype))
        return banded(x) if x.ndim == 2 and x.dtype == torch.float32 else x

    def pad(self, x, left, right, mode):
        if mode == "reflect":
            # torch reflects the last dimension of a [batch, channel, samples] tensor only.
            return F.pad(x[:, None, :], (left, right), mode="reflect")[:, 0, :]
        return F.pad(x, (left, right))

    def frame(self, x, length, hop, n_frames):
        return x.unfold(-1, length, hop)[:, :n_frames, :]

    def rfft(self, x, n):
        return torch.fft.rfft(x, n=n, dim=-1)

    def magnitude(self, spectrum, power, dtype):
        target = torch_dtype(dtype)
        if target == torch.float32 and spectrum.dtype == torch.complex128:
            # Round the float64 FFT to complex64 first (as librosa's STFT stores it; 1e-7 relative per bin), then
            # square in float32: half the memory traffic of squaring in float64.
            spectrum = spectrum.to(torch.complex64)
        if power == 2.0:
            # re^2 + im^2 in the FFT's precision, rounded once to the spec's dtype.
            # (A reduction over view_as_real's last axis of 2 is several times slower than this on CPU.)
            re, im = spectrum.real, spectrum.imag
            return torch.addcmul(re.square(), im, im).to(target)
        mag = spectrum.abs()
        return (mag if power == 1.0 else mag.pow(power)).to(target)

    def mel(self, spectrum, basis):
        if isinstance(basis, list):
            # Banded (see constant), as in the NumPy backend: zeros add nothing, only the summation order changes.
            return torch.cat([torch.matmul(spectrum[..., lo:hi], block) for lo, hi, block in basis], dim=-1)
        return torch.matmul(spectrum, basis)

    def swap(self, x):
        return x.transpose(-1, -2).contiguous()

    def log10(self, x):
        return torch.log10(x)

    def log(self, x):
        return torch.log(x)

    def maximum(self, x, y):
        return torch.maximum(x, y) if isinstance(y, torch.Tensor) else torch.clamp_min(x, y)

    def clip_max(self, x):
        return x.amax(dim=(-2, -1), keepdim=True)

    def concat(self, parts):
        return torch.cat(parts, dim=0)

    def real(self, x):
        return x.real

    def imag(self, x):
        return x.imag

    def sqrt(self, x):
        return torch.sqrt(x)

    def pow(self, x, p):
        return torch.pow(x, p)

    def where(self, cond, x, y):
        return torch.where(cond, x, y)

    def sum_frames(self, x):
        return torch.sum(x, dim=-2, keepdim=True)

    def flatten_planes(self, x):
        return x.reshape(-1, x.shape[-1])  # a NumPy array (melspectrogram's input) or a tensor

    def unflatten_planes(self, x, planes):
        return x.reshape(-1, planes, *x.shape[1:])


OPS = TorchOps()
