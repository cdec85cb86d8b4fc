"""``diff``: compare, ladder and attribution in one call, and their report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .compare import Comparison, compare
from .distance import DISTANCE_NAME, NOTE, resample_bands
from .gap import Gap, one_blas_thread
from .ladder import Attribution, Ladder, attribute, ladder


@dataclass(frozen=True)
class DiffResult:
    comparison: Comparison
    ladder: Ladder
    attribution: Attribution

    def to_dict(self) -> dict:
        return {
            "distance": DISTANCE_NAME,
            "comparison": self.comparison.to_dict(),
            "ladder": self.ladder.to_dict(),
            "attribution": self.attribution.to_dict(),
        }


def diff(a, b, audio) -> tuple[DiffResult, Gap]:
    """:func:`compare`, :func:`ladder` and :func:`attribute` of ``a`` against ``b`` on ``audio``, sharing runs."""
    with one_blas_thread():
        gap = Gap(a, b, audio)
        result = DiffResult(
            comparison=compare(gap.a, gap.b, None, gap=gap),
            ladder=ladder(gap.a, gap.b, None, gap=gap),
            attribution=attribute(gap.a, gap.b, None, gap=gap),
        )
    return result, gap


def write_report(result: DiffResult, gap: Gap, out_dir, *, names=("a", "b")) -> Path:
    """``report.html`` (images embedded), ``report.md`` and the PNGs of a diff into ``out_dir``."""
    return build_report(result, gap, names=names).write(out_dir)


def build_report(result: DiffResult, gap: Gap, *, names=("a", "b")):
    """The diff as an :class:`asdlens.report.Report` (to write, or to extend another report with)."""
    from ..report import Report
    from . import plots

    a_name, b_name = names
    r = Report(f"Why {a_name} and {b_name} differ")
    r.paragraph(f"Distance: {DISTANCE_NAME}. Clips: {result.comparison.clips}. {NOTE}")
    r.heading("Differing fields")
    r.table(
        ["field", a_name, b_name],
        [[f, repr(v[0]), repr(v[1])] for f, v in result.comparison.differing_fields.items()],
    )
    r.heading("Stages")
    r.table(
        ["stage", "shape a", "shape b", "max |Δ|", "mean |Δ|", "relative", "mean dB", "max dB", "note"],
        [
            [
                s.stage,
                str(s.shape_a),
                str(s.shape_b),
                s.max_abs,
                s.mean_abs,
                s.relative,
                s.mean_db,
                s.max_db,
                s.note,
            ]
            for s in result.comparison.stages
        ],
    )
    r.paragraph(f"Frame offset: frame t + {result.comparison.frame_offset} of a is frame t of b.")
    r.heading("Ladder")
    r.table(
        ["step", "fields", "distance to b (dB)", "closed (dB)", "share"],
        [["a", "", result.ladder.total_db, None, None]]
        + [
            [s.group, _fields(s.fields), s.distance_db, s.closed_db, f"{100 * s.share:.1f} %"]
            for s in result.ladder.steps
        ],
    )
    r.figure(plots.ladder_bars(result.ladder), "ladder", caption="distance to b after each step")
    r.heading("Shapley attribution")
    if result.attribution.exact:
        r.table(
            ["group", "value (dB)", "share"],
            [
                [g, v, f"{100 * result.attribution.shares[g]:.1f} %"]
                for g, v in result.attribution.values_db.items()
            ],
        )
    else:
        r.paragraph(result.attribution.note)
    la, lb = gap.levels(gap.a)[0], gap.levels(gap.b)[0]
    r.heading("Spectrograms (first clip)")
    r.figure(plots.spectrograms(la, lb, names=names), "spectrograms", caption="log-mel level in dB, a and b")
    aligned = resample_bands(la, lb.shape[0])
    k = result.comparison.frame_offset
    frames = min(aligned.shape[1] - max(k, 0), lb.shape[1] - max(-k, 0))
    d = aligned[:, max(k, 0) : max(k, 0) + frames] - lb[:, max(-k, 0) : max(-k, 0) + frames]
    r.figure(
        plots.difference(d, title=f"{a_name} - {b_name} (dB, frames aligned by {k})"),
        "difference",
        caption="level difference after aligning frames; a resampled to b's bands if their counts differ",
    )
    r.figure(
        plots.filterbanks(gap.a, gap.b, names=names), "filterbanks", caption="the two filterbanks, peak 1"
    )
    return r


def _fields(fields: dict) -> str:
    return ", ".join(f"{k}: {v[0]!r} → {v[1]!r}" for k, v in fields.items())
