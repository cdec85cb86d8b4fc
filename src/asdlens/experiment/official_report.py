"""The report of a DCASE 2021-2025 run: the year's official score first, then per section x domain.

Built with :class:`asdlens.report.Report` like every report (``report.md`` + ``report.html`` + PNGs). Published
values come from :func:`asdlens.evaluate.reference`: ``dcase2021-dev`` / ``dcase2022-dev`` (the AE baselines'
README excerpts: fan and valve per section) and ``dcase2023-eval`` ... ``dcase2025-eval`` (the evaluation types,
MSE or MAHALA by ``scoring.backend``); a type or section the table does not have gets no value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..evaluate import reference
from .config import Experiment, load_experiment
from .official_outputs import HEADLINE_METRICS, HEADLINE_NAMES, headline
from .run_report import _diff, _fmt, describe_detector, training_and_run_sections

#: Published table and system compared with each layout (the system by scoring back-end for 2023-2025).
PUBLISHED = {
    "dcase2021": ("dcase2021-dev", {"default": "AE"}),
    "dcase2022": ("dcase2022-dev", {"default": "AE"}),
    "dcase2023": ("dcase2023-eval", {"default": "MSE", "mahalanobis": "MAHALA"}),
    "dcase2024": ("dcase2024-eval", {"default": "MSE", "mahalanobis": "MAHALA"}),
    "dcase2025": ("dcase2025-eval", {"default": "MSE", "mahalanobis": "MAHALA"}),
}
#: The shipped experiment each layout's published numbers were made with (by scoring back-end).
SHIPPED = {
    "dcase2021": {"default": "dcase2021-ae"},
    "dcase2022": {"default": "dcase2022-ae"},
    **{
        y: {"default": "dcase2023-ae-mse", "mahalanobis": "dcase2023-ae-mahalanobis"}
        for y in ("dcase2023", "dcase2024", "dcase2025")
    },
}


def _first_sentence(text: str) -> str:
    """The first sentence of a reference table's source note (its lines joined)."""
    joined = " ".join(line.strip() for line in text.splitlines())
    head, dot, _ = joined.partition(". ")
    return head.rstrip(".") + "."


def published_value(layout: str, backend: str, machine_type: str, section: str, column: str) -> float | None:
    """The published value of ``column`` (``auc_source``, ``auc_target``, ``pauc``, ``pauc_source``,
    ``pauc_target``) for one type x section, or None."""
    if layout not in PUBLISHED or backend not in PUBLISHED[layout][1]:
        return None
    name, systems = PUBLISHED[layout]
    table, system = reference(name), systems[backend]
    if layout == "dcase2021":
        metric, _, domain = column.partition("_")
        return table.lookup(system, machine_type, metric, section, domain)
    if layout == "dcase2022":
        return table.lookup(system, machine_type, column, section)
    return table.lookup(system, machine_type, column) if section == "00" else None


def columns(layout: str) -> tuple[str, ...]:
    """The official columns of a section: 2021 AUC and pAUC per domain; 2022+ AUC per domain and pAUC."""
    if layout == "dcase2021":
        return ("auc_source", "auc_target", "pauc_source", "pauc_target")
    return ("auc_source", "auc_target", "pauc")


COLUMN_NAMES = {
    "auc_source": "AUC (source)",
    "auc_target": "AUC (target)",
    "pauc": "pAUC",
    "pauc_source": "pAUC (source)",
    "pauc_target": "pAUC (target)",
}


def section_rows(sections: list[dict[str, Any]], layout: str, backend: str) -> list[dict[str, Any]]:
    """One row per type x section (``results.json`` ``official.sections`` entries, or
    :meth:`asdlens.evaluate.SectionResult.to_dict`) with, per official column, ``published_<column>`` and
    ``diff_<column>`` (None where the published table has no value)."""
    rows = []
    for r in sections:
        row = dict(r)
        for c in columns(layout):
            ours = r[c]
            pub = published_value(layout, backend, r["machine_type"], r["section"], c)
            row.update({c: ours, f"published_{c}": pub, f"diff_{c}": _diff(ours, pub)})
        rows.append(row)
    return rows


def shipped_differences(exp: Experiment, layout: str) -> list[str]:
    """Dotted keys (besides ``dataset``) where ``exp`` differs from the shipped baseline of its layout."""
    name = SHIPPED.get(layout, {}).get(exp.scoring.backend)
    if name is None:
        return []
    shipped, ours = load_experiment(name).flat(), exp.flat()
    skip = ("name", "description", "frontend.preset")
    return [
        k for k in shipped if not k.startswith("dataset.") and k not in skip and ours.get(k) != shipped[k]
    ]


def heatmap_figure(official, layout: str, title: str):
    """Rows: type x section; columns: the official columns; cells annotated."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    cols = columns(layout)
    labels = [f"{r.machine_type} {r.section}" for r in official.sections]
    grid = np.array(
        [[np.nan if getattr(r, c) is None else getattr(r, c) for c in cols] for r in official.sections], float
    )
    fig, ax = plt.subplots(figsize=(1.5 * len(cols) + 2.6, 0.42 * len(labels) + 1.6))
    im = ax.imshow(grid, cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")
    ax.set_xticks(range(len(cols)), [COLUMN_NAMES[c] for c in cols])
    ax.set_yticks(range(len(labels)), labels)
    for i in range(grid.shape[0]):
        for j in range(grid.shape[1]):
            if np.isfinite(grid[i, j]):
                ax.text(j, i, f"{grid[i, j]:.3f}", ha="center", va="center", fontsize=8,
                        color="k" if grid[i, j] > 0.6 else "w")  # fmt: skip
    fig.colorbar(im, ax=ax)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def roc_figure(curves: list[tuple[str, list[int], list[float]]], title: str):
    """ROC curves of ``(label, y, scores)``; the dotted line is the pAUC range's end (FPR 0.1)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import roc_curve

    fig, ax = plt.subplots(figsize=(4.8, 4.4))
    ax.plot([0, 1], [0, 1], color="#999", lw=0.8, ls="--")
    for label, y, s in curves:
        if len(set(y)) < 2:
            continue
        fpr, tpr, _ = roc_curve(y, s)
        ax.plot(fpr, tpr, lw=1.3, ls="-" if "source" in label else "--", label=label)
    ax.axvline(0.1, color="#c44", lw=0.6, ls=":")
    ax.set(
        xlabel="false positive rate", ylabel="true positive rate", title=title, xlim=(0, 1), ylim=(0, 1.01)
    )
    ax.legend(fontsize=7, loc="lower right")
    return fig


def histogram_figure(groups: list[tuple[str, list]], threshold: float | None, title: str):
    """Per section: scores by domain x label, the decision threshold as a vertical line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, axes = plt.subplots(1, len(groups), figsize=(3.4 * len(groups), 2.9), squeeze=False)
    styles = {
        ("source", 0): "#3a7",
        ("target", 0): "#1f5fa8",
        ("source", 1): "#d54",
        ("target", 1): "#e9a23b",
    }
    for ax, (label, clips) in zip(axes[0], groups, strict=True):
        scores = np.array([s for _, s in clips])
        bins = np.histogram_bin_edges(scores, bins=20)
        for (dom, lab), color in styles.items():
            part = [s for c, s in clips if c.domain == dom and c.label == lab]
            if part:
                ax.hist(part, bins=bins, alpha=0.55, color=color,
                        label=f"{dom} {'anomaly' if lab else 'normal'}")  # fmt: skip
        unknown = [s for c, s in clips if (c.domain, c.label) not in styles]
        if unknown:
            ax.hist(unknown, bins=bins, alpha=0.5, color="#888", label="unlabelled")
        if threshold is not None:
            ax.axvline(threshold, color="k", lw=0.8, ls=":", label="threshold")
        ax.set(title=label, xlabel="anomaly score")
        ax.legend(fontsize=6)
    axes[0][0].set_ylabel("clips")
    fig.suptitle(title)
    return fig


def _curves(official, tests, scores, layout: str) -> dict[str, list]:
    """Per machine type: the ROC curve of each section x domain on the clips its AUC uses."""
    out: dict[str, list] = {}
    for group in tests:
        pairs = [(c, s) for c, (_, s, _) in zip(group.clips, scores[group.label], strict=True)]
        pairs = [(c, s) for c, s in pairs if c.label in (0, 1) and c.domain in ("source", "target")]
        for dom in ("source", "target"):
            if layout == "dcase2021":
                kept = [(c, s) for c, s in pairs if c.domain == dom]
            else:
                kept = [(c, s) for c, s in pairs if c.domain == dom or c.label == 1]
            label = f"section {group.machine_id} {dom}"
            out.setdefault(group.machine_type, []).append(
                (label, [c.label for c, _ in kept], [s for _, s in kept])
            )
    return out


def build_official_report(result):
    """The :class:`asdlens.report.Report` of a DCASE 2021-2025 :class:`~asdlens.experiment.RunResult`.

    The result's ``plan`` gives each clip's domain and label for the ROC curves and histograms; without it they
    are left out.
    """
    from ..report import Report

    exp, layout, official = result.config, result.layout, result.official
    backend = exp.scoring.backend
    rep = Report(f"asdlens run: {exp.name}")
    root = Path(exp.dataset.root)
    rep.paragraph(
        f"{exp.description or exp.name}. Data: {root} ({layout} layout, scored with the {layout} evaluator's "
        f"rules). Frontend: preset {exp.preset or '(none)'} (spec {exp.spec.key()}), windows of {exp.frames} frames "
        f"x {exp.spec.n_mels} mels; {describe_detector(exp)}; validation from the {exp.training.validation_from}."
    )
    if official is None:
        rep.heading("Not evaluated")
        rep.paragraph(
            "No test clip has both a label and a domain (evaluation names without ground truth): the score and "
            "decision files are written; set dataset.ground_truth to evaluate them."
        )
    else:
        _official_sections(rep, result, layout, backend, root)
    if result.messages:
        rep.heading("Messages")
        rep.table(["message"], [[m] for m in result.messages])
    if result.plan is not None:
        _figures(rep, result, result.plan, layout)
    rep.heading("Decision thresholds (gamma fit of the training clips' scores, 0.9 quantile)")
    rep.table(
        ["model", "training clips", "threshold"],
        [[u, len(result.train_scores.get(u, [])), _fmt(t)] for u, t in result.thresholds.items()],
    )
    training_and_run_sections(rep, result)
    return rep


def _official_sections(rep, result, layout: str, backend: str, root: Path) -> None:
    official = result.official
    top = headline(official.overall, official.official_score)
    rep.heading("Official score")
    rep.paragraph(
        f"Official score {_fmt(official.official_score)}: the harmonic mean of {official.n_values} values "
        f"({'every AUC and pAUC per section x domain' if layout == 'dcase2021' else 'AUC (source), AUC (target) and pAUC per section'}), "
        "floored at eps as the evaluators compute it. Its parts: "
        + ", ".join(f"{HEADLINE_NAMES[m]} {_fmt(top[m])}" for m in HEADLINE_METRICS[1:])
        + " (harmonic means over sections)."
    )
    notes = []
    if layout in PUBLISHED:
        name = PUBLISHED[layout][0]
        notes.append(f"Published values: {_first_sentence(reference(name).source)}")
    diffs = shipped_differences(result.config, layout)
    if diffs:
        notes.append(f"This run differs from the published protocol in: {', '.join(diffs)}.")
    if (root / "manifest.csv").is_file() or (root.parent / "manifest.csv").is_file():
        notes.append(
            "The data is asdlens's generated data (a manifest.csv of the generator is beside it): published values "
            "are for the real recordings and are shown for the layout only."
        )
    if notes:
        rep.paragraph(" ".join(notes))
    cols = columns(layout)
    rep.heading("Per section x domain")
    rows = section_rows([r.to_dict() for r in official.sections], layout, backend)
    headers = ["type", "section"]
    for c in cols:
        headers += [COLUMN_NAMES[c], "published", "diff"]
    rep.table(
        headers,
        [
            [
                r["machine_type"],
                r["section"],
                *(
                    x
                    for c in cols
                    for x in (_fmt(r[c]), _fmt(r[f"published_{c}"]), _fmt(r[f"diff_{c}"], True))
                ),
            ]
            for r in rows
        ],  # fmt: skip
    )
    rep.figure(
        heatmap_figure(official, layout, f"{result.config.name}: per section x domain"),
        "official_heatmap",
        caption="the official values per type x section (2021: AUC and pAUC per domain; 2022+: AUC per domain, pAUC)",
    )
    rep.heading("Per machine type (harmonic means over sections) and overall")
    mean_rows = []
    for machine_type, summary in official.types.items():
        h = headline(summary, summary["score"])
        mean_rows.append([machine_type, *(_fmt(h[m]) for m in HEADLINE_METRICS)])
    mean_rows.append(["all types", *(_fmt(top[m]) for m in HEADLINE_METRICS)])
    rep.table(["type", *(HEADLINE_NAMES[m] for m in HEADLINE_METRICS)], mean_rows)
    if any(r.precision_source is not None for r in official.sections):
        rep.heading("Decisions (precision, recall, F1 per domain)")
        rep.table(
            ["type", "section", "domain", "precision", "recall", "F1"],
            [
                [
                    r.machine_type,
                    r.section,
                    d,
                    _fmt(getattr(r, f"precision_{d}")),
                    _fmt(getattr(r, f"recall_{d}")),
                    _fmt(getattr(r, f"f1_{d}")),
                ]
                for r in official.sections
                for d in ("source", "target")
            ],  # fmt: skip
        )


def _figures(rep, result, plan, layout: str) -> None:
    rep.heading("ROC curves and score histograms")
    if result.official is not None:
        curves = _curves(result.official, plan.tests, result.scores, layout)
        for machine_type, type_curves in curves.items():
            rule = "that domain's clips" if layout == "dcase2021" else "that domain's normals + all anomalies"
            rep.figure(
                roc_figure(type_curves, f"ROC: {machine_type}"),
                f"roc_{machine_type}",
                caption=f"{machine_type}: ROC per section x domain on {rule} (dotted: FPR 0.1)",
            )
    by_type: dict[str, list] = {}
    for group in plan.tests:
        clips = [(c, s) for c, (_, s, _) in zip(group.clips, result.scores[group.label], strict=True)]
        by_type.setdefault(group.machine_type, []).append((group.label, clips, group.unit))
    for machine_type, groups in by_type.items():
        limit = result.thresholds.get(groups[0][2])
        rep.figure(
            histogram_figure(
                [(label, clips) for label, clips, _ in groups], limit, f"scores: {machine_type}"
            ),
            f"scores_{machine_type}",
            caption=f"{machine_type}: anomaly scores per section by domain and label (dotted: decision threshold)",
        )
