"""An :class:`~asdlens.explain.core.Explanation` as a terminal table, report sections and figures.

The columns follow the explanation's metrics: the mean AUC and pAUC (DCASE 2020, MIMII), or the official score
with AUC (source), AUC (target) and pAUC (DCASE 2021-2025), so every step shows how each of them moved.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..evaluate import evaluator_rule
from ..report import Report, figures
from ..report.numbers import fmt, fmt_interval
from .core import METRICS, Explanation

#: Column names of each metric (value, change); short, so the step table fits a terminal.
NAMES = {
    "auc": ("AUC", "ΔAUC"),
    "pauc": ("pAUC", "ΔpAUC"),
    "official_score": ("official", "Δofficial"),
    "auc_source": ("AUC src", "ΔAUC src"),
    "auc_target": ("AUC tgt", "ΔAUC tgt"),
}
OFFICIAL_NAMES = NAMES
#: Names in sentences and figures.
LONG_NAMES = {
    "auc": "AUC",
    "pauc": "pAUC",
    "official_score": "official score",
    "auc_source": "AUC (source)",
    "auc_target": "AUC (target)",
}


def _fmt(v: float | None, signed: bool = False) -> str:
    return fmt(v, signed=signed)


def _names(exp: Explanation) -> dict[str, tuple[str, str]]:
    return NAMES if exp.metrics == METRICS else OFFICIAL_NAMES


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


def step_headers(exp: Explanation) -> list[str]:
    """The step table's headers: step, changed, each metric and its change, noise of the first metric, models."""
    names = _names(exp)
    values = [h for m in exp.metrics for h in names[m]]
    return ["step", "changed", *values, f"noise ({names[exp.metrics[0]][0]})", "models new/reused"]


#: The DCASE 2020 / MIMII headers (``step_headers`` of an AUC/pAUC explanation).
STEP_HEADERS = ["step", "changed", "AUC", "ΔAUC", "pAUC", "ΔpAUC", "noise (AUC)", "models new/reused"]


def step_rows(exp: Explanation) -> list[list[Any]]:
    """One row per step: name, what changed, each metric and its change, noise, cache use."""
    rows = []
    for s in exp.steps:
        cells = []
        for m in exp.metrics:
            cells += [
                _fmt(s.outcome.value[m]) + _spread(s, m),
                _fmt(s.change.get(m), signed=True) if s.index else "",
            ]
        rows.append(
            [
                f"{s.index} {s.name}",
                "the reference"
                if s.group is None
                else s.group.describe() + (" (inert)" if s.group.inert else ""),
                *cells,
                _noise_mark(s, exp.metrics[0]),
                _reuse(s),
            ]
        )
    return rows


def _columns(exp: Explanation) -> list[int]:
    """Indices of the step table's columns worth showing (the noise column needs --repeats)."""
    return [i for i, h in enumerate(step_headers(exp)) if not h.startswith("noise (") or exp.repeats > 1]


def step_story(exp: Explanation, step) -> str | None:
    """DCASE 2021-2025: one sentence on how a step moved each domain, e.g. ``scoring: official score +0.031
    (AUC (source) -0.012, AUC (target) +0.085, pAUC +0.004); most through AUC (target)``."""
    if exp.metrics == METRICS or step.index == 0:
        return None
    names = LONG_NAMES
    parts = [f"{names[m]} {_fmt(step.change.get(m), True)}" for m in exp.metrics[1:]]
    moved = [(abs(step.change[m]), m) for m in exp.metrics[1:] if step.change.get(m) is not None]
    most = max(moved)[1] if moved and max(moved)[0] > 0 else None
    head = f"{step.name}: {names[exp.metrics[0]]} {_fmt(step.change.get(exp.metrics[0]), True)}"
    return f"{head} ({', '.join(parts)})" + (f"; most through {names[most]}" if most else "")


def _title(exp: Explanation) -> str:
    if exp.metrics == METRICS:
        return f"explain {exp.ref} -> {exp.mine}: mean AUC/pAUC over machine types"
    return (
        f"explain {exp.ref} -> {exp.mine}: {exp.protocol} official score and its harmonic means over sections"
    )


def _total_line(exp: Explanation) -> str:
    if exp.metrics == METRICS:
        return f"total: ΔAUC {_fmt(exp.total['auc'], True)}, ΔpAUC {_fmt(exp.total['pauc'], True)}"
    parts = ", ".join(f"{LONG_NAMES[m]} {_fmt(exp.total[m], True)}" for m in exp.metrics[1:])
    return f"total: Δ official score {_fmt(exp.total['official_score'], True)} ({parts})"


def terminal_columns(exp: Explanation) -> list[str]:
    """The metrics of the terminal step table: the mean AUC and pAUC (DCASE 2020, MIMII), or the official score
    alone (its harmonic means move in the sentence below each step, :func:`step_story`), so the table fits 80
    columns with ``--repeats`` too."""
    return list(exp.metrics) if exp.metrics == METRICS else [exp.metrics[0]]


def terminal_table(exp: Explanation):
    """The step table for a terminal: the step, each value and change, the seed spread and the noise mark of the
    first metric (with ``--repeats``), models trained/reused. What each step changed is printed below it
    (:func:`change_lines`): a description wraps as a sentence, never inside a column."""
    from ..report.terminal import table

    names = _names(exp)
    metrics = terminal_columns(exp)
    spread = exp.repeats > 1
    marked = any(s.within_noise.get(exp.metrics[0]) is not None for s in exp.steps)
    headers = ["step", *(h for m in metrics for h in names[m])]
    headers += (["sd"] if spread else []) + (["noise"] if marked else [])
    out = table(_title(exp), [*headers, "models"], left=("step", "noise"))
    first = exp.metrics[0]
    for s in exp.steps:
        cells = []
        for m in metrics:
            cells += [_fmt(s.outcome.value[m]), _fmt(s.change.get(m), signed=True) if s.index else ""]
        if spread:
            sd = s.outcome.value.get(f"{first}_sd")
            cells.append("" if sd is None else f"{sd:.4f}")
        if marked:
            cells.append(_noise_mark(s, first).replace(" noise", ""))
        out.add_row(f"{s.index} {s.name}", *cells, _reuse(s))
    return out


def change_lines(exp: Explanation) -> list[str]:
    """``<index> <step>: <what changed>`` for each step after the reference, with the 95 % paired interval of
    its change of the first metric where there is one."""
    first = exp.metrics[0]
    out = []
    for s in exp.steps:
        if s.group is None:
            continue
        line = f"{s.index} {s.name}: {s.group.describe()}" + (
            " (inert: no model changes)" if s.group.inert else ""
        )
        ci = s.interval.get(first)
        if ci is not None:
            line += f"; Δ{NAMES[first][0]} 95 % CI {fmt_interval(ci, '+.4f')}"
        out.append(line)
    return out


def print_explanation(exp: Explanation, console=None) -> None:
    """The step table, what each step changed, the total, each step's domains (DCASE 2021-2025) and the
    Shapley split, readable at 80 columns and in a pipe."""
    from rich.console import Console

    from ..report.terminal import table

    console = console or Console()
    console.print(terminal_table(exp))
    first = LONG_NAMES[exp.metrics[0]]
    notes = [f"sd: the spread of {first} over {exp.repeats} seeds"] if exp.repeats > 1 else []
    if any(s.within_noise.get(exp.metrics[0]) is not None for s in exp.steps):
        over = "test clips and seeds" if exp.repeats > 1 else "test clips"
        notes.append(f"noise: whether the 95 % interval of the paired bootstrap (over {over}) of the step's "
                     f"change of {first} holds 0 (docs/explain.md)")  # fmt: skip
    console.print("; ".join([*notes, "models: trained/reused"]), highlight=False)
    for line in change_lines(exp):
        console.print(line, highlight=False)
    console.print(
        f"{_total_line(exp)} = the sum of the step changes; {exp.runs} run(s)"
        + (
            "" if exp.repeats > 1 else " (one seed each: --repeats K adds the spread over seeds to the noise)"
        ),
        highlight=False,
    )
    for step in exp.steps:
        story = step_story(exp, step)
        if story:
            console.print(story, highlight=False)
    if exp.shapley:
        names = _names(exp)
        sh = table("order-free (Shapley) split of the gap", ["group", *(names[m][1] for m in exp.metrics)],
                   left=("group",))  # fmt: skip
        for name, v in exp.shapley.items():
            sh.add_row(name, *(_fmt(v[m], True) for m in exp.metrics))
        console.print(sh)


def _value_label(exp: Explanation, metric: str) -> str:
    if exp.metrics == METRICS:
        return f"mean {metric.upper()} over machine types"
    return LONG_NAMES[metric]


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
    ax.set_ylabel(_value_label(exp, metric))
    ax.set_ylim(low, max(known) + 0.03)
    name = metric.upper() if exp.metrics == METRICS else LONG_NAMES[metric]
    ax.set_title(f"{exp.ref} -> {exp.mine}: change of {name} per step")
    fig.tight_layout()
    return fig


def _heat_columns(exp: Explanation, metric: str) -> list[tuple[str, str, str]]:
    """``(column label, per_id key, value key)``: per machine ID; DCASE 2021-2025 per section x domain AUC."""
    ids = sorted({label for s in exp.steps for label in s.outcome.per_id})
    if exp.metrics == METRICS:
        return [(label, label, metric) for label in ids]
    return [
        (f"{label.replace(' section ', ' ')} {dom}", label, f"auc_{dom}")
        for label in ids
        for dom in ("source", "target")
    ]


def heatmap_figure(exp: Explanation, metric: str = "auc"):
    """Per step (rows) and machine ID or section x domain (columns): the metric, annotated."""
    cols = _heat_columns(exp, metric)
    grid = np.full((len(exp.steps), len(cols)), np.nan)
    for r, s in enumerate(exp.steps):
        for c, (_, label, key) in enumerate(cols):
            v = s.outcome.per_id.get(label, {}).get(key)
            grid[r, c] = np.nan if v is None else v
    rows = [f"{s.index} {s.name}" for s in exp.steps]
    if exp.metrics == METRICS:
        label, title = metric.upper(), f"{metric.upper()} per machine ID after each step"
    else:
        rule = evaluator_rule(exp.protocol).auc_clips
        label, title = "AUC", f"AUC per section x domain ({rule}) after each step"
    return figures.heatmap_figure(grid, rows, [c[0] for c in cols], title, value_label=label)


def _ladder_paragraph(exp: Explanation) -> str:
    if exp.metrics == METRICS:
        head = (
            "Each step takes one more group of settings from the second pipeline; the value is the mean over "
            "machine types of the per-type mean AUC/pAUC over IDs. The step changes add up to the total: "
            f"ΔAUC {_fmt(exp.total['auc'], True)}, ΔpAUC {_fmt(exp.total['pauc'], True)}."
        )
    else:
        head = (
            "Each step takes one more group of settings from the second pipeline; the values are the "
            f"{exp.protocol} official score (the harmonic mean of every "
            + (
                "AUC and pAUC per section x domain"
                if evaluator_rule(exp.protocol).pauc == "domain"
                else "AUC (source), AUC (target) and pAUC per section"
            )
            + ") and the harmonic means over sections of each kind of value it is made of, so a step shows which "
            "domain moved. The step changes add up to the total: "
            + _total_line(exp).removeprefix("total: ")
            + "."
        )
    if exp.repeats > 1:
        return (
            head
            + f" Each step ran {exp.repeats} seeds; 'within noise' marks changes within two standard errors."
        )
    return (
        head + " Each step ran one seed: changes of a few hundredths may be reseeding noise (use --repeats)."
    )


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
    report.paragraph(_ladder_paragraph(exp))
    keep = _columns(exp)
    headers = step_headers(exp)
    report.table([headers[i] for i in keep], [[row[i] for i in keep] for row in step_rows(exp)])
    stories = [story for step in exp.steps if (story := step_story(exp, step))]
    if stories:
        report.heading("How each step moved the domains")
        report.table(["step"], [[story] for story in stories])
    if exp.shapley:
        names = _names(exp)
        report.heading("Order-free (Shapley) split")
        report.table(
            ["group", *(names[m][1] for m in exp.metrics)],
            [[k, *(_fmt(v[m], True) for m in exp.metrics)] for k, v in exp.shapley.items()],
        )
    first = exp.metrics[0]
    name = "AUC" if exp.metrics == METRICS else LONG_NAMES[first]
    report.figure(waterfall_figure(exp, first), f"explain_waterfall_{first}",
                  caption=f"{name} per step (waterfall)")  # fmt: skip
    caption = "AUC per machine ID and step" if exp.metrics == METRICS else "AUC per section x domain and step"
    report.figure(heatmap_figure(exp, "auc"), "explain_heatmap_auc", caption=caption)
    return report
