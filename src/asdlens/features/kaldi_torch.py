"""The Kaldi fbank of :mod:`asdlens.features.kaldi_fbank` in torch, batched: what BEATs computes its input with.

The frame indices, window and filters come from the float64 builders of :mod:`.kaldi_fbank` (one place for the
definition); this module only applies them to a ``[batch, samples]`` tensor on its device, in its dtype. torchaudio
runs the same steps one clip at a time in float32 for BEATs; the numbers agree to float32 rounding (its filters
are built in float32, ours in float64 and rounded once).
"""

from __future__ import annotations

import numpy as np
import torch

from .kaldi_fbank import EPSILON, KaldiFbankSpec, frame_indices, kaldi_mel_banks, kaldi_window

_DTYPES = (torch.float32, torch.float64)


def kaldi_fbank(waves: torch.Tensor, spec: KaldiFbankSpec) -> torch.Tensor:
    """Kaldi fbank of each clip of ``waves``.

    Parameters
    ----------
    waves : torch.Tensor
        ``[batch, samples]`` or ``[samples]``, float32 or float64, in the units the caller wants (BEATs passes
        [-1, 1) audio times ``2 ** 15``).
    spec : KaldiFbankSpec

    Returns
    -------
    torch.Tensor
        ``[batch, frames, n_mels]`` (or ``[frames, n_mels]``) in the dtype and on the device of ``waves``.

    Raises
    ------
    ValueError
        For a tensor of another rank or dtype, or a clip shorter than one frame.
    """
    if not isinstance(waves, torch.Tensor) or waves.dim() not in (1, 2) or waves.dtype not in _DTYPES:
        what = (
            f"{waves.dtype} tensor of shape {tuple(waves.shape)}"
            if isinstance(waves, torch.Tensor)
            else type(waves).__name__
        )
        raise ValueError(
            f"kaldi_fbank takes a float32/float64 tensor [samples] or [batch, samples]; got a {what}"
        )
    squeeze = waves.dim() == 1
    x = waves[None] if squeeze else waves
    dtype, device = x.dtype, x.device
    index = torch.from_numpy(frame_indices(spec, x.shape[-1])).to(device)
    frames = x[:, index]  # [batch, frames, window_size]
    if spec.remove_dc_offset:
        frames = frames - frames.mean(dim=-1, keepdim=True)
    if spec.preemphasis:
        previous = torch.cat([frames[..., :1], frames[..., :-1]], dim=-1)
        frames = frames - spec.preemphasis * previous
    window = _constant(kaldi_window(spec), dtype, device)
    spectrum = torch.fft.rfft(frames * window, n=spec.padded_window_size, dim=-1)
    power = spectrum.real.square() + spectrum.imag.square()
    values = power if spec.use_power else spectrum.abs()
    banks = _constant(np.ascontiguousarray(kaldi_mel_banks(spec).T), dtype, device)  # [n_bins, n_mels]
    energies = torch.matmul(values, banks)
    out = torch.clamp_min(energies, EPSILON).log() if spec.use_log else energies
    return out[0] if squeeze else out


def _constant(array: np.ndarray, dtype: torch.dtype, device) -> torch.Tensor:
    return torch.tensor(array, dtype=dtype, device=device)
