"""The figures of every page, written once: ROC curves, score histograms, heat maps, loss curves.

Each function takes plain numbers (labels, scores, a grid) and returns a matplotlib Figure for
:meth:`asdlens.report.Report.figure`; what to plot (which clips enter a ROC, which rows a heat map has) is the
caller's. matplotlib is imported when a figure is drawn, with the Agg backend (no display needed).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import numpy as np

#: ``(label, labels 0/1, scores)``: one ROC curve.
Curve = tuple[str, Sequence[int], Sequence[float]]
#: ``(name, colour, scores)``: one coloured part of a histogram panel.
Part = tuple[str, str, Sequence[float]]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def roc_figure(curves: Sequence[Curve], title: str, *, dashed: Collection[str] = (), max_fpr: float = 0.1):
    """ROC curves, the chance diagonal, and a dotted line at ``max_fpr`` (the pAUC range's end).

    Curves with one class only are left out; labels in ``dashed`` are drawn dashed (a second domain).
    """
    from sklearn.metrics import roc_curve

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(4.8, 4.4))
    ax.plot([0, 1], [0, 1], color="#999", lw=0.8, ls="--")
    for label, y, s in curves:
        if len(set(y)) < 2:
            continue
        fpr, tpr, _ = roc_curve(y, s)
        ax.plot(fpr, tpr, lw=1.4, ls="--" if label in dashed else "-", label=label)
    ax.axvline(max_fpr, color="#c44", lw=0.6, ls=":")
    ax.set(
        xlabel="false positive rate", ylabel="true positive rate", title=title, xlim=(0, 1), ylim=(0, 1.01)
    )
    ax.legend(fontsize=7, loc="lower right")
    return fig


def histogram_figure(
    panels: Sequence[tuple[str, Sequence[Part]]], title: str, *, threshold: float | None = None
):
    """One panel per ``(panel title, parts)``: anomaly-score histograms of each part on shared bins (20 over the
    panel's scores); ``threshold`` (a decision threshold) as a dotted vertical line in every panel."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(3.3 * len(panels), 2.9), squeeze=False)
    for ax, (label, parts) in zip(axes[0], panels, strict=True):
        scores = np.array([s for _, _, values in parts for s in values], dtype=float)
        bins = np.histogram_bin_edges(scores, bins=20)
        for name, color, values in parts:
            if len(values):
                ax.hist(values, bins=bins, alpha=0.55, color=color, label=name)
        if threshold is not None:
            ax.axvline(threshold, color="k", lw=0.8, ls=":", label="threshold")
        ax.set(title=label, xlabel="anomaly score")
        ax.legend(fontsize=6)
    axes[0][0].set_ylabel("clips")
    fig.suptitle(title)
    fig.tight_layout()
    fig.subplots_adjust(top=0.8)  # the panels' titles below the figure's, not under it
    return fig


def heatmap_figure(
    grid,
    rows: Sequence[str],
    columns: Sequence[str],
    title: str,
    *,
    value_label: str | None = None,
    limits: tuple[float | None, float | None] = (None, None),
):
    """A grid of values (NaN: no value) with each cell annotated to 3 decimals.

    ``limits`` fixes the colour range (None: the data's); text is dark on the bright upper part of viridis.
    Long column labels are slanted.
    """
    plt = _pyplot()
    grid = np.asarray(grid, dtype=float).reshape(len(rows), len(columns))
    finite = np.isfinite(grid)
    low, high = limits
    if low is None and finite.any():
        low = float(np.nanmin(grid))
    fig, ax = plt.subplots(figsize=(max(5.0, 1.1 * len(columns) + 2.6), 0.45 * len(rows) + 1.8))
    im = ax.imshow(grid, cmap="viridis", aspect="auto", vmin=low if low is not None else 0, vmax=high)
    slanted = max((len(c) for c in columns), default=0) > 12 or len(columns) > 6
    ax.set_xticks(
        range(len(columns)), columns, rotation=40 if slanted else 0, ha="right" if slanted else "center"
    )
    ax.set_yticks(range(len(rows)), rows)
    vmin, vmax = im.get_clim()
    for i, j in zip(*np.nonzero(finite), strict=True):
        bright = grid[i, j] - vmin > 0.6 * (vmax - vmin)  # viridis is yellow at the top: dark text there
        ax.text(j, i, f"{grid[i, j]:.3f}", ha="center", va="center", fontsize=7, color="k" if bright else "w")
    fig.colorbar(im, ax=ax, label=value_label or "")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def loss_figure(models: Mapping[str, Mapping]):
    """Training (solid) and validation (dashed) loss per epoch of each model, on a log scale."""
    plt = _pyplot()
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
