"""Where and how a session's jobs run: one :class:`EngineOptions`, built once and passed whole, and the
executor it names (:func:`make_executor`).

The CLI builds it from ``--executor``, ``--workers``, ``--threads``, ``--address`` and the progress switch;
:func:`asdlens.experiment.run_experiment`, :func:`asdlens.explain.explain`, the demo and the benchmark drivers
take it as one argument (as Ray's ``Tuner`` takes its ``RunConfig``).
"""

from __future__ import annotations

from dataclasses import dataclass

from .executors import Executor, InlineExecutor, LocalExecutor

#: The executors by name (:mod:`asdlens.engine.executors`, :mod:`asdlens.engine.ray_executor`).
EXECUTORS = ("inline", "local", "ray")


@dataclass(frozen=True)
class EngineOptions:
    """Where jobs run, checked when built (a ``ValueError`` names the option and the allowed values).

    Attributes
    ----------
    executor : {"local", "inline", "ray"}
        A pool of worker processes on this machine (default), this process, or Ray.
    workers : int or None
        ``local``: worker processes (default: CPUs / ``threads``); ``ray`` with a private instance: its CPUs
        are ``workers * threads``.
    threads : int
        Math threads of each job (TensorFlow, BLAS; Ray's ``num_cpus``).
    address : str or None
        ``ray``: the cluster to join (``HOST:PORT``); None uses ``RAY_ADDRESS`` or starts a private local Ray.
    progress : bool
        The live display of jobs (rich, on stderr).
    """

    executor: str = "local"
    workers: int | None = None
    threads: int = 1
    address: str | None = None
    progress: bool = True

    def __post_init__(self) -> None:
        if self.executor not in EXECUTORS:
            raise ValueError(f"executor={self.executor!r} is not allowed; choose one of {list(EXECUTORS)}")
        if isinstance(self.threads, bool) or not isinstance(self.threads, int) or self.threads < 1:
            raise ValueError(f"threads={self.threads!r} must be an integer of at least 1")
        if self.workers is not None and (
            isinstance(self.workers, bool) or not isinstance(self.workers, int) or self.workers < 1
        ):
            raise ValueError(f"workers={self.workers!r} must be None or an integer of at least 1")
        if self.address is not None and self.executor != "ray":
            raise ValueError(f"address={self.address!r} is for executor='ray' (executor={self.executor!r})")


def make_executor(options: EngineOptions) -> Executor:
    """The executor ``options`` name (``inline``, ``local``, ``ray``), with its workers, threads and address."""
    if options.executor == "inline":
        return InlineExecutor()
    if options.executor == "local":
        return LocalExecutor(workers=options.workers, threads=options.threads)
    from .ray_executor import RayExecutor  # EngineOptions allows nothing else; Ray loads only here

    return RayExecutor(address=options.address, threads=options.threads, workers=options.workers)
