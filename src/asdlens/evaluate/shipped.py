"""Reading the published tables shipped as package data (``asdlens/evaluate/reference/*.csv``): comment lines
(``# ...``) name the source, the rest is a CSV with a header."""

from __future__ import annotations

import csv
from importlib import resources


def shipped_csv(file_name: str) -> tuple[str, list[dict[str, str]]]:
    """The source note (the comment lines, ``# `` removed) and the records of a shipped reference CSV."""
    text = resources.files("asdlens.evaluate").joinpath("reference").joinpath(file_name).read_text()
    lines = text.splitlines()
    source = "\n".join(line.lstrip("# ").rstrip() for line in lines if line.startswith("#"))
    return source, list(csv.DictReader(line for line in lines if line and not line.startswith("#")))
