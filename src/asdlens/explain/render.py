"""An :class:`~asdlens.explain.core.Explanation` as a terminal table, report sections and figures."""

from __future__ import annotations

from typing import Any

from ..report import Report
from .core import Explanation


def _fmt(v: float | None, signed: bool = False) -> str:
    if v is None:
        return "–"
    return f"{v:+.4f}" if signed else f"{v:.4f}"


def _spread(step, metric: str) -> str:
    sd = step.outcome.value.get(f"{metric}_sd")
    return "" if sd is None else f" ± {sd:.4f}"


def _noise_mark(step, metric: str) -> str:
    flag = step.within_noise.get(metric)
    if flag is None:
        return ""
    return "within noise" if flag else "beyond noise"


def _reuse(step) -> str:
    """``trained/reused`` models of the step (an inert step must show ``0/N``)."""
    c = step.outcome.counters
    return f"{c.get('models_trained', 0)}/{c.get('models_cached', 0)}"


def step_rows(exp: Explanation) -> list[list[Any]]:
    """One row per step: name, what changed, AUC, ΔAUC, pAUC, ΔpAUC, noise, cache use."""
    rows = []
    for s in exp.steps:
        rows.append(
            [
                f"{s.index} {s.name}",
                "the reference"
                if s.group is None
                else s.group.describe() + (" (inert)" if s.group.inert else ""),
                _fmt(s.outcome.value["auc"]) + _spread(s, "auc"),
                _fmt(s.change.get("auc"), signed=True) if s.index else "",
                _fmt(s.outcome.value["pauc"]) + _spread(s, "pauc"),
                _fmt(s.change.get("pauc"), signed=True) if s.index else "",
                _noise_mark(s, "auc"),
                _reuse(s),
            ]
        )
    return rows


STEP_HEADERS = ["step", "changed", "AUC", "ΔAUC", "pAUC", "ΔpAUC", "noise (AUC)", "models new/reused"]


def _columns(exp: Explanation) -> list[int]:
    """Indices of the step table's columns worth showing (the noise column needs --repeats)."""
    return [i for i, h in enumerate(STEP_HEADERS) if h != "noise (AUC)" or exp.repeats > 1]


def print_explanation(exp: Explanation, console=None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    table = Table(title=f"explain {exp.ref} -> {exp.mine}: mean AUC/pAUC over machine types")
    keep = _columns(exp)
    for i in keep:
        h = STEP_HEADERS[i]
        table.add_column(h, overflow="fold", ratio=3 if h == "changed" else None)
    for row in step_rows(exp):
        table.add_row(*[str(row[i]) for i in keep])
    console.print(table)
    console.print(
        f"total: ΔAUC {_fmt(exp.total['auc'], True)}, ΔpAUC {_fmt(exp.total['pauc'], True)} "
        f"= the sum of the step changes; {exp.runs} run(s)"
        + ("" if exp.repeats > 1 else " (one seed each: use --repeats K to see which changes are noise)")
    )
    if exp.shapley:
        sh = Table(title="order-free (Shapley) split of the gap")
        for h in ("group", "ΔAUC", "ΔpAUC"):
            sh.add_column(h)
        for name, v in exp.shapley.items():
            sh.add_row(name, _fmt(v["auc"], True), _fmt(v["pauc"], True))
        console.print(sh)


def waterfall_figure(exp: Explanation, metric: str = "auc"):
    """Bars: REF's value, each step's change floating from the previous level, MINE's value."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    values = [s.outcome.value[metric] for s in exp.steps]
    fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * (len(values) + 1)), 4.0))
    known = [v for v in values if v is not None]
    if not known:
        ax.text(0.5, 0.5, f"no {metric.upper()} defined", ha="center")
        return fig
    low = min(known) - 0.05
    labels = ["REF"] + [s.name for s in exp.steps[1:]] + ["MINE"]
    ax.bar(0, values[0] - low, bottom=low, color="#4c72b0")
    for i in range(1, len(values)):
        prev, cur = values[i - 1], values[i]
        if prev is None or cur is None:
            continue
        color = "#55a868" if cur >= prev else "#c44e52"
        height = cur - prev
        ax.bar(i, height if abs(height) > 1e-9 else 0.0005, bottom=prev, color=color)
        ax.text(i, max(prev, cur) + 0.003, f"{height:+.3f}", ha="center", va="bottom", fontsize=8)
        if exp.steps[i].within_noise.get(metric):
            ax.bar(i, height, bottom=prev, color="none", edgecolor="k", hatch="//")
    ax.bar(len(values), values[-1] - low, bottom=low, color="#8172b2")
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_ylabel(f"mean {metric.upper()} over machine types")
    ax.set_ylim(low, max(known) + 0.03)
    ax.set_title(f"{exp.ref} -> {exp.mine}: change of {metric.upper()} per step")
    fig.tight_layout()
    return fig


def heatmap_figure(exp: Explanation, metric: str = "auc"):
    """Per step (rows) and machine ID (columns): the metric, annotated."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    ids = sorted({label for s in exp.steps for label in s.outcome.per_id})
    grid = np.full((len(exp.steps), len(ids)), np.nan)
    for r, s in enumerate(exp.steps):
        for c, label in enumerate(ids):
            v = s.outcome.per_id.get(label, {}).get(metric)
            grid[r, c] = np.nan if v is None else v
    fig, ax = plt.subplots(figsize=(max(5.0, 0.9 * len(ids) + 2.5), 0.45 * len(exp.steps) + 1.8))
    im = ax.imshow(
        grid, cmap="viridis", aspect="auto", vmin=np.nanmin(grid) if np.isfinite(grid).any() else 0
    )
    ax.set_xticks(range(len(ids)), ids, rotation=40, ha="right")
    ax.set_yticks(range(len(exp.steps)), [f"{s.index} {s.name}" for s in exp.steps])
    low, high = im.get_clim()
    for r in range(grid.shape[0]):
        for c in range(grid.shape[1]):
            if np.isfinite(grid[r, c]):
                bright = (grid[r, c] - low) > 0.6 * (
                    high - low
                )  # viridis is yellow at the top: dark text there
                color = "k" if bright else "w"
                ax.text(c, r, f"{grid[r, c]:.3f}", ha="center", va="center", fontsize=7, color=color)
    fig.colorbar(im, ax=ax, label=metric.upper())
    ax.set_title(f"{metric.upper()} per machine ID after each step")
    fig.tight_layout()
    return fig


def explanation_report(exp: Explanation, report: Report | None = None) -> Report:
    """Sections of a report for ``exp``: the differences, the step table, Shapley, waterfall and heat map."""
    report = report or Report(f"explain {exp.ref} -> {exp.mine}")
    report.heading("What differs")
    report.table(
        ["group", "field", exp.ref, exp.mine, "effect"],
        [
            [g.name, k, g.ref[k], g.mine[k], "none (cannot change a number)" if g.inert else ""]
            for g in exp.groups
            for k in g.fields
        ],
    )
    report.heading("The ladder: one group at a time")
    report.paragraph(
        "Each step takes one more group of settings from the second pipeline; the value is the mean over "
        "machine types of the per-type mean AUC/pAUC over IDs. The step changes add up to the total: "
        f"ΔAUC {_fmt(exp.total['auc'], True)}, ΔpAUC {_fmt(exp.total['pauc'], True)}."
        + (
            f" Each step ran {exp.repeats} seeds; 'within noise' marks changes within two standard errors."
            if exp.repeats > 1
            else " Each step ran one seed: changes of a few hundredths may be reseeding noise (use --repeats)."
        )
    )
    keep = _columns(exp)
    report.table([STEP_HEADERS[i] for i in keep], [[row[i] for i in keep] for row in step_rows(exp)])
    if exp.shapley:
        report.heading("Order-free (Shapley) split")
        report.table(
            ["group", "ΔAUC", "ΔpAUC"],
            [[k, _fmt(v["auc"], True), _fmt(v["pauc"], True)] for k, v in exp.shapley.items()],
        )
    report.figure(waterfall_figure(exp, "auc"), "explain_waterfall_auc", caption="AUC per step (waterfall)")
    report.figure(heatmap_figure(exp, "auc"), "explain_heatmap_auc", caption="AUC per machine ID and step")
    return report
