"""``asdlens diff`` and ``asdlens identify``."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from .errors import user_errors


def _write_json(path: Path, payload: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, default=repr) + "\n")


def _name(source: str) -> str:
    return Path(source).stem if Path(source).suffix.lower() in (".yaml", ".yml", ".json") else source


def diff(
    a: str = typer.Argument(..., help="Preset name or YAML/JSON spec file (the start of the ladder)."),
    b: str = typer.Argument(..., help="Preset name or YAML/JSON spec file (the target)."),
    audio: list[Path] = typer.Option(
        None,
        "--audio",
        help="WAV file(s) to compare on (repeatable); default: a generated 10 s machine clip.",
    ),
    json_out: Path = typer.Option(
        None, "--json", help="Write the comparison, ladder and attribution as JSON."
    ),
    report: Path = typer.Option(
        None, "--report", help="Write report.html (+ .md and PNGs) into this folder."
    ),
) -> None:
    """Why do frontends A and B disagree? Stages, a ladder of field groups, and Shapley shares."""
    from rich.console import Console
    from rich.markup import escape

    from ..diff import diff as run_diff
    from ..diff import write_report
    from ..diff.distance import DISTANCE_NAME, NOTE
    from ..features import resolve_spec

    console = Console()
    with user_errors():
        spec_a, spec_b = resolve_spec(a), resolve_spec(b)
        if audio:
            from ..data import read_audio

            clips = [read_audio(path, expect_sr=spec_a.sample_rate) for path in audio]
            source = ", ".join(str(p) for p in audio)
        else:
            from ..data.synth import machine_clip

            clips = [machine_clip("pump", "00", duration=10.0, sample_rate=spec_a.sample_rate)]
            source = "a generated 10 s pump clip (asdlens.data.synth.machine_clip('pump', '00'))"
        with console.status("running both frontends, the ladder and the Shapley subsets..."):
            result, gap = run_diff(spec_a, spec_b, clips)
    names = (_name(a), _name(b))
    console.print(f"[bold]{escape(names[0])}[/] vs [bold]{escape(names[1])}[/] on {escape(source)}")
    console.print(f"distance: {DISTANCE_NAME}")
    _print_fields(console, result, names)
    _print_stages(console, result)
    _print_ladder(console, result)
    _print_shapley(console, result)
    console.print(f"[dim]{NOTE}[/]")
    if json_out:
        with user_errors():
            _write_json(json_out, {"a": a, "b": b, "audio": source, **result.to_dict()})
        console.print(f"wrote {json_out}")
    if report:
        with user_errors():
            path = write_report(result, gap, report, names=names)
        console.print(f"wrote {path}")


def _print_fields(console, result, names) -> None:
    from rich.table import Table

    table = Table(title="differing fields")
    table.add_column("field")
    table.add_column(names[0])
    table.add_column(names[1])
    for field, (va, vb) in result.comparison.differing_fields.items():
        table.add_row(field, repr(va), repr(vb))
    console.print(table)


def _num(x, fmt: str = ".4g") -> str:
    return "–" if x is None else format(x, fmt)


def _print_stages(console, result) -> None:
    from rich.table import Table

    c = result.comparison
    table = Table(title=f"stages (frame t + {c.frame_offset} of a against frame t of b)")
    for col in ("stage", "shape a", "shape b", "max |Δ|", "relative", "mean dB", "max dB", "note"):
        table.add_column(col, overflow="fold")
    for s in c.stages:
        table.add_row(
            s.stage,
            "x".join(map(str, s.shape_a)),
            "x".join(map(str, s.shape_b)),
            _num(s.max_abs),
            _num(s.relative),
            _num(s.mean_db, ".3f"),
            _num(s.max_db, ".2f"),
            s.note,
        )
    console.print(table)


def _print_ladder(console, result) -> None:
    from rich.table import Table

    lad = result.ladder
    table = Table(title=f"ladder: a -> b one field group at a time (gap {lad.total_db:.3f} dB)")
    for col in ("step", "fields moved to b", "dB to b", "closed dB", "share"):
        table.add_column(col, overflow="fold")
    table.add_row("a", "", f"{lad.total_db:.4f}", "", "")
    for s in lad.steps:
        moved = ", ".join(f"{k} {v[0]!r}→{v[1]!r}" for k, v in s.fields.items())
        table.add_row(
            s.group, moved, f"{s.distance_db:.4f}", f"{s.closed_db:+.4f}", f"{100 * s.share:+.1f} %"
        )
    console.print(table)


def _print_shapley(console, result) -> None:
    from rich.table import Table

    att = result.attribution
    if not att.exact:
        console.print(f"[yellow]Shapley: {att.note}[/]")
        return
    table = Table(title=f"Shapley shares (order-free, exact over {att.evaluations} subsets)")
    table.add_column("group")
    table.add_column("dB")
    table.add_column("share")
    for group, value in sorted(att.values_db.items(), key=lambda kv: -abs(kv[1])):
        table.add_row(group, f"{value:+.4f}", f"{100 * att.shares[group]:+.1f} %")
    table.add_row("total", f"{att.total_db:.4f}", "100 %", style="bold")
    console.print(table)


def load_function(target: str):
    """``MODULE:FUNCTION`` (MODULE importable or a path to a .py file) to the callable, or a ValueError."""
    from ..user_code import load_function as load

    return load(target)


def identify(
    target: str = typer.Argument(
        ..., help="MODULE:FUNCTION; the function maps float32 [samples] to a mel spectrogram."
    ),
    sample_rate: int = typer.Option(16000, "--sample-rate", help="Sample rate the function expects (Hz)."),
    audio: Path = typer.Option(
        None, "--audio", help="WAV file for the final residual; default: a generated clip."
    ),
    json_out: Path = typer.Option(None, "--json", help="Write the identified spec and the evidence as JSON."),
) -> None:
    """Find the MelSpec that reproduces an unknown mel-spectrogram function, and the residual."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from ..diff import identify as run_identify
    from ..diff.distance import DISTANCE_NAME
    from ..features import MelSpec

    console = Console()
    with user_errors():
        fn = load_function(target)
        clip = None
        if audio:
            from ..data import read_audio

            clip = read_audio(audio, expect_sr=sample_rate)
        with console.status(f"probing {target}..."):
            found = run_identify(fn, clip, sample_rate, name=target)
    default = MelSpec().resolved().to_dict()
    console.print(f"{escape(target)}: identified in {found.seconds:.1f} s ({found.calls} calls)")
    table = Table(title="identified spec (bold: not librosa's default)")
    table.add_column("field")
    table.add_column("value")
    for field, value in found.melspec.resolved().to_dict().items():
        table.add_row(field, repr(value), style="bold" if value != default[field] else "dim")
    console.print(table)
    layout = "[frames, n_mels]" if found.transposed else "[n_mels, frames]"
    console.print(f"output layout: {escape(layout)}")
    console.print(
        f"residual: {found.residual_db:.3g} dB mean, {found.max_residual_db:.3g} dB max ({DISTANCE_NAME})"
    )
    style = "green" if found.reproduced else "bold red"
    console.print(f"[{style}]{escape(found.message)}[/]")
    if json_out:
        with user_errors():
            _write_json(json_out, {"target": target, **found.to_dict()})
        console.print(f"wrote {json_out}")


def register(app: typer.Typer) -> None:
    """Add ``diff`` and ``identify`` to ``app``."""
    app.command("diff")(diff)
    app.command("identify")(identify)
