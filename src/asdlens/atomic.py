"""Atomic file writes: write a temporary file in the same folder, then ``os.replace`` it over the target.

A process killed mid-write leaves the old file (or none), never a truncated one; every result file and cache
entry asdlens writes goes through here.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path


def atomic_write_bytes(path: str | Path, data) -> Path:
    """Write ``data`` (bytes, or a list of buffers written one after another) to ``path`` atomically.

    Parent folders are created. The temporary file is created with mode ``0o666`` under the umask, as ``open``
    creates files, and renamed over ``path``; it is removed if anything fails.
    """
    path = Path(path)
    parts = [data] if isinstance(data, (bytes, bytearray, memoryview)) else list(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{path.name}-{uuid.uuid4().hex}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        try:
            for part in parts:
                view = memoryview(part).cast("B")
                while view:
                    view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | Path, data) -> Path:
    """Write ``data`` as indented, key-sorted JSON atomically (stable bytes for equal data)."""
    return atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")
