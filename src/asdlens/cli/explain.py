"""``asdlens explain`` and ``asdlens demo``."""

from __future__ import annotations

from pathlib import Path

import typer

from . import options
from .errors import user_errors


def _names(value: str | None) -> tuple[str, ...] | None:
    if not value:
        return None
    return tuple(v.strip() for v in value.split(",") if v.strip()) or None


def explain_command(
    ref: str = typer.Argument(
        ..., help="Reference experiment: a shipped name (dcase2020, mimii, ...) or YAML file."
    ),
    mine: str = typer.Argument(..., help="Your experiment: a shipped name or YAML file."),
    data: Path = typer.Option(..., "--data", help="Dataset root (DCASE 2020-2025 or MIMII layout)."),
    out: Path = typer.Option(
        ..., "--out", help="Output directory: explain.json, report.html, runs/, cache/."
    ),
    types: str = typer.Option(None, "--types", help="Comma-separated machine types (default: all found)."),
    set_: list[str] = typer.Option(None, "--set", help="key=value applied to both experiments (repeatable)."),
    order: str = typer.Option(None, "--order", help="Comma-separated group names: the ladder's order."),
    attribute: bool = typer.Option(False, "--attribute", help="Also compute the order-free (Shapley) split."),
    repeats: int = typer.Option(
        1, "--repeats", min=1, help="Seeds per step; marks changes within the noise."
    ),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show the live display of jobs."),
    executor: str = options.EXECUTOR,
    workers: int = options.WORKERS,
    threads: int = options.THREADS,
    address: str = options.ADDRESS,
) -> None:
    """Attribute the AUC gap between two pipelines to each group of their differences (a ladder of runs).

    DCASE 2021-2025 data: the official score, AUC (source), AUC (target) and pAUC per step.
    """
    from rich.console import Console

    from ..engine import JobFailed
    from ..explain import ExplainOptions, explain
    from ..explain.render import print_explanation

    console = Console()
    with user_errors(JobFailed):
        engine = options.engine_options(executor, workers, threads, address, progress)
        overrides = list(set_ or [])
        if _names(types):
            overrides.append("dataset.types=[" + ",".join(_names(types)) + "]")
        walk = ExplainOptions(order=_names(order), repeats=repeats, attribute=attribute)
        result = explain(
            ref, mine, data_root=data, out_dir=out, overrides=overrides, options=walk, engine=engine,
            announce=lambda line: console.print(f"[bold]{line}[/bold]"),
        )  # fmt: skip
    print_explanation(result, console)
    console.print(f"wrote {out / 'explain.json'} and {out / 'report.html'}")
    from ..runtime import machine_info, machine_summary

    console.print(f"ran on: {machine_summary(machine_info())}", highlight=False)


def demo_command(
    out: Path = typer.Option(Path("demo-out"), "--out", help="Output directory (data, runs, report.html)."),
    quick: bool = typer.Option(False, "--quick", help="Small data and few epochs: a few minutes on 2 cores."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show the live display of jobs."),
    executor: str = options.EXECUTOR,
    workers: int = options.WORKERS,
    threads: int = options.THREADS,
    address: str = options.ADDRESS,
) -> None:
    """The seed's question end to end on generated data: how the features differ, why, and the AUC it costs."""
    from ..demo import run_demo
    from ..engine import JobFailed

    with user_errors(JobFailed):
        engine = options.engine_options(executor, workers, threads, address, progress)
        path = run_demo(out, quick=quick, engine=engine)
    typer.echo(f"report: {path}")


def register(app: typer.Typer) -> None:
    app.command("explain")(explain_command)
    app.command("demo")(demo_command)
