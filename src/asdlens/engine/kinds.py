"""Kinds of jobs: the interface every kind implements, how a job finds its kind, and running a job.

A kind is a pure function of content-keyed inputs that writes content-keyed cache entries. It says two things:
whether a job's entries are already in the cache (:meth:`JobKind.cached`, cheap: no array is read) and how to
compute them (:meth:`JobKind.compute`). :meth:`JobKind.run` asks the first before doing the second, so a job
whose entry another driver wrote meanwhile returns at once and running a job twice is harmless.

A job names its kind by an import path (``"asdlens.experiment.jobs:FIT"``): a worker process or Ray task
imports that module and takes the attribute (:func:`kind_of`). So the engine knows no kind and no table of
kinds, a worker needs nothing but the job, and a new kind is a new object in any module.

:func:`execute` runs one job where it is called and never raises: a damaged input entry comes back as
``{"damaged": [...]}``, a missing one as ``{"missing": [...]}`` (the engine recomputes them), any other failure
as ``{"error": ...}``.
"""

from __future__ import annotations

import functools
import importlib
import time
import traceback
from abc import ABC, abstractmethod

from .cache import DamagedEntry, MissingEntry, RunCache
from .claims import note_attempt
from .job import Job, Summary, node_name, note_progress, progress_path


class JobKind(ABC):
    """One kind of job (features, fit, score, ...).

    Attributes
    ----------
    name : str
        Short name for records and the display (``"fit"``).
    path : str
        Where a worker finds this object: ``"module:ATTRIBUTE"`` (what :attr:`Job.kind` holds).
    """

    name: str
    path: str

    def run(self, cache: RunCache, job: Job) -> Summary:
        """The job's summary: its cached entry's (marked ``reused``) if there is one, else computed now."""
        summary = self.cached(cache, job)
        if summary is not None:
            return {**summary, "reused": True}
        return self.compute(cache, job)

    @abstractmethod
    def cached(self, cache: RunCache, job: Job) -> Summary | None:
        """The summary of ``job`` if its entries are already in the cache, else None (no array is read).

        Raises
        ------
        DamagedEntry
            An entry of the job exists but fails its checksum (the engine removes it and reruns the job).
        """

    @abstractmethod
    def compute(self, cache: RunCache, job: Job) -> Summary:
        """Compute the job's entries, write them into ``cache`` and return its summary.

        Raises
        ------
        DamagedEntry, MissingEntry
            An input entry is damaged or missing (the engine sends the job that makes it back).
        """


@functools.cache
def kind_of(path: str) -> JobKind:
    """The :class:`JobKind` at ``path`` (``"module:ATTRIBUTE"``), imported on first use.

    Raises
    ------
    ValueError
        ``path`` is not ``module:ATTRIBUTE``, or names something that is not a JobKind.
    """
    module, _, attribute = path.partition(":")
    if not module or not attribute:
        raise ValueError(f"job kind {path!r}: expected 'module:ATTRIBUTE'")
    kind = getattr(importlib.import_module(module), attribute, None)
    if not isinstance(kind, JobKind):
        raise ValueError(f"job kind {path!r} is {type(kind).__name__}, not a JobKind")
    return kind


def execute(job: Job) -> Summary:
    """Run ``job`` here and return its summary (``seconds``, ``node``, ``attempt`` and the kind's own fields).

    Failures come back as data: ``{"damaged": [paths], "reason": ...}`` for damaged input entries,
    ``{"missing": [paths]}`` for missing ones, or ``{"error": message, "traceback": text}``.
    """
    started = time.perf_counter()
    attempt = note_attempt(job.cache, job.key)
    try:
        kind = kind_of(job.kind)
        note_progress(job.cache, job.key, kind=kind.name, attempt=attempt)
        summary = kind.run(RunCache(job.cache), job)
    except DamagedEntry as exc:
        summary = {"damaged": exc.paths, "reason": exc.reason}
    except MissingEntry as exc:
        summary = {"missing": exc.paths}
    except Exception as exc:  # noqa: BLE001 - reported by the engine with the job's label
        summary = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
    finally:
        progress_path(job.cache, job.key).unlink(missing_ok=True)
    summary.update(seconds=time.perf_counter() - started, node=node_name(), attempt=attempt)
    return summary
