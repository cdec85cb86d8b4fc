"""Separate source/target memories and the label-free z-min fusion against NumPy / scikit-learn references.

Separate memories: dcase-asd-toolkit ``Knn`` (``asdkit/backends/knn.py`` at ed27d82): nearest-neighbour distance to
the source memory and to the target memory, the smaller. z-min fusion: Zhou and Wang, arXiv 2606.19269 (abstract):
each back-end z-normalised with its training-bank self-scores, then the minimum.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.covariance import LedoitWolf
from sklearn.metrics.pairwise import cosine_distances
from sklearn.neighbors import NearestNeighbors

from asdlens.models.beam import BEAM
from asdlens.models.density_knn import LocalDensityKNN
from asdlens.models.domains import SeparateDomains, fit_backend
from asdlens.models.fusion import ZMinFusion, self_scores
from asdlens.models.pca_residual import PCAResidual
from asdlens.models.scorers import KNearestCosine, MahalanobisScorer, Scorer


class Affine(Scorer):
    """``c * a(x) + e`` of a wrapped back-end (self-scores likewise): a test double for rescaled scores."""

    def __init__(self, inner: Scorer, c: float = 1.0, e: float = 0.0):
        self.inner, self.c, self.e = inner, c, e

    def get_params(self) -> dict:
        return {"inner": self.inner, "c": self.c, "e": self.e}

    def fit(self, X) -> Affine:
        self._X = np.asarray(X)
        self.inner = type(self.inner)(**self.inner.get_params()).fit(X)
        self.n_features_in_ = self.inner.n_features_in_
        return self

    def score_samples(self, X) -> np.ndarray:
        return -(self.c * self.inner.anomaly_score(X) + self.e)

    def training_anomaly_scores(self) -> np.ndarray:
        return self.c * self_scores(self.inner, self._X) + self.e


class Constant(Scorer):
    def fit(self, X) -> Constant:
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def score_samples(self, X) -> np.ndarray:
        return np.zeros(len(X))


@pytest.fixture(scope="module")
def data():
    """A DCASE-like unit in miniature: 36 source and 4 target training clips, test clips of both domains."""
    rng = np.random.default_rng(17)
    s, t = rng.standard_normal(8), rng.standard_normal(8)
    train = np.concatenate([s + 0.3 * rng.standard_normal((36, 8)), t + 0.3 * rng.standard_normal((4, 8))])
    domains = ["source"] * 36 + ["target"] * 4
    test = np.concatenate([s + 0.3 * rng.standard_normal((3, 8)), t + 0.3 * rng.standard_normal((3, 8)),
                           rng.standard_normal((3, 8))])  # fmt: skip
    return train, domains, test


def _loo_nn_cosine(X):
    distances, _ = NearestNeighbors(n_neighbors=1, metric="cosine", algorithm="brute").fit(X).kneighbors()
    return distances[:, 0]


def test_separate_memories_take_the_smaller_distance(data):
    train, domains, test = data
    source, target = train[:36], train[36:]
    expected = np.minimum(
        cosine_distances(test, source).min(axis=1), cosine_distances(test, target).min(axis=1)
    )
    separate = SeparateDomains(KNearestCosine(1)).fit(train, domains)
    assert set(separate.estimators_) == {"source", "target"}
    np.testing.assert_allclose(separate.anomaly_score(test), expected, rtol=1e-10)
    # 1-NN is the same with one memory; LDN is not (its scales are computed within each domain)
    np.testing.assert_allclose(KNearestCosine(1).fit(train).anomaly_score(test), expected, rtol=1e-10)
    per_domain = SeparateDomains(LocalDensityKNN(2)).fit(train, domains).anomaly_score(test)
    own = [LocalDensityKNN(2).fit(part).anomaly_score(test) for part in (source, target)]
    np.testing.assert_allclose(per_domain, np.minimum(*own), rtol=1e-10)
    # without domains (or with None entries) every clip is source
    np.testing.assert_allclose(
        SeparateDomains(LocalDensityKNN(2)).fit(train).anomaly_score(test),
        LocalDensityKNN(2).fit(train).anomaly_score(test), rtol=1e-12,
    )  # fmt: skip


def test_separate_memories_self_scores_are_leave_one_out_in_the_own_domain(data):
    train, domains, _ = data
    source, target = train[:36], train[36:]
    expected = np.concatenate([
        np.minimum(_loo_nn_cosine(source), cosine_distances(source, target).min(axis=1)),
        np.minimum(_loo_nn_cosine(target), cosine_distances(target, source).min(axis=1)),
    ])  # fmt: skip
    separate = SeparateDomains(KNearestCosine(1)).fit(train, domains)
    np.testing.assert_allclose(separate.training_anomaly_scores(), expected, rtol=1e-10)


def test_zmin_is_the_minimum_of_self_score_z_values(data):
    train, domains, test = data
    # reference: 1-NN cosine (self-scores leave-one-out) and Ledoit-Wolf Mahalanobis (self-scores in-sample)
    knn_test, knn_self = cosine_distances(test, train).min(axis=1), _loo_nn_cosine(train)
    lw = LedoitWolf().fit(train)
    maha_test, maha_self = lw.mahalanobis(test), lw.mahalanobis(train)
    z = np.stack(
        [(knn_test - knn_self.mean()) / knn_self.std(), (maha_test - maha_self.mean()) / maha_self.std()]
    )
    fusion = ZMinFusion([KNearestCosine(1), MahalanobisScorer()]).fit(train, domains)
    np.testing.assert_allclose(fusion.z_scores(test), z.T, rtol=1e-8)
    np.testing.assert_allclose(fusion.anomaly_score(test), z.min(axis=0), rtol=1e-8)
    np.testing.assert_allclose(fusion.score_samples(test), -z.min(axis=0), rtol=1e-8)


def test_zmin_ignores_each_backends_affine_rescaling_and_order(data):
    train, domains, test = data
    members = [LocalDensityKNN(2), PCAResidual(3), SeparateDomains(BEAM(n_bands=2)), MahalanobisScorer()]
    base = ZMinFusion(members).fit(train, domains).anomaly_score(test)
    rescaled = [
        Affine(members[0], 40.0, -3.0),
        Affine(members[1], 0.01, 5.0),
        members[2],
        Affine(members[3], 2, 0),
    ]
    np.testing.assert_allclose(ZMinFusion(rescaled).fit(train, domains).anomaly_score(test), base, rtol=1e-9)
    np.testing.assert_allclose(
        ZMinFusion(members[::-1]).fit(train, domains).anomaly_score(test), base, rtol=1e-12
    )
    # the domain-aware member saw the domains
    fused = ZMinFusion(members).fit(train, domains)
    assert set(fused.estimators_[2].estimators_) == {"source", "target"}
    assert fused.training_anomaly_scores().shape == (40,)


def test_fusion_errors_name_the_problem(data):
    train, _, _ = data
    with pytest.raises(ValueError, match=r"must be a sequence of two or more back-ends"):
        ZMinFusion([KNearestCosine(1)])
    with pytest.raises(ValueError, match=r"'knn' is not a Scorer"):
        ZMinFusion([KNearestCosine(1), "knn"])
    with pytest.raises(ValueError, match=r"self-scores of Constant\(\) have mean 0 and standard deviation 0"):
        ZMinFusion([KNearestCosine(1), Constant()]).fit(train)
    with pytest.raises(ValueError, match=r"leave-one-out scores of KNearestCosine\(k=3\) need more than 3"):
        self_scores(KNearestCosine(3).fit(train[:3]), train[:3])
    with pytest.raises(
        ValueError, match=r"domains must be 'source' or 'target' \(or None for source\); got \['src'\]"
    ):
        SeparateDomains(KNearestCosine(1)).fit(train, ["src"] * 40)
    with pytest.raises(ValueError, match=r"must be a single-memory Scorer"):
        SeparateDomains(SeparateDomains(KNearestCosine(1)))
    # a single-memory back-end ignores the domains
    assert isinstance(fit_backend(KNearestCosine(1), train, ["target"] * 40), KNearestCosine)
