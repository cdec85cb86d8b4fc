"""``asdlens run`` (an experiment end to end) and ``asdlens results`` (the table of a finished run)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from ..report.numbers import fmt
from . import options
from .errors import user_errors


def _names(values: list[str] | None) -> list[str] | None:
    """``--types pump --types fan`` or ``--types pump,fan``."""
    if not values:
        return None
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


def _f(value: float | None, signed: bool = False) -> str:
    return fmt(value, signed=signed)


def print_results(data: dict[str, Any], *, title: str) -> None:
    """Per-ID and per-type tables of a ``results.json`` mapping, with the published values beside ours
    (DCASE 2021-2025: :func:`print_official`)."""
    from rich.console import Console
    from rich.table import Table

    from ..experiment.run_report import comparison_rows

    if "official_score" in data:
        print_official(data, title=title)
        return
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


def print_official(data: dict[str, Any], *, title: str) -> None:
    """The tables of a DCASE 2021-2025 ``results.json``: per type x section the official values (published
    beside ours where a table has them), per type and overall the official score and its harmonic means."""
    from rich.console import Console
    from rich.table import Table

    from ..experiment.official_outputs import HEADLINE_METRICS, HEADLINE_NAMES, headline
    from ..experiment.official_report import columns, section_rows

    console = Console()
    layout, official = data["layout"], data.get("official")
    for message in data.get("messages") or []:
        console.print(f"[yellow]note:[/] {message}")
    if official is None:
        console.print(f"{title}: scored and written, not evaluated (no test clip has a label and a domain)")
        return
    backend = ((data.get("experiment") or {}).get("scoring") or {}).get("backend", "default")
    rows = section_rows(official["sections"], layout, backend)
    published = any(r[f"published_{c}"] is not None for r in rows for c in columns(layout))
    rule = (
        "that domain's clips"
        if layout == "dcase2021"
        else "that domain's normals + all anomalies; pAUC: the section's"
    )
    console.print(f"[bold]{title}[/] ({layout})")
    table = Table(title="per section x domain", caption=f"AUC: {rule}")
    for name in ("type", "section", "domain", "AUC", *(("published", "diff") if published else ()), "pAUC",
                 *(("published", "diff") if published else ())):  # fmt: skip
        table.add_column(name, justify="left" if name in ("type", "section", "domain") else "right")
    for r in rows:
        for dom in ("source", "target"):
            pauc = f"pauc_{dom}" if layout == "dcase2021" else "pauc"
            cells = []
            for c in (f"auc_{dom}", pauc):
                if c == "pauc" and dom == "target":  # one pAUC per section from 2022 on: on its first line
                    cells += ["", *(("", "") if published else ())]
                    continue
                cells.append(_f(r[c]) if r[c] is not None else "[yellow]undefined[/]")
                if published:
                    cells += [_f(r[f"published_{c}"]), _f(r[f"diff_{c}"], True)]
            table.add_row(r["machine_type"], r["section"], dom, *cells)
    console.print(table)
    root = ((data.get("experiment") or {}).get("dataset") or {}).get("root")
    if published and root and any((p / "manifest.csv").is_file() for p in (Path(root), Path(root).parent)):
        console.print(
            "[yellow]note:[/] the data is asdlens's generated data; the published columns are the real recordings' "
            "and only show the layout"
        )
    means = Table(title="harmonic means over sections")
    means.add_column("type")
    for m in HEADLINE_METRICS:
        means.add_column(HEADLINE_NAMES[m], justify="right")
    for machine_type, summary in official["types"].items():
        values = headline(summary, summary["score"])
        means.add_row(machine_type, *(_f(values[m]) for m in HEADLINE_METRICS))
    overall = headline(official["overall"], data["official_score"])
    means.add_row("[bold]all types[/]", *(_f(overall[m]) for m in HEADLINE_METRICS))
    console.print(means)
    console.print(
        f"[bold]official score {_f(data['official_score'])}[/] (harmonic mean of {official['n_values']} values, "
        f"as the {layout} evaluator)"
    )
    if data.get("bad_files"):
        console.print(f"[yellow]{len(data['bad_files'])} clip(s) left out (--skip-bad); see results.json[/]")


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
        engine = options.engine_options(executor, workers, threads, address, progress=not quiet)
        result = run_experiment(
            exp, data_root=data, out_dir=out, cache_dir=cache, engine=engine, report=not no_report,
            skip_bad=skip_bad,
        )  # fmt: skip
    print_results(result.results_dict(), title=f"{exp.name}: {out}")
    c = result.counters
    typer.echo(
        f"features {c['features_computed']} computed / {c['features_cached']} cached, models "
        f"{c['models_trained']} trained / {c['models_cached']} cached, scores {c['scores_computed']} computed / "
        f"{c['scores_cached']} cached; {result.timings['total']:.1f} s"
    )
    files = "the anomaly_score/decision_result files, result.csv" if result.sections else "result.csv"
    typer.echo(f"wrote {out}/results.json, {files}" + ("" if no_report else f", {out}/report.html"))
    _ran_on(out)


def _ran_on(run_dir: Path) -> None:
    """The machine line of a run folder's run.json (every figure says where it came from)."""
    from ..runtime import machine_summary

    try:
        machine = json.loads((run_dir / "run.json").read_text())["machine"]
    except (OSError, ValueError, KeyError):
        return
    typer.echo(f"ran on: {machine_summary(machine)}")


def results(
    run_dir: Path = typer.Argument(..., help="A run folder written by `asdlens run`."),
    as_json: bool = typer.Option(False, "--json", help="Print results.json with the published values added."),
) -> None:
    """Show a finished run's metrics beside the published numbers: AUC/pAUC per machine ID (DCASE 2020, MIMII),
    or the official score with AUC (source), AUC (target) and pAUC per section (DCASE 2021-2025)."""
    with user_errors():
        path = run_dir / "results.json"
        if not path.is_file():
            raise ValueError(f"{run_dir}: no results.json (not a finished `asdlens run` folder)")
        try:
            data = json.loads(path.read_text())
            if "official_score" in data:
                data["layout"], data["official"], data["domains"]  # noqa: B018
                if data["official"] is not None:
                    data["official"]["sections"], data["official"]["types"], data["official"]["overall"]  # noqa: B018
            else:
                data["results"], data["layout"], data["averages"], data["mean"]  # noqa: B018
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}: not a results.json written by asdlens run ({exc})") from None
    if as_json:
        if "official_score" in data:
            from ..experiment.official_report import section_rows

            if data["official"] is not None:
                backend = (data["experiment"].get("scoring") or {}).get("backend", "default")
                data["official"]["sections"] = section_rows(
                    data["official"]["sections"], data["layout"], backend
                )
        else:
            from ..experiment.run_report import comparison_rows

            data["results"] = comparison_rows(data["results"], data["layout"])
        typer.echo(json.dumps(data, indent=2))
        return
    print_results(data, title=str(run_dir))
    _ran_on(run_dir)


def register(app: typer.Typer) -> None:
    app.command("run")(run)
    app.command("results")(results)
