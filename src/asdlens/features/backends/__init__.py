"""Backends: each supplies array operations for :mod:`asdlens.features.pipeline`. Imported lazily."""

BACKENDS = ("numpy", "tensorflow", "torch", "librosa")
