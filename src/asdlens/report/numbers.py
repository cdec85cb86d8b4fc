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


def fmt_interval(pair, spec: str = ".4f", *, missing: str | None = MISSING) -> str | None:
    """``[low, high]`` as ``"low–high"`` (an en dash, so a minus sign stays a minus sign), or ``missing``.

    >>> fmt_interval([0.70123, 0.79871]), fmt_interval(None)
    ('0.7012–0.7987', '–')
    """
    if pair is None or pair[0] is None or pair[1] is None:
        return missing
    return f"{format(pair[0], spec)}–{format(pair[1], spec)}"
