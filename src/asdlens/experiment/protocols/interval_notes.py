"""The one sentence every table and page says about the bootstrap intervals it shows."""

from __future__ import annotations


def interval_note(intervals: dict) -> str:
    """What a ``results.json`` ``"intervals"`` block is, in words (for a note below a table or a page)."""
    level = round(100 * intervals["confidence"])
    return (
        f"{level}% CI: bootstrap over the test clips ({intervals['n_resamples']} resamples, stratified by label"
        f" (and domain), seed {intervals['seed']}); a difference is noise unless its paired interval excludes 0"
        " (asdlens compare)"
    )
