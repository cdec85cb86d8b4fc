"""``asdlens data check`` and ``asdlens synth``."""

from __future__ import annotations

from pathlib import Path

import typer

from .errors import user_errors

PROBLEMS_FOUND = 1

data_app = typer.Typer(
    name="data",
    help="Dataset trees: DCASE 2020 Task 2 and MIMII layouts.",
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
    layout: str = typer.Option("auto", help="auto | dcase2020 | mimii"),
    sample_rate: int = typer.Option(16000, "--sr", help="Required sample rate in Hz."),
    channels: int = typer.Option(None, help="Required channels (default: 1 for dcase2020, 8 for mimii)."),
) -> None:
    """Validate every file under ROOT: a count table per type/ID/split and every problem. Exit 1 on problems."""
    from rich.console import Console
    from rich.table import Table

    from ..data.check import check_tree

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
            )
    result = report.scan
    mimii = result.layout == "mimii"
    table = Table(title=f"{result.root} ({result.layout}, {len(result.clips)} clips)")
    table.add_column("type")
    if mimii:
        table.add_column("SNR dB", justify="right")
    table.add_column("ID")
    for column in report.columns:
        table.add_column(column, justify="right")
    table.add_column("with problems", justify="right")
    rows = sorted({k[:3] for k in report.counts}, key=lambda k: (k[0], -999 if k[1] is None else k[1], k[2]))
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
    layout: str = typer.Option("dcase2020", help="dcase2020 | mimii"),
    types: str = typer.Option(None, help="Comma-separated machine types, e.g. pump,fan (default: all)."),
    ids: str = typer.Option(
        None, help="Comma-separated machine IDs, e.g. 00,02 (default: the real dev IDs)."
    ),
    train: int = typer.Option(100, "--train", help="Normal training clips per ID."),
    test_normal: int = typer.Option(50, "--test-normal", help="Normal test clips per ID."),
    test_anomaly: int = typer.Option(50, "--test-anomaly", help="Anomalous test clips per ID."),
    snr: str = typer.Option(None, "--snr", help="SNRs in dB, e.g. -6,0,6 (mimii default) or 0 (dcase2020)."),
    seed: int = typer.Option(0, help="Random seed: same seed, same files."),
    duration: float = typer.Option(10.0, help="Seconds per clip."),
    snr_dirs: str = typer.Option(
        "zenodo", help="mimii SNR folders: zenodo (-6_dB_pump) | baseline (min6dB)."
    ),
    workers: int = typer.Option(1, help="Processes to render with."),
    overwrite: bool = typer.Option(False, help="Write into a non-empty folder."),
) -> None:
    """Write a synthetic DCASE 2020 or MIMII tree with known anomalies, plus manifest.csv."""
    from ..data.synth import generate

    with user_errors():
        snrs = _parse_ints(snr, "--snr")
        with _progress("generating") as bar:
            task = bar.add_task("synth", total=None)
            generate(
                out,
                layout=layout,
                types=_split_list(types),
                ids=_split_list(ids),
                n_train=train,
                n_test_normal=test_normal,
                n_test_anomaly=test_anomaly,
                snrs=snrs,
                seed=seed,
                duration=duration,
                snr_dirs=snr_dirs,
                workers=workers,
                overwrite=overwrite,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    from ..data.synth import read_manifest

    rows = read_manifest(out)
    anomalies = sum(r["label"] for r in rows)
    typer.echo(f"{out}: {len(rows)} clips ({anomalies} anomalous), manifest {out / 'manifest.csv'}")


def register(app: typer.Typer) -> None:
    """Add ``asdlens data ...`` and ``asdlens synth``."""
    app.add_typer(data_app, name="data")
    app.command("synth")(synth)
