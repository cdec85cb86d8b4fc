"""The detector interface the runner and the job engine know, and the registry of families.

A detector is built from plain settings (the experiment's ``model``, ``training``, ``scoring`` sections,
``frames`` and ``n_mels``), then

- ``fit(train, seed=..., on_epoch_end=...) -> info``: learns from a unit's training clips (a
  :class:`~asdlens.models.samples.ClipSet` whose ``meta`` carries each clip's machine type, ID or section,
  domain and attributes); ``info`` is JSON-able (sample counts, the loss history);
- ``score(clips) -> scores``: one anomaly score per clip (higher is more anomalous), computed clip by clip so a
  clip's score cannot depend on which clips it was scored with;
- ``embed(clips) -> [n_clips, d]``: unit-length clip embeddings (every family has one; the autoencoders'
  is the mean bottleneck code);
- ``save(folder)`` / ``load(folder, settings)``: the files of a trained detector (what the cache keeps): the
  network as ``model.keras`` plus what the back-ends need (training embeddings, the residual covariance).

:func:`make_detector` picks the family from ``model.name``
(:data:`asdlens.models.families.MODEL_FAMILY`); a new family adds its class to :func:`family_classes` and
needs nothing else from the runner.

Families: :class:`~asdlens.models.autoencoder_family.Autoencoder` (DCASE 2020 and MIMII baselines, DCASE 2023
Mahalanobis), :class:`~asdlens.models.classifier_family.SectionClassifier` (DCASE 2021/2022 MobileNetV2) and
:class:`~asdlens.models.margin_family.MarginEmbedding` (ArcFace / sub-cluster AdaCos embedding CNNs).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from .families import MODEL_FAMILY, model_family
from .samples import ClipSet

__all__ = ["MODEL_FAMILY", "Detector", "detector_class", "family_classes", "load_detector", "make_detector"]


class Detector(Protocol):
    def fit(self, train: ClipSet, *, seed: int, on_epoch_end: Callable | None = None) -> dict: ...
    def score(self, clips: ClipSet) -> np.ndarray: ...
    def embed(self, clips: ClipSet) -> np.ndarray: ...
    def save(self, folder: Path) -> None: ...


def family_classes() -> dict[str, type]:
    """Detector classes by family (imported here: the margin family's Keras layers load with it)."""
    from .autoencoder_family import Autoencoder
    from .classifier_family import SectionClassifier
    from .margin_family import MarginEmbedding

    return {"autoencoder": Autoencoder, "classifier": SectionClassifier, "margin": MarginEmbedding}


def detector_class(settings: dict[str, Any]) -> type:
    return family_classes()[model_family(settings["model"]["name"])]


def make_detector(settings: dict[str, Any]) -> Detector:
    """An untrained detector for ``settings`` (``model``, ``training``, ``scoring``, ``frames``, ``n_mels``)."""
    return detector_class(settings)(settings)


def load_detector(folder: str | Path, settings: dict[str, Any]) -> Detector:
    """A trained detector from the files its ``save`` wrote into ``folder``."""
    return detector_class(settings).load(Path(folder), settings)
