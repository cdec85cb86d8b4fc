"""The report of a run: per-ID table beside the published numbers, ROC curves, score histograms, loss curves.

Built with :class:`asdlens.report.Report` (``report.md`` + self-contained ``report.html`` + PNGs in the run folder).
The published values come from :func:`asdlens.evaluate.reference`: ``dcase2020-dev`` for the DCASE 2020 layout,
``mimii-paper`` for MIMII, matched on machine type, ID (and SNR); IDs the table does not have get no value. For
the DCASE 2020 layout a second table puts the field's strong systems (:mod:`asdlens.evaluate.strong_systems`:
real development-set numbers with their caveats) beside the run's per-type means.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..evaluate import reference, snr_folder
from ..models.families import DEFAULT_SCORE, EMBEDDING_SCORERS, model_family
from ..report.numbers import fmt
from .config import Experiment, load_experiment

#: Published table compared with each layout.
REFERENCE_OF_LAYOUT = {"dcase2020": "dcase2020-dev", "mimii": "mimii-paper"}


def _diff(ours: float | None, published: float | None) -> float | None:
    return None if ours is None or published is None else ours - published


def comparison_rows(results: list[dict[str, Any]], layout: str) -> list[dict[str, Any]]:
    """Per-ID rows with the published AUC/pAUC and our difference, from ``results.json`` ``results`` entries.

    Returns
    -------
    list of dict
        Each entry of ``results`` plus ``published_auc``, ``published_pauc``, ``diff_auc``, ``diff_pauc``
        (None where the published table has no value).
    """
    table = reference(REFERENCE_OF_LAYOUT[layout]) if layout in REFERENCE_OF_LAYOUT else None
    rows = []
    for r in results:
        ref = table.lookup(r["machine_type"], r["machine_id"], r["snr"]) if table else None
        pub_auc = ref.auc if ref else None
        pub_pauc = ref.pauc if ref else None
        rows.append(
            {
                **r,
                "published_auc": pub_auc,
                "published_pauc": pub_pauc,
                "diff_auc": _diff(r["auc"], pub_auc),
                "diff_pauc": _diff(r["pauc"], pub_pauc),
            }
        )
    return rows


def protocol_differences(exp: Experiment, layout: str) -> list[str]:
    """Dotted keys where ``exp`` differs from the shipped experiment of its layout (besides the dataset
    section): the published numbers were made with the shipped settings."""
    try:
        shipped = load_experiment(layout).flat()
    except ValueError:
        return []
    ours = exp.flat()
    skip = ("name", "description", "frontend.preset")
    return [
        k for k in shipped if not k.startswith("dataset.") and k not in skip and ours.get(k) != shipped[k]
    ]


def describe_detector(exp: Experiment) -> str:
    """One sentence on the model and how its clips are scored (for the report's first paragraph)."""
    family = model_family(exp.model.name)
    params = ", ".join(f"{k} {v}" for k, v in exp.model.params().items())
    s = exp.scoring
    if s.backend == "default":
        score = DEFAULT_SCORE[family].replace("aggregated", f"{s.aggregate} over the clip's windows")
    elif s.backend == "mahalanobis" and family == "autoencoder":
        score = (
            "selective Mahalanobis distance (the smaller of the source and target values) of the clip's mean "
            "reconstruction residual (DCASE 2023 baseline)"
        )
    elif s.backend == "confidence":
        score = f"-log p(clip's ID) per window, {s.aggregate} over the clip"
    else:
        what = {"cosine": "cosine distance to the ID's centre", "knn": f"mean cosine distance to the ID's {s.k} "
                "nearest training embedding(s)", "gmm": f"negative log-likelihood under a {s.components}-component "
                f"{s.covariance} GMM of the ID's training embeddings", "mahalanobis": "Mahalanobis distance to the "
                "ID's training embeddings (Ledoit-Wolf)"}[s.backend]  # fmt: skip
        score = (
            f"{what}, on the clip embedding"
            if s.backend in EMBEDDING_SCORERS or family != "autoencoder"
            else what
        )
    unit = {"type": "machine type", "id": "machine ID", "all": "run (all machine types)"}[exp.model.per]
    return (f"model {exp.model.name} ({family}; {params}), one per {unit}; {exp.training.epochs} epochs, batch "
            f"{exp.training.batch_size}, seed {exp.training.seed}; score = {score}")  # fmt: skip


def strong_system_rows(averages, types: list[str]) -> tuple[str, list[list]]:
    """Rows ``[system, AUC / pAUC per type..., mean, caveat]`` of our run and the published strong systems."""
    from ..evaluate.strong_systems import strong_systems

    source, systems = strong_systems()
    ours = {a.machine_type: (a.auc, a.pauc) for a in averages if a.snr is None}

    def cell(pair):
        return (
            None
            if pair is None or pair[0] is None
            else f"{pair[0]:.4f} / {pair[1]:.4f}"
            if pair[1] is not None
            else f"{pair[0]:.4f} / –"
        )

    def mean(per):
        vals = [per.get(t) for t in types]
        if any(v is None or v[0] is None or v[1] is None for v in vals):
            return None
        return tuple(sum(v[k] for v in vals) / len(vals) for k in (0, 1))

    rows = [["this run", *[cell(ours.get(t)) for t in types], cell(mean(ours)), ""]]
    baseline = reference("dcase2020-dev")
    base = {}
    for t in types:
        if t in baseline.machine_types:
            avg = baseline.type_average(t)
            base[t] = (avg["auc"], avg["pauc"])
    rows.append(["official AE baseline", *[cell(base.get(t)) for t in types], cell(mean(base)), ""])
    for system in systems:
        rows.append([system.name, *[cell(system.per_type.get(t)) for t in types], cell(system.mean(types)),
                     system.caveat or ""])  # fmt: skip
    return source, rows


def official_score_note(result) -> str:
    from ..evaluate.strong_systems import official_scores

    source, _ = official_scores()
    return (
        "DCASE 2020 official score (the mean of AUC and pAUC, each averaged per ID, per type, then over the six "
        "types) on the real development and evaluation sets. "
        + " ".join(source.splitlines())
        + " This run's "
        "value is the same mean over its own types."
    )


def official_score_rows(result) -> list[list]:
    from ..evaluate.strong_systems import official_scores

    _, rows = official_scores()
    ours = None
    if result.mean_auc is not None and result.mean_pauc is not None:
        ours = (result.mean_auc + result.mean_pauc) / 2
    out = [["this run", _fmt(ours), None, "over this run's machine types"]]
    out += [[r["system"], _fmt(r["dev"]), _fmt(r["eval"]), r["note"]] for r in rows]
    return out


def _fmt(value: float | None, signed: bool = False) -> str | None:
    return fmt(value, signed=signed, missing=None)


def _roc_figure(groups: list[tuple[str, list[tuple[str, float, int | None]]]], title: str):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import roc_curve

    fig, ax = plt.subplots(figsize=(4.8, 4.4))
    ax.plot([0, 1], [0, 1], color="#999", lw=0.8, ls="--")
    for label, rows in groups:
        y = [lab for _, _, lab in rows if lab is not None]
        s = [sc for _, sc, lab in rows if lab is not None]
        if len(set(y)) < 2:
            continue
        fpr, tpr, _ = roc_curve(y, s)
        ax.plot(fpr, tpr, lw=1.4, label=label)
    ax.axvline(0.1, color="#c44", lw=0.6, ls=":")
    ax.set(
        xlabel="false positive rate", ylabel="true positive rate", title=title, xlim=(0, 1), ylim=(0, 1.01)
    )
    ax.legend(fontsize=8, loc="lower right")
    return fig


def _hist_figure(groups: list[tuple[str, list[tuple[str, float, int | None]]]], title: str):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, axes = plt.subplots(1, len(groups), figsize=(3.2 * len(groups), 2.8), squeeze=False)
    for ax, (label, rows) in zip(axes[0], groups, strict=True):
        scores = np.array([s for _, s, _ in rows])
        bins = np.histogram_bin_edges(scores, bins=20)
        for lab, name, color in ((0, "normal", "#3a7"), (1, "anomaly", "#d54"), (None, "unlabelled", "#888")):
            part = [s for _, s, lb in rows if lb == lab]
            if part:
                ax.hist(part, bins=bins, alpha=0.6, color=color, label=name)
        ax.set(title=label, xlabel="anomaly score")
        ax.legend(fontsize=7)
    axes[0][0].set_ylabel("clips")
    fig.suptitle(title)
    return fig


def _loss_figure(models: dict[str, dict]):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.6))
    for i, (name, info) in enumerate(models.items()):
        history = info.get("history") or {}
        color = f"C{i % 10}"
        loss = history.get("loss") or []
        epochs = range(1, len(loss) + 1)
        ax.plot(epochs, loss, color=color, lw=1.4, label=f"{name} train")
        if history.get("val_loss"):
            ax.plot(epochs, history["val_loss"], color=color, lw=1.0, ls="--", label=f"{name} validation")
    ax.set(xlabel="epoch", ylabel="loss (MSE or cross-entropy)", title="training loss")
    ax.set_yscale("log")
    ax.legend(fontsize=7, ncol=2)
    return fig


def build_run_report(result):
    """The :class:`asdlens.report.Report` of a :class:`~asdlens.experiment.RunResult` (DCASE 2021-2025 runs:
    :func:`asdlens.experiment.official_report.build_official_report`)."""
    from ..report import Report

    if result.sections:
        from .official_report import build_official_report

        return build_official_report(result)

    exp = result.config
    rep = Report(f"asdlens run: {exp.name}")
    root = Path(exp.dataset.root)
    rep.paragraph(
        f"{exp.description or exp.name}. Data: {root} ({result.layout} layout). Frontend: preset "
        f"{exp.preset or '(none)'} (spec {exp.spec.key()}), windows of {exp.frames} frames x {exp.spec.n_mels} "
        f"mels; {describe_detector(exp)}."
    )
    diffs = protocol_differences(exp, result.layout)
    table_name = REFERENCE_OF_LAYOUT.get(result.layout)
    if table_name:
        note = f"Published values: {reference(table_name).source.splitlines()[0]}"
        if diffs:
            note += f" This run differs from the published protocol in: {', '.join(diffs)}."
        if (root / "manifest.csv").is_file():
            note += (
                " The data root holds a manifest.csv of asdlens's synthetic generator: the published values are "
                "for the real recordings and are shown for the layout only."
            )
        rep.paragraph(note)

    rows = comparison_rows([r.to_dict() for r in result.results], result.layout)
    with_snr = any(r["snr"] is not None for r in rows)
    headers = ["type", *(["SNR dB"] if with_snr else []), "ID", "normal", "anomaly", "AUC", "published AUC",
               "diff AUC", "pAUC", "published pAUC", "diff pAUC", "note"]  # fmt: skip
    rep.heading("Per machine ID")
    rep.table(
        headers,
        [
            [
                r["machine_type"],
                *([r["snr"]] if with_snr else []),
                r["machine_id"],
                r["n_normal"],
                r["n_anomaly"],
                _fmt(r["auc"]),
                _fmt(r["published_auc"]),
                _fmt(r["diff_auc"], True),
                _fmt(r["pauc"]),
                _fmt(r["published_pauc"]),
                _fmt(r["diff_pauc"], True),
                r["message"] or "",
            ]
            for r in rows
        ],
    )
    rep.heading("Per machine type (mean over IDs)")
    avg_rows = []
    for a in result.averages:
        pub = [r for r in rows if r["machine_type"] == a.machine_type and r["snr"] == a.snr]
        complete = pub and all(r["published_auc"] is not None for r in pub)
        pub_auc = sum(r["published_auc"] for r in pub) / len(pub) if complete else None
        pauc_ok = complete and all(r["published_pauc"] is not None for r in pub)
        pub_pauc = sum(r["published_pauc"] for r in pub) / len(pub) if pauc_ok else None
        avg_rows.append(
            [
                a.label,
                a.n_ids,
                _fmt(a.auc),
                _fmt(pub_auc),
                _fmt(_diff(a.auc, pub_auc), True),
                _fmt(a.pauc),
                _fmt(pub_pauc),
                _fmt(_diff(a.pauc, pub_pauc), True),
            ]  # fmt: skip
        )
    avg_rows.append(
        ["mean over types", "", _fmt(result.mean_auc), None, None, _fmt(result.mean_pauc), None, None]
    )
    rep.table(
        ["type", "IDs", "AUC", "published AUC", "diff AUC", "pAUC", "published pAUC", "diff pAUC"], avg_rows
    )
    if result.layout == "dcase2020":
        types = [a.machine_type for a in result.averages if a.snr is None]
        source, strong = strong_system_rows(result.averages, types)
        rep.heading("Strong systems on the real DCASE 2020 development set")
        rep.paragraph(
            "AUC / pAUC per machine type (mean over the type's IDs) of published detectors on the real DCASE 2020 "
            "development set, beside this run's; the mean is over the types of this run. "
            + " ".join(source.splitlines())
            + (" This run is on generated data: the published rows show how far the field reaches on the real "
               "recordings, not what a detector should reach here." if (root / "manifest.csv").is_file() else "")
        )  # fmt: skip
        rep.table(["system", *types, "mean", "caveat"], strong)
        rep.paragraph(official_score_note(result))
        rep.table(["system", "dev", "eval", "note"], official_score_rows(result))

    by_type: dict[tuple[str, int | None], list] = {}
    for r in result.results:
        label = f"id_{r.machine_id}"
        by_type.setdefault((r.machine_type, r.snr), []).append((label, result.scores[r.label]))
    rep.heading("ROC curves and score histograms")
    for (machine_type, snr), groups in by_type.items():
        tag = machine_type + ("" if snr is None else f" {snr}dB")
        slug = machine_type + ("" if snr is None else f"_{snr_folder(snr)}")
        rep.figure(
            _roc_figure(groups, f"ROC: {tag}"), f"roc_{slug}", caption=f"{tag}: ROC per ID (dotted: FPR 0.1)"
        )
        rep.figure(
            _hist_figure(groups, f"scores: {tag}"), f"scores_{slug}", caption=f"{tag}: anomaly scores per ID"
        )
    training_and_run_sections(rep, result)
    return rep


def training_and_run_sections(rep, result) -> None:
    """The report's closing sections, the same for every layout: training per model (any family: the samples
    are vectors, patches or windows), the loss curves, the clips left out, the counters and the config."""
    rep.heading("Training")
    rep.table(
        ["model", "clips", "samples", "epochs", "final loss", "final val_loss"],
        [
            [
                name,
                info.get("n_clips"),
                info.get("n_vectors"),
                len((info.get("history") or {}).get("loss", [])),
                _last(info, "loss"),
                _last(info, "val_loss"),
            ]
            for name, info in result.models.items()
        ],
    )
    rep.figure(_loss_figure(result.models), "training_loss", caption="loss per epoch (dashed: validation)")
    if result.bad_files:
        rep.heading("Clips left out (--skip-bad)")
        rep.table(["file", "problem"], [[p, why] for p, why in result.bad_files])
    rep.heading("Run")
    rep.table(["counter", "value"], [[k, v] for k, v in result.counters.items()])
    rep.preformatted(result.config.to_yaml())


def _last(info: dict, key: str) -> float | None:
    values = (info.get("history") or {}).get(key) or []
    return float(values[-1]) if values else None


def write_run_report(result) -> Path:
    """Write ``report.html``, ``report.md`` and the PNGs into ``result.out_dir``; return the HTML path."""
    return build_run_report(result).write(result.out_dir)
