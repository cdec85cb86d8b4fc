"""Atomic file writes: write a temporary file in the same folder, then ``os.replace`` it over the target.

A process killed mid-write leaves the old file (or none), never a truncated one; every result file and cache
entry asdlens writes goes through here.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


def _read_umask() -> int:
    mask = os.umask(0)  # reading the umask means setting it: do it once, at import, not from worker threads
    os.umask(mask)
    return mask


_UMASK = _read_umask()


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (creating parent folders)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".tmp-{path.name}-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        # mkstemp creates the file private (0600); results and reports get the usual rw-r--r-- under the umask.
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | Path, data) -> Path:
    """Write ``data`` as indented, key-sorted JSON atomically (stable bytes for equal data)."""
    return atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")
