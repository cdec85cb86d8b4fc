"""The decision threshold's scores of a memory back-end: each training clip left out of the memory it is in
(scored plainly, a k-NN back-end gives its own training clips ~0 and the threshold ~0)."""

from __future__ import annotations

import numpy as np

from asdlens.models.base import TrainingEmbeddings
from asdlens.models.domains import training_clip_scores
from asdlens.models.scorers import KNearestCosine


def test_each_training_clip_is_scored_without_itself():
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((12, 8))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    keys = ["00"] * 6 + ["01"] * 6
    reference = TrainingEmbeddings(vectors, keys)
    fitted = {k: KNearestCosine(k=1).fit(reference.of(k)) for k in ("00", "01")}
    plain = np.array([fitted[k].anomaly_score(v[None])[0] for v, k in zip(vectors, keys, strict=True)])
    assert np.allclose(plain, 0.0, atol=1e-12)  # the bug: every training clip is its own nearest neighbour
    order = rng.permutation(12)  # the training group's clips in any order
    got = training_clip_scores(reference, fitted.__getitem__, vectors[order], [keys[i] for i in order])
    for row, i in enumerate(order):  # the reference: nearest other clip of the same class (cosine distance)
        own = [j for j in range(12) if keys[j] == keys[i] and j != i]
        assert np.isclose(got[row], min(1.0 - vectors[i] @ vectors[j] for j in own), rtol=1e-12)
    outside = rng.standard_normal((1, 8))
    outside /= np.linalg.norm(outside)
    (score,) = training_clip_scores(reference, fitted.__getitem__, outside, ["00"])
    assert np.isclose(score, fitted["00"].anomaly_score(outside)[0])  # not in the memory: scored plainly
