"""The PCA-residual back-end against scikit-learn's PCA: ``a(x) = ||x - inverse_transform(transform(x))||^2``
(the classical reading of Zhou and Wang's "PCA-subspace reconstruction residual", arXiv 2606.19269)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.decomposition import PCA

from asdlens.models.pca_residual import PCAResidual


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(8)
    basis = rng.standard_normal((3, 10))
    train = rng.standard_normal((50, 3)) @ basis + 0.05 * rng.standard_normal((50, 10))
    test = np.concatenate([rng.standard_normal((4, 3)) @ basis, rng.standard_normal((4, 10))])
    return train, test


def _sk_residual(pca, X):
    return np.sum((X - pca.inverse_transform(pca.transform(X))) ** 2, axis=1)


@pytest.mark.parametrize("q", [1, 3, 0.9, 0.999])
def test_residual_is_sklearn_pca_reconstruction_error(data, q):
    train, test = data
    pca = PCA(n_components=q, svd_solver="full").fit(train)
    backend = PCAResidual(q).fit(train)
    assert backend.n_components_ == pca.n_components_
    np.testing.assert_allclose(backend.anomaly_score(test), _sk_residual(pca, test), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(
        backend.training_anomaly_scores(), _sk_residual(pca, train), rtol=1e-8, atol=1e-12
    )


@pytest.mark.parametrize("q", [4, 0.8])
def test_more_features_than_samples_matches_sklearn_too(q):
    rng = np.random.default_rng(4)  # 30 embeddings of 80 features: the Gram-matrix path
    train = rng.standard_normal((30, 6)) @ rng.standard_normal((6, 80)) + 0.1 * rng.standard_normal((30, 80))
    test = rng.standard_normal((5, 80))
    pca = PCA(n_components=q, svd_solver="full").fit(train)
    backend = PCAResidual(q).fit(train)
    assert backend.n_components_ == pca.n_components_
    np.testing.assert_allclose(backend.anomaly_score(test), _sk_residual(pca, test), rtol=1e-8)
    np.testing.assert_allclose(
        np.abs(backend.components_ @ pca.components_.T), np.eye(pca.n_components_), atol=1e-8
    )


def test_off_subspace_embeddings_score_higher(data):
    train, test = data  # test[:4] lie in the training subspace, test[4:] do not
    scores = PCAResidual(3).fit(train).anomaly_score(test)
    assert scores[:4].max() < scores[4:].min()


def test_errors_name_the_problem(data):
    train, _ = data
    for bad in (0, 1.0, -0.5, "3", True):
        with pytest.raises(
            ValueError, match=r"n_components=.* must be an integer >= 1 or a fraction in \(0, 1\)"
        ):
            PCAResidual(bad)
    with pytest.raises(
        ValueError, match=r"n_components=10 leaves no residual: at most 9 for 50 training embeddings"
    ):
        PCAResidual(10).fit(train)
    with pytest.raises(ValueError, match=r"needs at least 2 training embeddings; got 1"):
        PCAResidual(1).fit(train[:1])
