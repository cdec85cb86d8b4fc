"""The driver's live display: jobs done / running / queued / retried per kind, and what runs where.

The engine sends a snapshot after every scheduling round; running jobs note their node, process and epoch in
the cache (``running/<key>.json``, :func:`asdlens.engine.job.progress_path`), which the display reads, so
it shows the same on every executor, Ray included. Disabled (``progress=False``), every call does nothing.
"""

from __future__ import annotations

import json
import time

from .job import progress_path


def _note(cache_root, key: str) -> dict:
    try:
        return json.loads(progress_path(cache_root, key).read_text())
    except (OSError, ValueError):
        return {}


def count_jobs_by_kind(snapshot: dict) -> dict[str, dict[str, int]]:
    """Per kind (in plan order): ``done``, ``running``, ``queued``, ``retried``, ``total`` (jobs this session
    looked at)."""
    counts = {k: {"done": 0, "running": 0, "queued": 0, "retried": 0, "total": 0} for k in snapshot["kinds"]}
    for key, state in snapshot["state"].items():
        record = snapshot["records"][key]
        row = counts[record.kind]
        row["total"] += 1
        row["retried"] += record.retries
        if state == "done":
            row["done"] += 1
        elif state == "running":
            row["running"] += 1
        else:
            row["queued"] += 1
    return counts


class Status:
    """One rich ``Live`` table for the whole session (on stderr), fed by :meth:`update`."""

    def __init__(self, enabled: bool, executor=None):
        self._live = None
        self._executor = executor
        self._last = 0.0
        self._since: dict[str, float] = {}
        if enabled:
            from rich.console import Console
            from rich.live import Live

            self._live = Live(console=Console(stderr=True), refresh_per_second=4, transient=False)

    def __enter__(self) -> Status:
        if self._live is not None:
            self._live.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._live is not None:
            self._live.stop()
            if not self._live.console.is_terminal:
                # rich ends the last render with a newline only on a terminal: in a pipe, what is printed next
                # would start on the table's last line.
                self._live.console.line()

    def update(self, snapshot: dict) -> None:
        if self._live is None:
            return
        now = time.monotonic()
        if not snapshot.get("final") and now - self._last < 0.25:
            return
        self._last = now
        self._live.update(self._render(snapshot))

    def _render(self, snapshot: dict):
        from rich.console import Group
        from rich.table import Table

        name = getattr(self._executor, "name", "")
        slots = getattr(self._executor, "slots", "")
        table = Table(title=f"jobs on {name} ({slots} at a time)", title_justify="left")
        for column in ("kind", "done", "running", "queued", "retried"):
            table.add_column(column, justify="left" if column == "kind" else "right")
        for kind, row in count_jobs_by_kind(snapshot).items():
            if row["total"]:
                table.add_row(
                    kind,
                    f"{row['done']}/{row['total']}",
                    *(str(row[c]) for c in ("running", "queued", "retried")),
                )
        lines = []
        now = time.monotonic()
        for key, state in snapshot["state"].items():
            if state != "running":
                self._since.pop(key, None)
                continue
            started = self._since.setdefault(key, now)
            note = _note(snapshot["cache"], key)
            where = note.get("node") or snapshot["running"].get(key, "")
            if note.get("pid"):
                where += f" pid {note['pid']}"
            epoch = f" epoch {note['epoch']}/{note['epochs']}" if note.get("epoch") else ""
            loss = f" loss {note['loss']:.3g}" if isinstance(note.get("loss"), int | float) else ""
            label = snapshot["records"][key].label
            lines.append(f"  {label} on {where}{epoch}{loss} ({now - started:.0f} s)")
        return Group(table, *lines[:8])
