"""Stable content hashes: the one rule behind every cache key and spec key.

A value is written as JSON with sorted keys (``repr`` for anything JSON cannot hold) and hashed with SHA-256; the
key is the first ``length`` hex digits. Equal values give equal keys on every machine and Python version, so a
cache made by one run is found by the next.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def stable_hash(value: Any, *, length: int = 16) -> str:
    """The first ``length`` hex digits of the SHA-256 of ``value`` as sorted-key JSON."""
    payload = json.dumps(value, sort_keys=True, default=repr)
    return hashlib.sha256(payload.encode()).hexdigest()[:length]


def stable_key(*parts: Any) -> str:
    """Short stable hash (16 hex digits) of JSON-able parts: a cache key."""
    return stable_hash(parts)
