"""Field groups as players: which groups differ, and which must move together to keep every spec valid.

The groups and their pipeline order are ``asdlens.features.FIELD_GROUPS`` (one place). Walking from ``a`` to ``b``
one group at a time can pass through a spec that cannot exist (``tf.signal -> librosa`` moving only the window
group asks for a 2048-sample window in a 1024-point FFT). Such groups are merged into one player (named
``"window+fft_size"``), chosen so that every subset of players gives a valid :class:`MelSpec`, which exact
Shapley values need.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from ..features import FIELD_GROUPS, MelSpec


@dataclass(frozen=True)
class Player:
    """One step of the ladder: one field group, or several that can only change together."""

    groups: tuple[str, ...]
    fields: tuple[str, ...]

    @property
    def name(self) -> str:
        return "+".join(self.groups)


def differing_groups(a: MelSpec, b: MelSpec) -> list[str]:
    """Field groups (pipeline order) holding at least one field whose resolved value differs."""
    diff = set(a.diff_fields(b))
    return [g for g, names in FIELD_GROUPS.items() if diff & set(names)]


def check_comparable(a: MelSpec, b: MelSpec) -> None:
    """The differ runs both specs on the same audio, so they must share the sample rate."""
    if a.sample_rate != b.sample_rate:
        raise ValueError(
            f"the specs have different sample_rate ({a.sample_rate} vs {b.sample_rate} Hz); the differ runs "
            "both on the same audio, so set one sample_rate in both specs"
        )


def spec_with(a: MelSpec, b: MelSpec, fields: set[str] | frozenset[str]) -> MelSpec:
    """``a`` with the resolved values of ``fields`` taken from ``b`` (raises ValueError if invalid)."""
    base, other = a.resolved().to_dict(), b.resolved().to_dict()
    return MelSpec(**{k: (other[k] if k in fields else v) for k, v in base.items()})


def _valid(a: MelSpec, b: MelSpec, fields: set[str]) -> bool:
    try:
        spec_with(a, b, fields)
    except ValueError:
        return False
    return True


def players(a: MelSpec, b: MelSpec) -> list[Player]:
    """The players of the ladder and the attribution, in pipeline order.

    Starts from one player per differing group and merges pairs while some subset of players gives an invalid
    spec, each time the merge that leaves the fewest invalid subsets (greedy; there are at most 11 groups).
    """
    check_comparable(a, b)
    order = list(FIELD_GROUPS)
    parts = [[g] for g in differing_groups(a, b)]

    def fields_of(part: list[str]) -> set[str]:
        return {f for g in part for f in FIELD_GROUPS[g]}

    def invalid_count(partition: list[list[str]]) -> int:
        count = 0
        for r in range(1, len(partition)):
            for subset in itertools.combinations(partition, r):
                if not _valid(a, b, set().union(*(fields_of(p) for p in subset))):
                    count += 1
        return count

    bad = invalid_count(parts)
    while bad:
        options = []
        for i, j in itertools.combinations(range(len(parts)), 2):
            merged = [p for k, p in enumerate(parts) if k not in (i, j)] + [parts[i] + parts[j]]
            options.append((invalid_count(merged), i, j, merged))
        bad, _, _, parts = min(options, key=lambda o: o[:3])
    parts = [sorted(p, key=order.index) for p in parts]
    parts.sort(key=lambda p: order.index(p[0]))
    return [Player(tuple(p), tuple(f for g in p for f in FIELD_GROUPS[g])) for p in parts]
