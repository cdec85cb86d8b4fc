"""Options shared by the commands that run jobs (``run``, ``explain``, ``demo``): where the jobs run."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:  # the engine (NumPy) loads when a command runs, not for `asdlens --help`
    from ..engine import EngineOptions

EXECUTOR = typer.Option(
    "local",
    "--executor",
    help="Where jobs run: local (worker processes, default), inline (this process), ray.",
)
WORKERS = typer.Option(None, "--workers", help="local: worker processes (default: CPUs / --threads).")
THREADS = typer.Option(1, "--threads", help="Math threads per job (TensorFlow, BLAS; Ray num_cpus).")
ADDRESS = typer.Option(
    None,
    "--address",
    help="ray: the cluster to join (HOST:PORT); default RAY_ADDRESS, else a private local Ray instance.",
)


def engine_options(
    executor: str, workers: int | None, threads: int, address: str | None, progress: bool
) -> EngineOptions:
    """The :class:`asdlens.engine.EngineOptions` of these options, built once per command and passed whole
    (a bad value raises ``ValueError`` naming the option)."""
    from ..engine import EngineOptions

    return EngineOptions(executor, workers, threads, address, progress)
