"""``score_artifact``: score a data root's test clips with an exported artifact's own runtime.

The artifact's sidecar holds the run's experiment, so the test clips are planned exactly as the run planned
them (:func:`asdlens.experiment.plan.make_plan`) and the unit's test groups are scored. The outputs are the
run's: ``anomaly_score_<type>_id_<NN>.csv`` (in the SNR folder for MIMII) and ``result.csv``, or for DCASE
2021-2026 the year's ``anomaly_score_<type>_section_<NN>[_<domain>]_test.csv``; and ``results.json`` with
AUC/pAUC per ID or section (over all of the section's clips).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..evaluate import (
    IdResult,
    anomaly_score_file_name,
    atomic_write_json,
    id_metrics,
    snr_folder,
    write_anomaly_scores,
    write_result_csv,
)
from ..groups import snr_order


def read_clip(clip, exp, *, sample_rate: int, n_samples: int) -> np.ndarray:
    """A test clip as an artifact of the run ``exp`` takes it (:func:`asdlens.deploy.source.read_input`: the run's
    channel ``[n_samples]``, or both ``[2, n_samples]``); a clip of another length is an error naming the file."""
    from .source import read_input

    y = read_input(clip.path, exp, sample_rate)
    if y.shape[-1] != n_samples:
        raise ValueError(
            f"{clip.path}: {y.shape[-1]} samples; the artifact takes exactly {n_samples} "
            f"({n_samples / sample_rate:.3f} s at {sample_rate} Hz): export it again with --samples {y.shape[-1]}"
        )
    return y


@contextlib.contextmanager
def progress_bar(enabled: bool, description: str, total: int):
    """``advance()`` for a rich bar on stderr, or a no-op."""
    if not enabled:
        yield lambda n=1: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=Console(stderr=True), transient=True,
    ) as bars:  # fmt: skip
        task = bars.add_task(description, total=total)
        yield lambda n=1: bars.advance(task, n)


@dataclass
class ScoreResult:
    """What :func:`score_artifact` produced.

    Attributes
    ----------
    results : list of IdResult
        AUC/pAUC per machine ID of the unit.
    scores : dict
        Per test group label (``"pump id_00"``): ``[(file_name, score, label), ...]``.
    out_dir : pathlib.Path
    """

    results: list[IdResult]
    scores: dict[str, list[tuple[str, float, int | None]]] = field(default_factory=dict)
    out_dir: Path | None = None


def metrics_of(groups: Sequence, scores: dict, max_fpr: float | None) -> list[IdResult]:
    """AUC/pAUC of each test group from ``{label: [(file_name, score, label), ...]}``."""
    return [
        id_metrics(
            [lab for _, _, lab in scores[g.label]],
            [s for _, s, _ in scores[g.label]],
            machine_type=g.machine_type,
            machine_id=g.machine_id,
            snr=g.snr,
            max_fpr=max_fpr,
        )  # fmt: skip
        for g in groups
    ]


def score_groups(
    score: Callable[[np.ndarray], float], groups: Sequence, read: Callable, advance=lambda n=1: None
) -> dict[str, list[tuple[str, float, int | None]]]:
    """``score`` applied to every clip of ``groups``, read with ``read(clip)``."""
    out = {}
    for g in groups:
        rows = []
        for c in g.clips:
            rows.append((c.file_name, float(score(read(c))), c.label))
            advance()
        out[g.label] = rows
    return out


def _write_section_files(out: Path, groups: Sequence, scores: dict, layout: str) -> None:
    """The year's anomaly-score files (``anomaly_score_<type>_section_<NN>[_<domain>]_test.csv``) of a DCASE
    2021-2026 unit; no decision files (their threshold is fitted on the run's training scores, not here)."""
    from ..evaluate import ScoreRow, write_submission

    rows = [
        ScoreRow(c.machine_type, c.machine_id, c.domain, c.file_name, c.label, score)
        for g in groups
        for c, (_, score, _) in zip(g.clips, scores[g.label], strict=True)
    ]
    write_submission(out, rows, layout)


def score_artifact(
    artifact: str | Path, data_root: str | Path, out_dir: str | Path, *, progress: bool = True
) -> ScoreResult:
    """Score the test clips of ``data_root`` that the artifact's unit scored in its run.

    Parameters
    ----------
    artifact : path
        Sidecar JSON, ``.tflite``/``.onnx`` file or SavedModel folder written by ``asdlens export``.
    data_root : path
        A tree in the run's layout.
    out_dir : path
        Gets the official CSVs and ``results.json``.
    progress : bool
        A progress bar on stderr.

    Raises
    ------
    ValueError
        Naming the file: bad artifact, no test clips of the unit under the root, a clip of another length.
    """
    from ..experiment import Experiment
    from ..experiment.plan import make_plan
    from .runtimes import open_artifact

    info, runtime = open_artifact(artifact)
    exp = Experiment.from_dict(info.experiment, source=f"{artifact} sidecar")
    plan = make_plan(exp, data_root)
    groups = [t for t in plan.tests if t.unit == info.unit]
    if not groups:
        raise ValueError(f"{data_root}: no test clips for the artifact's unit {info.unit!r}")

    def read(clip):
        return read_clip(clip, exp, sample_rate=info.sample_rate, n_samples=info.n_samples)

    total = sum(len(g.clips) for g in groups)
    with progress_bar(progress, f"score {info.unit} ({info.format} {info.quantization})", total) as advance:
        scores = score_groups(lambda y: float(runtime(y)), groups, read, advance)
    results = metrics_of(groups, scores, exp.metric.max_fpr)
    out = Path(out_dir)
    if plan.sections:
        _write_section_files(out, groups, scores, plan.layout)
    else:
        for g in groups:
            path = out / snr_folder(g.snr) / anomaly_score_file_name(g.machine_type, g.machine_id)
            write_anomaly_scores(path, [(f, s) for f, s, _ in scores[g.label]])
        for snr in sorted({g.snr for g in groups}, key=snr_order):
            write_result_csv(out / snr_folder(snr) / "result.csv", [r for r in results if r.snr == snr])
    atomic_write_json(
        out / "results.json",
        {"artifact": info.to_dict() | {"experiment": None}, "results": [r.to_dict() for r in results]},
    )
    return ScoreResult(results, scores, out)
