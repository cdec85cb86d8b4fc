"""Each scoring back-end against its scikit-learn / NumPy definition on fixed embeddings, and its errors."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.covariance import LedoitWolf
from sklearn.metrics.pairwise import cosine_distances
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import NearestNeighbors

from asdlens.models.scorers import (
    ClassConfidence,
    CosineCentre,
    GaussianMixtureScorer,
    KNearestCosine,
    MahalanobisScorer,
    embedding_scorer,
)


@pytest.fixture(scope="module")
def embeddings():
    """Training embeddings of one ID (two blobs, so a 2-component GMM has something to find) and test ones."""
    rng = np.random.default_rng(7)
    centre = rng.standard_normal(16)
    train = np.concatenate(
        [centre + 0.3 * rng.standard_normal((30, 16)), -centre + 0.3 * rng.standard_normal((20, 16))]
    )
    test = np.concatenate([centre + 0.3 * rng.standard_normal((5, 16)), rng.standard_normal((5, 16))])
    return train, test


def test_cosine_centre_is_the_cosine_distance_to_the_mean_unit_embedding(embeddings):
    train, test = embeddings
    centre = (train / np.linalg.norm(train, axis=1, keepdims=True)).mean(axis=0)
    expected = cosine_distances(test, centre[None])[:, 0]
    backend = CosineCentre().fit(train)
    np.testing.assert_allclose(backend.anomaly_score(test), expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(backend.score_samples(test), -expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("k", [1, 3])
def test_knn_is_the_mean_cosine_distance_to_the_k_nearest(embeddings, k):
    train, test = embeddings
    distances, _ = (
        NearestNeighbors(n_neighbors=k, metric="cosine", algorithm="brute").fit(train).kneighbors(test)
    )
    backend = KNearestCosine(k).fit(train)
    np.testing.assert_allclose(backend.anomaly_score(test), distances.mean(axis=1), rtol=0, atol=1e-12)
    # a training embedding is its own nearest neighbour
    np.testing.assert_allclose(KNearestCosine(1).fit(train).anomaly_score(train[:4]), 0.0, atol=1e-12)


@pytest.mark.parametrize(("n", "kind"), [(1, "full"), (2, "diag"), (2, "tied")])
def test_gmm_is_sklearn_gaussian_mixture_log_likelihood(embeddings, n, kind):
    train, test = embeddings
    expected = (
        GaussianMixture(n, covariance_type=kind, reg_covar=1e-3, random_state=5)
        .fit(train)
        .score_samples(test)
    )
    backend = GaussianMixtureScorer(n, kind, 1e-3, random_state=5).fit(train)
    np.testing.assert_allclose(backend.score_samples(test), expected, rtol=1e-12)
    np.testing.assert_allclose(backend.anomaly_score(test), -expected, rtol=1e-12)


def test_mahalanobis_is_the_ledoit_wolf_distance(embeddings):
    train, test = embeddings
    lw = LedoitWolf().fit(train)
    delta = test - train.mean(axis=0)
    direct = np.array([d @ np.linalg.inv(lw.covariance_) @ d for d in delta])
    backend = MahalanobisScorer().fit(train)
    np.testing.assert_allclose(backend.anomaly_score(test), lw.mahalanobis(test), rtol=1e-10)
    np.testing.assert_allclose(backend.anomaly_score(test), direct, rtol=1e-8)
    # fewer training embeddings than dimensions: the shrunk covariance still inverts
    assert np.all(np.isfinite(MahalanobisScorer().fit(train[:5]).anomaly_score(test)))


def test_class_confidence_is_minus_log_p_of_the_class():
    log_p = np.log(np.array([[0.7, 0.2, 0.1], [0.05, 0.9, 0.05]]))
    backend = ClassConfidence(1).fit(log_p)
    np.testing.assert_allclose(backend.anomaly_score(log_p), [-np.log(0.2), -np.log(0.9)], rtol=1e-15)


def test_anomalies_score_higher_than_normal_embeddings(embeddings):
    train, test = embeddings  # test[:5] are near a training blob, test[5:] are random directions
    for backend in (CosineCentre(), KNearestCosine(1), GaussianMixtureScorer(2), MahalanobisScorer()):
        scores = backend.fit(train).anomaly_score(test)
        assert scores[:5].max() < scores[5:].min(), type(backend).__name__


def test_parameters_are_validated_when_set():
    with pytest.raises(ValueError, match=r"k=0 must be an integer >= 1"):
        KNearestCosine(0)
    with pytest.raises(ValueError, match=r"n_components=2.5 must be an integer >= 1"):
        GaussianMixtureScorer(2.5)
    with pytest.raises(ValueError, match=r"covariance_type='round' is not allowed; choose one of \['full'"):
        GaussianMixtureScorer(1, "round")
    with pytest.raises(ValueError, match=r"reg_covar=-1 must be a number >= 0"):
        GaussianMixtureScorer(1, "full", -1)
    with pytest.raises(ValueError, match=r"class_index=-1"):
        ClassConfidence(-1)
    assert repr(KNearestCosine(3)) == "KNearestCosine(k=3)"


def test_input_errors_name_the_problem(embeddings):
    train, test = embeddings
    with pytest.raises(RuntimeError, match="CosineCentre is not fitted"):
        CosineCentre().score_samples(test)
    with pytest.raises(ValueError, match=r"k=60 neighbours but only 50 training embeddings"):
        KNearestCosine(60).fit(train)
    with pytest.raises(ValueError, match=r"X has 3 features; the back-end was fitted on 16"):
        KNearestCosine(1).fit(train).score_samples(test[:, :3])
    with pytest.raises(ValueError, match=r"NaN or infinite"):
        CosineCentre().fit(np.full((3, 2), np.nan))
    with pytest.raises(ValueError, match=r"non-empty \[n_samples, n_features\]"):
        MahalanobisScorer().fit(np.zeros(4))
    with pytest.raises(ValueError, match=r"class_index=4 is out of range"):
        ClassConfidence(4).fit(np.zeros((2, 3)))


def test_backend_from_the_scoring_section():
    section = {"backend": "gmm", "k": 2, "components": 3, "covariance": "diag", "reg_covar": 0.01}
    gmm = embedding_scorer(section, seed=9)
    assert gmm.get_params() == {
        "n_components": 3,
        "covariance_type": "diag",
        "reg_covar": 0.01,
        "random_state": 9,
    }
    assert embedding_scorer({**section, "backend": "knn"}).k == 2
    with pytest.raises(ValueError, match="'default' does not score embeddings"):
        embedding_scorer({**section, "backend": "default"})
