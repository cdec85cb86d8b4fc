"""Every ``asdlens`` command written in the README and in docs/ parses as the CLI takes it: known command, known
options, required options given (a README line stopping at "Missing option '--out'" fails here).

The commands are parsed by the CLI's own click parser (``make_context``), not run: their data paths are examples.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import click
import pytest
import typer

from asdlens.cli import app

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _commands() -> list[tuple[str, str]]:
    """``(where, command)`` for each line starting with ``asdlens`` in a bash/sh code block (``\\`` joined)."""
    out = []
    for page in PAGES:
        lang = None
        for line in page.read_text().replace("\\\n", " ").splitlines():
            if line.startswith("```"):
                lang = None if lang is not None else (line[3:].strip() or "text")
                continue
            line = line.strip().removeprefix("$ ")
            if lang in ("bash", "sh", "console", "shell") and line.startswith("asdlens "):
                out.append((f"{page.name}: {line}", line.split(" #", 1)[0].split(" |", 1)[0].strip()))
    return out


COMMANDS = _commands()


def test_the_pages_show_commands():
    assert len(COMMANDS) > 20 and any("deploy-check" in c for _, c in COMMANDS)


@pytest.mark.parametrize("line", [c for _, c in COMMANDS], ids=[w for w, _ in COMMANDS])
def test_each_command_parses(line):
    cmd = typer.main.get_command(app)
    args, name = shlex.split(line)[1:], "asdlens"
    ctx = click.Context(cmd, info_name=name)
    while isinstance(cmd, click.Group):  # down to the command (asdlens data check ...)
        assert args and cmd.get_command(ctx, args[0]) is not None, f"{line}: no command {args[:1]} in {name}"
        name, args = args[0], args[1:]
        cmd = cmd.get_command(ctx, name)
        ctx = click.Context(cmd, info_name=name, parent=ctx)
    rest = args
    try:
        cmd.make_context(name, rest, parent=ctx)
    except click.UsageError as exc:
        pytest.fail(f"{line}: {exc.format_message()}")
