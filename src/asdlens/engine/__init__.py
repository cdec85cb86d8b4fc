"""The runtime for content-keyed jobs: a job graph run on demand on an executor, over a checksummed cache.

It knows nothing of experiments: a job names its kind (:class:`JobKind`) by an import path, the engine asks the
kind whether the job's entries are cached and an executor runs the rest (``inline``, ``local``, ``ray``), with
claims between drivers, retries of lost workers and repair of damaged or missing entries.

>>> from asdlens.engine import Engine, EngineOptions, RunCache, make_executor
>>> executor = make_executor(EngineOptions("inline"))
>>> summaries = Engine(RunCache("cache"), executor).run(jobs, targets=list(jobs))

Importing this package does not import Ray, TensorFlow or torch.
"""

from .cache import DamagedEntry, FileIdentity, MissingEntry, RunCache, remove_entry
from .claims import Claims
from .engine import MAX_REPAIRS, Engine, JobFailed, JobRecord
from .executors import MAX_RETRIES, Event, Executor, InlineExecutor, LocalExecutor, default_workers
from .job import Job, Summary, node_name, note_progress, progress_path
from .kinds import JobKind, execute, kind_of
from .options import EXECUTORS, EngineOptions, make_executor
from .progress import Status

__all__ = [
    "EXECUTORS",
    "MAX_REPAIRS",
    "MAX_RETRIES",
    "Claims",
    "DamagedEntry",
    "Engine",
    "EngineOptions",
    "Event",
    "Executor",
    "FileIdentity",
    "InlineExecutor",
    "Job",
    "JobFailed",
    "JobKind",
    "JobRecord",
    "LocalExecutor",
    "MissingEntry",
    "RunCache",
    "Status",
    "Summary",
    "default_workers",
    "execute",
    "kind_of",
    "make_executor",
    "node_name",
    "note_progress",
    "progress_path",
    "remove_entry",
]
