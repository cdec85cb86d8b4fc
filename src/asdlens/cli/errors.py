"""How commands report user errors: a clear message on stderr and exit code 2, no traceback."""

from __future__ import annotations

import contextlib
import sys

import typer

USER_ERROR = 2


@contextlib.contextmanager
def user_errors(*kinds: type[BaseException]):
    """Turn ``ValueError``/``OSError`` (and ``kinds``) raised inside the block into ``error: ...`` + exit 2."""
    try:
        yield
    except (ValueError, OSError, *kinds) as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(USER_ERROR) from None
