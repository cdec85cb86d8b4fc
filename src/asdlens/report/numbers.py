"""How a number is written in tables, terminal and report alike: the one formatter."""

from __future__ import annotations

#: What a missing value is written as.
MISSING = "–"


def fmt(
    value: float | None, spec: str = ".4f", *, signed: bool = False, missing: str | None = MISSING
) -> str | None:
    """``value`` formatted with ``spec`` (``+`` in front when ``signed``), or ``missing`` when it is None.

    >>> fmt(0.88251), fmt(-0.0075, signed=True), fmt(None)
    ('0.8825', '-0.0075', '–')
    """
    if value is None:
        return missing
    return format(value, ("+" if signed else "") + spec)
