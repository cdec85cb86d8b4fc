"""Keras 3 models of the reference protocols: the DCASE 2020 Task 2 and MIMII autoencoders, their training and
reconstruction errors. Keras is imported only when a model is built, trained or loaded.

>>> from asdlens.models import dcase2020_autoencoder, mimii_autoencoder
"""

from .autoencoders import MODELS, build_model, dcase2020_autoencoder, mimii_autoencoder
from .throughput import training_throughput
from .training import (
    load_model,
    make_deterministic,
    reconstruction_errors,
    save_model,
    train_autoencoder,
)

__all__ = [
    "MODELS",
    "build_model",
    "dcase2020_autoencoder",
    "load_model",
    "make_deterministic",
    "mimii_autoencoder",
    "reconstruction_errors",
    "save_model",
    "train_autoencoder",
    "training_throughput",
]
