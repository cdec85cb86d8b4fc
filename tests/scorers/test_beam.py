"""BEAM against a band-by-band scikit-learn reference of its definition (Saengthong and Shinozaki, arXiv
2603.13749; band-level form as kasahart/dcase-asd-toolkit ``docs/methods/beam_rdp_varmin.md`` at b4dec0c states
it): ``a(x) = (1/F) sum_f min_i D(x_f, y_i,f)``, optionally each band rescaled by variance minimisation."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics.pairwise import cosine_distances

from asdlens.models.beam import BEAM
from asdlens.models.density_knn import VarianceMinimisedKNN
from asdlens.models.scorers import KNearestCosine


@pytest.fixture(scope="module")
def bands():
    """30 training and 6 test clips of 4 bands x 5 values."""
    rng = np.random.default_rng(21)
    base = rng.standard_normal((4, 5))
    train = base + 0.3 * rng.standard_normal((30, 4, 5))
    test = np.concatenate([base + 0.3 * rng.standard_normal((3, 4, 5)), rng.standard_normal((3, 4, 5))])
    return train, test


def test_beam_is_the_band_mean_of_per_band_nearest_distances(bands):
    train, test = bands
    per_band = np.stack([cosine_distances(test[:, f], train[:, f]).min(axis=1) for f in range(4)], axis=1)
    beam = BEAM().fit(train)
    np.testing.assert_allclose(beam.band_anomaly_scores(test), per_band, rtol=1e-10)
    np.testing.assert_allclose(beam.anomaly_score(test), per_band.mean(axis=1), rtol=1e-10)
    # the flattened band-major layout [n, n_bands * d] is the same input
    flat = BEAM(n_bands=4).fit(train.reshape(30, -1))
    np.testing.assert_allclose(flat.anomaly_score(test.reshape(6, -1)), beam.anomaly_score(test), rtol=1e-12)


def test_each_band_picks_its_own_neighbour(bands):
    train, test = bands
    # one shared neighbour for all bands can only be worse: mean_f min_i <= min_i mean_f
    shared = np.mean([cosine_distances(test[:, f], train[:, f]) for f in range(4)], axis=0).min(axis=1)
    local = BEAM().fit(train).anomaly_score(test)
    assert np.all(local <= shared + 1e-12) and np.any(local < shared - 1e-6)


def test_one_band_is_plain_nearest_neighbour_cosine(bands):
    train, test = bands
    flat_train, flat_test = train.reshape(30, -1), test.reshape(6, -1)
    np.testing.assert_allclose(
        BEAM(n_bands=1).fit(flat_train).anomaly_score(flat_test),
        KNearestCosine(1).fit(flat_train).anomaly_score(flat_test), rtol=1e-10,
    )  # fmt: skip


def test_varmin_rescales_each_band_on_its_own(bands):
    train, test = bands
    beam = BEAM(varmin=True, density_k=3).fit(train)
    for f in range(4):  # band f alone is a variance-minimised 1-NN on that band's vectors
        band = VarianceMinimisedKNN(density_k=3, space="linear").fit(train[:, f])
        assert beam.alpha_[f] == pytest.approx(band.alpha_, rel=1e-10)
        np.testing.assert_allclose(
            beam.band_anomaly_scores(test)[:, f], band.anomaly_score(test[:, f]), rtol=1e-9
        )
    np.testing.assert_allclose(
        beam.anomaly_score(test), beam.band_anomaly_scores(test).mean(axis=1), rtol=1e-12
    )
    assert not np.allclose(beam.alpha_, 0)


def test_training_scores_are_leave_one_out(bands):
    train, _ = bands
    expected = []
    for i in range(len(train)):
        rest = np.delete(train, i, axis=0)
        expected.append(np.mean([cosine_distances(train[i : i + 1, f], rest[:, f]).min() for f in range(4)]))
    np.testing.assert_allclose(BEAM().fit(train).training_anomaly_scores(), expected, rtol=1e-10)


def test_errors_name_the_problem(bands):
    train, test = bands
    with pytest.raises(ValueError, match=r"n_bands=0 must be an integer >= 1"):
        BEAM(n_bands=0)
    with pytest.raises(ValueError, match=r"X has 20 features, not a multiple of n_bands=3"):
        BEAM(n_bands=3).fit(train.reshape(30, -1))
    with pytest.raises(ValueError, match=r"must be a non-empty \[n, n_bands, d\] \(or set n_bands"):
        BEAM().fit(train.reshape(30, -1))
    with pytest.raises(
        ValueError, match=r"X has bands of shape \(2, 5\); the back-end was fitted on \(4, 5\)"
    ):
        BEAM().fit(train).anomaly_score(test[:, :2])
    with pytest.raises(ValueError, match=r"needs at least 5 training clips; got 3"):
        BEAM(varmin=True, density_k=4).fit(train[:3])
    with pytest.raises(RuntimeError, match="BEAM is not fitted"):
        BEAM().anomaly_score(test)
