"""Figures of a diff (matplotlib, Agg, imported lazily): spectrograms, difference map, filterbanks, ladder."""

from __future__ import annotations

import numpy as np

from ..features import MelSpec, mel_filterbank
from ..features.filters import fft_frequencies


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def spectrograms(level_a: np.ndarray, level_b: np.ndarray, *, names=("a", "b")):
    """The two log-mel levels (dB, ``[n_mels, frames]``) side by side, on one colour scale."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), sharey=False)
    hi = max(level_a.max(), level_b.max())
    lo = max(min(level_a.min(), level_b.min()), hi - 100.0)
    for ax, level, name in zip(axes, (level_a, level_b), names, strict=True):
        im = ax.imshow(level, origin="lower", aspect="auto", vmin=lo, vmax=hi, cmap="magma")
        ax.set_title(f"{name}: {level.shape[0]} mels x {level.shape[1]} frames")
        ax.set_xlabel("frame")
        ax.set_ylabel("mel band")
    fig.colorbar(im, ax=axes, label="level (dB)")
    return fig


def difference(diff_db: np.ndarray, *, title: str = "a - b"):
    """Difference map ``[bands, frames]`` in dB, symmetric colour scale."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 3.6))
    lim = float(np.percentile(np.abs(diff_db), 99)) or 1.0
    im = ax.imshow(diff_db, origin="lower", aspect="auto", cmap="RdBu_r", vmin=-lim, vmax=lim)
    ax.set_title(title)
    ax.set_xlabel("frame (b's)")
    ax.set_ylabel("mel band (b's)")
    fig.colorbar(im, ax=ax, label="dB")
    return fig


def filterbanks(a: MelSpec, b: MelSpec, *, names=("a", "b")):
    """Both filterbanks over frequency, each triangle scaled to peak 1 (norms differ by orders of magnitude)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(10, 3.6))
    for spec, name, colour in ((a, names[0], "tab:blue"), (b, names[1], "tab:orange")):
        fb = mel_filterbank(spec)
        peak = fb.max(axis=1, keepdims=True)
        fb = fb / np.where(peak > 0, peak, 1.0)
        freqs = fft_frequencies(spec)
        ax.plot(freqs, fb.T, color=colour, lw=0.6, alpha=0.7)
        ax.plot([], [], color=colour, label=f"{name}: {spec.n_mels} mels, {spec.mel_scale}, {spec.norm} norm")
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("weight / peak")
    ax.legend(loc="upper right", fontsize=8)
    return fig


def ladder_bars(ladder):
    """The ladder as bars: distance to b after each step (dB), labelled with each step's share of the gap."""
    plt = _pyplot()
    labels = ["a", *[s.group for s in ladder.steps]]
    values = [ladder.total_db, *[s.distance_db for s in ladder.steps]]
    fig, ax = plt.subplots(figsize=(max(6, 1.1 * len(labels)), 3.8))
    bars = ax.bar(range(len(values)), values, color=["tab:gray"] + ["tab:blue"] * len(ladder.steps))
    for bar, step in zip(bars[1:], ladder.steps, strict=True):
        ax.annotate(
            f"{100 * step.share:+.1f}%",
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize=8,
        )
    ax.set_xticks(range(len(values)), labels, rotation=30, ha="right")
    ax.set_ylabel("distance to b (dB)")
    ax.set_title("ladder: one field group at a time")
    return fig
