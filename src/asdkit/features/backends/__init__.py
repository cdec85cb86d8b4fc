"""Backends: each supplies array operations for :mod:`asdkit.features.pipeline`. Imported lazily."""

BACKENDS = ("numpy", "tensorflow", "torch", "librosa")
