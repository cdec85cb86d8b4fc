"""Ladder (one field group at a time, pipeline order) and Shapley attribution (order-free) of the gap a -> b.

The gap is :func:`asdlens.diff.distance.level_distance` from ``a`` to ``b`` in dB; a step "closes" the drop of
the distance to ``b`` it causes. Shares are fractions of the total gap.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

from ..features import MelSpec
from .distance import DISTANCE_NAME
from .gap import Gap
from .groups import Player, players

#: Exact Shapley values need 2**k runs of the pipeline; above this many players sampling would be needed.
MAX_EXACT_PLAYERS = 10


@dataclass(frozen=True)
class LadderStep:
    """One rung: the fields moved to ``b``'s values and the distance to ``b`` afterwards."""

    group: str
    fields: dict[str, list]  # field -> [value in a, value in b], only the differing fields
    distance_db: float  # to b after this step
    closed_db: float  # drop of the distance this step caused (negative: the step widened the gap)
    share: float  # closed_db / total gap


@dataclass(frozen=True)
class Ladder:
    a: dict
    b: dict
    total_db: float  # distance from a to b
    steps: list[LadderStep]
    distance: str = DISTANCE_NAME

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Attribution:
    """Shapley shares of the gap per player. ``exact`` is False (and ``shares`` empty) when there were too many
    players for the exact sum; ``note`` says why."""

    total_db: float
    values_db: dict[str, float]  # player -> Shapley value in dB; they sum to total_db
    shares: dict[str, float]  # player -> value / total
    exact: bool = True
    note: str = ""
    distance: str = DISTANCE_NAME
    evaluations: int = field(default=0)

    def to_dict(self) -> dict:
        return asdict(self)


def _differing(player: Player, a: MelSpec, b: MelSpec) -> dict[str, list]:
    ra, rb = a.resolved().to_dict(), b.resolved().to_dict()
    return {f: [ra[f], rb[f]] for f in player.fields if ra[f] != rb[f]}


def ladder(a, b, audio, *, gap: Gap | None = None) -> Ladder:
    """Walk from ``a`` to ``b`` changing one field group at a time in pipeline order.

    Parameters
    ----------
    a, b : MelSpec, str or dict
        Specs, preset names, spec files or mappings (see :func:`asdlens.features.resolve_spec`).
    audio : array_like or list of arrays
        One clip ``[samples]``, a batch ``[batch, samples]`` or a list of clips, at the specs' sample rate.
    gap : Gap, optional
        Reuse the runs of an earlier call (``attribute`` shares them).

    Returns
    -------
    Ladder
        ``total_db`` (distance a -> b in dB) and one step per player: the distance to ``b`` after it and the
        share of the total gap it closed. The last step is ``b`` itself (distance 0).
    """
    gap = gap or Gap(a, b, audio)
    total = gap.distance(gap.a)
    moved: set[str] = set()
    previous = total
    steps = []
    for player in players(gap.a, gap.b):
        moved |= set(player.fields)
        d = gap.distance(gap.moved(moved))
        steps.append(
            LadderStep(
                group=player.name,
                fields=_differing(player, gap.a, gap.b),
                distance_db=d,
                closed_db=previous - d,
                share=(previous - d) / total if total > 0 else 0.0,
            )
        )
        previous = d
    return Ladder(a=gap.a.to_dict(), b=gap.b.to_dict(), total_db=total, steps=steps)


def shapley(n: int, value: Callable[[frozenset[int]], float]) -> list[float]:
    """Exact Shapley values of an ``n``-player game with characteristic function ``value`` (on frozensets).

    ``phi_i = sum over S not containing i of |S|! (n - |S| - 1)! / n! * (v(S + i) - v(S))``. They sum to
    ``v(all) - v(empty)``. Each coalition's value is computed once.
    """
    cache: dict[frozenset[int], float] = {}

    def v(s: frozenset[int]) -> float:
        if s not in cache:
            cache[s] = float(value(s))
        return cache[s]

    phi = [0.0] * n
    for i in range(n):
        others = [j for j in range(n) if j != i]
        for r in range(n):
            weight = math.factorial(r) * math.factorial(n - r - 1) / math.factorial(n)
            for subset in itertools.combinations(others, r):
                s = frozenset(subset)
                phi[i] += weight * (v(s | {i}) - v(s))
    return phi


def attribute(a, b, audio, *, gap: Gap | None = None, max_exact: int = MAX_EXACT_PLAYERS) -> Attribution:
    """Shapley values over the field groups that differ: each group's order-free share of the gap a -> b.

    The value of a set of groups is how much of the gap moving them (alone) to ``b``'s values closes. Exact:
    all ``2**k`` subsets are run, for ``k <= max_exact`` players; with more, the result says sampling would be
    needed and holds no shares.

    Returns
    -------
    Attribution
        ``values_db`` sum to ``total_db``; ``shares`` sum to 1 (when the gap is not 0).
    """
    gap = gap or Gap(a, b, audio)
    total = gap.distance(gap.a)
    group_players: Sequence[Player] = players(gap.a, gap.b)
    k = len(group_players)
    if k > max_exact:
        return Attribution(
            total_db=total,
            values_db={},
            shares={},
            exact=False,
            note=(
                f"{k} field groups differ; exact Shapley values need 2**{k} = {2**k} pipeline runs, more than "
                f"the exact limit of 2**{max_exact}; sampling would be needed (not done)"
            ),
        )

    def value(s: frozenset[int]) -> float:
        fields = {f for i in s for f in group_players[i].fields}
        return total - gap.distance(gap.moved(fields))

    phi = shapley(k, value)
    names = [p.name for p in group_players]
    return Attribution(
        total_db=total,
        values_db=dict(zip(names, phi, strict=True)),
        shares={n: (v / total if total > 0 else 0.0) for n, v in zip(names, phi, strict=True)},
        evaluations=2**k,
    )
