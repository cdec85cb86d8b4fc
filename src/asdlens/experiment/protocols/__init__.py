"""Evaluation protocols: how a layout's runs are scored, written and shown, one module per protocol.

A run's clips are scored the same way on every layout (features -> fits -> scores); what differs is the protocol:

- :mod:`.ids` (DCASE 2020, MIMII): AUC and pAUC per machine ID (x SNR), arithmetic means per type and over
  types, the DCASE 2020 official score, the baseline's CSV files;
- :mod:`.sections` (DCASE 2021-2025): the year's metrics per section x domain and its official score (the rules
  of each year are data there), decision thresholds from the training clips' scores, the year's submission
  and evaluator files.

:func:`protocol_of` is the only place a layout picks its protocol; the runner, ``results.json``, the report, the
terminal tables and ``explain`` ask the :class:`EvaluationProtocol` it returns. A new year or protocol is
registered (:func:`register`) without touching any of them.

>>> from asdlens.experiment.protocols import protocol_of
>>> protocol_of("dcase2023").headline_metrics
('official_score', 'auc_source', 'auc_target', 'pauc')
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
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


_REGISTRY: dict[str, EvaluationProtocol] = {}
_BUILTINS_LOADED = False


def register(protocol: EvaluationProtocol, *, replace: bool = False) -> EvaluationProtocol:
    """Make ``protocol`` the one :func:`protocol_of` returns for ``protocol.layout``.

    A layout that has a protocol keeps it unless ``replace`` is true (see :func:`registered` for a temporary
    one). The layout must be one the data layer reads (:data:`asdlens.data.LAYOUTS`) for a run to reach it.
    """
    _load_builtins()  # the built-ins first, so that a replacement is not overwritten by them later
    if protocol.layout in _REGISTRY and not replace:
        raise ValueError(
            f"layout {protocol.layout!r} already has a protocol ({type(_REGISTRY[protocol.layout]).__name__}); "
            "pass replace=True to replace it"
        )
    _REGISTRY[protocol.layout] = protocol
    return protocol


@contextlib.contextmanager
def registered(protocol: EvaluationProtocol) -> Iterator[EvaluationProtocol]:
    """``with registered(p):`` ``p`` scores its layout inside the block; the previous protocol is restored after."""
    _load_builtins()
    previous = _REGISTRY.get(protocol.layout)
    _REGISTRY[protocol.layout] = protocol
    try:
        yield protocol
    finally:
        if previous is None:
            del _REGISTRY[protocol.layout]
        else:
            _REGISTRY[protocol.layout] = previous


def _load_builtins() -> None:
    """Register the shipped protocols once (their modules import the plan and the pages, so not at import)."""
    global _BUILTINS_LOADED
    if _BUILTINS_LOADED:
        return
    _BUILTINS_LOADED = True
    from .ids import ID_LAYOUTS, IdsProtocol
    from .sections import SECTION_LAYOUTS, YEARS, SectionsProtocol

    for layout in ID_LAYOUTS:
        _REGISTRY.setdefault(layout, IdsProtocol(ID_LAYOUTS[layout]))
    for layout in SECTION_LAYOUTS:
        _REGISTRY.setdefault(layout, SectionsProtocol(YEARS[layout]))


def protocol_of(layout: str) -> EvaluationProtocol:
    """The protocol a run on ``layout`` is scored with: the only place a layout picks its protocol.

    Raises
    ------
    ValueError
        ``layout`` has no protocol (naming the layouts that have one).
    """
    _load_builtins()
    if layout not in _REGISTRY:
        raise ValueError(
            f"dataset.layout={layout!r} has no evaluation protocol; choose one of {sorted(_REGISTRY)}"
        )
    return _REGISTRY[layout]


__all__ = ["EvaluationProtocol", "protocol_of", "register", "registered", "require"]
