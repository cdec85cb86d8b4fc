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


def _f(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value:+.4f}" if signed else f"{value:.4f}"


def print_results(data: dict[str, Any], *, title: str) -> None:
    """Per-ID and per-type tables of a ``results.json`` mapping, with the published values beside ours."""
    from rich.console import Console
    from rich.table import Table

    from ..experiment.run_report import comparison_rows

    console = Console()
    rows = comparison_rows(data["results"], data["layout"])
    with_snr = any(r["snr"] is not None for r in rows)
    table = Table(title=title)
    for name in ["type", *(["SNR"] if with_snr else []), "ID", "n", "AUC", "published", "diff", "pAUC",
                 "published", "diff"]:  # fmt: skip
        table.add_column(name, justify="left" if name in ("type", "ID") else "right")
    for r in rows:
        table.add_row(
            r["machine_type"],
            *([str(r["snr"])] if with_snr else []),
            r["machine_id"],
            str(r["n_normal"] + r["n_anomaly"]),
            _f(r["auc"]) if r["auc"] is not None else "[yellow]undefined[/]",
            _f(r["published_auc"]),
            _f(r["diff_auc"], True),
            _f(r["pauc"]),
            _f(r["published_pauc"]),
            _f(r["diff_pauc"], True),
        )
    console.print(table)
    root = ((data.get("experiment") or {}).get("dataset") or {}).get("root")
    if root and (Path(root) / "manifest.csv").is_file():
        console.print(
            "[yellow]note:[/] the data is asdlens's generated data (its root holds the generator's manifest.csv); "
            "the published columns are the real recordings' and only show the layout"
        )
    for r in rows:
        if r["message"]:
            console.print(f"[yellow]note:[/] {r['message']}")
    averages = Table(title="mean over IDs")
    for name in ("type", "IDs", "AUC", "pAUC"):
        averages.add_column(name, justify="left" if name == "type" else "right")
    for a in data["averages"]:
        label = a["machine_type"] + ("" if a["snr"] is None else f" {a['snr']}dB")
        averages.add_row(label, str(a["n_ids"]), _f(a["auc"]), _f(a["pauc"]))
    averages.add_row("[bold]mean over types[/]", "", _f(data["mean"]["auc"]), _f(data["mean"]["pauc"]))
    console.print(averages)
    if data.get("bad_files"):
        console.print(f"[yellow]{len(data['bad_files'])} clip(s) left out (--skip-bad); see results.json[/]")


def run(
    experiment: str = typer.Argument(
        ...,
        help="Shipped experiment name (dcase2020, mimii, dcase2020-ae-mahalanobis, dcase2021-mobilenetv2, arcface-knn, arcface-knn-full, ...) or a YAML file.",
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
    ids: list[str] = typer.Option(None, "--ids", help="Machine IDs to run, e.g. 00,02."),
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
    from ..experiment import load_experiment, parse_overrides, run_experiment
    from ..experiment.engine import JobFailed

    with user_errors(JobFailed):
        overrides = parse_overrides(sets)
        if _names(types):
            overrides["dataset.types"] = _names(types)
        if _names(ids):
            overrides["dataset.ids"] = _names(ids)
        exp = load_experiment(experiment, overrides)
        engine = options.engine_kwargs(executor, workers, threads, address)
        result = run_experiment(
            exp, data_root=data, out_dir=out, cache_dir=cache, progress=not quiet, report=not no_report,
            skip_bad=skip_bad, **engine,
        )  # fmt: skip
    print_results(result.results_dict(), title=f"{exp.name}: {out}")
    c = result.counters
    typer.echo(
        f"features {c['features_computed']} computed / {c['features_cached']} cached, models "
        f"{c['models_trained']} trained / {c['models_cached']} cached, scores {c['scores_computed']} computed / "
        f"{c['scores_cached']} cached; {result.timings['total']:.1f} s"
    )
    typer.echo(f"wrote {out}/results.json, result.csv" + ("" if no_report else f", {out}/report.html"))


def results(
    run_dir: Path = typer.Argument(..., help="A run folder written by `asdlens run`."),
    as_json: bool = typer.Option(False, "--json", help="Print results.json with the published values added."),
) -> None:
    """Show the per-ID AUC/pAUC of a finished run beside the published numbers."""
    with user_errors():
        path = run_dir / "results.json"
        if not path.is_file():
            raise ValueError(f"{run_dir}: no results.json (not a finished `asdlens run` folder)")
        try:
            data = json.loads(path.read_text())
            data["results"], data["layout"], data["averages"], data["mean"]  # noqa: B018
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}: not a results.json written by asdlens run ({exc})") from None
    if as_json:
        from ..experiment.run_report import comparison_rows

        data["results"] = comparison_rows(data["results"], data["layout"])
        typer.echo(json.dumps(data, indent=2))
        return
    print_results(data, title=str(run_dir))


def register(app: typer.Typer) -> None:
    app.command("run")(run)
    app.command("results")(results)
