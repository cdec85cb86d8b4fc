"""Two systems on the same test clips: per unit and overall, the difference with its paired-bootstrap interval
(``asdlens compare A B``; the noise rule ``explain`` can use).

Each side is a run folder (``asdlens run``) or a scored folder (``asdlens evaluate``): its ``results.json``
names the data, its score files hold every clip's score. Both are paired with the same labelled test clips, so
replicate ``b`` resamples the same clips for both (:func:`asdlens.evaluate.intervals.difference`). A difference
is **beyond noise** when its 95 % paired interval excludes 0.

:func:`run_draws` gives the same draws from a :class:`~asdlens.experiment.RunResult` in memory (no files), and
:func:`asdlens.evaluate.intervals.seed_mean` pools several seeds' runs.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..evaluate import BootstrapOptions, difference, id_draws, section_draws
from ..evaluate.intervals import SystemDraws
from ..evaluate.score_folder import read_score_folder
from .scored import ScoredSource, labelled_test_clips


def run_draws(result, options: BootstrapOptions = BootstrapOptions()) -> SystemDraws | None:
    """The bootstrap draws of a run's numbers from its scores in memory (None when nothing was evaluated).

    Two runs of the same data give paired draws (:func:`asdlens.evaluate.difference`).
    """
    from .protocols.ids import id_scores
    from .protocols.sections import YEARS, score_rows, usable_rows

    if result.plan is None:
        raise ValueError("run_draws needs the run's plan (RunResult.plan): the clips of each group")
    if result.layout in YEARS:
        rows, _ = usable_rows(score_rows(result.plan, result.scores))
        return section_draws(rows, result.layout, options) if rows else None
    return id_draws(id_scores(result.plan, result.scores), options)


def source_of(folder: str | os.PathLike, data: str | os.PathLike | None = None) -> ScoredSource:
    """Where a run or scored folder's scores and data are (from its ``results.json``; ``data`` overrides)."""
    folder = Path(folder)
    path = folder / "results.json"
    if not path.is_file():
        raise ValueError(
            f"{folder}: no results.json (not a run folder of `asdlens run` or `asdlens evaluate`)"
        )
    info = json.loads(path.read_text())
    scored = info.get("scored")
    if scored is not None:
        scores, root, truth = Path(scored["scores"]), scored["data"], scored.get("ground_truth")
    else:
        dataset = (info.get("experiment") or {}).get("dataset") or {}
        scores, root, truth = folder, dataset.get("root"), dataset.get("ground_truth")
    if data is not None:
        root = data
    if root is None:
        raise ValueError(f"{path}: names no data root; give --data")
    return ScoredSource(
        scores, Path(root), info.get("layout", "auto"), None if truth is None else Path(truth)
    )


def folder_draws(source: ScoredSource, clips, layout: str, options: BootstrapOptions) -> SystemDraws:
    """The bootstrap draws of one folder's score files on ``clips``."""
    from .protocols.sections import YEARS

    folder = read_score_folder(source.scores, clips, layout)
    if layout in YEARS:
        return section_draws(folder.score_rows(), layout, options)
    from ..evaluate import IdScores

    groups = [
        IdScores(t, i, snr, [c.label for c, _ in unit], [s for _, s in unit])
        for (t, snr, i), unit in sorted(folder.units.items(), key=lambda kv: str(kv[0]))
    ]
    return id_draws(groups, options)


@dataclass(frozen=True)
class Comparison:
    """``A - B`` per number: rows of ``level`` (unit, type, overall), ``name``, ``number``, ``a``, ``b``,
    ``delta``, ``low``, ``high``, ``beyond_noise``; and how the intervals were drawn."""

    layout: str
    rows: list[dict[str, Any]]
    options: BootstrapOptions

    def to_dict(self) -> dict[str, Any]:
        return {"layout": self.layout, **self.options.to_dict(), "rows": self.rows}


def comparison_rows(a: SystemDraws, b: SystemDraws, options: BootstrapOptions) -> list[dict[str, Any]]:
    """One row per number both draws have (see :class:`Comparison`)."""
    d = difference(a, b)
    rows = []
    levels = [("unit", n, d["units"][n], a["units"][n], b["units"][n]) for n in d["units"]]
    levels += [("type", n, d["types"][n], a["types"][n], b["types"][n]) for n in d["types"]]
    levels.append(("overall", "all", d["overall"], a["overall"], b["overall"]))
    for level, name, delta, da, db in levels:
        for number, draws in delta.items():
            if draws is None:
                continue
            low, high = draws.interval(options.confidence)
            rows.append({"level": level, "name": name, "number": number, "a": da[number].value,
                         "b": db[number].value, "delta": draws.value, "low": low, "high": high,
                         "beyond_noise": bool(low > 0 or high < 0)})  # fmt: skip
    return rows


def compare_folders(
    a: str | os.PathLike,
    b: str | os.PathLike,
    *,
    data: str | os.PathLike | None = None,
    options: BootstrapOptions = BootstrapOptions(),
) -> Comparison:
    """``A - B`` on the test clips of A's data root (or ``data``), both folders' score files paired with them.

    Raises
    ------
    ValueError
        A folder without results.json, the two on different layouts or data roots (give ``data`` to pair them
        on one), or a score folder that does not match the clips
        (:class:`~asdlens.evaluate.score_folder.ScoreFolderError`).
    """
    sa, sb = source_of(a, data), source_of(b, data)
    if sa.data.absolute() != sb.data.absolute():
        raise ValueError(
            f"{a} was scored on {sa.data}, {b} on {sb.data}: give --data to pair both on one tree"
        )
    layout, clips, _ = labelled_test_clips(sa)
    if sb.layout not in ("auto", layout):
        raise ValueError(f"{a} is a {layout} result, {b} a {sb.layout} one: compare runs of one year")
    da = folder_draws(sa, clips, layout, options)
    db = folder_draws(sb, clips, layout, options)
    return Comparison(layout, comparison_rows(da, db, options), options)
