"""The DCASE 2023-2025 baseline's Mahalanobis score: its covariance and its clip score against direct NumPy
computations written the way the official PyTorch code reduces them (the back-end alone, with domains, is
tested in ``tests/years/test_mahalanobis.py``)."""

from __future__ import annotations

import numpy as np
from detector_fixtures import settings, subset

from asdlens.models.detectors import load_detector, make_detector
from asdlens.models.samples import clip_windows, epoch_order, gather, windows


def official_covariance(batches, block):
    """``dcase2023t2_ae.py`` with ``mahala.py``: per batch ``diff = blocks - mean(blocks)``, accumulate
    ``diff.T @ diff``, count the batch's vectors; batches of one vector are skipped; divide by count - 1."""
    total, count = np.zeros((block, block)), 0
    for residual in batches:
        if residual.shape[0] <= 1:
            continue
        blocks = residual.reshape(-1, block)
        mu = np.mean(blocks.T, 1)
        diff = blocks - mu
        total += np.matmul(diff.T, diff)
        count += residual.shape[0]
    return total / (count - 1)


def official_score(residual, precision):
    """``mahalanobis(..., reduction=False)`` then ``loss_reduction(loss_reduction_1d(m), num)``:
    ``sum_i mean_j (d_i P d_j^T) / num`` over the clip's residual blocks."""
    blocks = residual.reshape(-1, precision.shape[0])
    m = np.matmul(np.matmul(blocks, precision), blocks.T)
    return np.sum(np.mean(m, axis=1)) / blocks.shape[0]


def test_autoencoder_mahalanobis_scores_equal_a_direct_numpy_computation(tiny_sets, tmp_path):
    train, test = tiny_sets
    s = settings(["training.epochs=1", "training.batch_size=64", "scoring.backend=mahalanobis"])
    detector = make_detector(s)
    detector.fit(train, seed=3)

    # the covariance: residuals of the training part's vectors, in the last epoch's order (epoch 1 of 1)
    win = windows(train, 5)
    fit_part, _ = win.split(0.1)
    starts = win.starts[fit_part]
    order = epoch_order(len(starts), 3, 1)

    def residual(x):
        x = x.reshape(len(x), -1)
        return x.astype(np.float64) - detector.model.predict(x, verbose=0).astype(np.float64)

    batches = [residual(gather(train, starts[order[i : i + 64]], 5)) for i in range(0, len(order), 64)]
    # model.predict batches differently from the detector's traced function: float32 last bits may differ
    np.testing.assert_allclose(
        detector.residual_backend.covariances_["source"],
        official_covariance(batches, 128),
        rtol=1e-5,
        atol=1e-9,
    )

    precision = np.linalg.inv(detector.residual_backend.covariances_["source"])
    expected = [official_score(residual(clip_windows(test, i, 5)), precision) for i in range(test.n_clips)]
    scores = detector.score(test)
    np.testing.assert_allclose(scores, expected, rtol=1e-5)

    # the same trained model scored by default is the baseline's mean MSE
    mse = [np.mean(np.square(residual(clip_windows(test, i, 5)))) for i in range(test.n_clips)]
    s_default = {**s, "scoring": {**s["scoring"], "backend": "default"}}
    detector.save(tmp_path)
    np.testing.assert_allclose(load_detector(tmp_path, s_default).score(test), mse, rtol=1e-5)
    # saved and loaded, the Mahalanobis scores are the same bits (same process, same kernels)
    assert np.array_equal(load_detector(tmp_path, s).score(test), scores)
    # a clip's score does not depend on the clips scored with it
    assert np.array_equal(detector.score(subset(test, [4, 1])), scores[[4, 1]])
