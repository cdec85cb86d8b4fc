"""``asdlens mel`` and ``asdlens presets``."""

from __future__ import annotations

from pathlib import Path

import typer

from .errors import user_errors


def parse_sets(items: list[str] | None) -> dict[str, str]:
    """``["field=value", ...]`` to a dict, naming a malformed item."""
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--set {item!r} must look like field=value")
        out[key.strip()] = value.strip()
    return out


def mel(
    file: Path = typer.Argument(..., help="WAV file to read (16-bit, float or 24-bit PCM)."),
    preset: str = typer.Option("librosa", "--preset", "-p", help="Preset name or a YAML/JSON spec file."),
    sets: list[str] = typer.Option(None, "--set", help="Override a MelSpec field: field=value (repeatable)."),
    backend: str = typer.Option("numpy", help="numpy | tensorflow | torch | librosa"),
    channel: int = typer.Option(0, help="Channel of a multi-channel file."),
    out: Path = typer.Option(..., "--out", "-o", help="Output .npy file: [n_mels, n_frames]."),
) -> None:
    """Compute a (log-)mel spectrogram of FILE and save it as .npy."""
    import numpy as np

    from ..data import read_audio
    from ..features import melspectrogram, resolve_spec

    with user_errors():
        spec = resolve_spec(preset, parse_sets(sets))
        y = read_audio(file, channel=channel, expect_sr=spec.sample_rate)
        result = np.asarray(melspectrogram(y, spec, backend=backend))
        out.parent.mkdir(parents=True, exist_ok=True)
        np.save(out, result)
    typer.echo(
        f"{out}: {result.shape[0]} mels x {result.shape[1]} frames, {result.dtype} (spec {spec.key()})"
    )


def presets(
    name: str = typer.Argument(None, help="Show one preset's fields and source."),
) -> None:
    """List the presets and their fields."""
    from rich.console import Console
    from rich.table import Table

    from ..features import MelSpec, get_preset, list_presets, preset_source

    console = Console()
    names = [name] if name else list_presets()
    with user_errors():
        specs = [get_preset(n).resolved() for n in names]
    table = Table(title="asdlens presets")
    table.add_column("field", no_wrap=True)
    for n in names:
        table.add_column(n, overflow="fold")
    for field in MelSpec().to_dict():
        values = [s.to_dict()[field] for s in specs]
        style = "bold" if len({repr(v) for v in values}) > 1 else "dim"
        table.add_row(field, *(repr(v) for v in values), style=style)
    console.print(table)
    if name:
        console.print(preset_source(name))


def register(app: typer.Typer) -> None:
    app.command("mel")(mel)
    app.command("presets")(presets)
