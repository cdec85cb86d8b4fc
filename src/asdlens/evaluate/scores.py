"""Anomaly score of a clip from the reconstruction errors of its vectors.

The DCASE 2020 baseline (``01_test.py``) and the MIMII baseline (``baseline.py``) both score a clip as the mean,
over its stacked vectors, of the per-vector mean squared error. ``"median"`` and ``"max"`` are offered as
variations an experiment may try; ``"mean"`` is the reference.
"""

from __future__ import annotations

import numpy as np

#: How the per-vector errors of one clip become its score; "mean" is the official one.
AGGREGATES = ("mean", "median", "max")


def clip_score(errors: np.ndarray, *, aggregate: str = "mean") -> float:
    """Anomaly score of one clip.

    Parameters
    ----------
    errors : array_like
        ``[n_vectors]`` per-vector reconstruction errors (mean squared error over the vector's values).
    aggregate : {"mean", "median", "max"}
        How to combine them.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        For an unknown ``aggregate``, or no errors at all (a clip too short to give one vector has no score:
        the official code would leave it at 0.0, which silently ranks it as the most normal clip).
    """
    if aggregate not in AGGREGATES:
        raise ValueError(f"scoring.aggregate={aggregate!r} is not allowed; choose one of {list(AGGREGATES)}")
    errors = np.asarray(errors, dtype=np.float64)
    if errors.ndim != 1 or errors.size == 0:
        raise ValueError(f"a clip score needs a non-empty [n_vectors] error array; got shape {errors.shape}")
    return float(getattr(np, aggregate)(errors))


def clip_scores(errors: np.ndarray, counts, *, aggregate: str = "mean") -> np.ndarray:
    """Scores of several clips whose vectors' errors are concatenated in ``errors``.

    Parameters
    ----------
    errors : array_like
        ``[sum(counts)]`` per-vector errors, clip after clip.
    counts : sequence of int
        Vectors of each clip.
    aggregate : {"mean", "median", "max"}

    Returns
    -------
    numpy.ndarray
        ``[len(counts)]`` float64.
    """
    errors = np.asarray(errors, dtype=np.float64)
    counts = np.asarray(counts, dtype=np.int64)
    if counts.sum() != errors.size:
        raise ValueError(f"counts add up to {int(counts.sum())} vectors but there are {errors.size} errors")
    bounds = np.concatenate([[0], np.cumsum(counts)])
    return np.array(
        [clip_score(errors[a:b], aggregate=aggregate) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    )
