"""The ``ray`` executor: each job is a Ray task, on a private local Ray instance or on a cluster.

- Which Ray: ``address`` (``HOST:PORT``) or ``RAY_ADDRESS`` joins that cluster; with neither, a new private
  local instance is started (``ray.init("local")``), never an unrelated cluster that happens to run on this
  machine. The private instance has no dashboard and a small object store (jobs return small summaries).
- Resources: every task declares ``num_cpus`` = the threads of a job and ``num_gpus`` = the GPUs a fit asks
  for; inside, the worker sets its thread budget (TensorFlow's intra-op pool, BLAS) before TensorFlow loads.
- Shared storage: the data root and the cache must be paths every node sees. :meth:`RayExecutor.probe` runs one
  task on each node before any job: it must read the data root and a clip of the plan (same size as the
  driver sees), read a token the driver just wrote into the cache (the same cache, not a local folder of the
  same name) and write there. Otherwise the run stops at once, naming the node and the path.
- Faults: a task whose worker process dies or whose node leaves the cluster is rerun by Ray elsewhere (up to
  ``max_retries`` times); jobs write their entries atomically and skip work already in the cache, so a rerun is
  harmless, and the job's attempt counter (:mod:`asdlens.engine.claims`) shows the retry in ``run.json``.
"""

from __future__ import annotations

import logging
import os
import sys
import time
import uuid
from pathlib import Path

from ..runtime import thread_budget
from .executors import Event, Executor
from .job import Job, Summary, node_name
from .kinds import execute

OBJECT_STORE_BYTES = 256 * 2**20  # private instance: summaries only travel through it


def _run(job: Job) -> Summary:
    """The Ray task: fix the threads (before TensorFlow loads in this worker), quiet TensorFlow, run the job."""
    from ..runtime import quiet_tensorflow_import, set_thread_budget

    if "tensorflow" not in sys.modules:
        set_thread_budget(job.threads)
    quiet_tensorflow_import()
    return execute(job)


def _probe(data_root: str, sample: str, sample_size: int, token: str, token_text: str) -> dict:
    """Run on one node: can it see the data root and the driver's cache? Returns the problems found."""
    problems = []
    root = Path(data_root)
    if not root.is_dir():
        problems.append(f"cannot see the data root {root} (no such folder on this node)")
    elif not os.access(root, os.R_OK | os.X_OK):
        problems.append(f"cannot read the data root {root} (permission denied)")
    else:
        try:
            size = Path(sample).stat().st_size
            with open(sample, "rb") as f:
                f.read(64)
            if size != sample_size:
                problems.append(
                    f"sees {sample} with {size} bytes, the driver {sample_size}: not the same data"
                )
        except OSError as exc:
            problems.append(f"cannot read {sample} ({exc.strerror or exc}): the data root is not shared")
    token_path = Path(token)
    try:
        if token_path.read_text() != token_text:
            problems.append(f"reads another {token_path}: the cache {token_path.parent.parent} is not shared")
    except OSError as exc:
        problems.append(
            f"cannot read {token_path} ({exc.strerror or exc}): the cache {token_path.parent.parent} is not "
            "shared with the driver"
        )
    try:
        mine = token_path.with_name(f"{token_path.stem}-{uuid.uuid4().hex[:6]}.write")
        mine.write_text("ok")
        mine.unlink()
    except OSError as exc:
        problems.append(f"cannot write to the cache {token_path.parent.parent} ({exc.strerror or exc})")
    return {"node": node_name(), "problems": problems}


class RayExecutor(Executor):
    """Jobs as Ray tasks (see the module notes)."""

    name = "ray"

    def __init__(
        self,
        address: str | None = None,
        *,
        threads: int = 1,
        workers: int | None = None,
        max_retries: int = 3,
        object_store_memory: int = OBJECT_STORE_BYTES,
    ):
        import ray

        self.ray = ray
        self.threads = max(1, int(threads))
        address = address or os.environ.get("RAY_ADDRESS")
        self._owned = not ray.is_initialized()
        if self._owned:
            if address:
                ray.init(address=address, logging_level=logging.WARNING)
            else:
                # A private instance: Ray's note that it enables token authentication asks nothing of the user.
                logging.getLogger("ray._private.authentication.authentication_token_setup").setLevel(
                    logging.ERROR
                )
                ray.init(
                    address="local",
                    num_cpus=int(workers) * self.threads if workers else thread_budget(),
                    include_dashboard=False,
                    object_store_memory=object_store_memory,
                    logging_level=logging.WARNING,
                )
        cpus = ray.cluster_resources().get("CPU", 0)
        self.slots = max(1, int(cpus // self.threads))
        self._task = ray.remote(max_retries=max_retries, retry_exceptions=False)(_run)
        self._refs: dict = {}  # ObjectRef -> Job

    def probe(self, *, data_root, cache_root, sample) -> None:
        """Check every alive node sees the data root and the cache; raise ``ValueError`` naming those that do not."""
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        token = Path(cache_root) / "probe" / f"{uuid.uuid4().hex}.token"
        token.parent.mkdir(parents=True, exist_ok=True)
        text = f"asdlens driver {node_name()} {time.time()}"
        token.write_text(text)
        try:
            probe = self.ray.remote(_probe)
            nodes = [n for n in self.ray.nodes() if n.get("Alive")]
            refs = [
                probe.options(
                    num_cpus=0,
                    scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False),
                ).remote(str(data_root), str(sample), Path(sample).stat().st_size, str(token), text)
                for n in nodes
            ]
            found = self.ray.get(refs, timeout=300)
        finally:
            token.unlink(missing_ok=True)
        bad = [
            f"node {n.get('NodeManagerAddress', '?')} (id {n['NodeID'][:8]}): {problem}"
            for n, result in zip(nodes, found, strict=True)
            for problem in result["problems"]
        ]
        if bad:
            raise ValueError(
                "shared storage check failed before any job ran: every node must see the data root and the cache "
                "at the same paths (a shared filesystem):\n  " + "\n  ".join(bad)
            )

    def submit(self, job: Job) -> None:
        if job.gpus and self.ray.cluster_resources().get("GPU", 0) < job.gpus:
            raise ValueError(
                f"{job.label} asks for {job.gpus:g} GPU(s) (training.gpus) but the Ray cluster has "
                f"{self.ray.cluster_resources().get('GPU', 0):g}"
            )
        options = {"num_cpus": job.threads, "name": job.label}
        if job.gpus:
            options["num_gpus"] = job.gpus
        self._refs[self._task.options(**options).remote(job)] = job

    def wait(self, timeout: float) -> list[Event]:
        if not self._refs:
            time.sleep(timeout)
            return []
        ready, _ = self.ray.wait(list(self._refs), num_returns=1, timeout=timeout)
        if ready:
            more, _ = self.ray.wait(list(self._refs), num_returns=len(self._refs), timeout=0)
            ready = list(dict.fromkeys([*ready, *more]))
        events = []
        for ref in ready:
            job = self._refs.pop(ref)
            try:
                summary = self.ray.get(ref)
            except self.ray.exceptions.RayError as exc:  # retries exhausted: worker or node lost every time
                summary = {"error": f"lost after Ray's retries: {type(exc).__name__}: {exc}"}
            events.append(Event(job.key, summary, False))
        return events

    def running(self) -> dict[str, str]:
        return {}

    def close(self) -> None:
        for ref in list(self._refs):
            try:
                self.ray.cancel(ref, force=True)
            except Exception:  # noqa: BLE001 - best effort on the way out
                pass
        self._refs.clear()
        if self._owned:
            self.ray.shutdown()
