"""Published numbers of strong DCASE 2020 Task 2 detectors on the *real* development set, shipped as package data
(``evaluate/reference/dcase2020_dev_strong_systems.csv`` and ``dcase2020_official_scores.csv``).

- :func:`strong_systems`: per machine type, the mean over the type's IDs of AUC and pAUC (max_fpr 0.1) of IDNN
  (liuyoude/AE-ASD README), STgram-MFN (liuyoude/STgram-MFN README) and Noisy-ArcMix + TASTgram-MFN
  (soonhyeon/Noisy-ArcMix README), each with the caveat its code shows: STgram-MFN picks its checkpoint on the
  dev *test* AUC + pAUC; Noisy-ArcMix's released evaluation pools a type's IDs into one ROC instead of the
  official per-ID mean. Both ID classifiers train one network on dev train + additional train clips of all six
  types (41 ID classes).
- :func:`official_scores`: the DCASE 2020 "official score" (mean of AUC and pAUC, in %) of the baseline, the
  challenge winner and later systems, dev and eval (Wilkinghoff, Yadav & Tan, Table V; dcase-asd-toolkit README
  figure).

Values are fractions (the CSVs hold percent). The tables describe the real recordings: next to a run on
generated data they show how far the field is, not what a detector should reach on those data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .metrics import pair_mean_over_types
from .shipped import shipped_csv

STRONG_FILE = "dcase2020_dev_strong_systems.csv"
OFFICIAL_FILE = "dcase2020_official_scores.csv"


@dataclass(frozen=True)
class StrongSystem:
    """One published system's per-type dev results.

    Attributes
    ----------
    name : str
    per_type : dict
        Machine type -> ``(auc, pauc)`` as fractions.
    source : str
        Where the numbers come from.
    caveat : str
        What makes them not like-for-like with the official protocol ("" when nothing is known).
    """

    name: str
    per_type: dict[str, tuple[float, float]] = field(default_factory=dict)
    source: str = ""
    caveat: str = ""

    def mean(self, types=None) -> tuple[float, float] | None:
        """Mean over ``types`` (default: all of the system's) of the per-type AUC and pAUC; None if one is missing
        (:func:`asdlens.evaluate.metrics.pair_mean_over_types`)."""
        return pair_mean_over_types(self.per_type, list(self.per_type) if types is None else list(types))


def strong_systems() -> tuple[str, list[StrongSystem]]:
    """The table's source note and its systems, in file order."""
    source, rows = shipped_csv(STRONG_FILE)
    systems: dict[str, StrongSystem] = {}
    for r in rows:
        system = systems.setdefault(
            r["system"], StrongSystem(r["system"], {}, r["source"], r["caveat"] or "")
        )
        system.per_type[r["machine_type"]] = (float(r["auc"]) / 100.0, float(r["pauc"]) / 100.0)
    return source, list(systems.values())


def official_scores() -> tuple[str, list[dict]]:
    """The official-score table's source note and rows (``system``, ``dev``, ``eval`` as fractions or None, ``note``)."""
    source, rows = shipped_csv(OFFICIAL_FILE)

    def frac(v):
        return float(v) / 100.0 if v not in (None, "") else None

    return source, [{"system": r["system"], "dev": frac(r["dev"]), "eval": frac(r["eval"]), "note": r["note"] or ""}
                    for r in rows]  # fmt: skip
