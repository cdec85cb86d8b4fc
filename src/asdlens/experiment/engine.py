"""The engine: runs a graph of jobs on an executor, on demand, with claims, retries and repair.

Given jobs (with their dependencies) and the targets wanted, the engine

1. works out what must run: a target whose entry is in the cache is done; otherwise it runs, and so does each of
   its dependencies that is not in the cache (so a fully cached run runs nothing, and a run whose scores are
   cached never reads its features);
2. hands a job to the executor once its dependencies are done, after claiming it in the cache
   (:mod:`asdlens.experiment.claims`); a job claimed by another driver is waited for instead, and taken over
   if that driver goes away;
3. on a damaged entry (found by a checksum, either by the engine or by a job reading its inputs) prints one
   line, deletes the entry and recomputes it, then reruns the job that needed it;
4. records, per job, where it ran, how long it took and how many times it was retried (``JobRecord``).

Executors only schedule (:mod:`asdlens.experiment.executors`); the engine is the same for all of them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from .cache import DamagedEntry, RunCache, remove_entry
from .claims import Claims, clear_attempts
from .jobs import Job, cached_summary

MAX_REPAIRS = 3  # times one job may find its inputs damaged before the run gives up
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


class Engine:
    """Runs jobs on ``executor`` with ``cache``; ``status`` (a callable) receives progress snapshots."""

    def __init__(
        self,
        cache: RunCache,
        executor,
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
        self.summaries: dict[str, dict] = {}

    # -- demand -----------------------------------------------------------------------------------------------
    def _cached(self, job: Job) -> dict | None:
        try:
            return cached_summary(self.cache, job)
        except DamagedEntry as exc:
            self._repair(exc)
            return None

    def _repair(self, exc: DamagedEntry) -> None:
        for path in exc.paths:
            self.announce(f"cache: damaged entry {path} ({exc.reason}); recomputing it")
            remove_entry(path)

    def _expand(self, key: str, jobs: dict[str, Job], state: dict[str, str]) -> None:
        """Mark ``key`` and the dependencies it needs: ``done`` if cached, else ``pending``."""
        if state.get(key) in ("pending", "running", "waiting"):
            return
        job = jobs[key]
        summary = self._cached(job)
        record = self.records.setdefault(key, JobRecord(key, job.kind, job.label, job.size))
        if summary is not None:
            state[key] = "done"
            self.summaries.setdefault(key, summary)
            return
        state[key] = "pending"
        record.status = "pending"
        for dep in job.deps:
            self._expand(dep, jobs, state)

    # -- the loop ---------------------------------------------------------------------------------------------
    def run(self, jobs: dict[str, Job], targets: list[str]) -> dict[str, dict]:
        """Make every target's entries exist; returns the summaries of all jobs touched (by key).

        Raises
        ------
        JobFailed
            A job raised (its label and error in the message); the jobs already finished stay cached.
        """
        state: dict[str, str] = {}
        for key in targets:
            self._expand(key, jobs, state)
        order = {key: i for i, key in enumerate(jobs)}  # plan order: deterministic submission
        repairs: dict[str, int] = {}
        last_beat = time.monotonic()
        try:
            while any(s != "done" for s in state.values()):
                self._submit_ready(jobs, state, order)
                self._poll_waiting(jobs, state)
                for key, summary, retried in self.executor.wait(timeout=0.5):
                    if retried:
                        self.records[key].retries += 1
                        continue
                    self._finish(key, summary, jobs, state, repairs)
                if time.monotonic() - last_beat > HEARTBEAT_SECONDS:
                    self.claims.heartbeat()
                    last_beat = time.monotonic()
                self._report(state)
        finally:
            self.claims.release_all()
        self._report(state, final=True)
        return {key: self.summaries[key] for key in state}

    def _submit_ready(self, jobs: dict[str, Job], state: dict[str, str], order: dict[str, int]) -> None:
        ready = [
            k
            for k, s in state.items()
            if s == "pending" and all(state.get(d) == "done" for d in jobs[k].deps)
        ]
        for key in sorted(ready, key=order.__getitem__):
            if not self._claim_and_start(key, jobs, state):
                state[key] = "waiting"
                self.records[key].status = "waiting"

    def _claim_and_start(self, key: str, jobs: dict[str, Job], state: dict[str, str]) -> bool:
        """Claim ``key`` and hand it to the executor; False if another driver holds it."""
        if not self.claims.acquire(key):
            return False
        summary = self._cached(jobs[key])  # another driver may have finished it before we claimed it
        if summary is not None:
            self.claims.release(key)
            self._done(key, summary, state, "waited")
            return True
        state[key] = "running"
        self.records[key].status = "running"
        self.executor.submit(jobs[key])
        return True

    def _done(self, key: str, summary: dict, state: dict[str, str], status: str) -> None:
        state[key] = "done"
        self.summaries[key] = summary
        self.records[key].status = status

    def _poll_waiting(self, jobs: dict[str, Job], state: dict[str, str]) -> None:
        """Jobs claimed by another driver: done when their entry appears; ours again if the claim goes stale."""
        for key in [k for k, s in state.items() if s == "waiting"]:
            summary = self._cached(jobs[key])
            if summary is not None:
                self._done(key, summary, state, "waited")
            else:
                self._claim_and_start(key, jobs, state)

    def _finish(self, key: str, summary: dict, jobs: dict[str, Job], state, repairs: dict[str, int]) -> None:
        job, record = jobs[key], self.records[key]
        self.claims.release(key)
        if "damaged" in summary:
            repairs[key] = repairs.get(key, 0) + 1
            if repairs[key] > MAX_REPAIRS:
                raise JobFailed(
                    f"{job.label}: its inputs were damaged {MAX_REPAIRS} times: {summary['damaged']}"
                )
            self._repair(DamagedEntry(summary["damaged"], summary.get("reason", "checksum mismatch")))
            state[key] = "pending"
            for dep in job.deps:  # the producers of what was deleted are no longer done
                if state.get(dep) == "done" and self._cached(jobs[dep]) is None:
                    state.pop(dep)
                    self._expand(dep, jobs, state)
            return
        if "error" in summary:
            record.status = "failed"
            raise JobFailed(
                f"{job.label} failed: {summary['error']}\n{summary.get('traceback', '')}".rstrip()
            )
        # A job that found its entry already written (a race with another driver) did no work.
        self._done(key, summary, state, "waited" if summary.get("reused") else "computed")
        record.node, record.seconds = summary.get("node"), summary.get("seconds")
        record.retries = max(record.retries, int(summary.get("attempt", 1)) - 1)
        clear_attempts(self.cache.root, key)

    def _report(self, state: dict[str, str], final: bool = False) -> None:
        if self.status is None:
            return
        running = self.executor.running() if hasattr(self.executor, "running") else {}
        self.status(
            {
                "records": self.records,
                "state": dict(state),
                "running": running,
                "cache": Path(self.cache.root),
                "final": final,
            }
        )
