"""The live job table in a pipe: closed on its own line, so what is printed next starts on a new line."""

from __future__ import annotations

import subprocess
import sys

CODE = """
from asdlens.engine import Status

class Pool:
    name, slots = "inline", 1

snapshot = {"kinds": ["features"], "state": {}, "records": {}, "final": True}
with Status(True, executor=Pool()) as status:
    status.update(snapshot)
print("NEXT LINE", flush=True)
"""


def test_the_job_table_ends_with_a_newline_in_a_pipe():
    done = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True)
    assert "jobs on inline (1 at a time)" in done.stderr
    assert done.stderr.endswith("\n"), repr(done.stderr[-80:])
    merged = subprocess.run(
        [sys.executable, "-c", CODE], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=True
    )
    assert "\nNEXT LINE\n" in merged.stdout, merged.stdout
