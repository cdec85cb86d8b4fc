"""Published DCASE 2021-2026 Task 2 numbers, shipped as package data (``evaluate/reference/*.csv``).

- ``dcase2021-dev``: the 2021 AE and MobileNetV2 baselines on the development set, AUC and pAUC per section x
  domain (fan and valve) and the all-types means (the baseline READMEs' example result.csv);
- ``dcase2022-dev``: the same for 2022, AUC(source), AUC(target), pAUC per section;
- ``dcase2023-eval``, ``dcase2024-eval``, ``dcase2025-eval``: the 2023-2025 AE baseline (MSE and MAHALA scoring)
  on the evaluation sets, per machine type, with the README means and the official score;
- ``dcase2025-systems-dev``, ``dcase2025-systems-eval``: official scores of the 2025 frozen-encoder systems
  (training-free BEATs with RDP+GeM, local-density normalisation and rescaling; EAT, Dasheng, OpenL3) and the
  challenge winner (Wilkinghoff, Yadav, Tan, Table V);
- ``dcase2026-eval``, ``dcase2026-dev``: official scores only (no per-type values are published where they could
  be read): the 2026 AE baseline (MSE, MAHALA), frozen BEATs with four channel policies (kasahart/asd-experiments,
  a third party) and the challenge winner. Each row names its ``source``, the channel policy (``channels``) and
  whether it is ``secondary`` (relayed by a source citing the DCASE results page, which could not be read).

Every CSV names its source in its ``#`` header lines (:attr:`DomainReferenceTable.source`). One long format for
all: ``(year, system, machine_type, section, domain, metric, value)``; aggregate rows have ``machine_type="all"``
and ``section`` "amean"/"hmean"; the evaluation tables' per-type rows have ``section=None`` (the type's value,
i.e. its section 00).
"""

from __future__ import annotations

from dataclasses import dataclass

from .shipped import shipped_csv

#: Table name -> (package data file, year).
DOMAIN_REFERENCES = {
    "dcase2021-dev": ("dcase2021_dev_baseline_excerpt.csv", 2021),
    "dcase2022-dev": ("dcase2022_dev_baseline_excerpt.csv", 2022),
    "dcase2023-eval": ("dcase2023_2025_eval_baseline.csv", 2023),
    "dcase2024-eval": ("dcase2023_2025_eval_baseline.csv", 2024),
    "dcase2025-eval": ("dcase2023_2025_eval_baseline.csv", 2025),
    "dcase2025-systems-dev": ("dcase2025_published_scores.csv", 2025),
    "dcase2025-systems-eval": ("dcase2025_published_scores.csv", 2025),
    "dcase2026-eval": ("dcase2026_published_scores.csv", 2026),
    "dcase2026-dev": ("dcase2026_published_scores.csv", 2026),
}
OFFICIAL_METRICS_2022 = ("auc_source", "auc_target", "pauc")


@dataclass(frozen=True)
class DomainReferenceRow:
    """One published value; ``source``, ``channels`` and ``secondary`` are filled where the table has them
    (2026: where the value comes from, the system's channel policy, and whether it is relayed by a secondary
    source)."""

    year: int
    system: str
    machine_type: str
    section: str | None
    domain: str | None
    metric: str
    value: float
    source: str = ""
    channels: str = ""
    secondary: bool = False


@dataclass(frozen=True)
class DomainReferenceTable:
    """A published DCASE 2021-2026 table.

    Attributes
    ----------
    name : str
    source : str
        The CSV's comment lines.
    rows : tuple of DomainReferenceRow
    """

    name: str
    source: str
    rows: tuple[DomainReferenceRow, ...]

    @property
    def systems(self) -> list[str]:
        return sorted({r.system for r in self.rows})

    @property
    def machine_types(self) -> list[str]:
        return sorted({r.machine_type for r in self.rows if r.machine_type != "all"})

    def lookup(
        self,
        system: str,
        machine_type: str,
        metric: str,
        section: str | None = None,
        domain: str | None = None,
    ) -> float | None:
        """The published value, or None if the table has none."""
        for r in self.rows:
            if (r.system, r.machine_type, r.metric, r.section, r.domain) == (
                system,
                machine_type,
                metric,
                section,
                domain,
            ):
                return r.value
        return None

    def section_value(self, system: str, machine_type: str, section: str, column: str) -> float | None:
        """The published value of official column ``column`` (``auc_source``, ``auc_target``, ``pauc``,
        ``pauc_source``, ``pauc_target``) for one type x section, or None.

        Each table is read by its year's form: 2021 per section x domain (``pauc_source`` is the source domain's
        pAUC), 2022 per section, 2023-2025 per type (the evaluation sets' only section, 00).
        """
        year = DOMAIN_REFERENCES[self.name][1]
        if year == 2021:
            metric, _, domain = column.partition("_")
            return self.lookup(system, machine_type, metric, section, domain)
        if year == 2022:
            return self.lookup(system, machine_type, column, section)
        return self.lookup(system, machine_type, column) if section == "00" else None

    def official_values(self, system: str) -> list[float]:
        """Per-type AUC(source), AUC(target) and pAUC of ``system`` (2023-2025 tables): what the official score is
        the harmonic mean of. Raises for the 2021/2022 excerpts (they do not publish every type)."""
        if self.name not in ("dcase2023-eval", "dcase2024-eval", "dcase2025-eval"):
            raise ValueError(f"{self.name} is an excerpt (not every type is published); no official values")
        out = []
        for metric in OFFICIAL_METRICS_2022:
            values = [
                r.value
                for r in self.rows
                if (r.system, r.metric, r.section) == (system, metric, None) and r.machine_type != "all"
            ]
            if not values:
                raise ValueError(
                    f"{self.name} has no {metric} values for system {system!r}; systems: {self.systems}"
                )
            out += values
        return out

    def official_score(self, system: str) -> float | None:
        """The published official score (TOTAL h-mean) of ``system``, if the table has it."""
        return self.lookup(system, "all", "official_score")

    def official_scores(self) -> list[DomainReferenceRow]:
        """Every published official score of the table, in file order (with source, channel policy and
        ``secondary`` marker where the table has them)."""
        return [r for r in self.rows if r.metric == "official_score" and r.machine_type == "all"]


def _rows_2021(records) -> list[DomainReferenceRow]:
    out = []
    for r in records:
        domain = None if r["domain"] == "all" else r["domain"]
        for metric in ("auc", "pauc"):
            out.append(
                DomainReferenceRow(
                    int(r["year"]),
                    r["system"],
                    r["machine_type"],
                    r["section"],
                    domain,
                    metric,
                    float(r[metric]),
                )
            )
    return out


def _rows_2022(records) -> list[DomainReferenceRow]:
    out = []
    for r in records:
        for metric in OFFICIAL_METRICS_2022:
            out.append(
                DomainReferenceRow(
                    2022, r["system"], r["machine_type"], r["section"], None, metric, float(r[metric])
                )
            )
    return out


def _rows_eval(records, year: int) -> list[DomainReferenceRow]:
    out = []
    for r in records:
        if int(r["year"]) != year:
            continue
        machine_type, section = r["machine_type"], None
        if machine_type in ("hmean", "amean"):
            machine_type, section = "all", machine_type
        out.append(
            DomainReferenceRow(year, r["system"], machine_type, section, None, r["metric"], float(r["value"]))
        )
    return out


def _rows_scores(records, year: int, split: str) -> list[DomainReferenceRow]:
    """Rows of a ``*_published_scores.csv`` (official scores with source, channel policy, secondary marker)."""
    return [
        DomainReferenceRow(
            year,
            r["system"],
            r["machine_type"],
            None,
            None,
            r["metric"],
            float(r["value"]),
            source=r["source"],
            channels=r["channels"],
            secondary=r["secondary"] == "1",
        )
        for r in records
        if r["split"] == split
    ]


def domain_reference(name: str) -> DomainReferenceTable:
    """The published DCASE 2021-2026 table called ``name`` (see :data:`DOMAIN_REFERENCES`)."""
    if name not in DOMAIN_REFERENCES:
        raise ValueError(f"unknown reference table {name!r}; choose one of {list(DOMAIN_REFERENCES)}")
    file_name, year = DOMAIN_REFERENCES[name]
    source, records = shipped_csv(file_name)
    if year == 2021:
        rows = _rows_2021(records)
    elif year == 2022:
        rows = _rows_2022(records)
    elif file_name.endswith("_published_scores.csv"):
        rows = _rows_scores(records, year, name.rsplit("-", 1)[1])
    else:
        rows = _rows_eval(records, year)
    return DomainReferenceTable(name, source, tuple(rows))
