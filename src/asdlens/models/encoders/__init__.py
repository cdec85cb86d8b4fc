"""Frozen pretrained audio encoders in PyTorch (BEATs), loaded strictly from the user's checkpoint file.

- :mod:`.beats_config`: a checkpoint's architecture (``cfg``), validated; sizes ``BASE`` and ``TINY``;
- :mod:`.beats_layers`: the transformer (relative position bias, gated relative position, DeepNorm);
- :mod:`.beats`: :class:`BeatsEncoder` (fbank -> patches -> transformer -> token grid) and :func:`embed_clips`;
- :mod:`.beats_checkpoint`: :func:`load_beats`, :func:`checkpoint_sha256`, :func:`write_random_checkpoint`;
- :mod:`.clip_policy`: how clips of any length reach the encoder (:class:`ClipPolicy`).

torch is imported only when a torch-backed name is first used (``import asdlens.models.encoders`` stays light).

>>> from asdlens.models.encoders import ClipPolicy, EmbeddingOptions, embed_clips, load_beats
"""

from __future__ import annotations

import importlib

from .beats_config import BASE, SIZES, TINY, BeatsConfig
from .clip_policy import ClipPolicy

_LAZY = {
    "BeatsEncoder": ".beats",
    "EmbeddingOptions": ".beats",
    "embed_clips": ".beats",
    "load_beats": ".beats_checkpoint",
    "read_checkpoint": ".beats_checkpoint",
    "checkpoint_sha256": ".beats_checkpoint",
    "write_random_checkpoint": ".beats_checkpoint",
}

__all__ = ["BASE", "SIZES", "TINY", "BeatsConfig", "ClipPolicy", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
