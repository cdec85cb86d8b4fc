"""LDN and variance-minimised kNN against scikit-learn / NumPy references of their definitions.

LDN: Wilkinghoff et al., IEEE/ACM TASLP 33 (2025), as merlresearch/anomaly-score-normalization ``utils.py``
``get_scores`` (b9998bd) computes it: ``a(x) = min_j d(x, y_j) / b_j``, ``b_j`` the mean distance of ``y_j`` to its
K nearest other references (or their GWRP average). VarMin: Matsumoto et al., DCASE 2025 Eq. 5 as
kasahart/dcase-asd-toolkit ``asdkit/backends/beam.py`` (615ee70) implements it:
``a(x) = min_j [d(x, y_j) - alpha b_j]``, ``alpha = Cov / Var`` over leave-one-out training matches.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.metrics import pairwise_distances as sk_pairwise
from sklearn.metrics.pairwise import cosine_distances
from sklearn.neighbors import NearestNeighbors

from asdlens.models.density_knn import LocalDensityKNN, VarianceMinimisedKNN
from asdlens.models.scorers import KNearestCosine


@pytest.fixture(scope="module")
def data():
    """One ID's memory: 40 'source' embeddings in a tight blob and 6 'target' ones spread wide, plus test ones."""
    rng = np.random.default_rng(11)
    centre = rng.standard_normal(12)
    source = centre + 0.2 * rng.standard_normal((40, 12))
    target = -centre + 0.8 * rng.standard_normal((6, 12))
    test = np.concatenate([centre + 0.2 * rng.standard_normal((4, 12)), rng.standard_normal((4, 12))])
    return np.concatenate([source, target]), test


def _scales_k(train, K, metric="cosine"):
    """b_j from scikit-learn: kneighbors() of the fitted points excludes each point itself."""
    distances, _ = NearestNeighbors(n_neighbors=K, metric=metric, algorithm="brute").fit(train).kneighbors()
    return distances.mean(axis=1)


@pytest.mark.parametrize("K", [1, 4])
def test_ldn_is_the_minimum_of_distance_over_local_scale(data, K):
    train, test = data
    b = _scales_k(train, K)
    expected = np.min(cosine_distances(test, train) / b, axis=1)
    ldn = LocalDensityKNN(density_k=K).fit(train)
    np.testing.assert_allclose(ldn.scales_, b, rtol=1e-10)
    np.testing.assert_allclose(ldn.anomaly_score(test), expected, rtol=1e-10)
    np.testing.assert_allclose(ldn.score_samples(test), -expected, rtol=1e-10)
    # MERL's own formulation: sort each column of the reference distances, skip row 0 (the self-distance)
    merl_scales = np.sort(cosine_distances(train, train), axis=0)[1 : K + 1].mean(axis=0)
    np.testing.assert_allclose(ldn.scales_, merl_scales, rtol=1e-8, atol=1e-12)


def test_ldn_with_equal_scales_is_the_plain_nearest_distance_over_that_scale():
    # memory on a regular 12-gon: every entry's K nearest others are at the same cosine distance
    angles = np.arange(12) * 2 * np.pi / 12
    memory = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    test = np.random.default_rng(2).standard_normal((7, 2))
    ldn = LocalDensityKNN(density_k=2).fit(memory)
    np.testing.assert_allclose(ldn.scales_, 1 - np.cos(2 * np.pi / 12), rtol=1e-10)
    plain = KNearestCosine(1).fit(memory).anomaly_score(test)
    np.testing.assert_allclose(ldn.anomaly_score(test), plain / ldn.scales_[0], rtol=1e-10)


def test_ldn_gwrp_scales_are_the_rank_weighted_mean_of_the_sorted_distances(data):
    train, test = data
    r = 0.9
    D = cosine_distances(train, train)
    b = []
    for j in range(len(train)):
        others = np.sort(np.delete(D[j], j))
        w = r ** np.arange(len(others))
        b.append(np.sum(w * others) / np.sum(w))
    ldn = LocalDensityKNN(density_k=None, density_r=r).fit(train)
    np.testing.assert_allclose(ldn.scales_, b, rtol=1e-10)
    np.testing.assert_allclose(
        ldn.anomaly_score(test), np.min(cosine_distances(test, train) / b, axis=1), rtol=1e-10
    )
    # r = 0 keeps the nearest other entry only: LDN with K = 1
    np.testing.assert_allclose(LocalDensityKNN(None, 0.0).fit(train).scales_, _scales_k(train, 1), rtol=1e-10)


def test_ldn_difference_and_knnrescale_variants(data):
    train, test = data
    b = _scales_k(train, 3)
    np.testing.assert_allclose(
        LocalDensityKNN(3, mode="difference").fit(train).anomaly_score(test),
        np.min(cosine_distances(test, train) - b, axis=1), rtol=1e-10,
    )  # fmt: skip
    # dcase-asd-toolkit KnnRescale: Euclidean distances between unit vectors, mean of the k smallest ratios
    unit = train / np.linalg.norm(train, axis=1, keepdims=True)
    unit_test = test / np.linalg.norm(test, axis=1, keepdims=True)
    b_e = np.sort(sk_pairwise(unit, unit), axis=0)[1:5].mean(axis=0)
    expected = np.sort(sk_pairwise(unit_test, unit) / b_e, axis=1)[:, :2].mean(axis=1)
    rescale = LocalDensityKNN(density_k=4, k=2, distance="euclidean").fit(train)
    np.testing.assert_allclose(rescale.anomaly_score(test), expected, rtol=1e-8)


def test_ldn_ratio_is_scale_free(data):
    train, test = data
    ldn = LocalDensityKNN(2, distance="euclidean", normalize=False)
    np.testing.assert_allclose(
        ldn.fit(train).anomaly_score(test), ldn.fit(7.0 * train).anomaly_score(7.0 * test), rtol=1e-10
    )
    rows = np.random.default_rng(5).uniform(0.1, 10, size=(len(test), 1))  # cosine: each row's length is free
    cos = LocalDensityKNN(2).fit(train)
    np.testing.assert_allclose(cos.anomaly_score(rows * test), cos.anomaly_score(test), rtol=1e-10)


def test_training_scores_are_leave_one_out(data):
    train, _ = data
    ldn = LocalDensityKNN(2).fit(train)
    D = cosine_distances(train, train)
    expected = [np.min(np.delete(D[i] / ldn.scales_, i)) for i in range(len(train))]
    np.testing.assert_allclose(ldn.training_anomaly_scores(), expected, rtol=1e-10)


def _alpha_reference(train, K, log=False):
    D = cosine_distances(train, train)
    b = _scales_k(train, K)
    f = np.log if log else (lambda v: v)
    d_sel, b_sel = [], []
    for z in range(len(train)):
        others = np.delete(np.arange(len(train)), z)
        nearest = others[np.argmin(D[z, others])]
        d_sel.append(f(D[z, nearest]))
        b_sel.append(f(b[nearest]))
    d_sel, b_sel = np.array(d_sel), np.array(b_sel)
    return np.cov(d_sel, b_sel, bias=True)[0, 1] / np.var(b_sel), b, d_sel, b_sel


@pytest.mark.parametrize(("K", "space"), [(4, "linear"), (1, "log")])
def test_varmin_alpha_and_score_follow_eq5(data, K, space):
    train, test = data
    alpha, b, d_sel, b_sel = _alpha_reference(train, K, log=space == "log")
    vm = VarianceMinimisedKNN(density_k=K, space=space).fit(train)
    np.testing.assert_allclose(vm.alpha_, alpha, rtol=1e-8)
    D = cosine_distances(test, train)
    f = np.log if space == "log" else (lambda v: v)
    np.testing.assert_allclose(vm.anomaly_score(test), np.min(f(D) - alpha * f(b), axis=1), rtol=1e-8)
    # alpha minimises the variance of the calibration scores d - alpha b
    for other in (alpha - 0.05, alpha + 0.05):
        assert np.var(d_sel - alpha * b_sel) < np.var(d_sel - other * b_sel)


def test_varmin_special_cases_are_plain_knn_and_log_ldn(data):
    train, test = data
    plain = KNearestCosine(1).fit(train).anomaly_score(test)
    np.testing.assert_allclose(
        VarianceMinimisedKNN(alpha=0).fit(train).anomaly_score(test), plain, rtol=1e-10
    )
    ldn = LocalDensityKNN(3).fit(train).anomaly_score(test)
    log_ldn = VarianceMinimisedKNN(density_k=3, space="log", alpha=1.0).fit(train).anomaly_score(test)
    np.testing.assert_allclose(log_ldn, np.log(ldn), rtol=1e-10)


def test_varmin_without_varying_scales_falls_back_to_alpha_zero():
    angles = np.arange(8) * 2 * np.pi / 8
    memory = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert VarianceMinimisedKNN(density_k=2).fit(memory).alpha_ == 0.0
    assert any("do not vary" in str(w.message) for w in caught)


def test_parameters_are_validated_when_set():
    with pytest.raises(ValueError, match=r"set exactly one of density_k .* density_k=None, density_r=None"):
        LocalDensityKNN(None, None)
    with pytest.raises(ValueError, match=r"set exactly one of density_k"):
        LocalDensityKNN(2, 0.5)
    with pytest.raises(ValueError, match=r"density_r=1.5 must be a number in \[0, 1\]"):
        LocalDensityKNN(None, 1.5)
    with pytest.raises(
        ValueError, match=r"mode='log' is not allowed; choose one of \['ratio', 'difference'\]"
    ):
        LocalDensityKNN(mode="log")
    with pytest.raises(
        ValueError, match=r"distance='manhattan' is not allowed; choose one of \['cosine', 'eucl"
    ):
        LocalDensityKNN(distance="manhattan")
    with pytest.raises(ValueError, match=r"density_k=0 must be an integer >= 1"):
        VarianceMinimisedKNN(density_k=0)
    with pytest.raises(ValueError, match=r"space='exp' is not allowed; choose one of \['linear', 'log'\]"):
        VarianceMinimisedKNN(space="exp")
    with pytest.raises(ValueError, match=r"alpha='auto' must be 'varmin' or a finite number"):
        VarianceMinimisedKNN(alpha="auto")
    assert repr(VarianceMinimisedKNN()) == (
        "VarianceMinimisedKNN(density_k=4, space='linear', alpha='varmin', distance='cosine', normalize=True)"
    )


def test_input_errors_name_the_problem(data):
    train, test = data
    with pytest.raises(
        ValueError, match=r"LocalDensityKNN\(density_k=4.*\) needs at least 5 training embeddings"
    ):
        LocalDensityKNN(4).fit(train[:4])
    with pytest.raises(ValueError, match=r"training embedding 0 has local scale 0"):
        LocalDensityKNN(1).fit(np.concatenate([train[:1], train[:1], train[2:6]]))
    with pytest.raises(RuntimeError, match="VarianceMinimisedKNN is not fitted"):
        VarianceMinimisedKNN().score_samples(test)
    with pytest.raises(ValueError, match=r"X has 3 features; the back-end was fitted on 12"):
        LocalDensityKNN().fit(train).anomaly_score(test[:, :3])
