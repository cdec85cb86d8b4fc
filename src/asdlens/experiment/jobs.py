"""Jobs: the independent pieces of work a run is made of, and the one function every worker runs them with.

Three kinds, each a pure function of content-keyed inputs that writes content-keyed cache entries:

- ``features``: a shard of clips -> one log-mel entry per clip (or a ``.bad.json`` entry naming why the clip
  cannot be used);
- ``fit``: one unit's training clips and one seed -> one model entry (the detector's files and a manifest);
- ``score``: one test group's clips and a model -> one score entry.

A job's payload is plain data (paths, settings, keys), so it travels to any process or node. :func:`execute`
runs it there and returns a small summary, never a large array; it never raises: a damaged input entry comes
back as ``{"damaged": [...]}`` (the engine recomputes it), any other failure as ``{"error": ...}``. A job whose
entry already exists (another driver wrote it) returns at once, so running a job twice is harmless.
"""

from __future__ import annotations

import json
import os
import socket
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cache import DamagedEntry, RunCache
from .claims import note_attempt

KINDS = ("features", "fit", "score")


@dataclass(frozen=True)
class Job:
    """One unit of work.

    Attributes
    ----------
    kind : {"features", "fit", "score"}
    key : str
        Content key of what it writes (two equal jobs have equal keys and run once).
    label : str
        For people: ``"fit pump seed 0"``.
    deps : tuple of str
        Keys of the jobs whose entries it reads.
    payload : dict
        Plain data :func:`execute` needs (includes ``"cache"``, the cache root, and ``"key"``).
    threads, gpus : int, float
        What it declares to a scheduler (Ray's ``num_cpus`` / ``num_gpus``).
    """

    kind: str
    key: str
    label: str
    deps: tuple[str, ...] = ()
    payload: dict = field(default_factory=dict, compare=False, hash=False, repr=False)
    threads: int = 1
    gpus: float = 0.0

    @property
    def size(self) -> int:
        """Clips the job reads (for records and projections)."""
        return len(self.payload.get("clips") or self.payload.get("features") or ())


def node_name() -> str:
    """Where this process runs: the Ray node (id and address) inside a Ray worker, else the host name."""
    import sys

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


def _note_progress(cache_root, key: str, **fields) -> None:
    path = progress_path(cache_root, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(json.dumps({"pid": os.getpid(), "node": node_name(), "time": time.time(), **fields}))
    os.replace(tmp, path)


def execute(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Run one job here and return its summary (``seconds``, ``node``, ``attempt`` and the kind's own fields).

    Failures come back as data: ``{"damaged": [paths], "reason": ...}`` for damaged input entries, or
    ``{"error": message, "traceback": text}``.
    """
    started = time.perf_counter()
    cache_root, key = payload["cache"], payload["key"]
    attempt = note_attempt(cache_root, key)
    _note_progress(cache_root, key, kind=kind, attempt=attempt)
    try:
        summary = _RUNNERS[kind](RunCache(cache_root), payload)
    except DamagedEntry as exc:
        summary = {"damaged": exc.paths, "reason": exc.reason}
    except Exception as exc:  # noqa: BLE001 - reported by the engine with the job's label
        summary = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
    finally:
        progress_path(cache_root, key).unlink(missing_ok=True)
    summary.update(seconds=time.perf_counter() - started, node=node_name(), attempt=attempt)
    return summary


def _features(cache: RunCache, p: dict) -> dict:
    from ..features import resolve_spec
    from .features import file_logmels

    spec = resolve_spec(p["spec"])
    todo = [(audio, Path(feat)) for audio, feat in p["clips"] if cache.feature_state(Path(feat)) is None]
    bad = 0
    for i, logmel, problem in file_logmels([a for a, _ in todo], spec, channel=p["channel"]):
        target = todo[i][1]
        if problem is not None:
            cache.write_bad(target, problem)
            bad += 1
        else:
            cache.write_feature(target, logmel)
    return {"computed": [str(feat) for _, feat in todo], "bad": bad}


def _fit(cache: RunCache, p: dict) -> dict:
    from ..models.detectors import make_detector
    from .store import load_clipset

    key = p["key"]
    manifest = cache.model_manifest(key)
    if manifest is not None:  # written meanwhile by another driver's job
        return {"info": manifest["info"], "reused": True}
    clips = load_clipset(cache, p["features"], p["meta"])
    detector = make_detector(p["settings"])
    epochs = p["settings"]["training"]["epochs"]

    def on_epoch_end(epoch: int, logs: dict) -> None:
        _note_progress(p["cache"], key, kind="fit", epoch=epoch + 1, epochs=epochs, loss=logs.get("loss"))

    info = detector.fit(clips, seed=p["seed"], on_epoch_end=on_epoch_end)
    staging = cache.staging_dir(key)
    detector.save(staging)
    cache.commit_model(key, staging, info)
    return {"info": info}


def _score(cache: RunCache, p: dict) -> dict:
    from ..models.detectors import load_detector
    from .store import load_clipset

    path = cache.score_path(p["key"])
    body = cache.read_json(path, missing_ok=True)
    if body is not None and body.get("files") == p["files"]:
        return {"scores": body["scores"], "reused": True}
    folder = cache.verified_model_dir(p["model_key"])
    detector = load_detector(folder, p["settings"])
    clips = load_clipset(cache, p["features"], p.get("meta"))
    scores = [float(s) for s in detector.score(clips)]
    cache.write_json(path, {"files": p["files"], "scores": scores})
    return {"scores": scores}


_RUNNERS = {"features": _features, "fit": _fit, "score": _score}


def cached_summary(cache: RunCache, job: Job) -> dict | None:
    """The summary of ``job`` if its entries are already in the cache, else None (cheap: no array is read).

    Raises
    ------
    DamagedEntry
        An entry of the job exists but fails its checksum (the engine removes it and reruns the job).
    """
    p = job.payload
    if job.kind == "features":
        if all(cache.feature_state(Path(feat)) is not None for _, feat in p["clips"]):
            return {"computed": [], "bad": 0}
        return None
    if job.kind == "fit":
        manifest = cache.model_manifest(job.key)
        return None if manifest is None else {"info": manifest["info"]}
    body = cache.read_json(cache.score_path(job.key), missing_ok=True)
    if body is None or body.get("files") != p["files"]:
        return None
    return {"scores": body["scores"]}
