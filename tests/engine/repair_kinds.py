"""Two small job kinds for the engine's repair tests, shaped like a fit and its scoring jobs.

``MAKE`` writes a model-like entry (a data file and its manifest, through :meth:`RunCache.commit_model`): its
``cached`` reads the manifest only, as a fit's does, so a damaged data file is found by the readers; each time it
makes its entry it appends a line to ``made.log`` in the cache. ``READ`` checks that entry's files
(:meth:`RunCache.verified_model_dir`, as a scoring job does), waits ``delay`` seconds (so that sibling readers are
queued or running at the same time) and writes one JSON entry. Workers of the local executor import this module
by the path the jobs name (the tests folder is on their ``sys.path``).
"""

from __future__ import annotations

import time

from asdlens.engine import Job, JobKind, RunCache


class Make(JobKind):
    name = "make"
    path = "repair_kinds:MAKE"

    def cached(self, cache: RunCache, job: Job):
        manifest = cache.model_manifest(job.key)
        return None if manifest is None else {"info": manifest["info"]}

    def compute(self, cache: RunCache, job: Job):
        staging = cache.staging_dir(job.key)
        (staging / "data.bin").write_bytes(job.payload["text"].encode() * 1000)
        info = {"text": job.payload["text"]}
        cache.commit_model(job.key, staging, info)
        with open(cache.root / "made.log", "a") as log:  # how many times the entry was made, by any process
            log.write(f"{job.key}\n")
        return {"info": info}


class Read(JobKind):
    name = "read"
    path = "repair_kinds:READ"

    def cached(self, cache: RunCache, job: Job):
        return cache.read_json(cache.score_path(job.key), missing_ok=True)

    def compute(self, cache: RunCache, job: Job):
        folder = cache.verified_model_dir(job.payload["model"])
        time.sleep(job.payload.get("delay", 0.0))
        body = {"size": (folder / "data.bin").stat().st_size, "reader": job.key}
        cache.write_json(cache.score_path(job.key), body)
        return body


MAKE = Make()
READ = Read()


def graph(cache: RunCache, readers: int, *, delay: float = 0.0, model: str = "m1") -> dict[str, Job]:
    """One ``MAKE`` job (key ``model``) and ``readers`` ``READ`` jobs of its entry, in plan order."""
    root = str(cache.root)
    jobs = {model: Job(MAKE.path, model, f"make {model}", root, payload={"text": "weights"})}
    for i in range(readers):
        key = f"r{i}"
        jobs[key] = Job(READ.path, key, f"read {i}", root, (model,), {"model": model, "delay": delay})
    return jobs
