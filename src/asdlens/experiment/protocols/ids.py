"""DCASE 2020 and MIMII: AUC and pAUC per machine ID (x SNR), averaged per type, then over types.

- **Metrics** (:func:`asdlens.evaluate.id_metrics`): per test group (one machine ID at one SNR) the AUC and the
  pAUC of ``metric.max_fpr``, as ``01_test.py`` of the DCASE 2020 baseline; per type (x SNR) their arithmetic
  mean over IDs; over types the mean of those (:func:`asdlens.evaluate.mean_over_types`); and the DCASE 2020
  official score, the mean of the two (:func:`asdlens.evaluate.official_score_2020`).
- **Files**: ``anomaly_score_<type>_id_<NN>.csv`` per ID and ``result.csv`` (one folder per SNR for MIMII, named
  as mimii_baseline names them), and MIMII's ``result.yaml``.
- **Published values**: the layout's table (``dcase2020-dev``, ``mimii-paper``) beside each ID and type
  (:mod:`asdlens.evaluate.published`); for DCASE 2020 the field's strong systems and official scores too.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ...evaluate import (
    BootstrapOptions,
    IdResult,
    IdScores,
    TypeAverage,
    anomaly_score_file_name,
    id_metrics,
    mean_over_types,
    official_score_2020,
    reference,
    snr_folder,
    type_average_rows,
    write_anomaly_scores,
    write_mimii_result_yaml,
    write_result_csv,
)
from ...evaluate.intervals import id_draws, intervals_json
from ..results import results_json
from .interface import EvaluationProtocol, require


@dataclass(frozen=True)
class IdLayout:
    """What differs between the layouts scored per machine ID.

    Attributes
    ----------
    layout : str
    reference : str or None
        The published per-ID table (:func:`asdlens.evaluate.reference`) shown beside a run.
    shipped : str or None
        The shipped experiment that reproduces the published protocol (its settings are the comparison's).
    score_name : str
        What the mean of the mean AUC and the mean pAUC is called on this layout.
    strong_systems : bool
        Whether the page shows the field's strong systems and official scores (real DCASE 2020 numbers).
    result_yaml : bool
        Whether the run also writes mimii_baseline's ``result.yaml``.
    """

    layout: str
    reference: str | None
    shipped: str | None
    score_name: str = "the DCASE 2020 official score"
    strong_systems: bool = False
    result_yaml: bool = False


#: The layouts scored per machine ID, each with its published table and files.
ID_LAYOUTS: dict[str, IdLayout] = {
    "dcase2020": IdLayout("dcase2020", "dcase2020-dev", "dcase2020", strong_systems=True),
    "mimii": IdLayout("mimii", "mimii-paper", "mimii", "the DCASE 2020 score rule", result_yaml=True),
}


@dataclass
class IdEvaluation:
    """The metrics of a run scored per machine ID.

    Attributes
    ----------
    results : list of IdResult
        Per machine type x ID (x SNR): ``auc``, ``pauc``, ``n`` (= ``n_normal + n_anomaly``), ``message``.
    averages : list of TypeAverage
        Per machine type (x SNR).
    intervals : dict or None
        The bootstrap intervals (:func:`asdlens.evaluate.intervals.intervals_json`), None when not drawn.
    """

    results: list[IdResult]
    averages: list[TypeAverage]
    intervals: dict | None = None

    @property
    def mean_auc(self) -> float | None:
        """Mean of the per-type averages (how the DCASE baseline README averages over types)."""
        return mean_over_types(a.auc for a in self.averages)

    @property
    def mean_pauc(self) -> float | None:
        return mean_over_types(a.pauc for a in self.averages)

    @property
    def official_score_2020(self) -> float | None:
        """The DCASE 2020 official score of the run: the mean of :attr:`mean_auc` and :attr:`mean_pauc`."""
        return official_score_2020(self.mean_auc, self.mean_pauc)

    def result(self, machine_type: str, machine_id: str, snr: int | None = None) -> IdResult:
        for r in self.results:
            if (r.machine_type, r.machine_id, r.snr) == (machine_type, machine_id, snr):
                return r
        raise KeyError(f"no result for {machine_type} id_{machine_id} snr={snr}")


def id_evaluation(results: list[IdResult], intervals: dict | None = None) -> IdEvaluation:
    """An :class:`IdEvaluation` of per-ID results (the per-type means computed from them)."""
    return IdEvaluation(results, type_average_rows(results), intervals)


def id_scores(plan, scored: dict[str, list]) -> list[IdScores]:
    """Per test group of ``plan``: its clips' labels and scores (``scored``: group label -> ``[(file, score,
    label), ...]``), the input of :func:`asdlens.evaluate.intervals.id_draws`."""
    return [
        IdScores(
            g.machine_type,
            g.machine_id,
            g.snr,
            [lab for _, _, lab in scored[g.label]],
            [s for _, s, _ in scored[g.label]],
        )
        for g in plan.tests
    ]


def official_order(scored: list[tuple[str, float, int | None]]) -> list[tuple[str, float, int | None]]:
    """A group's ``(file, score, label)`` rows in the order ``01_test.py`` writes its anomaly-score file: the
    normal clips, then the anomalies, each in file-name order (its ``test_file_list_generator`` globs
    ``normal_<id>*`` then ``anomaly_<id>*``, each sorted; y-kawagu/dcase2020_task2_baseline@04cc94f); an
    evaluation set's unlabelled clips (all sorted there) after them, in the group's (path) order."""
    rank = {0: 0, 1: 1}
    return sorted(scored, key=lambda row: rank.get(row[2], 2))  # stable: each class keeps the path order


def evaluation_json(e: IdEvaluation) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The evaluation's part of ``results.json``: the metrics, and the tail (the intervals, when drawn)."""
    metrics = {
        "results": [r.to_dict() for r in e.results],
        "averages": [asdict(a) for a in e.averages],
        "mean": {"auc": e.mean_auc, "pauc": e.mean_pauc},
        "official_score_2020": e.official_score_2020,
    }
    return metrics, None if e.intervals is None else {"intervals": e.intervals}


@dataclass(frozen=True)
class IdsProtocol(EvaluationProtocol):
    """AUC/pAUC per machine ID (DCASE 2020, MIMII); see the module docstring."""

    rules: IdLayout
    headline_metrics: tuple[str, ...] = ("auc", "pauc")
    headline_protocol: str | None = None

    @property
    def layout(self) -> str:
        return self.rules.layout

    def table(self):
        """The published per-ID table of the layout, or None."""
        return reference(self.rules.reference) if self.rules.reference else None

    def evaluate(self, exp, plan, scored) -> IdEvaluation:
        results = [
            id_metrics(
                [lab for _, _, lab in scored[g.label]],
                [s for _, s, _ in scored[g.label]],
                machine_type=g.machine_type,
                machine_id=g.machine_id,
                snr=g.snr,
                max_fpr=exp.metric.max_fpr,
            )
            for g in plan.tests
        ]
        options = BootstrapOptions(max_fpr=exp.metric.max_fpr)
        return id_evaluation(results, intervals_json(id_draws(id_scores(plan, scored), options), options))

    def results_dict(self, result) -> dict[str, Any]:
        return results_json(result, *evaluation_json(result.evaluation))

    def write_files(self, result) -> None:
        out, e = result.out_dir, result.evaluation
        for g in result.plan.tests:
            rows = [(f, s) for f, s, _ in official_order(result.scores[g.label])]
            write_anomaly_scores(
                out / snr_folder(g.snr) / anomaly_score_file_name(g.machine_type, g.machine_id), rows
            )
        by_snr: dict[int | None, list[IdResult]] = {}
        for r in e.results:
            by_snr.setdefault(r.snr, []).append(r)
        for snr, rows in by_snr.items():
            write_result_csv(out / snr_folder(snr) / "result.csv", rows)
        if self.rules.result_yaml:
            write_mimii_result_yaml(out / "result.yaml", e.results)

    def check_results(self, data: dict[str, Any]) -> None:
        require(data, "layout", "results", "averages", "mean")

    def with_published(self, data: dict[str, Any]) -> dict[str, Any]:
        from ...evaluate.published import comparison_rows

        return {**data, "results": comparison_rows(data["results"], self.table())}

    def print_tables(self, data: dict[str, Any], console, *, title: str) -> None:
        from .ids_tables import print_id_tables

        print_id_tables(self, data, console, title=title)

    def report(self, result):
        from .ids_page import id_report

        return id_report(self, result)

    def headline(self, result) -> dict[str, float | None]:
        e = result.evaluation
        return {"auc": e.mean_auc, "pauc": e.mean_pauc}

    def unit_values(self, result) -> dict[str, dict[str, float | None]]:
        return {r.label: {"auc": r.auc, "pauc": r.pauc} for r in result.evaluation.results}
