"""PyTorch backend: the shared pipeline in ``torch`` ops (CPU or any device the input lives on).

``OPS`` serves :func:`asdkit.features.melspectrogram` (NumPy in, ``torch.Tensor`` out);
:class:`asdkit.features.torch.LogMel` wraps the same operations in an ``nn.Module`` with its constants as buffers.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def torch_dtype(name: str) -> torch.dtype:
    """``"float32"`` / ``"float64"`` to the torch dtype."""
    return {"float32": torch.float32, "float64": torch.float64}[name]


class TorchOps:
    """Array operations of :class:`asdkit.features.pipeline.Ops` in PyTorch."""

    # Blocks of a few clips keep the float64 frame and spectrum temporaries near cache size (as for NumPy).
    block_clips = 4

    def asarray(self, y, dtype):
        if isinstance(y, torch.Tensor):
            return y.to(torch_dtype(dtype))
        arr = np.asarray(y, dtype=dtype)
        # torch.from_numpy shares memory and warns on read-only arrays; a copy is cheap next to the FFT.
        return torch.from_numpy(arr if arr.flags.writeable else arr.copy())

    def constant(self, x, dtype):
        return torch.tensor(np.asarray(x), dtype=torch_dtype(dtype))

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


OPS = TorchOps()
