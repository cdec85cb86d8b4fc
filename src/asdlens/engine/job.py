"""A job: one independent piece of work with a content key, the cache it writes into and plain-data inputs.

A job's payload is plain data (paths, settings, keys), so it travels to any process or node; the job names its
kind by an import path (``"asdlens.experiment.jobs:FIT"``), which a worker resolves
(:func:`asdlens.engine.kinds.kind_of`) without the engine knowing any kind. While it runs, a job notes its
progress (attempt, epoch, pid, node) in the cache (:func:`progress_path`), where the driver's display reads it.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..atomic import atomic_write_text

#: What a job returns to the driver: small plain data (never a large array). Failures come back as data too:
#: ``{"damaged": [paths], "reason": ...}``, ``{"missing": [paths]}`` or ``{"error": message, "traceback": ...}``.
Summary = dict[str, Any]


@dataclass(frozen=True)
class Job:
    """One unit of work.

    Attributes
    ----------
    kind : str
        Import path of its :class:`asdlens.engine.kinds.JobKind`, ``"module:ATTRIBUTE"``.
    key : str
        Content key of what it writes (two equal jobs have equal keys and run once).
    label : str
        For people: ``"fit pump seed 0"``.
    cache : str
        Root of the cache it reads and writes (a path every worker sees).
    deps : tuple of str
        Keys of the jobs whose entries it reads.
    payload : dict
        Plain data its kind needs (the kind's payload dataclass as ``to_dict()``).
    size : int
        Clips it reads (for records and projections).
    threads, gpus : int, float
        What it declares to a scheduler (Ray's ``num_cpus`` / ``num_gpus``).
    """

    kind: str
    key: str
    label: str
    cache: str
    deps: tuple[str, ...] = ()
    payload: dict = field(default_factory=dict, compare=False, hash=False, repr=False)
    size: int = 0
    threads: int = 1
    gpus: float = 0.0


def node_name() -> str:
    """Where this process runs: the Ray node (id and address) inside a Ray worker, else the host name."""
    ray = sys.modules.get("ray")
    if ray is not None and ray.is_initialized():
        ctx = ray.get_runtime_context()
        try:
            address = ray.util.get_node_ip_address()
        except Exception:  # noqa: BLE001 - the address is only for people
            address = "?"
        return f"{address} node {ctx.get_node_id()[:8]}"
    return socket.gethostname()


def progress_path(cache_root: str | os.PathLike, key: str) -> Path:
    """Where a running job notes its progress (epoch, pid, node) for the driver's display."""
    return Path(cache_root) / "running" / f"{key}.json"


def note_progress(cache_root: str | os.PathLike, key: str, **fields) -> None:
    """Replace the progress note of job ``key`` with ``fields`` (plus pid, node and time)."""
    note = {"pid": os.getpid(), "node": node_name(), "time": time.time(), **fields}
    atomic_write_text(progress_path(cache_root, key), json.dumps(note))
