"""Clip inputs of the frozen-encoder family: frame embeddings of one channel's 16 kHz waveform, one cache entry
per clip.

A frozen encoder does not read asdlens's log-mel: BEATs computes its own Kaldi fbank from the waveform
(:mod:`asdlens.models.encoders.beats`). So the embeddings job reads the WAV files itself
(:func:`asdlens.data.read_audio`, the validation every feature job applies) and writes each clip's frame
embeddings ``[dim, n_frames]`` (frequency tokens averaged: one ``dim`` vector per 160 ms) in the feature-entry
format (:meth:`asdlens.engine.RunCache.embedding_path`), so the fit and scoring jobs read them as they read
log-mels, with the same checksums and the same ``.bad.json`` rule for a clip that cannot be used (unreadable, not
16 kHz, too short for one patch row).

:class:`EncoderInput` is everything an entry depends on: the checkpoint's content (SHA-256, not its path), the
layer, the clip policy, BEATs' fbank settings, the torch version and the device. Pooling and back-ends come
after the entry, so changing them recomputes no embedding.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..keys import stable_key

#: How the frame embeddings of one clip are laid out in an entry (part of the key: another layout, other keys).
LAYOUT = "beats frame embeddings [dim, n_time], frequency tokens averaged, float32"


@dataclass(frozen=True)
class EncoderInput:
    """What a clip's frame-embedding entry depends on (plain data: it travels in the job's payload).

    Attributes
    ----------
    checkpoint : str
        The checkpoint file (absolute path; read by the job).
    sha256 : str
        Its content hash (the key uses this, not the path).
    layer : int or "last"
    clip : {"whole", "fixed", "windows"}
    clip_seconds : float or None
    device : {"cpu", "cuda"}
        Where the encoder runs (``training.gpus > 0``: cuda when present); other kernels, other last bits.
    """

    checkpoint: str
    sha256: str
    layer: int | str = "last"
    clip: str = "whole"
    clip_seconds: float | None = None
    device: str = "cpu"

    def key(self) -> str:
        """The entry folder's key (the checkpoint's hash, the settings, the fbank, the torch version)."""
        return _key(self)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EncoderInput:
        return cls(**data)


@functools.lru_cache(maxsize=64)
def _key(spec: EncoderInput) -> str:
    from ..models.encoders.beats import FBANK
    from ..runtime import versions

    settings = {k: v for k, v in asdict(spec).items() if k != "checkpoint"}
    return stable_key("embeddings", settings, FBANK.key(), versions(("torch",), python=False), LAYOUT)


def encoder_input(model: dict[str, Any], *, gpus: float = 0.0) -> EncoderInput:
    """The :class:`EncoderInput` of a ``model`` section (a dict with ``model.checkpoint`` set).

    Raises
    ------
    ValueError
        Naming ``model.checkpoint`` when the file cannot be read.
    """
    from ..models.families import resolved_params
    from ..models.frameworks import checkpoint_digest

    path = str(Path(model["checkpoint"]).expanduser().absolute())
    params = resolved_params(model)
    return EncoderInput(path, checkpoint_digest(path), params["layer"], params["clip"], params["clip_seconds"],
                        "cuda" if gpus > 0 else "cpu")  # fmt: skip


_LOADED: dict[tuple[str, str], Any] = {}  # one encoder per worker process, kept across its jobs


def _encoder(spec: EncoderInput):
    """The encoder of ``spec`` (loaded strictly once per process and checkpoint; on cuda if asked and present)."""
    import torch

    from ..models.encoders import load_beats

    if (spec.checkpoint, spec.sha256) not in _LOADED:
        _LOADED.clear()
        model = load_beats(spec.checkpoint)
        if spec.device == "cuda" and torch.cuda.is_available():
            model = model.to("cuda")
        _LOADED[spec.checkpoint, spec.sha256] = model
    return _LOADED[spec.checkpoint, spec.sha256]


def file_embeddings(
    paths: Sequence[str | Path], spec: EncoderInput, *, channel: int = 0, batch_size: int = 8
) -> Iterator[tuple[int, np.ndarray | None, str | None]]:
    """Frame embeddings of many WAV files: ``(index, [dim, n_frames] float32, None)`` or ``(index, None, problem)``.

    Parameters
    ----------
    paths : sequence of path
    spec : EncoderInput
    channel : int
        The channel read (DCASE 2026: 0 near, 1 far).
    batch_size : int
        Clips of equal length per forward pass (peak memory; the numbers do not depend on it beyond float32
        rounding).

    Raises
    ------
    ValueError
        The checkpoint cannot be used (missing, truncated, not BEATs', a layer it does not have): the message
        names the file, and ``model.layer`` for a layer out of range.
    """
    from ..data import AudioError, read_audio
    from ..models.encoders import ClipPolicy, EmbeddingOptions, embed_clips
    from ..models.encoders.beats import SAMPLE_RATE, resolve_layer

    model = _encoder(spec)
    try:
        resolve_layer(spec.layer, model.config.encoder_layers)
    except ValueError as exc:
        raise ValueError(f"model.layer: {exc} ({spec.checkpoint})") from None
    options = EmbeddingOptions(layer=spec.layer, clip=ClipPolicy(spec.clip, spec.clip_seconds),
                               batch_size=batch_size)  # fmt: skip
    audio: dict[int, np.ndarray] = {}
    for i, path in enumerate(paths):
        try:
            y = read_audio(path, channel=channel, expect_sr=SAMPLE_RATE)
            # a clip too short for one patch row is the clip's problem, not the job's
            options.clip.segments(y, SAMPLE_RATE, min_samples=model.min_samples)
            audio[i] = y
        except (AudioError, ValueError) as exc:
            yield i, None, f"{path}: {exc}" if str(path) not in str(exc) else str(exc)
    order = sorted(audio)
    for i, frames in zip(order, embed_clips(model, [audio[i] for i in order], options=options), strict=True):
        yield i, np.ascontiguousarray(frames.T, dtype=np.float32), None
