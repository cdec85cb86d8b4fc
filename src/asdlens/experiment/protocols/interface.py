"""The interface every evaluation protocol implements, and ``require`` (a results.json key check).

Its own module so that the protocols (:mod:`.ids`, :mod:`.sections`) import it without importing the registry
that imports them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - types only
    from ...report import Report
    from ..config import Experiment
    from ..graph import JobBuilder, RunJobs
    from ..plan import Plan, TestGroup
    from ..results import RunResult


class EvaluationProtocol:
    """The interface every protocol implements (one instance per layout it scores).

    The methods follow a run's path: settings it refuses, jobs it adds, the groups whose scores it reads, its
    metrics, its files and ``results.json`` part, and how those are shown (terminal, report, ``explain``).
    Defaults are those of a protocol that needs nothing beyond the test clips' scores.

    Attributes
    ----------
    layout : str
        The layout (``dataset.layout``) it scores; the registry's key.
    headline_metrics : tuple of str
        The values a run is summed up by (``explain`` steps, :meth:`headline`).
    headline_protocol : str or None
        What ``explain`` calls the headline's protocol (steps on different ones are not compared); None when the
        headline means the same on several layouts (the mean AUC/pAUC of DCASE 2020 and MIMII).
    """

    layout: str
    headline_metrics: tuple[str, ...]
    headline_protocol: str | None = None

    # -- before anything trains
    def check_settings(self, exp: Experiment, plan: Plan) -> None:
        """Raise ``ValueError`` (naming the dotted key) for settings this protocol cannot score."""

    def add_jobs(self, builder: JobBuilder, exp: Experiment, rj: RunJobs) -> None:
        """Add the scoring jobs this protocol needs beyond the test groups' to ``rj.scores``."""

    def scored_groups(self, plan: Plan) -> list[TestGroup]:
        """Every group whose scores :meth:`evaluate` reads (each has a job in ``rj.scores`` by its label)."""
        return list(plan.tests)

    # -- scored clips -> metrics
    def evaluate(self, exp: Experiment, plan: Plan, scored: dict[str, list]) -> Any:
        """The protocol's part of a :class:`~asdlens.experiment.RunResult` (its ``evaluation``) from
        ``scored``: per group label of :meth:`scored_groups`, ``[(file_name, score, label), ...]``."""
        raise NotImplementedError

    # -- metrics -> files
    def results_dict(self, result: RunResult) -> dict[str, Any]:
        """What ``results.json`` holds (:func:`asdlens.experiment.results.results_json` gives the shared keys)."""
        raise NotImplementedError

    def write_files(self, result: RunResult) -> None:
        """The protocol's files in ``result.out_dir`` (official CSVs ...), each written atomically."""
        raise NotImplementedError

    def files_written(self) -> str:
        """How ``asdlens run`` names those files in its last lines."""
        return "result.csv"

    # -- files -> people
    def check_results(self, data: dict[str, Any]) -> None:
        """Raise ``KeyError``/``TypeError`` if ``data`` (a ``results.json``) lacks what this protocol reads."""

    def with_published(self, data: dict[str, Any]) -> dict[str, Any]:
        """``data`` with the published values beside ours (``asdlens results --json``)."""
        return data

    def print_tables(self, data: dict[str, Any], console, *, title: str) -> None:
        """Terminal tables of a ``results.json`` on a rich ``console``, readable at 80 columns."""
        raise NotImplementedError

    def report(self, result: RunResult) -> Report:
        """The run's report page (:class:`asdlens.report.Report`)."""
        raise NotImplementedError

    # -- explain
    def headline(self, result: RunResult) -> dict[str, float | None]:
        """:attr:`headline_metrics` of one run."""
        raise NotImplementedError

    def unit_values(self, result: RunResult) -> dict[str, dict[str, float | None]]:
        """Per unit label (``"pump id_00"``, ``"fan section 00"``): the values ``explain`` shows per unit."""
        raise NotImplementedError


def require(data: dict[str, Any], *keys: str, where: str = "results.json") -> None:
    """Raise ``KeyError`` naming the first of ``keys`` missing from ``data`` (for :meth:`check_results`)."""
    missing = [k for k in keys if k not in data]
    if missing:
        raise KeyError(f"{where} has no {missing[0]!r}")


__all__ = ["EvaluationProtocol", "require"]
