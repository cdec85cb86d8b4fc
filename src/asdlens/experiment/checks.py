"""Validators shared by the config sections: each raises ``ValueError`` naming the field by its dotted key."""

from __future__ import annotations

from typing import Any


def fail(key: str, value: Any, why: str) -> None:
    raise ValueError(f"{key}={value!r} {why}")


def choice(key: str, value: Any, allowed: tuple) -> None:
    if value not in allowed:
        fail(key, value, f"is not allowed; choose one of {list(allowed)}")


def integer(key: str, value: Any, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        fail(key, value, f"must be an integer >= {minimum}")


def number(value: Any) -> Any:
    """YAML 1.1 reads ``1e-3`` (no dot) as a string; take such strings as the number they spell."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value
