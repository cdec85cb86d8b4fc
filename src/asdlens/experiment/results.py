"""What a run produced (:class:`RunResult`) and the run folder's machine-readable files.

``results.json`` and the official CSVs depend only on the config and the data (two runs of one config on one
machine give the same bytes, whatever executor ran them); ``run.json`` holds what depends on the machine and
the session (timings, where each job ran, the machine itself). DCASE 2020 and MIMII runs hold AUC/pAUC per
machine ID; DCASE 2021-2025 runs the year's official score per section x domain
(:meth:`RunResult.official_dict`).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..evaluate import (
    DECISION_QUANTILE,
    IdResult,
    anomaly_score_file_name,
    atomic_write_json,
    snr_folder,
    write_anomaly_scores,
    write_mimii_result_yaml,
    write_result_csv,
)
from .config import SECTION_LAYOUTS, Experiment
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


@dataclass(frozen=True)
class TypeAverage:
    """Arithmetic mean over the IDs of one machine type (at one SNR) whose metric is defined."""

    machine_type: str
    snr: int | None
    auc: float | None
    pauc: float | None
    n_ids: int
    n_undefined: int

    @property
    def label(self) -> str:
        return self.machine_type + ("" if self.snr is None else f" {self.snr}dB")


@dataclass
class RunResult:
    """What :func:`run_experiment` produced.

    Attributes
    ----------
    results : list of IdResult
        Per machine type x ID (x SNR): ``auc``, ``pauc``, ``n`` (= ``n_normal + n_anomaly``), ``message``.
    averages : list of TypeAverage
        Per machine type (x SNR).
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
        Per test group label (``"pump id_00"``): ``[(file_name, score, label), ...]``.
    timings : dict of str to float
        Seconds per stage (not in ``results.json``, which must not depend on the machine).
    jobs : list of dict
        Per job of this run: kind, label, status (computed, cached, waited), node, seconds, retries.
    official : asdlens.evaluate.OfficialResult or None
        DCASE 2021-2025 layouts: the year's metrics per section x domain and the official score (None for
        DCASE 2020 and MIMII, and for an evaluation tree without ground truth). ``results`` and ``averages``
        are empty for those layouts: their unit of evaluation is the section x domain.
    thresholds : dict
        DCASE 2021-2025: per unit, the decision threshold (gamma fit of its training clips' scores at 0.9),
        or None where it could not be fit.
    train_scores : dict
        DCASE 2021-2025: per unit, the scores of its training clips (what the thresholds are fit to).
    messages : list of str
        DCASE 2021-2025: what was scored but not evaluated, thresholds that could not be fit, and the data's
        warnings (:attr:`asdlens.data.ScanResult.warnings`).
    plan : asdlens.experiment.plan.Plan or None
        What was run (the clips of every group, for reports); not in ``results.json``.
    """

    results: list[IdResult]
    averages: list[TypeAverage]
    counters: dict[str, int]
    out_dir: Path
    config: Experiment
    layout: str = "dcase2020"
    bad_files: list[tuple[str, str]] = field(default_factory=list)
    models: dict[str, dict] = field(default_factory=dict)
    scores: dict[str, list[tuple[str, float, int | None]]] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    jobs: list[dict] = field(default_factory=list)
    official: Any = None
    thresholds: dict[str, float | None] = field(default_factory=dict)
    train_scores: dict[str, list[float]] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    plan: Plan | None = field(default=None, repr=False, compare=False)

    @property
    def sections(self) -> bool:
        """Whether the run is scored per section x domain (DCASE 2021-2025)."""
        return self.layout in SECTION_LAYOUTS

    @property
    def official_score(self) -> float | None:
        """The year's official score (DCASE 2021-2025), else None."""
        return None if self.official is None else self.official.official_score

    @property
    def mean_auc(self) -> float | None:
        """Mean of the per-type averages (how the DCASE baseline README averages over types)."""
        return _mean([a.auc for a in self.averages])

    @property
    def mean_pauc(self) -> float | None:
        return _mean([a.pauc for a in self.averages])

    def result(self, machine_type: str, machine_id: str, snr: int | None = None) -> IdResult:
        for r in self.results:
            if (r.machine_type, r.machine_id, r.snr) == (machine_type, machine_id, snr):
                return r
        raise KeyError(f"no result for {machine_type} id_{machine_id} snr={snr}")

    def results_dict(self) -> dict[str, Any]:
        """What ``results.json`` holds: config, per-ID and per-type metrics, models' keys, bad files.

        Only things that the config and the data decide: two runs of the same config give equal dicts.
        DCASE 2021-2025 runs hold the year's metrics instead (:meth:`official_dict`).
        """
        if self.sections:
            return self.official_dict()
        return {
            "experiment": self.config.to_dict(),
            "layout": self.layout,
            "results": [r.to_dict() for r in self.results],
            "averages": [asdict(a) for a in self.averages],
            "mean": {"auc": self.mean_auc, "pauc": self.mean_pauc},
            "models": {name: info["key"] for name, info in self.models.items()},
            "bad_files": [{"path": p, "problem": why} for p, why in self.bad_files],
        }

    def official_dict(self) -> dict[str, Any]:
        """``results.json`` of a DCASE 2021-2025 run: the headline ``official_score``, ``domains`` (one row per
        type x section x domain: AUC by the year's rule, the domain's pAUC, the section's pAUC, counts),
        ``official`` (:meth:`asdlens.evaluate.OfficialResult.to_dict`: per section, per type and overall means),
        the decision ``thresholds``, models, bad files and messages."""
        from .official_outputs import domain_table

        return {
            "experiment": self.config.to_dict(),
            "layout": self.layout,
            "official_score": self.official_score,
            "domains": domain_table(self.official),
            "official": None if self.official is None else self.official.to_dict(),
            "thresholds": {
                name: {
                    "threshold": value,
                    "quantile": DECISION_QUANTILE,
                    "n_train": len(self.train_scores[name]),
                }
                for name, value in self.thresholds.items()
            },
            "models": {name: info["key"] for name, info in self.models.items()},
            "bad_files": [{"path": p, "problem": why} for p, why in self.bad_files],
            "messages": list(self.messages),
        }

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


def _mean(values: list[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return float(np.mean(kept)) if kept else None


def _copy_atomic(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".tmp-{os.getpid()}-{dst.name}")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


def write_outputs(result: RunResult, plan: Plan, model_files: dict[str, Path]) -> None:
    """The run folder's machine-readable files, every one written atomically (DCASE 2021-2025: the year's
    score, decision and result files in place of the per-ID ones)."""
    out = result.out_dir
    for name, info in result.models.items():
        if name in model_files:
            _copy_atomic(model_files[name], out / "models" / f"{name}{model_files[name].suffix}")
        atomic_write_json(out / "models" / f"{name}.json", info)
    if result.sections:
        from .official_outputs import write_official_files

        write_official_files(result, plan)
        atomic_write_json(out / "results.json", json.loads(json.dumps(result.results_dict())))
        return
    for g in plan.tests:
        rows = [(f, s) for f, s, _ in result.scores[g.label]]
        write_anomaly_scores(
            out / snr_folder(g.snr) / anomaly_score_file_name(g.machine_type, g.machine_id), rows
        )
    by_snr: dict[int | None, list[IdResult]] = {}
    for r in result.results:
        by_snr.setdefault(r.snr, []).append(r)
    for snr, rows in by_snr.items():
        write_result_csv(out / snr_folder(snr) / "result.csv", rows)
    if result.layout == "mimii":
        write_mimii_result_yaml(out / "result.yaml", result.results)
    atomic_write_json(out / "results.json", json.loads(json.dumps(result.results_dict())))
