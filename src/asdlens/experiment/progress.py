"""Progress bars of a run (rich, on stderr), or nothing when ``progress=False``."""

from __future__ import annotations


class Bars:
    """One rich ``Progress`` for the whole run; each stage adds a task. Disabled: every call does nothing."""

    def __init__(self, enabled: bool):
        self._progress = None
        if enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
            )

    def __enter__(self) -> Bars:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._progress is not None:
            self._progress.stop()

    def task(self, description: str, total: int):
        if self._progress is None:
            return None
        return self._progress.add_task(description, total=total)

    def advance(self, task, n: int = 1, description: str | None = None) -> None:
        if self._progress is None or task is None:
            return
        if description is None:
            self._progress.advance(task, n)
        else:
            self._progress.update(task, advance=n, description=description)
