"""The engine: runs a graph of jobs on an executor, on demand, with claims, retries and repair.

Given jobs (with their dependencies) and the targets wanted, the engine

1. works out what must run: a target whose entry is in the cache is done; otherwise it runs, and so does each of
   its dependencies that is not in the cache (so a fully cached run runs nothing, and a run whose scores are
   cached never reads its features);
2. hands a job to the executor once its dependencies are done, after claiming it in the cache
   (:mod:`asdlens.engine.claims`); a job claimed by another driver is waited for instead, and taken over
   if that driver goes away;
3. on a damaged entry (found by a checksum, either by the engine or by a job reading its inputs) prints one
   line, deletes the entry and recomputes it, then reruns the job that needed it; a job that finds an input
   entry missing sends its producer back the same way. Jobs that read the same entry (the scoring jobs of one
   model) may all find it damaged or gone: the first report sends the producer back, the later ones (about an
   entry already removed) only make their job wait for the producer's new entry;
4. records, per job, where it ran, how long it took and how many times it was retried (``JobRecord``).

Executors only schedule (:mod:`asdlens.engine.executors`); the engine is the same for all of them. It knows no
kind of job: it asks each job's kind (:mod:`asdlens.engine.kinds`) whether its entries are cached.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .cache import DamagedEntry, RunCache, remove_entry
from .claims import Claims, clear_attempts
from .executors import Executor
from .job import Job, Summary
from .kinds import kind_of

MAX_REPAIRS = 3  # times one job may find its inputs damaged or missing before the run gives up
HEARTBEAT_SECONDS = 5.0


class JobFailed(RuntimeError):
    """A job raised; the message names the job and the error (finished entries stay in the cache)."""


@dataclass
class JobRecord:
    """What happened to one job in this session (``run.json``)."""

    key: str
    kind: str
    label: str
    size: int = 0  # clips the job reads (features: its shard; fit: the training clips; score: the test group)
    status: str = "cached"  # cached | computed | waited (another driver computed it) | failed
    node: str | None = None
    seconds: float | None = None
    retries: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class _Graph:
    """One :meth:`Engine.run`: the jobs, the state of each (pending, running, waiting, done), and repairs."""

    jobs: dict[str, Job]
    state: dict[str, str] = field(default_factory=dict)
    repairs: dict[str, int] = field(
        default_factory=dict
    )  # times each job found its inputs damaged or missing
    resets: dict[str, int] = field(default_factory=dict)  # times each job was sent back after it was done
    handed_out: dict[str, tuple[int, ...]] = field(default_factory=dict)  # per running job: its deps' resets

    def __post_init__(self) -> None:
        self.order = {key: i for i, key in enumerate(self.jobs)}  # plan order: deterministic submission

    def dep_resets(self, key: str) -> tuple[int, ...]:
        return tuple(self.resets.get(dep, 0) for dep in self.jobs[key].deps)


class Engine:
    """Runs jobs on ``executor`` with ``cache``; ``status`` (a callable) receives progress snapshots."""

    def __init__(
        self,
        cache: RunCache,
        executor: Executor,
        *,
        status: Callable[[dict], None] | None = None,
        announce: Callable[[str], None] = print,
        claims: Claims | None = None,
    ):
        self.cache = cache
        self.executor = executor
        self.status = status
        self.announce = announce
        self.claims = claims or Claims(cache.root)
        self.records: dict[str, JobRecord] = {}
        self.summaries: dict[str, Summary] = {}
        self._kinds: list[str] = []

    # -- demand -----------------------------------------------------------------------------------------------
    def _cached(self, job: Job) -> Summary | None:
        try:
            return kind_of(job.kind).cached(self.cache, job)
        except DamagedEntry as exc:
            self._repair(exc)
            return None

    def _repair(self, exc: DamagedEntry) -> None:
        for path in exc.paths:
            self.announce(f"cache: damaged entry {path} ({exc.reason}); recomputing it")
            remove_entry(path)

    def _expand(self, key: str, graph: _Graph) -> None:
        """Mark ``key`` and the dependencies it needs: ``done`` if cached, else ``pending``."""
        if graph.state.get(key) in ("pending", "running", "waiting"):
            return
        job = graph.jobs[key]
        summary = self._cached(job)
        record = self.records.setdefault(key, JobRecord(key, kind_of(job.kind).name, job.label, job.size))
        if summary is not None:
            graph.state[key] = "done"
            self.summaries.setdefault(key, summary)
            return
        graph.state[key] = "pending"
        record.status = "pending"
        for dep in job.deps:
            self._expand(dep, graph)

    # -- the loop ---------------------------------------------------------------------------------------------
    def run(self, jobs: dict[str, Job], targets: list[str]) -> dict[str, Summary]:
        """Make every target's entries exist; returns the summaries of all jobs touched (by key).

        Raises
        ------
        JobFailed
            A job raised (its label and error in the message), or kept finding its inputs damaged or missing
            (:data:`MAX_REPAIRS` times); the jobs already finished stay cached.
        """
        graph = _Graph(jobs)
        self._kinds = list(dict.fromkeys(kind_of(job.kind).name for job in jobs.values()))
        for key in targets:
            self._expand(key, graph)
        last_beat = time.monotonic()
        try:
            while any(s != "done" for s in graph.state.values()):
                self._submit_ready(graph)
                self._poll_waiting(graph)
                for key, summary, retried in self.executor.wait(timeout=0.5):
                    if retried:
                        self.records[key].retries += 1
                        continue
                    self._finish(key, summary, graph)
                if time.monotonic() - last_beat > HEARTBEAT_SECONDS:
                    self.claims.heartbeat()
                    last_beat = time.monotonic()
                self._report(graph.state)
        finally:
            self.claims.release_all()
        self._report(graph.state, final=True)
        return {key: self.summaries[key] for key in graph.state}

    def _submit_ready(self, graph: _Graph) -> None:
        state = graph.state
        ready = [
            k
            for k, s in state.items()
            if s == "pending" and all(state.get(d) == "done" for d in graph.jobs[k].deps)
        ]
        for key in sorted(ready, key=graph.order.__getitem__):
            if not self._claim_and_start(key, graph):
                state[key] = "waiting"
                self.records[key].status = "waiting"

    def _claim_and_start(self, key: str, graph: _Graph) -> bool:
        """Claim ``key`` and hand it to the executor; False if another driver holds it."""
        if not self.claims.acquire(key):
            return False
        summary = self._cached(graph.jobs[key])  # another driver may have finished it before we claimed it
        if summary is not None:
            self.claims.release(key)
            self._done(key, summary, graph, "waited")
            return True
        graph.state[key] = "running"
        graph.handed_out[key] = graph.dep_resets(key)
        self.records[key].status = "running"
        self.executor.submit(graph.jobs[key])
        return True

    def _done(self, key: str, summary: Summary, graph: _Graph, status: str) -> None:
        graph.state[key] = "done"
        self.summaries[key] = summary
        self.records[key].status = status

    def _poll_waiting(self, graph: _Graph) -> None:
        """Jobs claimed by another driver: done when their entry appears; ours again if the claim goes stale."""
        for key in [k for k, s in graph.state.items() if s == "waiting"]:
            summary = self._cached(graph.jobs[key])
            if summary is not None:
                self._done(key, summary, graph, "waited")
            else:
                self._claim_and_start(key, graph)

    def _finish(self, key: str, summary: Summary, graph: _Graph) -> None:
        job, record = graph.jobs[key], self.records[key]
        self.claims.release(key)
        if "damaged" in summary or "missing" in summary:
            self._send_back(key, summary, graph)
            return
        graph.handed_out.pop(key, None)
        if "error" in summary:
            record.status = "failed"
            raise JobFailed(
                f"{job.label} failed: {summary['error']}\n{summary.get('traceback', '')}".rstrip()
            )
        # A job that found its entry already written (a race with another driver) did no work.
        self._done(key, summary, graph, "waited" if summary.get("reused") else "computed")
        record.node, record.seconds = summary.get("node"), summary.get("seconds")
        record.retries = max(record.retries, int(summary.get("attempt", 1)) - 1)
        clear_attempts(self.cache.root, key)

    def _send_back(self, key: str, summary: Summary, graph: _Graph) -> None:
        """``key`` found an input entry damaged or missing: it waits (pending) for the producer's new entry.

        When a producer of ``key`` was sent back since ``key`` was handed out, the report is about the entry that
        was already removed (a sibling reading the same entry found it first): nothing else to do. Otherwise the
        damaged entries are deleted, and every producer whose entry is no longer cached runs again.
        """
        job = graph.jobs[key]
        graph.state[key] = "pending"
        self.records[key].status = "pending"
        if graph.handed_out.pop(key, None) != graph.dep_resets(key):
            return
        graph.repairs[key] = graph.repairs.get(key, 0) + 1
        if graph.repairs[key] > MAX_REPAIRS:
            what = "damaged" if "damaged" in summary else "missing"
            raise JobFailed(f"{job.label}: its inputs were {what} {MAX_REPAIRS} times: {summary[what]}")
        if "damaged" in summary:
            self._repair(DamagedEntry(summary["damaged"], summary.get("reason", "checksum mismatch")))
        for path in summary.get("missing", ()):
            self.announce(f"cache: entry {path} is missing; recomputing it")
        for dep in job.deps:  # the producers of what was deleted or is missing are no longer done
            if graph.state.get(dep) == "done" and self._cached(graph.jobs[dep]) is None:
                graph.resets[dep] = graph.resets.get(dep, 0) + 1
                graph.state.pop(dep)
                self._expand(dep, graph)

    def _report(self, state: dict[str, str], final: bool = False) -> None:
        if self.status is None:
            return
        self.status(
            {
                "records": self.records,
                "state": dict(state),
                "kinds": self._kinds,
                "running": self.executor.running(),
                "cache": Path(self.cache.root),
                "final": final,
            }
        )
