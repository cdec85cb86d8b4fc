"""Job bookkeeping in the cache: claim files (at most one driver works on a job) and attempt counters.

Claims. Before a driver hands a job to its executor it creates ``claims/<job key>.claim`` with ``O_EXCL``; a
second driver running an overlapping plan on the same cache finds the claim and waits for the entry instead of
computing it again. The owner refreshes the file's modification time while the job runs (a heartbeat). A claim
is stale when its heartbeat is older than :data:`STALE_SECONDS`, or when its owner ran on this host and that
process is gone; a stale claim is taken over by renaming it away first, so of two drivers taking over at once
only one succeeds. The claim goes when the job ends. This is what "each job's work is done at most once" rests
on: an executor that loses a worker retries the job under the same claim; two drivers never both hold one.

Attempts. A job notes each start in ``attempts/<job key>`` (one appended line), so a retried job (a worker
killed, a node gone) knows it is a retry and the run can report retries on every executor.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from pathlib import Path

STALE_SECONDS = 60.0  # heartbeats come every few seconds; a minute of silence means the owner is gone


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Claims:
    """Claim files under ``<cache>/claims`` for one driver (``owner`` names it in every claim)."""

    def __init__(self, cache_root: str | os.PathLike, owner: str | None = None):
        self.folder = Path(cache_root) / "claims"
        self.host = socket.gethostname()
        self.owner = owner or f"{self.host}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.held: set[str] = set()

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.claim"

    def acquire(self, key: str) -> bool:
        """Claim ``key``; False if another live driver holds it (a stale claim is taken over)."""
        path = self.path(key)
        self.folder.mkdir(parents=True, exist_ok=True)
        for _ in range(2):
            try:
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                if not self._stale(path):
                    return False
                try:  # only one of several drivers taking over succeeds in moving the stale claim away
                    os.replace(path, path.with_name(f".stale-{uuid.uuid4().hex[:8]}-{path.name}"))
                except FileNotFoundError:
                    pass
                for old in self.folder.glob(f".stale-*-{path.name}"):
                    old.unlink(missing_ok=True)
                continue
            with os.fdopen(fd, "w") as f:
                json.dump(
                    {"owner": self.owner, "host": self.host, "pid": os.getpid(), "time": time.time()}, f
                )
            self.held.add(key)
            return True
        return False

    def _stale(self, path: Path) -> bool:
        try:
            age = time.time() - path.stat().st_mtime
            info = json.loads(path.read_text() or "{}")
        except FileNotFoundError:
            return True
        except (OSError, ValueError):
            info = {}  # being written right now, or damaged: judge by its age
            age = time.time() - path.stat().st_mtime if path.exists() else STALE_SECONDS + 1
        if age > STALE_SECONDS:
            return True
        return info.get("host") == self.host and isinstance(info.get("pid"), int) and not _alive(info["pid"])

    def holder(self, key: str) -> str | None:
        """Who holds the claim on ``key`` (None if nobody or unreadable)."""
        try:
            return json.loads(self.path(key).read_text()).get("owner")
        except (OSError, ValueError):
            return None

    def heartbeat(self) -> None:
        """Refresh every claim this driver holds."""
        now = time.time()
        for key in list(self.held):
            try:
                os.utime(self.path(key), (now, now))
            except FileNotFoundError:
                self.held.discard(key)

    def release(self, key: str) -> None:
        if key in self.held:
            self.held.discard(key)
            self.path(key).unlink(missing_ok=True)

    def release_all(self) -> None:
        for key in list(self.held):
            self.release(key)


def note_attempt(cache_root: str | os.PathLike, key: str) -> int:
    """Record that a job starts; returns its attempt number (1 for the first start)."""
    folder = Path(cache_root) / "attempts"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / key
    with open(path, "a") as f:  # O_APPEND: concurrent appends of short lines do not interleave
        f.write(f"{socket.gethostname()} {os.getpid()} {time.time():.3f}\n")
    with open(path) as f:
        return sum(1 for _ in f)


def clear_attempts(cache_root: str | os.PathLike, key: str) -> None:
    """Forget a finished job's attempts (the next run of the same job starts at 1 again)."""
    (Path(cache_root) / "attempts" / key).unlink(missing_ok=True)
