"""Published ground truth of the DCASE evaluation sets: read every format, merge, report disagreements.

The formats and their readers are in :mod:`asdlens.data.ground_truth_files`: evaluator folders
(``ground_truth_data/``, ``ground_truth_domain/``, ``ground_truth_attributes/``), ``eval_data_list_<year>.csv`` and
the 2024/2025 ``attributes_00_{train,test}_correspondence.csv`` files.

Where sources disagree, the official scoring files win (``ground_truth_data`` for labels, ``ground_truth_domain``
for domains), then the attribute files' true names, then ``eval_data_list``; every disagreement is reported.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence

from .clips import Clip, DataWarning
from .dcase2022 import eval_name
from .ground_truth_files import GroundTruth, TruthEntry, read_ground_truth
from .sections import merge_attributes

__all__ = ["GroundTruth", "TruthEntry", "apply_ground_truth", "read_ground_truth", "resolve"]

#: Precedence per field, strongest first (the evaluators score with ground_truth_data / ground_truth_domain).
_LABEL_ORDER = ("labels", "names", "list")
_DOMAIN_ORDER = ("domains", "labels", "names", "list")
_ATTRIBUTE_ORDER = ("names", "list", "correspondence")
#: Computed by the research note (docs/dcase2021-2025.md): labels in the 2022 attribute files and in
#: nttcslab's eval_data_list_2022.csv that disagree with the official ground_truth_data.
KNOWN_2022_LABEL_DISAGREEMENTS = {"ToyCar": 296, "ToyTrain": 312}


def resolve(gt: GroundTruth) -> tuple[dict[tuple[str, str], TruthEntry], list[DataWarning]]:
    """One merged entry per ``(machine_type, file_name)`` by the precedence above, and the disagreements."""
    by_key: dict[tuple[str, str], list[TruthEntry]] = {}
    for e in gt.entries:
        by_key.setdefault((e.machine_type, e.file_name), []).append(e)
    merged: dict[tuple[str, str], TruthEntry] = {}
    disagree: Counter = Counter()
    examples: dict[tuple, list[str]] = {}
    for key, entries in by_key.items():
        label, label_src = _pick(entries, "label", _LABEL_ORDER)
        domain, domain_src = _pick(entries, "domain", _DOMAIN_ORDER)
        for field_name, chosen, src in (("label", label, label_src), ("domain", domain, domain_src)):
            for e in entries:
                other = getattr(e, field_name)
                if src is not None and other is not None and other != chosen and e.source != src.source:
                    k = (key[0], field_name, src.source, e.source)
                    disagree[k] += 1
                    examples.setdefault(k, []).append(key[1])
        attributes = None
        for kind in _ATTRIBUTE_ORDER:
            for e in entries:
                if e.kind == kind and e.attributes is not None:
                    attributes, _ = merge_attributes(attributes, e.attributes)
        true_name = next((e.true_name for e in entries if e.true_name), None)
        merged[key] = TruthEntry(
            key[0],
            key[1],
            label,
            domain,
            attributes,
            true_name,
            "merged",
            (label_src or entries[0]).source,
        )
    warnings = []
    for (machine_type, field_name, kept, other), n in sorted(disagree.items(), key=str):
        shown = ", ".join(examples[(machine_type, field_name, kept, other)][:3])
        warnings.append(
            DataWarning(
                "ground-truth-disagreement",
                other,
                f"{machine_type}: {n} {field_name}(s) here disagree with {kept.name} (e.g. {shown}); "
                f"kept {kept.parent.name}/{kept.name}, which official scoring uses",
            )
        )
    return merged, warnings


def _pick(entries: list[TruthEntry], attr: str, order: Sequence[str]) -> tuple:
    for kind in order:
        for e in entries:
            if e.kind == kind and getattr(e, attr) is not None:
                return getattr(e, attr), e
    return None, None


def apply_ground_truth(
    clips: list[Clip], gt: GroundTruth, layout: str
) -> tuple[list[Clip], list[DataWarning]]:
    """Fill in label, domain and attributes of the clips the ground truth covers; report what does not fit.

    Hidden values (evaluation test files, ``noAttribute`` names) are filled in. A labelled name that the ground
    truth contradicts keeps its name's values and is reported.
    """
    merged, warnings = resolve(gt)
    warnings = list(gt.warnings) + warnings
    used: set[tuple[str, str]] = set()
    out = []
    contradicted: Counter = Counter()
    unlabelled: Counter = Counter()
    weak_labels: set[str] = set()
    official = {(e.machine_type, e.file_name) for e in gt.entries if e.kind == "labels"}
    for clip in clips:
        key = (clip.machine_type, eval_name(clip.file_name))
        entry = merged.get(key)
        if entry is None:
            if clip.split == "test" and clip.label is None:
                unlabelled[clip.machine_type] += 1
            out.append(clip)
            continue
        used.add(key)
        changes = {}
        if clip.label is None and entry.label is not None:
            changes["label"] = entry.label
            if key not in official:
                weak_labels.add(clip.machine_type)
        elif entry.label is not None and entry.label != clip.label:
            contradicted[clip.machine_type] += 1
        if clip.domain is None and entry.domain is not None:
            changes["domain"] = entry.domain
        elif entry.domain is not None and entry.domain != clip.domain:
            contradicted[clip.machine_type] += 1
        if entry.attributes is not None:
            attributes, _ = merge_attributes(clip.attributes, entry.attributes)
            if attributes != clip.attributes:
                changes["attributes"] = attributes
        out.append(dataclasses.replace(clip, **changes) if changes else clip)
    for machine_type, n in sorted(contradicted.items()):
        warnings.append(
            DataWarning(
                "ground-truth-vs-name",
                None,
                f"{machine_type}: the ground truth contradicts {n} label/domain value(s) that the file names state; "
                "kept the names' values",
            )
        )
    for machine_type, n in sorted(unlabelled.items()):
        warnings.append(
            DataWarning(
                "no-ground-truth", None, f"{machine_type}: {n} unlabelled test clip(s) have no ground truth"
            )
        )
    # correspondences also list files a tree need not hold (another part's names): only label rows count
    labelled = {(e.machine_type, e.file_name) for e in gt.entries if e.kind != "correspondence"}
    unused = Counter(k[0] for k in merged if k not in used and k in labelled)
    for machine_type, n in sorted(unused.items()):
        warnings.append(
            DataWarning(
                "ground-truth-without-clip",
                None,
                f"{machine_type}: {n} ground-truth row(s) name no clip here",
            )
        )
    if layout == "dcase2022":
        for machine_type in sorted(weak_labels & set(KNOWN_2022_LABEL_DISAGREEMENTS)):
            warnings.append(
                DataWarning(
                    "known-defect-2022-toy-labels",
                    None,
                    f"{machine_type}: labels came from eval_data_list_2022.csv or ground_truth_attributes, which "
                    f"disagree with the official ground_truth_data on {KNOWN_2022_LABEL_DISAGREEMENTS[machine_type]} "
                    "of 600 evaluation clips; give ground_truth_data and ground_truth_domain for official labels",
                )
            )
    return out, warnings
