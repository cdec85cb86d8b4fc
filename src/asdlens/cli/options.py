"""Options shared by the commands that run jobs (``run``, ``explain``, ``demo``): where the jobs run."""

from __future__ import annotations

import typer

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


def engine_kwargs(executor: str, workers: int | None, threads: int, address: str | None) -> dict:
    """The keyword arguments of ``run_experiment`` / ``explain`` for these options (validated)."""
    from ..experiment.executors import EXECUTORS

    if executor not in EXECUTORS:
        raise ValueError(f"--executor={executor!r} is not allowed; choose one of {list(EXECUTORS)}")
    if threads < 1:
        raise ValueError(f"--threads={threads} must be at least 1")
    if workers is not None and workers < 1:
        raise ValueError(f"--workers={workers} must be at least 1")
    if address is not None and executor != "ray":
        raise ValueError("--address is for --executor ray")
    return {"executor": executor, "workers": workers, "threads": threads, "address": address}
