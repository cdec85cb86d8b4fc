"""``make bench`` part ``backends``: every temporal pooling x back-end of the frozen-encoder family on one
generated DCASE 2023 tree, from one set of embeddings.

A random-weight tiny BEATs checkpoint in the official format (:func:`asdlens.models.encoders.write_random_checkpoint`)
embeds the clips once; each pooling x back-end is one experiment of the same plan (``beats-knn`` with
``model.pooling`` and ``scoring.*`` set), so the embeddings are computed once and every cell costs a pooling and a
fit of the back-end. Random weights make the numbers comparable with each other only (not with published ones):
the table shows how far the downstream settings alone move the official score, and that they run.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

POOLINGS = ("mean", "max", "gem(p=3)", "rdp(gamma=10)", "rdp_gem(gamma=16,p=3)")
#: Back-end name -> the scoring settings that make it.
BACKENDS = {
    "knn": ("scoring.backend=knn",),
    "ldn": ("scoring.backend=ldn", "scoring.density_k=1"),
    "varmin": ("scoring.backend=varmin", "scoring.density_k=1", "scoring.space=log"),
    "pca": ("scoring.backend=pca",),
    "mahalanobis": ("scoring.backend=mahalanobis",),
    "zmin": ("scoring.backend=zmin", "scoring.fusion=knn+pca"),
}


def backends_table(work: str | os.PathLike, *, seed: int = 0) -> dict:
    """Official score (dcase2023 rules) of each pooling x back-end on a generated tree, and the seconds taken."""
    from ..data.synth import generate
    from ..engine import EngineOptions
    from ..experiment import load_experiment, run_experiments
    from ..models.encoders import write_random_checkpoint

    work = Path(work)
    root = generate(
        work / "d23", layout="dcase2023", types=["fan", "valve"], n_train=40, n_train_target=4, n_test_normal=10,
        n_test_anomaly=10, duration=2.0, seed=seed, parts=["dev"], overwrite=True,
    ) / "dev_data"  # fmt: skip
    checkpoint = work / "beats_tiny_random.pt"
    write_random_checkpoint(checkpoint, "tiny", seed=seed)
    cells = [(p, b) for p in POOLINGS for b in BACKENDS]
    exps = [
        load_experiment("beats-knn", [f"model.checkpoint={checkpoint}", f"model.pooling={p}", *BACKENDS[b]])
        for p, b in cells
    ]
    start = time.perf_counter()
    results = run_experiments(
        exps, out_dirs=[work / "runs" / f"{i:02d}" for i in range(len(exps))], cache_dir=work / "cache",
        data_root=root, engine=EngineOptions("inline", progress=False), report=False, announce=lambda _: None,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    table = {p: {} for p in POOLINGS}
    for (p, b), result in zip(cells, results, strict=True):
        table[p][b] = result.evaluation.official.official_score
    return {
        "poolings": list(POOLINGS),
        "backends": list(BACKENDS),
        "official_score": table,
        "seconds": seconds,
    }


def format_table(result: dict) -> list[str]:
    """The table as lines of at most 80 columns: poolings down, back-ends across."""
    widths = {b: max(9, len(b) + 2) for b in result["backends"]}
    lines = [f"{'pooling':<22}" + "".join(f"{b:>{w}}" for b, w in widths.items())]
    for p in result["poolings"]:
        scores = result["official_score"][p]
        lines.append(f"{p:<22}" + "".join(f"{scores[b]:>{w}.4f}" for b, w in widths.items()))
    return lines
