"""BEATs as a frozen encoder: normalised Kaldi fbank -> 16x16 patches -> transformer -> frame embeddings.

Facts (microsoft/unilm ``beats/BEATs.py`` @ 768a3c87, ``BEATs.preprocess`` and ``BEATs.extract_features``):

- input: 16 kHz audio in [-1, 1) scaled by ``2 ** 15``; ``torchaudio.compliance.kaldi.fbank`` with 128 mel bins,
  25 ms frames every 10 ms and the other options at their defaults (dither 0); then ``(fbank - 15.41663) /
  (2 * 6.55582)`` (the constants are ``preprocess``'s defaults; note the factor 2);
- the fbank ``[frames, 128]`` is one image channel; a ``Conv2d(1, embed_dim, 16, stride=16)`` cuts it into
  non-overlapping 16x16 patches, ``floor(frames / 16)`` in time and 8 in frequency (leftover frames are dropped);
  the patches are flattened time-major (token ``t * 8 + f``), layer-normed, projected to the encoder width;
- ``extract_features`` returns the last layer's tokens ``[batch, n_time * 8, dim]``; ASDKit averages all tokens
  into one clip vector (``asdkit/frontends/pretrained_feature/beats.py`` @ ed27d82f), the frame-level pipelines
  average the 8 frequency tokens of each time step (a 160 ms frame), and BEAM-style pipelines keep them apart.

:class:`BeatsEncoder` returns the token grid ``[batch, n_time, 8, dim]`` of any layer; :func:`embed_clips` takes
NumPy clips of any length through a :class:`~.clip_policy.ClipPolicy` and returns per-frame embeddings
``[n_time, dim]`` (frequency tokens averaged) or ``[n_time, 8, dim]`` (kept), in float32.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from ...features.audio import as_batch
from ...features.kaldi_fbank import KaldiFbankSpec
from ...features.kaldi_torch import kaldi_fbank
from .beats_config import BeatsConfig
from .beats_layers import TransformerEncoder
from .clip_policy import ClipPolicy

SAMPLE_RATE = 16000
#: BEATs' fbank: torchaudio's defaults with 128 mel bins, 25 ms / 10 ms at 16 kHz.
FBANK = KaldiFbankSpec(sample_rate=16000.0, frame_length_ms=25.0, frame_shift_ms=10.0, n_mels=128)
WAVE_SCALE = 2.0**15
FBANK_MEAN = 15.41663
FBANK_STD = 6.55582
FREQUENCY_MODES = ("mean", "keep")


def resolve_layer(layer: int | str, n_layers: int) -> int:
    """``layer`` (1-based, or ``"last"``) as a layer number in ``1..n_layers``."""
    if layer == "last":
        return n_layers
    if isinstance(layer, bool) or not isinstance(layer, int) or not 1 <= layer <= n_layers:
        raise ValueError(f"encoder.layer={layer!r} must be 'last' or a layer number from 1 to {n_layers}")
    return layer


class BeatsEncoder(nn.Module):
    """The BEATs encoder (no classifier head is run; a fine-tuned checkpoint's ``predictor`` is only held).

    Parameters
    ----------
    config : BeatsConfig

    Notes
    -----
    Weights are zeros and ones until a checkpoint is loaded (:func:`~.beats_checkpoint.load_beats`). Parameters
    are frozen (``requires_grad=False``).
    """

    def __init__(self, config: BeatsConfig):
        super().__init__()
        self.config = config
        patch, width = config.input_patch_size, config.embed_dim
        self.patch_embedding = nn.Conv2d(1, width, kernel_size=patch, stride=patch, bias=config.conv_bias)
        self.layer_norm = nn.LayerNorm(width)
        dim = config.encoder_embed_dim
        self.post_extract_proj = nn.Linear(width, dim) if width != dim else None
        self.encoder = TransformerEncoder(config)
        if config.finetuned_model:
            self.predictor = nn.Linear(dim, config.predictor_class)
        self.requires_grad_(False)

    @property
    def min_samples(self) -> int:
        """The shortest clip with one patch row: ``input_patch_size`` fbank frames."""
        return FBANK.window_size + FBANK.window_shift * (self.config.input_patch_size - 1)

    def fbank(self, waves: torch.Tensor) -> torch.Tensor:
        """Normalised fbank ``[batch, frames, 128]`` of ``[batch, samples]`` audio in [-1, 1) at 16 kHz."""
        return (kaldi_fbank(waves * WAVE_SCALE, FBANK) - FBANK_MEAN) / (2 * FBANK_STD)

    def forward(self, waves: torch.Tensor, *, layer: int | str = "last") -> torch.Tensor:
        """Token grid ``[batch, n_time, n_freq, dim]`` of layer ``layer`` (1-based or ``"last"``).

        ``n_time = floor(frames / 16)`` and ``n_freq = 128 / 16 = 8`` for the released patch size. ``"last"`` is
        what the official ``extract_features`` returns (for a pre-LN model, with the encoder's final layer norm);
        layer ``k`` is the raw output of layer ``k``.
        """
        if waves.dim() != 2:
            raise ValueError(f"BeatsEncoder takes audio [batch, samples]; got shape {tuple(waves.shape)}")
        n_layers = resolve_layer(layer, self.config.encoder_layers)
        patches = self.patch_embedding(self.fbank(waves)[:, None])  # [batch, width, n_time, n_freq]
        batch, width, n_time, n_freq = patches.shape
        x = self.layer_norm(patches.flatten(2).transpose(1, 2))  # [batch, n_time * n_freq, width], time-major
        if self.post_extract_proj is not None:
            x = self.post_extract_proj(x)
        x = self.encoder(x, n_layers)
        if layer == "last" and self.config.layer_norm_first:
            x = self.encoder.layer_norm(x)
        return x.unflatten(1, (n_time, n_freq))


@dataclass(frozen=True)
class EmbeddingOptions:
    """What :func:`embed_clips` returns and how it feeds the encoder.

    Parameters
    ----------
    layer : int or "last"
        Transformer layer whose output is returned (1-based).
    frequency : {"mean", "keep"}
        Average the frequency tokens of each time step (``[n_time, dim]``) or keep them (``[n_time, n_freq, dim]``).
    clip : ClipPolicy
        Whole clips, fixed-length clips or windows (see :mod:`.clip_policy`).
    batch_size : int
        Pieces per forward pass (a peak-memory knob: the numbers do not depend on it beyond float32 rounding).
    """

    layer: int | str = "last"
    frequency: str = "mean"
    clip: ClipPolicy = field(default_factory=ClipPolicy)
    batch_size: int = 8

    def __post_init__(self) -> None:
        if self.frequency not in FREQUENCY_MODES:
            raise ValueError(
                f"encoder.frequency={self.frequency!r} is not allowed; choose one of {list(FREQUENCY_MODES)}"
            )
        if isinstance(self.batch_size, bool) or not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise ValueError(f"encoder.batch_size={self.batch_size!r} must be a positive integer")
        if not isinstance(self.clip, ClipPolicy):
            raise ValueError(f"encoder.clip must be a ClipPolicy; got {type(self.clip).__name__}")
        if self.layer != "last" and (
            isinstance(self.layer, bool) or not isinstance(self.layer, int) or self.layer < 1
        ):
            raise ValueError(f"encoder.layer={self.layer!r} must be 'last' or a layer number (1-based)")


def embed_clips(
    model: BeatsEncoder,
    clips: np.ndarray | Sequence[np.ndarray],
    *,
    sample_rate: int = SAMPLE_RATE,
    options: EmbeddingOptions | None = None,
) -> np.ndarray | list[np.ndarray]:
    """Frame embeddings of each clip, float32.

    Parameters
    ----------
    model : BeatsEncoder
    clips : array ``[n_clips, samples]`` or a sequence of 1-D arrays (any lengths)
        Audio in [-1, 1) (float32/float64, or int16 PCM) at 16 kHz.
    sample_rate : int
        Must be 16000 (BEATs' rate; resample before).
    options : EmbeddingOptions

    Returns
    -------
    numpy.ndarray or list of numpy.ndarray
        For a 2-D array, ``[n_clips, n_time, dim]`` (or ``[n_clips, n_time, n_freq, dim]``); for a sequence, one
        ``[n_time_i, dim]`` array per clip. ``n_time`` counts 160 ms frames over all of a clip's pieces.
    """
    options = options or EmbeddingOptions()
    if sample_rate != SAMPLE_RATE:
        raise ValueError(
            f"BEATs takes {SAMPLE_RATE} Hz audio; got sample_rate={sample_rate} (resample first)"
        )
    stacked = isinstance(clips, np.ndarray)
    if stacked and clips.ndim != 2:
        raise ValueError(
            f"clips must be [n_clips, samples] or a sequence of 1-D clips; got an array of shape {clips.shape}"
        )
    audio = [as_batch(c, name=f"clips[{i}]")[0][0] for i, c in enumerate(clips)]
    pieces = [options.clip.segments(a, sample_rate, min_samples=model.min_samples) for a in audio]
    flat = [(c, p) for c, ps in enumerate(pieces) for p in range(len(ps))]
    out: dict[tuple[int, int], np.ndarray] = {}
    by_length: dict[int, list[tuple[int, int]]] = {}
    for c, p in flat:
        by_length.setdefault(len(pieces[c][p]), []).append((c, p))
    device = next(model.parameters()).device
    with torch.inference_mode():
        for group in by_length.values():
            for start in range(0, len(group), options.batch_size):
                part = group[start : start + options.batch_size]
                waves = torch.from_numpy(np.stack([pieces[c][p] for c, p in part]).astype(np.float32))
                grid = model(waves.to(device), layer=options.layer)
                grid = grid.mean(dim=2) if options.frequency == "mean" else grid
                for (c, p), emb in zip(part, grid.cpu().numpy(), strict=True):
                    out[c, p] = emb
    result = [np.concatenate([out[c, p] for p in range(len(ps))], axis=0) for c, ps in enumerate(pieces)]
    return np.stack(result) if stacked else result
