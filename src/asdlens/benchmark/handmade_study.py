"""Every shipped detector that takes a DCASE 2020 tree, on the hand-made tree of :mod:`.handmade2020`, with
several training seeds: mean AUC / pAUC, per machine type, and the AUC of each anomaly kind against the normal
clips (``bench/handmade.py`` runs it; docs/detectors.md "When each family wins and loses" reads it).

The frozen-encoder rows (``beats-knn``, ``beats-rdp-ldn``) use random-weight BEATs checkpoints of the tiny size in
the official format (one per seed, the seed drawing the weights): nothing is downloaded, and their numbers only
compare the two back-ends with each other, never with a trained detector or with the real BEATs.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..engine import EngineOptions
from .handmade2020 import KINDS, HandmadeOptions, read_kinds, write_handmade_2020


@dataclass(frozen=True)
class StudyDetector:
    """One row of the study: a shipped experiment, the overrides it runs with, and whether it needs a BEATs
    checkpoint (``model.checkpoint`` is then set to the seed's random one)."""

    label: str
    experiment: str
    overrides: tuple[str, ...] = ()
    encoder: bool = False


#: Every shipped experiment that runs on a DCASE 2020 tree, in the order of the table.
DETECTORS = (
    StudyDetector("dcase2020", "dcase2020"),
    StudyDetector("dcase2020-ae-mahalanobis", "dcase2020-ae-mahalanobis"),
    StudyDetector("dcase2020-torch", "dcase2020-torch"),
    StudyDetector("dcase2021-mobilenetv2", "dcase2021-mobilenetv2"),
    StudyDetector("arcface-knn", "arcface-knn"),
    StudyDetector("beats-knn (random)", "beats-knn", encoder=True),
    StudyDetector("beats-rdp-ldn (random)", "beats-rdp-ldn", encoder=True),
    # Not shipped: the rows that test why arcface-knn loses (its back-end; mixup). The back-end rows reuse the
    # trained arcface-knn models (scoring is not in the model's cache key).
    StudyDetector("arcface-knn+mahalanobis", "arcface-knn", ("scoring.backend=mahalanobis",)),
    StudyDetector("arcface-knn+confidence", "arcface-knn", ("scoring.backend=confidence",)),
    StudyDetector("arcface-knn+mixup0", "arcface-knn", ("model.mixup=0.0",)),
)


def kind_aucs(
    scores: dict[str, list[tuple[str, float, int]]], kinds: dict[str, str]
) -> dict[str, dict[str, float]]:
    """AUC of each anomaly kind against all normal test clips of the same ID, averaged over a type's IDs.

    Parameters
    ----------
    scores : dict
        A run's :attr:`~asdlens.experiment.results.RunResult.scores`: per group ``"<type> id_<NN>"`` the rows
        ``(file_name, score, label)``.
    kinds : dict
        :func:`~asdlens.benchmark.handmade2020.read_kinds` of the tree.

    Returns
    -------
    dict
        ``{type: {kind: AUC}}`` and ``"mean"``: the mean over types, per kind.
    """
    from sklearn.metrics import roc_auc_score

    per_type: dict[str, dict[str, list[float]]] = {}
    for group, rows in scores.items():
        machine_type = group.split(" ")[0]
        normal = [s for _, s, label in rows if label == 0]
        for kind in KINDS:
            anomalous = [
                s for name, s, _ in rows if kinds.get(f"{machine_type}/test/{Path(name).name}") == kind
            ]
            if anomalous:
                auc = roc_auc_score([0] * len(normal) + [1] * len(anomalous), normal + anomalous)
                per_type.setdefault(machine_type, {}).setdefault(kind, []).append(float(auc))
    out = {t: {k: statistics.fmean(v) for k, v in d.items()} for t, d in sorted(per_type.items())}
    out["mean"] = {k: statistics.fmean(out[t][k] for t in per_type if k in out[t]) for k in KINDS}
    return out


def _summary(run, kinds: dict[str, str], wall_s: float) -> dict[str, Any]:
    return {
        "mean_auc": run.mean_auc,
        "mean_pauc": run.mean_pauc,
        "types": {a.machine_type: {"auc": a.auc, "pauc": a.pauc} for a in run.averages},
        "kinds": kind_aucs(run.scores, kinds),
        "models_trained": run.counters["models_trained"],
        "wall_s": wall_s,
    }


def run_detector(
    detector: StudyDetector,
    seed: int,
    tree: Path,
    workdir: Path,
    *,
    overrides: tuple[str, ...] = (),
    engine: EngineOptions | None = None,
) -> dict[str, Any]:
    """One detector with one seed (``training.seed``; a frozen encoder: the random checkpoint's seed) on ``tree``:
    its run folder under ``workdir/runs``, one cache shared by every run of the study (so ``dcase2020`` and
    ``dcase2020-ae-mahalanobis`` share their trained models, as ``explain`` would)."""
    from ..experiment.config import load_experiment
    from ..experiment.runner import run_experiment

    sets = [*detector.overrides, *overrides]
    if detector.encoder:
        sets.append(f"model.checkpoint={random_checkpoint(workdir, seed)}")
    else:
        sets.append(f"training.seed={seed}")
    exp = load_experiment(detector.experiment, sets)
    changes = "".join("+" + s for s in (*detector.overrides, *overrides))
    out_dir = workdir / "runs" / f"{detector.experiment}{changes}-seed{seed}"
    started = time.perf_counter()
    run = run_experiment(exp, data_root=tree, out_dir=out_dir, cache_dir=workdir / "cache",
                         engine=engine or EngineOptions(progress=False), report=False)  # fmt: skip
    return {"seed": seed, "overrides": sets, **_summary(run, read_kinds(tree), time.perf_counter() - started)}


def random_checkpoint(workdir: Path, seed: int) -> Path:
    """The tiny random-weight BEATs checkpoint of ``seed`` (official format), written once under ``workdir``."""
    from ..models.encoders import write_random_checkpoint

    path = Path(workdir) / "checkpoints" / f"BEATs_tiny_random_seed{seed}.pt"
    if not path.is_file():
        write_random_checkpoint(path, "tiny", seed=seed)
    return path


def run_study(
    workdir: str | Path,
    *,
    seeds: tuple[int, ...] = (0, 1, 2),
    detectors: tuple[StudyDetector, ...] = DETECTORS,
    options: HandmadeOptions | None = None,
    tree_seed: int = 0,
    overrides: tuple[str, ...] = (),
    engine: EngineOptions | None = None,
    on_run=None,
) -> dict[str, Any]:
    """Write the hand-made tree under ``workdir/tree`` (once per options and seed) and run every detector of
    ``detectors`` with every seed of ``seeds``; ``overrides`` go to every experiment (e.g. a recipe change).
    ``on_run(label, row, study)`` (if given) is called after every run with the study so far, so that a study
    cut short keeps what it finished.

    Returns
    -------
    dict
        ``options`` (the tree's knobs and seed) and ``detectors``: per label the list of per-seed summaries
        (``mean_auc``, ``mean_pauc``, ``types``, ``kinds``, ``wall_s``, ...).
    """
    import dataclasses

    options = options or HandmadeOptions()
    workdir = Path(workdir)
    tree = workdir / "tree"
    record = {"seed": tree_seed, **dataclasses.asdict(options)}
    if _tree_record(tree) != record:
        write_handmade_2020(tree, seed=tree_seed, options=options)
    out: dict[str, Any] = {"options": record, "overrides": list(overrides), "detectors": {}}
    for detector in detectors:
        for seed in seeds:
            row = run_detector(detector, seed, tree, workdir, overrides=overrides, engine=engine)
            out["detectors"].setdefault(detector.label, []).append(row)
            if on_run is not None:
                on_run(detector.label, row, out)
    return out


def _tree_record(tree: Path) -> dict | None:
    import json

    from .handmade2020 import MANIFEST_FOLDER

    path = tree / MANIFEST_FOLDER / "options.json"
    if not path.is_file():
        return None
    record = json.loads(path.read_text())
    return {k: tuple(v) if isinstance(v, list) else v for k, v in record.items()}


def _mean_sd(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.fmean(values):.3f}±{statistics.stdev(values):.3f}"


def study_table(study: dict[str, Any]) -> str:
    """The study as Markdown tables (80 columns per row where it fits): mean AUC / pAUC over seeds (mean ± sd),
    per type AUC, and per anomaly kind AUC."""
    rows = study["detectors"]
    types = sorted({t for runs in rows.values() for t in runs[0]["types"]})
    lines = ["| detector | seeds | AUC | pAUC |", "|---|---|---|---|"]
    for label, runs in rows.items():
        auc, pauc = [r["mean_auc"] for r in runs], [r["mean_pauc"] for r in runs]
        lines.append(f"| {label} | {len(runs)} | {_mean_sd(auc)} | {_mean_sd(pauc)} |")
    lines += ["", "| detector (AUC) | " + " | ".join(types) + " |", "|---|" + "---|" * len(types)]
    for label, runs in rows.items():
        cells = [_mean_sd([r["types"][t]["auc"] for r in runs]) for t in types]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", "| detector (AUC per kind) | " + " | ".join(KINDS) + " |", "|---|" + "---|" * len(KINDS)]
    for label, runs in rows.items():
        cells = [_mean_sd([r["kinds"]["mean"][k] for r in runs]) for k in KINDS]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
