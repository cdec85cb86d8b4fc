"""``asdlens evaluate`` (any system's official score files, scored by the year's rules) and ``asdlens compare``
(two runs or scored folders: the paired difference per unit and overall, and which differ beyond noise)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from .errors import user_errors


def _published_scores(data: dict, console) -> None:
    """DCASE 2020: the run's official score beside the published systems' (real development/evaluation sets)."""
    from ..evaluate.published import official_score_rows
    from ..report.numbers import fmt
    from ..report.terminal import notes, table

    source, rows = official_score_rows(data["mean"]["auc"], data["mean"]["pauc"])
    out = table("DCASE 2020 official score, published systems", ["system", "dev", "eval"], left=("system",))
    for r in rows:
        out.add_row(r["system"], fmt(r["dev"]), fmt(r["eval"]))
    console.print(out)
    notes(console, [" ".join(source.splitlines())])


def evaluate(
    scores: Path = typer.Argument(
        ..., help="Folder of anomaly_score_*.csv (and decision_result_*.csv) files."
    ),
    data: Path = typer.Option(..., "--data", "-d", help="Dataset root: the test clips, labels and domains."),
    out: Path = typer.Option(
        None, "--out", "-o", help="Write results.json (asdlens's format) in this folder."
    ),
    layout: str = typer.Option("auto", "--layout", help="The year (default: detected from the data)."),
    ground_truth: Path = typer.Option(
        None, "--ground-truth", help="Published ground truth of an evaluation tree (labels, domains)."
    ),
) -> None:
    """Score any system's official score files by the year's rules: the per-ID or per-section table beside the
    published values, the official score and 95 % bootstrap intervals. Every missing, extra, duplicate or
    unparsable file and clip is named."""
    from rich.console import Console

    from ..atomic import atomic_write_json
    from ..experiment.scored import ScoredSource, evaluate_scores

    with user_errors():
        if out is not None and (out / "results.json").is_file():
            previous = json.loads((out / "results.json").read_text())
            if previous.get("experiment") is not None:
                raise ValueError(f"{out}/results.json is a run's (asdlens run); give another --out")
        result = evaluate_scores(ScoredSource(scores, data, layout, ground_truth))
        if out is not None:
            atomic_write_json(out / "results.json", json.loads(json.dumps(result)))
    console = Console()
    _print_scored(result, f"{scores} on {data}", console)
    if out is not None:
        page = _scored_report(result, scores, data).write(out)
        console.print(f"wrote {out / 'results.json'} and {page}", markup=False, highlight=False)


def _print_scored(result: dict, title: str, console) -> None:
    """The tables of a scored folder: the protocol's (with the published values), and DCASE 2020's systems."""
    from .protocol import print_results

    print_results(result, title=title, console=console)
    if result["layout"] == "dcase2020":
        _published_scores(result, console)


def _scored_report(result: dict, scores: Path, data: Path):
    """``report.md`` / ``report.html`` of ``asdlens evaluate``: what was scored, by which rules, and the tables
    the terminal shows (every number beside its published value and its interval)."""
    import io

    from rich.console import Console

    from ..report import Report

    text = io.StringIO()
    _print_scored(result, f"{scores} on {data}", Console(file=text, width=100, color_system=None))
    report = Report(f"asdlens evaluate: {scores}")
    report.paragraph(
        f"The official score files in `{scores}` scored against the clips of `{data}` (layout "
        f"`{result['layout']}`) by that year's official rules, as `asdlens run` scores its own runs; the 95 % "
        "intervals are a bootstrap over the test clips (docs/uncertainty.md)."
    )
    report.heading("Results")
    report.preformatted(text.getvalue())
    return report


#: Short names of the compared numbers (80 columns).
NUMBER_NAMES = {
    "auc": "AUC",
    "pauc": "pAUC",
    "official_score_2020": "score",
    "official_score": "official",
    "auc_source": "AUC src",
    "auc_target": "AUC tgt",
    "pauc_source": "pAUC src",
    "pauc_target": "pAUC tgt",
}


def _comparison_table(comparison):
    from ..report.numbers import fmt, fmt_interval
    from ..report.terminal import table

    out = table(
        "A - B, paired bootstrap", ["unit", "number", "A", "B", "Δ", "95% CI", ""], left=("unit", "number")
    )
    for r in comparison.rows:
        name = r["name"] if r["level"] != "overall" else "overall"
        out.add_row(name, NUMBER_NAMES.get(r["number"], r["number"]), fmt(r["a"]), fmt(r["b"]), fmt(r["delta"], signed=True),
                    fmt_interval([r["low"], r["high"]], "+.4f"), "*" if r["beyond_noise"] else "")  # fmt: skip
    return out


def compare(
    a: Path = typer.Argument(
        ..., help="A run folder (asdlens run) or a scored folder (asdlens evaluate --out)."
    ),
    b: Path = typer.Argument(..., help="The other, on the same data."),
    data: Path = typer.Option(
        None, "--data", "-d", help="Data root (default: the one A's results.json names)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the rows as JSON."),
) -> None:
    """A - B per unit, per type and overall, each with its 95 % paired-bootstrap interval over the test clips;
    ``*`` marks a difference beyond noise (its interval excludes 0)."""
    from rich.console import Console

    from ..experiment.compare import compare_folders
    from ..report.terminal import notes

    with user_errors():
        comparison = compare_folders(a, b, data=data)
    if as_json:
        typer.echo(json.dumps(comparison.to_dict(), indent=2))
        return
    console = Console()
    console.print(f"[bold]A[/] {a}\n[bold]B[/] {b} ({comparison.layout})", highlight=False)
    console.print(_comparison_table(comparison))
    beyond = [r for r in comparison.rows if r["beyond_noise"] and r["level"] == "unit"]
    units = len({r["name"] for r in comparison.rows if r["level"] == "unit"})
    names = sorted({r["name"] for r in beyond})
    notes(console, [
        f"*: beyond noise (the paired 95% interval excludes 0); {len(names)} of {units} units differ beyond "
        f"noise{': ' + ', '.join(names) if names else ''}",
        f"{comparison.options.n_resamples} resamples of the test clips, stratified by label (and domain), the "
        "same for A and B (docs/uncertainty.md)",
    ])  # fmt: skip


def register(app: typer.Typer) -> None:
    app.command("evaluate")(evaluate)
    app.command("compare")(compare)
