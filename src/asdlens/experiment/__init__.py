"""Experiments: a YAML config, and a runner with a cache that reproduces the reference protocols.

>>> from asdlens.experiment import load_experiment, run_experiment
>>> result = run_experiment(load_experiment("dcase2020", ["training.epochs=2"]), data_root="data", out_dir="run")

Importing this package does not import TensorFlow; training does.
"""

from .config import (
    DatasetConfig,
    Experiment,
    MetricConfig,
    ModelConfig,
    ScoringConfig,
    TrainingConfig,
    apply_overrides,
    load_experiment,
    parse_overrides,
    shipped_experiments,
)
from .results import COUNTERS, BadClipsError, RunResult, TypeAverage
from .runner import run_experiment, run_experiments

__all__ = [
    "COUNTERS",
    "BadClipsError",
    "DatasetConfig",
    "Experiment",
    "MetricConfig",
    "ModelConfig",
    "RunResult",
    "ScoringConfig",
    "TrainingConfig",
    "TypeAverage",
    "apply_overrides",
    "load_experiment",
    "parse_overrides",
    "run_experiment",
    "run_experiments",
    "shipped_experiments",
]
