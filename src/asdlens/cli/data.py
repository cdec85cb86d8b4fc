"""``asdlens data check`` and ``asdlens synth``."""

from __future__ import annotations

from pathlib import Path

import typer

from .errors import user_errors

PROBLEMS_FOUND = 1

data_app = typer.Typer(
    name="data",
    help="Dataset trees: DCASE Task 2 (2020-2025) and MIMII layouts.",
    no_args_is_help=True,
)


def _split_list(value: str | None) -> list[str] | None:
    if value is None:
        return None
    items = [v.strip() for v in value.split(",") if v.strip()]
    return items or None


def _parse_ints(value: str | None, option: str) -> list[int] | None:
    items = _split_list(value)
    if items is None:
        return None
    try:
        return [int(v) for v in items]
    except ValueError:
        raise ValueError(f"{option} {value!r} must be comma-separated integers, e.g. -6,0,6") from None


def _progress(description: str):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn(description),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        transient=True,
    )


@data_app.command("check")
def check(
    root: Path = typer.Argument(..., help="Dataset root (or any folder inside it)."),
    layout: str = typer.Option(
        "auto", help="auto | dcase2020 | mimii | dcase2021 | dcase2022 | ... | dcase2025 | dcase2026"
    ),
    sample_rate: int = typer.Option(16000, "--sr", help="Required sample rate in Hz."),
    channels: int = typer.Option(
        None, help="Required channels (default: 1 for the DCASE layouts, 8 for mimii)."
    ),
    ground_truth: list[Path] = typer.Option(
        None,
        "--ground-truth",
        help="Published ground truth for evaluation test files: a file or folder (an evaluator checkout, "
        "ground_truth_data/, eval_data_list_<year>.csv ...). Repeat for several.",
    ),
) -> None:
    """Validate every file under ROOT: a count table per type/ID (section)/split and every problem. Exit 1 on
    problems; warnings (known defects of published files, read and handled) do not fail the check."""
    from rich.console import Console
    from rich.table import Table

    from ..data.check import check_tree
    from ..data.clips import group_order, layout_spec

    console = Console()
    with user_errors():
        with _progress("checking") as bar:
            task = bar.add_task("check", total=None)
            report = check_tree(
                root,
                layout,
                expect_sr=sample_rate,
                expect_channels=channels,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
                ground_truth=ground_truth or None,
            )
    result = report.scan
    mimii = result.layout == "mimii"
    table = Table(title=f"{result.root} ({result.layout}, {len(result.clips)} clips)")
    table.add_column("type")
    if mimii:
        table.add_column("SNR dB", justify="right")
    table.add_column("section" if layout_spec(result.layout).sections else "ID")
    for column in report.columns:
        table.add_column(column, justify="right")
    table.add_column("with problems", justify="right")
    rows = sorted({k[:3] for k in report.counts}, key=group_order)
    for machine_type, snr, machine_id in rows:
        cells = [str(report.counts.get((machine_type, snr, machine_id, c), 0)) for c in report.columns]
        lead = [machine_type, "-" if snr is None else str(snr)] if mimii else [machine_type]
        bad = report.bad_clips.get((machine_type, snr, machine_id), 0)
        table.add_row(*lead, machine_id, *cells, f"[red]{bad}[/red]" if bad else "0")
    console.print(table)
    if report.durations:
        lengths = ", ".join(f"{t} {d:.2f} s" for t, d in sorted(report.durations.items()))
        console.print(f"usual clip length: {lengths}")
    if report.ignored:
        names = ", ".join(p.name for p in report.ignored[:5]) + (" ..." if len(report.ignored) > 5 else "")
        console.print(f"ignored {len(report.ignored)} non-WAV file(s): {names}")
    if report.warnings:
        console.print(f"[yellow]{len(report.warnings)} warning(s) (read and handled):[/yellow]")
        for warning in report.warnings:
            where = ""
            if warning.path is not None:
                try:
                    where = f"{warning.path.relative_to(result.root)}: "
                except ValueError:
                    where = f"{warning.path}: "
            console.print(
                f"  [{warning.code}] {where}{warning.message}", highlight=False, markup=False, soft_wrap=True
            )
    if report.ok:
        console.print("[green]no problems found[/green]")
        return
    console.print(f"[red]{len(report.problems)} problem(s):[/red]")
    for path, problem in report.problems:
        try:
            shown = path.relative_to(result.root)
        except ValueError:
            shown = path
        console.print(f"  {shown}: {problem}", highlight=False, markup=False, soft_wrap=True)
    raise typer.Exit(PROBLEMS_FOUND)


def synth(
    out: Path = typer.Option(..., "--out", "-o", help="Folder to write the tree into (new or empty)."),
    layout: str = typer.Option(
        "dcase2020", help="dcase2020 | mimii | dcase2021 | dcase2022 | ... | dcase2025 | dcase2026"
    ),
    types: str = typer.Option(None, help="Comma-separated machine types, e.g. pump,fan (default: all)."),
    ids: str = typer.Option(
        None, help="Comma-separated machine IDs, e.g. 00,02 (default: the real dev IDs). dcase2020/mimii."
    ),
    train: int = typer.Option(
        None,
        "--train",
        help="Normal training clips per ID (default 100); 2021+: source clips per section (990).",
    ),
    test_normal: int = typer.Option(
        None, "--test-normal", help="Normal test clips per ID (default 50); 2021+: per section and domain."
    ),
    test_anomaly: int = typer.Option(
        None,
        "--test-anomaly",
        help="Anomalous test clips per ID (default 50); 2021+: per section and domain.",
    ),
    snr: str = typer.Option(None, "--snr", help="SNRs in dB, e.g. -6,0,6 (mimii default) or 0 (dcase2020)."),
    seed: int = typer.Option(0, help="Random seed: same seed, same files."),
    duration: float = typer.Option(10.0, help="Seconds per clip."),
    snr_dirs: str = typer.Option(
        "zenodo", help="mimii SNR folders: zenodo (-6_dB_pump) | baseline (min6dB)."
    ),
    workers: int = typer.Option(1, help="Processes to render with."),
    overwrite: bool = typer.Option(False, help="Write into a non-empty folder."),
    sections: str = typer.Option(None, help="2021+: development sections, e.g. 00,01 (default: the year's)."),
    eval_types: str = typer.Option(
        None, "--eval-types", help="2021+: evaluation types (default: the year's)."
    ),
    eval_sections: str = typer.Option(None, "--eval-sections", help="2021+: evaluation sections."),
    parts: str = typer.Option("dev,eval", help="2021+: dev, eval or dev,eval."),
    train_target: int = typer.Option(
        None, "--train-target", help="2021+: target-domain training clips per section (default 10; 2021: 3)."
    ),
    supplemental: int = typer.Option(
        0, help="2025: clean machine clips per evaluation type in supplemental/."
    ),
) -> None:
    """Write a synthetic DCASE 2020-2025 or MIMII tree with known anomalies, plus .asdlens/manifest.csv (2021+: with a
    domain shift per section, attribute tables and ground truth for the evaluation part)."""
    from ..data.synth import SynthOptions, generate

    with user_errors():
        options = SynthOptions(
            layout=layout,
            types=_split_list(types),
            ids=_split_list(ids),
            n_train=train,
            n_test_normal=test_normal,
            n_test_anomaly=test_anomaly,
            snrs=_parse_ints(snr, "--snr"),
            seed=seed,
            duration=duration,
            snr_dirs=snr_dirs,
            sections=_split_list(sections),
            eval_types=_split_list(eval_types),
            eval_sections=_split_list(eval_sections),
            parts=_split_list(parts) or (),
            n_train_target=train_target,
            n_supplemental=supplemental,
        )
        with _progress("generating") as bar:
            task = bar.add_task("synth", total=None)
            generate(
                out,
                options,
                workers=workers,
                overwrite=overwrite,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    from ..data.layouts import find_manifest
    from ..data.synth import read_manifest

    rows = read_manifest(out)
    anomalies = sum(r["label"] or 0 for r in rows)
    typer.echo(f"{out}: {len(rows)} clips ({anomalies} anomalous), manifest {find_manifest(out)}")


def register(app: typer.Typer) -> None:
    """Add ``asdlens data ...`` and ``asdlens synth``."""
    app.add_typer(data_app, name="data")
    app.command("synth")(synth)
