"""The scored test clips of a DCASE 2021-2025 run as rows (type, section, domain, name, label, score): what
the metrics, the files and the report of the sections protocol read."""

from __future__ import annotations

from ...evaluate import ScoreRow
from ..plan import Plan


def score_rows(plan: Plan, scored: dict[str, list[tuple[str, float, int | None]]]) -> list[ScoreRow]:
    """One :class:`~asdlens.evaluate.ScoreRow` per scored test clip, labels and domains from the clips."""
    rows = []
    for group in plan.tests:
        for clip, (name, score, _) in zip(group.clips, scored[group.label], strict=True):
            rows.append(ScoreRow(clip.machine_type, clip.machine_id, clip.domain, name, clip.label, score))
    return rows


__all__ = ["score_rows"]
