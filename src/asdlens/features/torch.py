"""``LogMel``: a ``torch.nn.Module`` computing a :class:`~asdlens.features.MelSpec` log-mel in PyTorch.

A thin adapter: the numbers come from :mod:`asdlens.features.pipeline` with the torch backend's operations; the
module only keeps the window and mel basis (and a fitted channel transfer) as buffers (so ``.to(device)`` and
``state_dict`` carry them).
"""

from __future__ import annotations

import numpy as np
import torch

from . import filters
from .audio import INT16_SCALE
from .backends.torch import TorchOps, banded, torch_dtype
from .channel_stage import ChannelStage
from .channels import ChannelSpec, resolve_channels
from .pipeline import run
from .presets import resolve_spec
from .spec import MelSpec
from .transfer import Transfer, transfer_gain


class _BufferOps(TorchOps):
    """Torch operations whose constants are the module's buffers instead of fresh tensors."""

    per_clip = False  # the module works on the batch it is given as one array (see LogMel)

    def __init__(self, window: torch.Tensor, basis: torch.Tensor):
        self._window = window
        self._basis = basis

    def constant(self, x, dtype):
        # The pipeline asks for exactly two constants: the 1-D window and the 2-D [bins, mels] basis.
        buffer = self._window if np.ndim(x) == 1 else self._basis
        if tuple(buffer.shape) != np.shape(x):
            raise RuntimeError(f"no buffer of shape {np.shape(x)} in LogMel (window/basis mismatch)")
        buffer = buffer.to(torch_dtype(dtype))
        return banded(buffer) if buffer.ndim == 2 and buffer.dtype == torch.float32 else buffer  # as TorchOps


class LogMel(torch.nn.Module):
    """Log-mel (or mel) spectrogram as ``spec`` says, as a ``torch.nn.Module``.

    Parameters
    ----------
    spec : MelSpec, str or dict
        A spec, a preset name or a mapping of fields (see :func:`asdlens.features.resolve_spec`).
    fast : bool
        Float32 frames and FFT instead of float64 (quicker, less exact far below the clip's peak).
    channels : ChannelSpec, str or dict, optional
        The channel stage in front (:class:`asdlens.features.ChannelSpec`); None: mono input.
    transfer : Transfer, optional
        The fitted gain a ``ChannelSpec(transfer="fitted")`` needs; kept as buffers ``transfer_re`` (and
        ``transfer_im`` for a complex gain), float64.

    Notes
    -----
    ``forward(y)`` takes a tensor ``[samples]`` or ``[batch, samples]`` (float32, float64 or int16 PCM scaled by
    1/32768) and returns ``[..., n_mels, n_frames]`` in ``spec.dtype`` on ``y``'s device. With ``channels`` it
    takes ``[channels, samples]`` or ``[batch, channels, samples]`` (channel 0 near, 1 far; ``[samples]`` is a
    mono clip), and ``both`` returns ``[..., 2, n_mels, n_frames]``. The result equals
    ``asdlens.features.melspectrogram(y, spec, backend="torch")`` to float32 rounding.

    A batch is computed as one array (as a layer in a training loop wants), so a clip's last bits may depend on
    the batch it is in (a matrix product rounds by its shapes); ``melspectrogram(..., backend="torch")``
    computes each clip alone and does not.

    Examples
    --------
    >>> import torch
    >>> LogMel("dcase2020")(torch.zeros(2, 16000)).shape
    torch.Size([2, 128, 32])
    """

    def __init__(
        self,
        spec: MelSpec | str | dict = "librosa",
        *,
        fast: bool = False,
        channels: ChannelSpec | str | dict | None = None,
        transfer: Transfer | None = None,
    ):
        super().__init__()
        self.spec = resolve_spec(spec)
        self.fast = bool(fast)
        self.channels = None if channels is None else resolve_channels(channels)
        if self.channels is None and transfer is not None:
            raise ValueError("LogMel: a transfer was given without a channel spec; pass channels=...")
        gain = None if self.channels is None else transfer_gain(self.channels, transfer, self.spec)
        self._gain_parts = 0 if gain is None else (1 if gain[1] is None else 2)
        for name, part in zip(("transfer_re", "transfer_im"), gain or (), strict=False):
            if part is not None:
                self.register_buffer(name, torch.tensor(np.asarray(part), dtype=torch.float64))
        work = torch.float32 if self.fast else torch.float64
        self.register_buffer("window", torch.tensor(np.asarray(filters.window(self.spec)), dtype=work))
        basis = np.ascontiguousarray(filters.mel_filterbank(self.spec).T)  # [bins, mels]
        self.register_buffer("mel_basis", torch.tensor(basis, dtype=torch_dtype(self.spec.dtype)))

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        ops = _BufferOps(self.window, self.mel_basis)
        if self.channels is not None:
            batch, one = _check_channels(y, self.channels)
            stage = ChannelStage(self.channels, self._gain())
            out = run(
                ops,
                batch,
                self.spec,
                n_samples=batch.shape[-1],
                fast=self.fast,
                channels=stage,
            )
            return out[0] if one else out
        y = _check_audio(y)
        squeeze = y.dim() == 1
        batch = y[None] if squeeze else y
        out = run(ops, batch, self.spec, n_samples=batch.shape[-1], fast=self.fast)
        return out[0] if squeeze else out

    def _gain(self) -> tuple | None:
        if self._gain_parts == 0:
            return None
        return self.transfer_re, (self.transfer_im if self._gain_parts == 2 else None)

    def extra_repr(self) -> str:
        text = f"spec={self.spec.key()}, n_mels={self.spec.n_mels}, n_fft={self.spec.n_fft}, fast={self.fast}"
        return text if self.channels is None else f"{text}, channels={self.channels.policy}"


def _check_channels(y, channels: ChannelSpec) -> tuple[torch.Tensor, bool]:
    """The torch twin of :func:`asdlens.features.audio.as_channels`: ``[batch, channels, samples]``, one clip?"""
    if not isinstance(y, torch.Tensor):
        raise ValueError(f"LogMel takes a torch.Tensor; got {type(y).__name__}")
    if y.dim() not in (1, 2, 3):
        raise ValueError(
            "y must be [samples], [channels, samples] or [batch, channels, samples] with a channel spec; got a "
            f"{y.dim()}-D tensor of shape {tuple(y.shape)}"
        )
    batch = y.reshape(1, 1, -1) if y.dim() == 1 else (y[None] if y.dim() == 2 else y)
    channels.check_channels(batch.shape[1], shape=tuple(y.shape), name="y")
    if batch.numel() == 0:
        raise ValueError(f"y is empty (shape {tuple(y.shape)}); a clip needs at least one sample")
    flat = _check_audio(batch.reshape(-1, batch.shape[-1]), ranks=(2,))
    return flat.reshape(batch.shape), y.dim() < 3


def _check_audio(y, ranks: tuple = (1, 2)) -> torch.Tensor:
    """The torch twin of :func:`asdlens.features.audio.as_batch`'s checks (without a copy to NumPy)."""
    if not isinstance(y, torch.Tensor):
        raise ValueError(f"LogMel takes a torch.Tensor; got {type(y).__name__}")
    if y.dim() not in ranks:
        raise ValueError(
            f"y must be [samples] or [batch, samples]; got a {y.dim()}-D tensor of shape {tuple(y.shape)}"
        )
    if y.dtype == torch.int16:
        y = y.to(torch.float32) / INT16_SCALE
    elif y.dtype not in (torch.float32, torch.float64):
        raise ValueError(f"y has dtype {y.dtype}; use float32, float64, or int16 PCM")
    if y.shape[-1] == 0 or y.numel() == 0:
        raise ValueError(f"y is empty (shape {tuple(y.shape)}); a clip needs at least one sample")
    bad = ~torch.isfinite(y)
    if bool(bad.any()):
        raise ValueError(f"y has {int(bad.sum())} non-finite value(s) (NaN or inf)")
    return y
