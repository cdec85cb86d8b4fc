"""Executors: where jobs run. They only schedule; :mod:`asdlens.engine.engine` decides what runs when.

- ``inline``: one job at a time in this process (the thread budget of this process).
- ``local``: a pool of worker processes on this machine (``workers``, default: CPUs / threads per job), each
  started fresh (``spawn``) with its thread budget set before anything imports TensorFlow, so a job's numbers do
  not depend on which worker ran it. A worker that dies mid-job (killed, out of memory) is replaced and its job
  retried, up to :data:`MAX_RETRIES` times; the other workers' jobs go on.
- ``ray``: Ray tasks on a local Ray instance or a cluster (:mod:`asdlens.engine.ray_executor`).

Every executor implements :class:`Executor`; :func:`asdlens.engine.options.make_executor` builds one by name.
"""

from __future__ import annotations

import multiprocessing as mp
import signal
import time
from collections import deque
from multiprocessing.connection import wait as wait_ready
from typing import NamedTuple, Protocol, runtime_checkable

from ..runtime import quiet_tensorflow_import, set_thread_budget, thread_budget
from .job import Job, Summary, node_name
from .kinds import execute

MAX_RETRIES = 3


class Event(NamedTuple):
    """What :meth:`Executor.wait` reports about one job."""

    key: str
    summary: Summary
    retried: bool  # the job was lost with its worker and runs again: no summary yet


@runtime_checkable
class Executor(Protocol):
    """What the engine asks of an executor. Subclass it to inherit the no-op :meth:`probe`.

    Attributes
    ----------
    name : str
        ``"inline"``, ``"local"``, ``"ray"`` (``run.json``, the display).
    slots : int
        Jobs it runs at a time.
    """

    name: str
    slots: int

    def submit(self, job: Job) -> None:
        """Queue ``job``; it starts when a slot is free."""
        ...

    def wait(self, timeout: float) -> list[Event]:
        """Jobs that ended (or were lost and are retried) within about ``timeout`` seconds."""
        ...

    def running(self) -> dict[str, str]:
        """Where each running job runs, by key (for the display; empty when the executor cannot tell)."""
        ...

    def close(self) -> None:
        """Stop: drop the queue, end the workers."""
        ...

    def probe(self, *, data_root, cache_root, sample) -> None:
        """Check, before any job, that where jobs run sees the data root and the cache (default: nothing to
        check, as on this machine). Raises ``ValueError`` naming what cannot be seen."""
        return None


def default_workers(threads: int) -> int:
    """Workers that fit this machine: its CPUs divided by the threads each job uses (at least 1)."""
    return max(1, thread_budget() // max(1, int(threads)))


class InlineExecutor(Executor):
    """Runs each job in this process, one after another, when :meth:`wait` is called."""

    name = "inline"

    def __init__(self):
        self.queue: deque[Job] = deque()
        self.slots = 1
        self._where = node_name()

    def submit(self, job: Job) -> None:
        self.queue.append(job)

    def wait(self, timeout: float) -> list[Event]:
        if not self.queue:
            time.sleep(timeout)
            return []
        job = self.queue.popleft()
        return [Event(job.key, execute(job), False)]

    def running(self) -> dict[str, str]:
        return {}

    def close(self) -> None:
        self.queue.clear()


def _worker_main(conn, threads: int) -> None:
    """A local worker: fix the threads, quiet TensorFlow, then run jobs until told to stop."""
    set_thread_budget(threads)
    quiet_tensorflow_import()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's to handle
    while True:
        try:
            job = conn.recv()  # a Job (plain data: it pickles), or None to stop
        except (EOFError, OSError):
            return
        if job is None:
            return
        conn.send((job.key, execute(job)))


class _Worker:
    def __init__(self, context, threads: int):
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child, threads), daemon=True)
        self.process.start()
        child.close()
        self.job: Job | None = None
        self.started = 0.0
        self.finished = 0  # jobs this worker completed


class LocalExecutor(Executor):
    """A pool of ``workers`` processes on this machine, each with ``threads`` math threads."""

    name = "local"

    def __init__(self, workers: int | None = None, threads: int = 1):
        self.threads = max(1, int(threads))
        self.slots = int(workers) if workers else default_workers(self.threads)
        if self.slots < 1:
            raise ValueError(f"workers={workers} must be at least 1")
        self._context = mp.get_context("spawn")
        self._workers: list[_Worker] = []
        self.queue: deque[Job] = deque()
        self.retries: dict[str, int] = {}
        self._host = node_name()

    def submit(self, job: Job) -> None:
        self.queue.append(job)

    def _dispatch(self) -> None:
        while len(self._workers) < self.slots and self.queue:
            self._workers.append(_Worker(self._context, self.threads))
        for worker in self._workers:
            if worker.job is None and self.queue:
                job = self.queue.popleft()
                worker.job, worker.started = job, time.monotonic()
                worker.conn.send(job)

    def wait(self, timeout: float) -> list[Event]:
        self._dispatch()
        busy = [w for w in self._workers if w.job is not None]
        if not busy:
            time.sleep(timeout)
            return []
        ready = wait_ready([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout)
        events = []
        for worker in busy:
            if worker.conn not in ready and worker.process.sentinel not in ready:
                continue
            job = worker.job
            try:
                key, summary = worker.conn.recv() if worker.conn.poll() else (None, None)
            except (EOFError, OSError):
                key, summary = None, None
            if summary is not None:
                worker.job = None
                worker.finished += 1
                events.append(Event(key, summary, False))
                continue
            # The worker died mid-job (killed, out of memory): replace it and run the job again.
            self._workers.remove(worker)
            worker.process.join(timeout=1)
            self.retries[job.key] = self.retries.get(job.key, 0) + 1
            if self.retries[job.key] > MAX_RETRIES:
                code = worker.process.exitcode
                error = f"its worker process died {self.retries[job.key]} times (last exit code {code})"
                if not worker.finished and code == 1:
                    error += (
                        "; the worker processes fail to start: a script that runs asdlens with the local "
                        "executor needs `if __name__ == '__main__':` around its code (Python's spawn start "
                        "method imports the script again in every worker), or use executor='inline'"
                    )
                events.append(Event(job.key, {"error": error}, False))
            else:
                self.queue.appendleft(job)
                events.append(Event(job.key, {}, True))
        self._dispatch()
        return events

    def running(self) -> dict[str, str]:
        return {w.job.key: f"{self._host} worker {w.process.pid}" for w in self._workers if w.job is not None}

    def close(self) -> None:
        """Stop the pool without waiting for idle workers to exit (a TensorFlow process takes seconds to
        tear down; they finish that on their own and :mod:`multiprocessing` reaps them). A worker still busy
        with a job nobody waits for any more is terminated."""
        self.queue.clear()
        busy = [w for w in self._workers if w.job is not None]
        for worker in self._workers:
            if worker.job is None:
                try:
                    worker.conn.send(None)
                except (OSError, ValueError):
                    pass
        for worker in busy:
            worker.process.terminate()
        for worker in busy:
            worker.process.join(timeout=5)
        self._workers.clear()
