"""The ArcFace and AdaCos heads against their formulas written in NumPy, the soft-label loss, and mixup batches."""

from __future__ import annotations

import math

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from asdlens.models.margin_family import band_statistics, labelled_batches  # noqa: E402
from asdlens.models.margin_layers import AdaCosHead, ArcFaceHead, soft_cross_entropy  # noqa: E402
from asdlens.models.samples import ClipSet, EpochOrders  # noqa: E402


def unit(x, axis):
    return x / np.linalg.norm(x, axis=axis, keepdims=True)


def log_softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


@pytest.fixture
def batch():
    rng = np.random.default_rng(11)
    emb = rng.standard_normal((6, 8)).astype(np.float32)
    labels = np.eye(3, dtype=np.float32)[[0, 1, 2, 0, 1, 2]]
    labels[5] = [0.0, 0.3, 0.7]  # a mixed label
    return emb, labels


def test_arcface_adds_the_angular_margin_in_training_only(batch):
    emb, labels = batch
    head = ArcFaceHead(3, margin=0.5, scale=30.0)
    out_eval = np.asarray(head([emb, labels], training=False), np.float64)
    out_train = np.asarray(head([emb, labels], training=True), np.float64)
    cos = unit(emb.astype(np.float64), 1) @ unit(np.asarray(head.centres, np.float64), 0)
    theta = np.arccos(np.clip(cos, -1, 1))
    shifted = np.where(theta < math.pi - 0.5, np.cos(theta + 0.5), cos - 0.5 * math.sin(math.pi - 0.5))
    expected_train = log_softmax(30.0 * (labels * shifted + (1 - labels) * cos))
    np.testing.assert_allclose(out_eval, log_softmax(30.0 * cos), atol=2e-4)
    np.testing.assert_allclose(out_train, expected_train, atol=2e-4)
    # the margin makes the labelled class less likely during training
    assert np.all(
        out_train[np.arange(5), labels[:5].argmax(1)] < out_eval[np.arange(5), labels[:5].argmax(1)]
    )


def test_adacos_scale_follows_the_adacos_rule_over_non_target_centres(batch):
    emb, labels = batch
    head = AdaCosHead(3, subclusters=2)
    head([emb, labels], training=False)  # build
    s0 = float(np.asarray(head.scale))
    assert s0 == pytest.approx(math.sqrt(2) * math.log(3 * 2 - 1))
    out = np.asarray(head([emb, labels], training=True), np.float64)
    cos = unit(emb.astype(np.float64), 1) @ unit(np.asarray(head.centres, np.float64), 0)  # [6, 6]
    target = np.repeat(labels, 2, axis=1) > 0
    b_avg = np.mean([np.exp(s0 * cos[i][~target[i]]).sum() for i in range(6)])
    nearest = np.array([np.arccos(cos[i][target[i]]).min() for i in range(6)])
    s1 = math.log(b_avg) / math.cos(min(math.pi / 4, np.median(nearest)))
    assert float(np.asarray(head.scale)) == pytest.approx(s1, rel=1e-4)
    # class probability = sum of its sub-clusters' softmax probabilities, with the new scale
    p = np.exp(log_softmax(s1 * cos)).reshape(6, 3, 2).sum(axis=2)
    np.testing.assert_allclose(np.exp(out), p, atol=1e-4)
    # inference does not touch the scale
    head([emb, labels], training=False)
    assert float(np.asarray(head.scale)) == pytest.approx(s1, rel=1e-6)


def test_soft_cross_entropy_and_round_trip():
    log_p = np.log(np.array([[0.5, 0.25, 0.25], [0.1, 0.8, 0.1]], np.float32))
    y = np.array([[1, 0, 0], [0, 0.5, 0.5]], np.float32)
    expected = [-math.log(0.5), -(0.5 * math.log(0.8) + 0.5 * math.log(0.1))]
    np.testing.assert_allclose(np.asarray(soft_cross_entropy(y, log_p)), expected, rtol=1e-6)
    for head in (ArcFaceHead(4, margin=0.3, scale=20.0), AdaCosHead(4, subclusters=3)):
        clone = type(head).from_config(head.get_config())
        assert clone.get_config() == head.get_config()


def test_mixup_batches_mix_windows_and_labels_alike_and_repeat_with_the_seed():
    frames = np.arange(40 * 2, dtype=np.float32).reshape(40, 2)
    clips = ClipSet(frames, np.array([0, 20, 40]), [{}, {}])
    starts = np.array([0, 4, 8, 20, 24, 28])
    targets = np.array([0, 0, 0, 1, 1, 1])

    def batches(mixup, seed=3):
        # in order (no shuffle): each window's mirror partner in the batch is of the other class
        orders = EpochOrders(len(starts), seed, shuffle=False)
        return labelled_batches(clips, starts, 4, targets, 2, batch_size=6, mixup=mixup, orders=orders)

    (x, y), y2 = batches(1.0)[0]
    assert y is y2 and x.shape == (6, 4, 2) and y.shape == (6, 2)
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-6)
    (x0, y0), _ = batches(0.0)[0]
    np.testing.assert_array_equal(y0, np.eye(2)[targets])
    w = y[np.arange(6), targets]  # the weight of each sample's own window
    assert np.all((w >= 0) & (w <= 1)) and len(set(np.round(w, 6))) > 1
    np.testing.assert_allclose(x, w[:, None, None] * x0 + (1 - w[:, None, None]) * x0[::-1], rtol=1e-5)
    (xa, _), _ = batches(1.0)[0]
    assert np.array_equal(xa, x)  # same seed and epoch: the same batch
    (xb, _), _ = batches(1.0, seed=4)[0]
    assert not np.array_equal(xb, x)
    half = batches(0.5)
    (xh, yh), _ = half[0]
    kept = np.all(yh == y0, axis=1)
    np.testing.assert_array_equal(xh[kept], x0[kept])


def test_band_statistics_are_per_mel():
    frames = np.array([[1.0, 5.0], [3.0, 5.0]], np.float32)
    mean, std = band_statistics(ClipSet(frames, np.array([0, 2]), [{}]))
    np.testing.assert_allclose(mean, [2.0, 5.0])
    np.testing.assert_allclose(std, [1.0, 1e-3])  # a constant band is floored, not divided by zero
