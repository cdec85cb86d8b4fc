"""The published numbers our runs are compared with, shipped as package data (``evaluate/reference/*.csv``).

- ``dcase2020-dev``: the official DCASE 2020 Task 2 baseline on the development set, AUC and pAUC per machine ID
  (README of y-kawagu/dcase2020_task2_baseline).
- ``mimii-paper``: Table 3 of the MIMII paper (Purohit et al. 2019, arXiv 1909.09347), AUC per machine type, ID
  and SNR, each the mean of 3 training runs.
- ``dcase2021-dev``, ``dcase2022-dev``, ``dcase2023-eval``, ``dcase2024-eval``, ``dcase2025-eval``: the DCASE
  2021-2025 baselines, as :class:`asdlens.evaluate.domain_reference.DomainReferenceTable` (sections, domains,
  official scores; see that module).

Each CSV starts with ``#`` lines that name its source; :attr:`ReferenceTable.source` holds them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from .domain_reference import DOMAIN_REFERENCES, DomainReferenceTable, domain_reference
from .shipped import shipped_csv

#: Published table name -> package data file.
REFERENCES = {
    "dcase2020-dev": "dcase2020_dev_baseline.csv",
    "mimii-paper": "mimii_paper_table3.csv",
    **{name: file_name for name, (file_name, _) in DOMAIN_REFERENCES.items()},
}


@dataclass(frozen=True)
class ReferenceRow:
    """One published value: AUC (and pAUC where published) of a machine ID (at an SNR for MIMII)."""

    machine_type: str
    machine_id: str
    snr: int | None
    auc: float
    pauc: float | None


@dataclass(frozen=True)
class ReferenceTable:
    """A published table.

    Attributes
    ----------
    name : str
        ``"dcase2020-dev"`` or ``"mimii-paper"``.
    source : str
        Where the numbers come from (the CSV's comment lines).
    rows : tuple of ReferenceRow
    """

    name: str
    source: str
    rows: tuple[ReferenceRow, ...]

    def lookup(self, machine_type: str, machine_id: str, snr: int | None = None) -> ReferenceRow | None:
        """The published row for this type, ID (and SNR), or None if the table has none."""
        for row in self.rows:
            if (row.machine_type, row.machine_id, row.snr) == (machine_type, machine_id, snr):
                return row
        return None

    @property
    def machine_types(self) -> list[str]:
        return sorted({r.machine_type for r in self.rows})

    def type_average(
        self, machine_type: str, snr: int | None = None, ids: Iterable[str] | None = None
    ) -> dict[str, float | None]:
        """The published type mean: the arithmetic mean over ``ids`` of the published per-ID values.

        ``ids`` defaults to every ID the table has for the type (how the baseline's "Average" rows are made); a
        run passes its own IDs, so that its mean and the published one cover the same machines. A value is None
        unless every one of those IDs has it (a mean over fewer IDs would not be like for like).
        """
        rows = [r for r in self.rows if r.machine_type == machine_type and r.snr == snr]
        if not rows:
            raise ValueError(f"{self.name} has no rows for machine type {machine_type!r} (snr {snr})")
        by_id = {r.machine_id: r for r in rows}
        wanted = list(by_id) if ids is None else list(ids)
        found = [by_id.get(i) for i in wanted]

        def mean(metric: str) -> float | None:
            values = [None if r is None else getattr(r, metric) for r in found]
            return None if not values or None in values else float(np.mean(values))

        return {"auc": mean("auc"), "pauc": mean("pauc")}


def reference(name: str) -> ReferenceTable | DomainReferenceTable:
    """The published table called ``name`` (one of :data:`REFERENCES`).

    ``"dcase2020-dev"`` and ``"mimii-paper"`` give a :class:`ReferenceTable` (per machine ID); the DCASE
    2021-2025 names give a :class:`~asdlens.evaluate.domain_reference.DomainReferenceTable`.

    Examples
    --------
    >>> reference("dcase2020-dev").lookup("pump", "00").auc
    0.670769
    >>> reference("dcase2023-eval").official_score("MAHALA")
    0.6105
    """
    if name not in REFERENCES:
        raise ValueError(f"unknown reference table {name!r}; choose one of {list(REFERENCES)}")
    if name in DOMAIN_REFERENCES:
        return domain_reference(name)
    source, records = shipped_csv(REFERENCES[name])
    rows = tuple(
        ReferenceRow(
            machine_type=r["machine_type"],
            machine_id=r["machine_id"],
            snr=int(r["snr_db"]) if r.get("snr_db") not in (None, "") else None,
            auc=float(r["auc"]),
            pauc=float(r["pauc"]) if r.get("pauc") not in (None, "") else None,
        )
        for r in records
    )
    return ReferenceTable(name, source, rows)
