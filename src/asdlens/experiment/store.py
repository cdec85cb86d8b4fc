"""Inputs of jobs read from the run cache: a unit's clips as one :class:`asdlens.models.samples.ClipSet`.

Every feature entry is checksum-verified on the way in (:meth:`asdlens.engine.RunCache.read_feature`);
the damaged ones are named together, so the engine can recompute them all at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..engine import DamagedEntry, MissingEntry, RunCache
from ..models.samples import ClipSet


def load_clipset(cache: RunCache, paths: Sequence[str | Path], meta: Sequence[dict] | None = None) -> ClipSet:
    """Read the feature entries at ``paths`` (``[n_mels, n_frames]`` each) into one :class:`ClipSet`.

    Raises
    ------
    DamagedEntry
        Listing every damaged entry among ``paths`` (all are checked before raising).
    MissingEntry
        An entry is missing (a ``FileNotFoundError``).
    """
    paths = [Path(p) for p in paths]
    lengths = []
    for path in paths:  # headers first: one array of the final size, filled clip by clip (no second copy)
        n = cache.feature_frames(path)
        if n is None and not path.exists():
            raise MissingEntry([path], f"{path}: feature entry missing")
        lengths.append(n or 0)
    offsets = np.zeros(len(paths) + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    frames, damaged, n_mels = None, [], 0
    for path, start, n in zip(paths, offsets[:-1], lengths, strict=True):
        try:
            logmel = cache.read_feature(path)
        except DamagedEntry as exc:
            damaged.extend(exc.paths)
            continue
        if logmel.shape[-1] != n:
            damaged.append(str(path))
            continue
        if frames is None:
            n_mels = logmel.shape[0]
            frames = np.empty((int(offsets[-1]), n_mels), np.float32)
        frames[start : start + n] = logmel.T
    if damaged:
        raise DamagedEntry(damaged, "checksum mismatch or truncated feature entries")
    if frames is None:
        frames = np.zeros((0, n_mels), np.float32)
    return ClipSet(frames, offsets, list(meta) if meta is not None else [{} for _ in paths])
