"""How the bootstrap intervals of a run are shown: the one note below the terminal tables and the report's table.

The intervals are those of ``results.json`` ``"intervals"`` (:func:`asdlens.evaluate.intervals.intervals_json`):
``[low, high]`` per unit, per type and overall; the values beside them are the run's own.
"""

from __future__ import annotations

from ...report.numbers import fmt, fmt_interval


def interval_note(intervals: dict) -> str:
    """What a ``results.json`` ``"intervals"`` block is, in words (for a note below a table or a page)."""
    level = round(100 * intervals["confidence"])
    return (
        f"{level}% CI: bootstrap over the test clips ({intervals['n_resamples']} resamples, stratified by label"
        f" (and domain), seed {intervals['seed']}); a difference is noise unless its paired interval excludes 0"
        " (asdlens compare)"
    )


def interval_rows(intervals: dict, values: dict) -> list[list[str]]:
    """``[level, name, number, value, interval]`` rows of every interval; ``values`` has the shape of
    ``intervals`` (``units``/``types``: name -> number -> value; ``overall``: number -> value)."""
    rows = []
    for level in ("units", "types"):
        for name, numbers in intervals[level].items():
            for number, pair in numbers.items():
                value = values.get(level, {}).get(name, {}).get(number)
                rows.append([level[:-1], name, number, fmt(value), fmt_interval(pair)])
    for number, pair in intervals["overall"].items():
        rows.append(
            ["overall", "all", number, fmt(values.get("overall", {}).get(number)), fmt_interval(pair)]
        )
    return rows


def interval_section(rep, intervals: dict | None, values: dict) -> None:
    """The report's "Uncertainty" section (nothing when the run has no intervals)."""
    if not intervals:
        return
    rep.heading("Uncertainty (95 % bootstrap intervals over the test clips)")
    rep.paragraph(
        interval_note(intervals)
        + ". The rule and the formulas: docs/uncertainty.md. A difference of two runs is beyond noise only when "
        "its paired interval (`asdlens compare A B`) excludes 0; two overlapping intervals here do not say it."
    )
    rep.table(["level", "unit", "number", "value", "95 % interval"], interval_rows(intervals, values))
