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

from .interface import EvaluationProtocol, require

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
