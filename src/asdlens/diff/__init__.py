"""The differ: why two log-mel frontends disagree, stage by stage, step by step, order-free; and which spec an
unknown frontend is.

>>> from asdlens.diff import compare, ladder, attribute, identify, diff

All numbers in dB use one distance (:mod:`asdlens.diff.distance`): the mean absolute difference of the two
outputs read back as levels, ``20 / power * log10(mel)``.
"""

from .compare import Comparison, StageDiff, compare
from .distance import DISTANCE_NAME, level_db, level_distance
from .groups import Player, differing_groups, players
from .identify import TOLERANCE_DB, Identification, identify
from .ladder import MAX_EXACT_PLAYERS, Attribution, Ladder, LadderStep, attribute, ladder, shapley
from .run import DiffResult, diff, write_report

__all__ = [
    "DISTANCE_NAME",
    "MAX_EXACT_PLAYERS",
    "TOLERANCE_DB",
    "Attribution",
    "Comparison",
    "DiffResult",
    "Identification",
    "Ladder",
    "LadderStep",
    "Player",
    "StageDiff",
    "attribute",
    "compare",
    "diff",
    "differing_groups",
    "identify",
    "ladder",
    "level_db",
    "level_distance",
    "players",
    "shapley",
    "write_report",
]
