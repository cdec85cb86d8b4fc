"""Terminal tables that stay readable at 80 columns and in a pipe.

One style for every results table: no outer border and no vertical rules (a column costs its width plus three
characters), headers short enough that the numbers decide each column's width, and numbers never wrapped or
cut (``no_wrap``); what a header cannot say goes in a note printed below the table (:func:`notes`); a table
with more columns than fit is printed as several, each repeating the columns that name a row
(:func:`column_groups`). rich is imported when a table is made.
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


#: Characters between two columns of a :func:`table` (padding either side and the rule's place).
GAP = 3


def column_groups(
    headers: Sequence[str], rows: Sequence[Sequence[str]], *, keep: int, width: int
) -> list[list[int]]:
    """Split a table too wide for ``width`` into tables that fit: the indices of each table's columns.

    The first ``keep`` columns (what a row is) start every table; the others follow in order, as many per
    table as fit beside them (at least one). A column is as wide as its header or its widest cell.
    """
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    used = sum(widths[:keep]) + GAP * max(keep - 1, 0)
    groups: list[list[int]] = [[]]
    total = used
    for i in range(keep, len(headers)):
        cost = widths[i] + (GAP if keep or groups[-1] else 0)
        if groups[-1] and total + cost > width:
            groups.append([])
            total = used
        groups[-1].append(i)
        total += cost
    return [[*range(keep), *g] for g in groups]
