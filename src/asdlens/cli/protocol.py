"""``asdlens run`` (an experiment end to end) and ``asdlens results`` (the table of a finished run)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from . import options
from .errors import user_errors


def _names(values: list[str] | None) -> list[str] | None:
    """``--types pump --types fan`` or ``--types pump,fan``."""
    if not values:
        return None
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


def print_results(data: dict[str, Any], *, title: str, console=None) -> None:
    """The tables of a ``results.json`` mapping, by its layout's protocol
    (:meth:`~asdlens.experiment.protocols.EvaluationProtocol.print_tables`): AUC/pAUC per machine ID (DCASE 2020,
    MIMII) or the official score per section x domain (DCASE 2021-2025), the published values beside ours."""
    from rich.console import Console

    from ..experiment.protocols import protocol_of

    protocol_of(data["layout"]).print_tables(data, console or Console(), title=title)


def run(
    experiment: str = typer.Argument(
        ...,
        help="Shipped experiment name (dcase2020, mimii, dcase2021-ae, dcase2023-ae-mse, "
        "dcase2021-mobilenetv2, arcface-knn, ...: the README lists them) or a YAML file.",
    ),
    data: Path = typer.Option(
        None, "--data", "-d", help="Dataset root (default: dataset.root of the config)."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Run folder to write (created; reruns resume)."),
    sets: list[str] = typer.Option(
        None, "--set", help="Override a config field: section.field=value (repeatable)."
    ),
    types: list[str] = typer.Option(
        None, "--types", help="Machine types to run (repeatable or comma-separated)."
    ),
    ids: list[str] = typer.Option(
        None, "--ids", help="Machine IDs (DCASE 2021-2025: sections) to run, e.g. 00,02."
    ),
    ground_truth: Path = typer.Option(
        None, "--ground-truth", help="Published ground truth of an evaluation tree (dataset.ground_truth)."
    ),
    cache: Path = typer.Option(
        None, "--cache", help="Cache folder, shareable between runs (default OUT/cache)."
    ),
    skip_bad: bool = typer.Option(
        False, "--skip-bad", help="Leave out unusable clips (listed in results.json)."
    ),
    no_report: bool = typer.Option(False, "--no-report", help="Skip report.md/report.html and the figures."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress display."),
    executor: str = options.EXECUTOR,
    workers: int = options.WORKERS,
    threads: int = options.THREADS,
    address: str = options.ADDRESS,
) -> None:
    """Run an experiment: features, training, scoring, the official CSVs, results.json and a report.

    A rerun of the same command reuses the cached features, models and scores (a killed run resumes).
    """
    from ..engine import JobFailed
    from ..experiment import load_experiment, parse_overrides, run_experiment

    with user_errors(JobFailed):
        overrides = parse_overrides(sets)
        if _names(types):
            overrides["dataset.types"] = _names(types)
        if _names(ids):
            overrides["dataset.ids"] = _names(ids)
        if ground_truth is not None:
            overrides["dataset.ground_truth"] = str(ground_truth)
        exp = load_experiment(experiment, overrides)
        if exp.function is not None:  # say which frontend the run uses: the identified spec or the function
            typer.echo(exp.function.summary())
        engine = options.engine_options(executor, workers, threads, address, progress=not quiet)
        result = run_experiment(
            exp, data_root=data, out_dir=out, cache_dir=cache, engine=engine, report=not no_report,
            skip_bad=skip_bad,
        )  # fmt: skip
    from rich.console import Console

    console = Console()
    print_results(result.results_dict(), title=f"{exp.name}: {out}", console=console)
    c = result.counters
    # two short lines, not one the terminal would break inside a number at 80 columns
    typer.echo(
        f"features {c['features_computed']} computed / {c['features_cached']} cached, models "
        f"{c['models_trained']} trained / {c['models_cached']} cached,"
    )
    typer.echo(
        f"scores {c['scores_computed']} computed / {c['scores_cached']} cached; {result.timings['total']:.1f} s"
    )
    files = result.protocol.files_written()
    _line(console, f"wrote {out}/results.json, {files}" + ("" if no_report else f", {out}/report.html"))
    _ran_on(out, console)


def _line(console, text: str) -> None:
    """A plain line, wrapped between words at the console's width (paths and versions are never cut)."""
    console.print(text, markup=False, highlight=False)


def _ran_on(run_dir: Path, console) -> None:
    """The machine line of a run folder's run.json (every figure says where it came from)."""
    from ..runtime import machine_summary

    try:
        machine = json.loads((run_dir / "run.json").read_text())["machine"]
    except (OSError, ValueError, KeyError):
        return
    _line(console, f"ran on: {machine_summary(machine)}")


def results(
    run_dir: Path = typer.Argument(..., help="A run folder written by `asdlens run`."),
    as_json: bool = typer.Option(False, "--json", help="Print results.json with the published values added."),
) -> None:
    """Show a finished run's metrics beside the published numbers: AUC/pAUC per machine ID (DCASE 2020, MIMII),
    or the official score with AUC (source), AUC (target) and pAUC per section (DCASE 2021-2025)."""
    from ..experiment.protocols import protocol_of

    with user_errors():
        path = run_dir / "results.json"
        if not path.is_file():
            raise ValueError(f"{run_dir}: no results.json (not a finished `asdlens run` folder)")
        try:
            data = json.loads(path.read_text())
            protocol = protocol_of(data["layout"])
            protocol.check_results(data)
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}: not a results.json written by asdlens run ({exc})") from None
    if as_json:
        typer.echo(json.dumps(protocol.with_published(data), indent=2))
        return
    from rich.console import Console

    console = Console()
    print_results(data, title=str(run_dir), console=console)
    _ran_on(run_dir, console)


def register(app: typer.Typer) -> None:
    app.command("run")(run)
    app.command("results")(results)
