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
  network as ``model.keras`` (torch: ``model.pt``) plus what the back-ends need (training embeddings, the
  residual covariance).

:func:`make_detector` picks the family from ``model.name``
(:data:`asdlens.models.families.MODEL_FAMILY`) and the implementation from ``model.framework`` (Keras 3 or
PyTorch: :mod:`asdlens.models.frameworks`, :mod:`asdlens.models.torch`); a new family adds its classes to
:func:`family_classes` / :func:`torch_classes` and needs nothing else from the runner. A torch detector keeps its
network as ``model.pt`` (a state dict) instead of ``model.keras``; :func:`network_file` finds either.

Families: :class:`~asdlens.models.autoencoder_family.Autoencoder` (DCASE 2020 and MIMII baselines, DCASE 2023
Mahalanobis), :class:`~asdlens.models.classifier_family.SectionClassifier` (DCASE 2021/2022 MobileNetV2) and
:class:`~asdlens.models.margin_family.MarginEmbedding` (ArcFace / sub-cluster AdaCos embedding CNNs) and
:class:`~asdlens.models.encoder_family.EncoderDetector` (a frozen pretrained encoder's pooled embeddings scored by
a training-free back-end; torch only computes its embeddings, in the embeddings job).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from .families import MODEL_FAMILY, model_family
from .samples import ClipSet

__all__ = [
    "MODEL_FAMILY",
    "NETWORK_FILES",
    "Detector",
    "detector_class",
    "family_classes",
    "load_detector",
    "make_detector",
    "network_file",
    "torch_classes",
]


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


def torch_classes() -> dict[str, type]:
    """The torch detector classes by family (imports torch)."""
    from .encoder_family import EncoderDetector
    from .torch.families import TorchAutoencoder, TorchMarginEmbedding

    return {"autoencoder": TorchAutoencoder, "margin": TorchMarginEmbedding, "encoder": EncoderDetector}


def detector_class(settings: dict[str, Any]) -> type:
    """The class of ``settings``'s family in its ``model.framework``."""
    from .frameworks import check_framework

    model = settings["model"]
    framework = model.get("framework") or "keras"
    check_framework(model["name"], framework)
    classes = torch_classes() if framework == "torch" else family_classes()
    return classes[model_family(model["name"])]


#: The file a trained detector's network is saved in, by framework.
NETWORK_FILES = {"keras": "model.keras", "torch": "model.pt"}


def network_file(folder: str | Path) -> Path | None:
    """The network file of a detector saved in ``folder`` (``model.keras`` or ``model.pt``), or None."""
    for name in NETWORK_FILES.values():
        if (Path(folder) / name).is_file():
            return Path(folder) / name
    return None


def make_detector(settings: dict[str, Any]) -> Detector:
    """An untrained detector for ``settings`` (``model``, ``training``, ``scoring``, ``frames``, ``n_mels``)."""
    return detector_class(settings)(settings)


def load_detector(folder: str | Path, settings: dict[str, Any]) -> Detector:
    """A trained detector from the files its ``save`` wrote into ``folder``."""
    return detector_class(settings).load(Path(folder), settings)
