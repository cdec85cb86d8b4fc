"""``asdlens bench``: speed and parity of the backends (the same run as ``make bench``)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer

from ..report.numbers import fmt
from .errors import user_errors

DEFAULT_OUT = Path("bench/results.json")


def _fmt(value, spec: str) -> str:
    return fmt(value, spec, missing="-")


def results_table(report: dict):
    """A rich table of a :func:`asdlens.benchmark.run_benchmark` report (one row per measurement) and notes."""
    from rich.table import Table

    from ..benchmark import LIBROSA_IMPL, SEED_IMPL

    cfg = report["config"]
    table = Table(
        title=f"log-mel on {cfg['n_clips']} clips of {cfg['seconds']:g} s at 16 kHz (best of {cfg['repeats']})"
    )
    for column in (
        "preset",
        "implementation",
        "clips/s",
        "vs librosa",
        "vs seed",
        "max rel. err",
        "max dB err",
    ):
        table.add_column(
            column, justify="right" if column in ("clips/s", "vs librosa", "vs seed") else "left"
        )
    timed = {(r["preset"], r["impl"], r["fast"]): r.get("seconds") for r in report["results"]}
    seed = timed.get(("tf.signal", SEED_IMPL, False))
    notes: list[str] = []
    for r in report["results"]:
        name = r["impl"] + (" (fast, float32)" if r["fast"] else "")
        if "error" in r:
            table.add_row(r["preset"], name, "-", "-", "-", "-", "-", style="dim")
            notes.append(f"{name}: {r['error']}")
            continue
        librosa = timed.get((r["preset"], LIBROSA_IMPL, False))
        vs_librosa = librosa / r["seconds"] if librosa and r["impl"] != LIBROSA_IMPL else None
        vs_seed = (
            seed / r["seconds"] if seed and r["preset"] == "tf.signal" and r["impl"] != SEED_IMPL else None
        )
        if "mean_db_gap_vs_librosa" in r:
            notes.append(
                f"{SEED_IMPL} (float32, as written) is {r['mean_db_gap_vs_librosa']:.1f} dB from librosa's "
                "n_fft=1024, hop=512 call on average (the gap the seed notebook found)"
            )
        table.add_row(
            r["preset"],
            name,
            f"{r['clips_per_s']:.1f}",
            _fmt(vs_librosa, ".1f") + ("x" if vs_librosa else ""),
            _fmt(vs_seed, ".2f") + ("x" if vs_seed else ""),
            _fmt(r["max_rel_error"], ".2e"),
            _fmt(r["max_db_error"], ".2e"),
        )
    notes.insert(0, f"errors: against {LIBROSA_IMPL}; for tf.signal against the seed's code in float64")
    return table, notes


def _write(report: dict, out: Path) -> None:
    """Write atomically, so an interrupted run leaves the last complete file."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(report, indent=2) + "\n")
    os.replace(tmp, out)


def run_and_report(
    *, clips: int = 100, seconds: float = 10.0, repeats: int = 5, out: Path = DEFAULT_OUT
) -> dict:
    """Run the benchmark with a progress bar, save ``out`` after every measurement, print the table."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ..benchmark import benchmark_tasks, run_benchmark

    console = Console()
    tasks = benchmark_tasks()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        bar = progress.add_task("building the batch", total=len(tasks))
        started = []

        def on_step(task):
            if started:
                progress.advance(bar)
            started.append(task)
            progress.update(bar, description=task.label)

        report = run_benchmark(
            n_clips=clips,
            seconds=seconds,
            repeats=repeats,
            tasks=tasks,
            on_step=on_step,
            on_result=lambda r: _write(r, out),
        )
        progress.advance(bar)
    table, notes = results_table(report)
    console.print(table)
    for note in notes:
        console.print(note)
    console.print(f"wrote {out}")
    return report


def bench(
    clips: int = typer.Option(100, "--clips", "-n", help="Clips in the batch."),
    seconds: float = typer.Option(10.0, help="Seconds per clip (16 kHz)."),
    repeats: int = typer.Option(5, help="Timed runs per implementation (best is reported)."),
    out: Path = typer.Option(DEFAULT_OUT, "--out", "-o", help="JSON file for the results."),
) -> None:
    """Time every backend on one batch against librosa per-clip and the seed's tf.signal code; save JSON."""
    with user_errors():
        if clips < 1 or seconds <= 0 or repeats < 1:
            raise ValueError(
                f"--clips ({clips}) and --repeats ({repeats}) must be >= 1 and --seconds ({seconds}) > 0"
            )
        run_and_report(clips=clips, seconds=seconds, repeats=repeats, out=out)


def register(app: typer.Typer) -> None:
    app.command("bench")(bench)
