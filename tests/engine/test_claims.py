"""Claim files: one driver at a time works on a job; a claim whose owner is gone is taken over."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from asdlens.engine.claims import STALE_SECONDS, Claims, clear_attempts, note_attempt


def test_a_claim_excludes_other_drivers_until_released(tmp_path):
    a, b = Claims(tmp_path, "driver-a"), Claims(tmp_path, "driver-b")
    assert a.acquire("job1")
    assert not b.acquire("job1") and b.holder("job1") == "driver-a"
    assert b.acquire("job2")  # other jobs are free
    a.release("job1")
    assert b.acquire("job1") and b.holder("job1") == "driver-b"


def test_claim_of_a_dead_process_on_this_host_is_taken_over(tmp_path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    pid = int(dead.stdout)  # that process has exited
    a = Claims(tmp_path, "driver-a")
    a.folder.mkdir(parents=True)
    a.path("job").write_text(json.dumps({"owner": "gone", "host": a.host, "pid": pid, "time": time.time()}))
    b = Claims(tmp_path, "driver-b")
    assert b.acquire("job") and b.holder("job") == "driver-b"


def test_silent_claim_goes_stale_and_heartbeats_keep_it(tmp_path):
    a, b = Claims(tmp_path, "driver-a"), Claims(tmp_path, "driver-b")
    assert a.acquire("job")
    old = time.time() - STALE_SECONDS - 5
    os.utime(a.path("job"), (old, old))
    a.heartbeat()  # the owner is alive and refreshes it
    assert not b.acquire("job")
    os.utime(
        a.path("job"), (old, old)
    )  # now silent for longer than STALE_SECONDS (another host's driver died)
    a.path("job").write_text(json.dumps({"owner": "driver-a", "host": "elsewhere", "pid": 1}))
    os.utime(a.path("job"), (old, old))
    assert b.acquire("job") and b.holder("job") == "driver-b"
    assert not list(b.folder.glob(".stale-*"))


def test_attempts_count_starts_of_a_job(tmp_path):
    assert note_attempt(tmp_path, "k") == 1
    assert note_attempt(tmp_path, "k") == 2
    clear_attempts(tmp_path, "k")
    assert note_attempt(tmp_path, "k") == 1
