"""Terminal tables that stay readable at 80 columns and in a pipe.

One style for every results table: no outer border and no vertical rules (a column costs its width plus three
characters), headers short enough that the numbers decide each column's width, and numbers never wrapped or
cut (``no_wrap``); what a header cannot say goes in a note printed below the table (:func:`notes`). rich is
imported when a table is made.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def table(title: str | None, headers: Sequence[str], *, left: Iterable[str] = ()):
    """A rich ``Table`` with ``headers``; columns named in ``left`` are text (left-aligned, may wrap), the others
    numbers (right-aligned, never wrapped)."""
    from rich import box
    from rich.table import Table

    left = set(left)
    out = Table(title=title, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, title_justify="left")
    for name in headers:
        if name in left:
            out.add_column(name, justify="left", overflow="fold")
        else:
            out.add_column(name, justify="right", no_wrap=True)
    return out


def notes(console, lines: Iterable[str]) -> None:
    """Print each note on its own line below a table (``note:`` first, wrapped by the console)."""
    for line in lines:
        console.print(f"[yellow]note:[/] {line}", highlight=False)
