"""Scoring any system's official score files by the year's rules (``asdlens evaluate``), and ``results.json``
from them in the format of a run's.

The data root gives the test clips with their labels and domains (:func:`asdlens.data.scan`, with the published
ground truth of an evaluation tree); the folder's files are paired with them
(:func:`asdlens.evaluate.score_folder.read_score_folder`, every defect named); the year's protocol computes the
metrics (DCASE 2020 / MIMII: :func:`asdlens.evaluate.id_metrics` per machine ID; DCASE 2021-2025:
:func:`asdlens.evaluate.evaluate_official`, with the evaluators' ci95 from 2022 on) and the bootstrap intervals
(:mod:`asdlens.evaluate.intervals`). ``results.json`` has a run's keys (``experiment`` is null: no asdlens
experiment made these scores) plus ``scored``: where the scores and the data came from. ``asdlens results``,
``asdlens compare`` and the tables read it like a run's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..evaluate import BootstrapOptions, IdScores, evaluate_official, id_draws, id_metrics, intervals_json
from ..evaluate.intervals import section_draws
from ..evaluate.score_folder import ScoreFolder, read_score_folder
from .protocols import ids as ids_protocol
from .protocols import sections as sections_protocol


@dataclass(frozen=True)
class ScoredSource:
    """Where a scored folder's numbers come from.

    Attributes
    ----------
    scores : pathlib.Path
        The folder of score files.
    data : pathlib.Path
        The data root (the test clips, their labels and domains).
    layout : str
        ``"auto"`` or the year; the scan's choice is what is scored.
    ground_truth : pathlib.Path or None
        The published ground truth of an evaluation tree.
    """

    scores: Path
    data: Path
    layout: str = "auto"
    ground_truth: Path | None = None


def labelled_test_clips(source: ScoredSource):
    """``(layout, test clips, data warnings)`` of the data root; every test clip must have a label (and, for
    DCASE 2021-2025, a domain), else a ValueError says how many do not and what to give."""
    from ..data import layout_spec, scan

    tree = scan(source.data, source.layout, ground_truth=source.ground_truth)
    if tree.layout == "mimii":
        raise ValueError(
            f"{source.data}: MIMII score files name clips by file name alone (00000000.wav is in both normal/ and "
            "abnormal/), so they cannot be paired with the clips; score MIMII with asdlens run"
        )
    clips = tree.select(split="test")
    if not clips:
        raise ValueError(f"{source.data}: no test clips ({tree.layout} layout)")
    sections = layout_spec(tree.layout).sections
    unusable = [c for c in clips if c.label is None or (sections and c.domain not in ("source", "target"))]
    if unusable:
        raise ValueError(
            f"{source.data}: {len(unusable)} of {len(clips)} test clips have no label"
            + (" or domain" if sections else "")
            + f" (e.g. {unusable[0].path.name}): give the published ground truth (--ground-truth)"
        )
    return tree.layout, clips, [str(w) for w in tree.warnings]


def _id_evaluation(folder: ScoreFolder, options: BootstrapOptions):
    results, groups = [], []
    for (machine_type, snr, machine_id), unit in sorted(folder.units.items(), key=lambda kv: str(kv[0])):
        labels, scores = [c.label for c, _ in unit], [s for _, s in unit]
        results.append(id_metrics(labels, scores, machine_type=machine_type, machine_id=machine_id, snr=snr,
                                  max_fpr=options.max_fpr))  # fmt: skip
        groups.append(IdScores(machine_type, machine_id, snr, labels, scores))
    intervals = intervals_json(id_draws(groups, options), options)
    return ids_protocol.evaluation_json(ids_protocol.id_evaluation(results, intervals))


def _section_evaluation(folder: ScoreFolder, layout: str, options: BootstrapOptions, warnings: list[str]):
    rows = folder.score_rows()
    official = evaluate_official(rows, layout, decisions=folder.decisions, max_fpr=options.max_fpr, ci95=True)
    messages = list(official.messages) + [f"data: {w}" for w in warnings]
    if folder.decisions is None:
        messages.append("no decision_result files: precision, recall and F1 are left empty")
    intervals = intervals_json(section_draws(rows, layout, options), options)
    evaluation = sections_protocol.SectionEvaluation(official, messages=messages, intervals=intervals)
    return sections_protocol.evaluation_json(evaluation)


def evaluate_scores(source: ScoredSource, options: BootstrapOptions = BootstrapOptions()) -> dict[str, Any]:
    """``results.json`` (as a dict) of the score files of ``source.scores`` on the test clips of ``source.data``.

    Raises
    ------
    asdlens.evaluate.score_folder.ScoreFolderError
        Every missing, extra, duplicate or unparsable file and clip, each named.
    ValueError
        No such folder, no test clips, clips without a label (or domain).
    """
    layout, clips, warnings = labelled_test_clips(source)
    folder = read_score_folder(source.scores, clips, layout)
    if sections_protocol.YEARS.get(layout) is not None:
        metrics, tail = _section_evaluation(folder, layout, options, warnings)
    else:
        metrics, tail = _id_evaluation(folder, options)
    scored = {
        "scores": str(Path(source.scores).absolute()),
        "data": str(Path(source.data).absolute()),
        "ground_truth": None if source.ground_truth is None else str(Path(source.ground_truth).absolute()),
        "files": [str(p.relative_to(source.scores)) for p in folder.files],
    }
    return {"experiment": None, "layout": layout, **metrics, "models": {}, "bad_files": [], **(tail or {}),
            "scored": scored}  # fmt: skip
