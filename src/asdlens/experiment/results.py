"""What a run produced (:class:`RunResult`) and the run folder's machine-readable files.

``results.json`` and the official CSVs depend only on the config and the data (two runs of one config on one
machine give the same bytes, whatever executor ran them); ``run.json`` holds what depends on the machine and
the session (timings, where each job ran, the machine itself). What the metrics are, which files hold them and
what ``results.json`` says about them is the run's protocol's (:mod:`asdlens.experiment.protocols`): per machine
ID for DCASE 2020 and MIMII, the year's official score per section x domain for DCASE 2021-2025.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..atomic import atomic_write_bytes, atomic_write_json
from ..evaluate import TypeAverage  # noqa: F401 - re-exported: asdlens.experiment.TypeAverage
from .config import Experiment
from .plan import Plan

#: Counter names of :attr:`RunResult.counters`.
COUNTERS = (
    "features_computed",
    "features_cached",
    "models_trained",
    "models_cached",
    "scores_computed",
    "scores_cached",
)


class BadClipsError(ValueError):
    """Clips that cannot be used (unreadable, wrong format, too short); the message lists them."""

    def __init__(self, bad: list[tuple[str, str]]):
        self.bad = bad
        shown = "\n".join(f"  {problem}" for _, problem in bad[:20])
        more = f"\n  ... and {len(bad) - 20} more" if len(bad) > 20 else ""
        super().__init__(
            f"{len(bad)} clip(s) cannot be used; the run stopped before training (finished features are "
            f"cached). Fix or remove them, or pass --skip-bad (skip_bad=True) to leave them out:\n{shown}{more}"
        )


@dataclass
class RunResult:
    """What :func:`run_experiment` produced: what every run has, its protocol, and the protocol's metrics.

    The protocol's own values are read through from :attr:`evaluation`: ``result.results``, ``result.averages``,
    ``result.mean_auc``, ``result.mean_pauc``, ``result.official_score_2020`` and ``result.result(type, id)`` on
    DCASE 2020 / MIMII runs (:class:`asdlens.experiment.protocols.ids.IdEvaluation`); ``result.official``,
    ``result.official_score``, ``result.thresholds``, ``result.train_scores`` and ``result.messages`` on
    DCASE 2021-2025 runs (:class:`asdlens.experiment.protocols.sections.SectionEvaluation`).

    Attributes
    ----------
    protocol : asdlens.experiment.protocols.EvaluationProtocol
        How the run was scored (:func:`~asdlens.experiment.protocols.protocol_of` of its layout); it writes the
        files, ``results.json`` and the report.
    evaluation : object
        The protocol's metrics (see above).
    counters : dict of str to int
        ``features_computed``, ``features_cached`` (clips), ``models_trained``, ``models_cached`` (models),
        ``scores_computed``, ``scores_cached`` (clips), ``bad_files``.
    out_dir : pathlib.Path
    config : Experiment
        Resolved (``dataset.root`` set).
    layout : str
    bad_files : list of (path, problem)
        Clips left out with ``skip_bad``.
    models : dict
        Per unit name: ``key`` (cache key), ``n_clips``, ``n_vectors``, ``history`` (loss per epoch).
    scores : dict
        Per test group label (``"pump id_00"``, ``"fan section 00"``): ``[(file_name, score, label), ...]``.
    timings : dict of str to float
        Seconds per stage (not in ``results.json``, which must not depend on the machine).
    jobs : list of dict
        Per job of this run: kind, label, status (computed, cached, waited), node, seconds, retries.
    plan : asdlens.experiment.plan.Plan or None
        What was run (the clips of every group, for reports); not in ``results.json``.
    """

    protocol: Any
    evaluation: Any
    counters: dict[str, int]
    out_dir: Path
    config: Experiment
    layout: str = "dcase2020"
    bad_files: list[tuple[str, str]] = field(default_factory=list)
    models: dict[str, dict] = field(default_factory=dict)
    scores: dict[str, list[tuple[str, float, int | None]]] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    jobs: list[dict] = field(default_factory=list)
    plan: Plan | None = field(default=None, repr=False, compare=False)

    def __getattr__(self, name: str) -> Any:
        # Only called for names that are not fields: the protocol's own values, read from the evaluation.
        if name.startswith("__") or name == "evaluation":
            raise AttributeError(name)
        evaluation = self.__dict__.get("evaluation")
        try:
            return getattr(evaluation, name)
        except AttributeError:
            raise AttributeError(
                f"{type(self).__name__} of a {self.__dict__.get('layout')} run has no {name!r} "
                f"({type(evaluation).__name__} holds its metrics)"
            ) from None

    def results_dict(self) -> dict[str, Any]:
        """What ``results.json`` holds (the protocol's :meth:`~EvaluationProtocol.results_dict`).

        Only things that the config and the data decide: two runs of the same config give equal dicts.
        """
        return self.protocol.results_dict(self)

    def to_dict(self) -> dict[str, Any]:
        """Everything, JSON-ready (:meth:`results_dict` plus counters, timings, histories, out_dir)."""
        return {
            **self.results_dict(),
            "counters": dict(self.counters),
            "timings": dict(self.timings),
            "out_dir": str(self.out_dir),
            "training": {
                name: {k: v for k, v in info.items() if k != "key"} for name, info in self.models.items()
            },
        }


def results_json(
    result: RunResult, metrics: dict[str, Any], tail: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``results.json`` in its fixed order: the experiment and layout, the protocol's ``metrics``, the models'
    keys and the bad files, then the protocol's ``tail``."""
    return {
        "experiment": result.config.to_dict(),
        "layout": result.layout,
        **metrics,
        "models": {name: info["key"] for name, info in result.models.items()},
        "bad_files": [{"path": p, "problem": why} for p, why in result.bad_files],
        **(tail or {}),
    }


def write_outputs(result: RunResult, model_files: dict[str, Path]) -> None:
    """The run folder's machine-readable files, every one written atomically: each model and its info, the
    protocol's files (:meth:`~EvaluationProtocol.write_files`, from ``result.plan``) and ``results.json``."""
    out = result.out_dir
    for name, info in result.models.items():
        if name in model_files:
            target = out / "models" / f"{name}{model_files[name].suffix}"
            atomic_write_bytes(target, model_files[name].read_bytes())
        atomic_write_json(out / "models" / f"{name}.json", info)
    result.protocol.write_files(result)
    atomic_write_json(out / "results.json", json.loads(json.dumps(result.results_dict())))
