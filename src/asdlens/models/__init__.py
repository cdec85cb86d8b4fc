"""Detectors in Keras 3 and PyTorch and their scoring back-ends: the DCASE 2020 and MIMII autoencoders (with the
DCASE 2023 Mahalanobis score), the DCASE 2021/2022 MobileNetV2 section classifier, margin-loss embedding CNNs
(ArcFace, sub-cluster AdaCos), and scikit-learn-style back-ends (cosine, kNN, GMM, Mahalanobis, class
confidence). ``model.framework`` picks Keras or PyTorch (:mod:`asdlens.models.frameworks`,
:mod:`asdlens.models.torch`). Keras and torch are imported only when a model is built, trained or loaded.

>>> from asdlens.models import dcase2020_autoencoder, make_detector, KNearestCosine
"""

from .autoencoders import MODELS, build_model, dcase2020_autoencoder, mimii_autoencoder
from .detectors import load_detector, make_detector
from .families import MODEL_FAMILY, SCORERS
from .scorers import (
    ClassConfidence,
    CosineCentre,
    GaussianMixtureScorer,
    KNearestCosine,
    MahalanobisScorer,
    Scorer,
)
from .throughput import detector_throughput, training_throughput
from .training import (
    load_model,
    make_deterministic,
    reconstruction_errors,
    save_model,
    train_autoencoder,
)

__all__ = [
    "SCORERS",
    "MODELS",
    "MODEL_FAMILY",
    "Scorer",
    "ClassConfidence",
    "CosineCentre",
    "GaussianMixtureScorer",
    "KNearestCosine",
    "MahalanobisScorer",
    "build_model",
    "dcase2020_autoencoder",
    "detector_throughput",
    "load_detector",
    "load_model",
    "make_detector",
    "make_deterministic",
    "mimii_autoencoder",
    "reconstruction_errors",
    "save_model",
    "train_autoencoder",
    "training_throughput",
]
