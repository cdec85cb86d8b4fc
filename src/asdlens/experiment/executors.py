"""Executors: where jobs run. They only schedule; :mod:`asdlens.experiment.engine` decides what runs when.

- ``inline``: one job at a time in this process (the thread budget of this process).
- ``local``: a pool of worker processes on this machine (``workers``, default: CPUs / threads per job), each
  started fresh (``spawn``) with its thread budget set before anything imports TensorFlow, so a job's numbers do
  not depend on which worker ran it. A worker that dies mid-job (killed, out of memory) is replaced and its job
  retried, up to :data:`MAX_RETRIES` times; the other workers' jobs go on.
- ``ray``: Ray tasks on a local Ray instance or a cluster (:mod:`asdlens.experiment.ray_executor`).

The interface: ``submit(job)``, ``wait(timeout) -> [(key, summary, retried)]`` (``retried`` True means the job
was lost with its worker and is being run again: no summary yet), ``running() -> {key: where}``, ``close()``.
"""

from __future__ import annotations

import multiprocessing as mp
import signal
import time
from collections import deque
from multiprocessing.connection import wait as wait_ready

from ..runtime import quiet_tensorflow_import, set_thread_budget, thread_budget
from .jobs import Job, execute, node_name

EXECUTORS = ("inline", "local", "ray")
MAX_RETRIES = 3


def default_workers(threads: int) -> int:
    """Workers that fit this machine: its CPUs divided by the threads each job uses (at least 1)."""
    return max(1, thread_budget() // max(1, int(threads)))


class InlineExecutor:
    """Runs each job in this process, one after another, when :meth:`wait` is called."""

    name = "inline"

    def __init__(self):
        self.queue: deque[Job] = deque()
        self.slots = 1
        self._where = node_name()

    def submit(self, job: Job) -> None:
        self.queue.append(job)

    def wait(self, timeout: float) -> list[tuple[str, dict, bool]]:
        if not self.queue:
            time.sleep(timeout)
            return []
        job = self.queue.popleft()
        return [(job.key, execute(job.kind, job.payload), False)]

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
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        key, kind, payload = message
        conn.send((key, execute(kind, payload)))


class _Worker:
    def __init__(self, context, threads: int):
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child, threads), daemon=True)
        self.process.start()
        child.close()
        self.job: Job | None = None
        self.started = 0.0
        self.finished = 0  # jobs this worker completed


class LocalExecutor:
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
                worker.conn.send((job.key, job.kind, job.payload))

    def wait(self, timeout: float) -> list[tuple[str, dict, bool]]:
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
                events.append((key, summary, False))
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
                events.append((job.key, {"error": error}, False))
            else:
                self.queue.appendleft(job)
                events.append((job.key, {}, True))
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


def make_executor(name: str = "local", *, workers: int | None = None, threads: int = 1, address: str | None = None,
                  **ray_options):  # fmt: skip
    """An executor by name (``inline``, ``local``, ``ray``); see the module notes."""
    if name == "inline":
        return InlineExecutor()
    if name == "local":
        return LocalExecutor(workers=workers, threads=threads)
    if name == "ray":
        from .ray_executor import RayExecutor

        return RayExecutor(address=address, threads=threads, workers=workers, **ray_options)
    raise ValueError(f"executor={name!r} is not allowed; choose one of {list(EXECUTORS)}")
