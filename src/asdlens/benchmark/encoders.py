"""The frozen-encoder part of ``make bench``: BEATs embeddings per second on this CPU, peak memory, and the time
one DCASE 2025 machine type would take (random base-size weights: speed does not depend on the values).

- :func:`encoder_throughput` (in this process): builds the encoder (random weights of a size, or a checkpoint
  file), embeds one warm-up batch, then times ``n_clips`` clips of ``seconds`` seconds, whole, ``batch_size`` per
  forward pass, with the process's thread budget; the peak resident memory (``ru_maxrss``) after building and
  after embedding; the projection for one DCASE 2025 type (1,000 training + 200 test clips of 10 s; the 2025 task
  has 990 source + 10 target training clips per type, see ``research/field_2025_2026.md`` §1.2);
- :func:`encoder_benchmark`: the same in a child process, so that its peak memory is the encoder's alone.

The machine may be shared: the figures are what this run saw, next to the load average when it started.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from typing import Any

#: One DCASE 2025 machine type: training and test clips, and their length in seconds.
DCASE2025_TYPE = {"train_clips": 1000, "test_clips": 200, "seconds": 10.0}


def _peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


def encoder_throughput(
    *,
    size: str = "base",
    checkpoint: str | None = None,
    seconds: float = 10.0,
    n_clips: int = 8,
    batch_size: int = 4,
    threads: int | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Embeddings per second of BEATs (frequency-averaged frame embeddings of the last layer) in this process.

    Returns
    -------
    dict
        ``clips_per_s``, ``audio_s_per_s`` (seconds of audio per second), ``wall_s``, ``build_s``, ``params``,
        ``frames_per_clip`` and ``dim`` (the embedding shape of one clip), ``peak_rss_bytes_start`` (the
        libraries loaded), ``peak_rss_bytes_model`` (after building), ``peak_rss_bytes`` (after embedding), ``threads``, ``dcase2025_type_projected_s`` and the
        settings.
    """
    import numpy as np
    import torch

    from ..models.encoders.beats import BeatsEncoder, EmbeddingOptions, embed_clips
    from ..models.encoders.beats_checkpoint import load_beats, randomise_
    from ..models.encoders.beats_config import SIZES
    from ..runtime import thread_budget

    threads = threads or thread_budget()
    torch.set_num_threads(threads)
    rss_start = _peak_rss_bytes()  # Python, NumPy and torch loaded
    start = time.perf_counter()
    model = load_beats(checkpoint) if checkpoint else randomise_(BeatsEncoder(SIZES[size]), seed=seed).eval()
    build_s = time.perf_counter() - start
    rss_model = _peak_rss_bytes()
    rng = np.random.default_rng(seed)
    clips = (0.1 * rng.standard_normal((n_clips, int(seconds * 16000)))).astype(np.float32)
    options = EmbeddingOptions(batch_size=batch_size)
    embed_clips(model, clips[:batch_size], options=options)  # warm-up: first-call allocations
    start = time.perf_counter()
    out = embed_clips(model, clips, options=options)
    wall = time.perf_counter() - start
    per_s = n_clips / wall
    total = DCASE2025_TYPE["train_clips"] + DCASE2025_TYPE["test_clips"]
    return {
        "size": "checkpoint" if checkpoint else size,
        "params": sum(p.numel() for p in model.parameters()),
        "seconds_per_clip": seconds,
        "clips": n_clips,
        "batch_size": batch_size,
        "threads": threads,
        "build_s": build_s,
        "wall_s": wall,
        "clips_per_s": per_s,
        "audio_s_per_s": per_s * seconds,
        "frames_per_clip": int(out.shape[1]),
        "dim": int(out.shape[2]),
        "peak_rss_bytes_start": rss_start,
        "peak_rss_bytes_model": rss_model,
        "peak_rss_bytes": _peak_rss_bytes(),
        "dcase2025_type": dict(DCASE2025_TYPE),
        "dcase2025_type_projected_s": total * (DCASE2025_TYPE["seconds"] / seconds) / per_s,
    }


def encoder_benchmark(**settings: Any) -> dict[str, Any]:
    """:func:`encoder_throughput` (with ``settings``) in a child process, whose peak RSS is then the encoder's
    alone; adds the child's wall time (imports included) and the load average when it started."""
    code = (
        "import json, sys; from asdlens.benchmark.encoders import encoder_throughput; "
        "print(json.dumps(encoder_throughput(**json.loads(sys.argv[1]))))"
    )
    load = os.getloadavg()
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, json.dumps(settings)], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the encoder benchmark failed:\n{done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["child_wall_s"] = time.perf_counter() - start
    result["load_average_at_start"] = [round(x, 2) for x in load]
    return result
