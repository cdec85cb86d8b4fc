"""The gap between two specs on some audio: runs specs (cached) and measures their distance to ``b``."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import numpy as np

from ..features import MelSpec, melspectrogram, resolve_spec
from ..features.audio import as_batch
from .distance import level_db, level_distance
from .groups import check_comparable, spec_with


def as_clips(audio) -> list[np.ndarray]:
    """Audio as a list of 1-D float clips: one ``[samples]`` array, a ``[batch, samples]`` array or a list."""
    if isinstance(audio, np.ndarray) or not isinstance(audio, Sequence) or not len(audio):
        batch, _ = as_batch(audio, name="audio")
        return list(batch)
    clips = []
    for i, clip in enumerate(audio):
        batch, squeeze = as_batch(clip, name=f"audio[{i}]")
        if not squeeze:
            raise ValueError(f"audio[{i}] must be one clip [samples]; got shape {np.shape(clip)}")
        clips.append(batch[0])
    return clips


@contextlib.contextmanager
def one_blas_thread():
    """Many small matrix products run far faster on one BLAS thread than on several contending ones."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


class Gap:
    """Runs specs on the clips with the NumPy backend and measures their distance to ``b`` (cached)."""

    def __init__(self, a, b, audio) -> None:
        self.a, self.b = resolve_spec(a), resolve_spec(b)
        check_comparable(self.a, self.b)
        self.clips = as_clips(audio)
        self._levels: dict[str, list[np.ndarray]] = {}
        self._distances: dict[str, float] = {}

    def levels(self, spec: MelSpec) -> list[np.ndarray]:
        """Each clip's output as a level in dB, ``[n_mels, frames]`` float64."""
        key = spec.key()
        if key not in self._levels:
            self._levels[key] = [level_db(melspectrogram(y, spec), spec) for y in self.clips]
        return self._levels[key]

    def distance(self, spec: MelSpec) -> float:
        """Distance (dB, see :mod:`asdlens.diff.distance`) from ``spec`` to ``b``, averaged over the clips."""
        key = spec.key()
        if key not in self._distances:
            pairs = zip(self.levels(spec), self.levels(self.b), strict=True)
            self._distances[key] = float(np.mean([level_distance(x, y) for x, y in pairs]))
        return self._distances[key]

    def moved(self, fields) -> MelSpec:
        """``a`` with ``fields`` taken from ``b``."""
        return spec_with(self.a, self.b, set(fields))
