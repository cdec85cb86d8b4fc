"""explain: the AUC gap between two whole pipelines, attributed to each group of their differences.

>>> from asdlens.explain import explain
>>> result = explain("dcase2020", "seed-tf", data_root="data/", out_dir="explain-out", overrides=["training.epochs=5"])
>>> result.total["auc"], [(s.name, s.change["auc"]) for s in result.steps[1:]]

On DCASE 2021-2025 data the values are the year's official score and AUC (source), AUC (target), pAUC
(``result.metrics``): ``explain("dcase2023-ae-mse", "dcase2023-ae-mahalanobis", ...).total["auc_target"]``.
"""

from .core import Explanation, Outcome, Step, config_id, ladder, shapley_values, summarize_seeds
from .groups import GROUP_ORDER, Group, compose, differing_groups
from .run import ExplainOptions, explain

__all__ = [
    "GROUP_ORDER",
    "ExplainOptions",
    "Explanation",
    "Group",
    "Outcome",
    "Step",
    "compose",
    "config_id",
    "differing_groups",
    "explain",
    "ladder",
    "shapley_values",
    "summarize_seeds",
]
