"""Temporal pooling against plain NumPy loops of the published definitions (arXiv 2603.04605 Sec. III, Wilkinghoff,
Yadav, Tan; GeM: Radenovic et al. TPAMI 2019; GWRP: Kolesnikov and Lampert ECCV 2016), and the setting's parser."""

from __future__ import annotations

import numpy as np
import pytest

from asdlens.models.pooling import (
    Pooling,
    gem_pool,
    gwrp_pool,
    max_pool,
    mean_pool,
    parse_pooling,
    pool,
    rdp_gem_pool,
    rdp_pool,
    rdp_weights,
)


@pytest.fixture(scope="module")
def clip():
    """One clip of 12 frames x 5 features with a few negative values and one strongly deviating frame."""
    rng = np.random.default_rng(3)
    x = rng.normal(0.5, 0.4, size=(12, 5))
    x[7] += 3.0
    return x


def _rdp_reference(x: np.ndarray, gamma: float) -> tuple[np.ndarray, np.ndarray]:
    """d_t = ||x_t - mean||, d^_t = d_t / max d, w_t = (1 + d^_t)^gamma / sum (kasahart's reading of Sec. III-E)."""
    mu = x.mean(axis=0)
    d = np.array([np.sqrt(np.sum((row - mu) ** 2)) for row in x])
    a = (1.0 + d / d.max()) ** gamma
    w = a / a.sum()
    return w, (w[:, None] * x).sum(axis=0)


def test_mean_and_max_are_numpys(clip):
    np.testing.assert_array_equal(mean_pool(clip), clip.mean(axis=0))
    np.testing.assert_array_equal(max_pool(clip), clip.max(axis=0))


@pytest.mark.parametrize("p", [1.0, 3.0, 10.0])
def test_gem_is_the_generalised_mean_of_the_positive_part(clip, p):
    # ((1/T) sum_t max(x_t, 0)^p)^(1/p): negatives removed (arXiv 2603.04605 Sec. III-D)
    expected = [np.mean([max(v, 0.0) ** p for v in clip[:, j]]) ** (1 / p) for j in range(clip.shape[1])]
    np.testing.assert_allclose(gem_pool(clip, p), expected, rtol=1e-12)


def test_gem_tends_to_max_and_survives_large_p(clip):
    np.testing.assert_allclose(gem_pool(clip, 400.0), np.maximum(clip.max(axis=0), 0), rtol=0.01)
    big = gem_pool(clip * 1e3, 300.0)  # 3000^300 overflows float64; the scaled form does not
    assert np.all(np.isfinite(big))
    np.testing.assert_allclose(gem_pool(np.full((4, 2), -1.0), 3.0), 0.0)  # nothing positive


@pytest.mark.parametrize("r", [0.0, 0.4, 0.9, 1.0])
def test_gwrp_weights_the_ranked_values_by_powers_of_r(clip, r):
    expected = []
    for j in range(clip.shape[1]):
        ranked = sorted(clip[:, j], reverse=True)
        w = [r**t for t in range(len(ranked))]
        expected.append(sum(wi * v for wi, v in zip(w, ranked, strict=True)) / sum(w))
    np.testing.assert_allclose(gwrp_pool(clip, r), expected, rtol=1e-12)
    if r == 1.0:
        np.testing.assert_allclose(gwrp_pool(clip, r), clip.mean(axis=0), rtol=1e-12)
    if r == 0.0:
        np.testing.assert_array_equal(gwrp_pool(clip, r), clip.max(axis=0))


@pytest.mark.parametrize("gamma", [0.0, 4.0, 19.0])
def test_rdp_is_the_deviation_weighted_mean(clip, gamma):
    w, pooled = _rdp_reference(clip, gamma)
    np.testing.assert_allclose(rdp_weights(clip, gamma), w, rtol=1e-12)
    np.testing.assert_allclose(rdp_pool(clip, gamma), pooled, rtol=1e-12)
    if gamma == 0:
        np.testing.assert_allclose(rdp_pool(clip, 0), clip.mean(axis=0), rtol=1e-12)  # gamma = 0: the mean
    else:
        assert np.argmax(rdp_weights(clip, gamma)) == 7  # the deviating frame weighs most


def test_rdp_gem_is_gem_weighted_by_rdp(clip):
    # the paper's hybrid (Sec. III-F): (sum_t w_t max(x_t, 0)^p)^(1/p) with the RDP weights
    w, _ = _rdp_reference(clip, 16.0)
    expected = [sum(w[t] * max(clip[t, j], 0) ** 3 for t in range(len(clip))) ** (1 / 3) for j in range(5)]
    np.testing.assert_allclose(rdp_gem_pool(clip, 16.0, 3.0), expected, rtol=1e-12)
    np.testing.assert_allclose(rdp_gem_pool(clip, 0.0, 3.0), gem_pool(clip, 3.0), rtol=1e-12)


def test_a_constant_clip_pools_to_its_frame():
    x = np.tile([0.2, 1.5, 3.0], (6, 1))
    for spec in ("mean", "max", "gem(p=4)", "gwrp(r=0.3)", "rdp(gamma=12)", "rdp_gem(gamma=12,p=3)"):
        np.testing.assert_allclose(pool(x, spec), x[0], rtol=1e-12, err_msg=spec)


@pytest.mark.parametrize(
    "spec", ["mean", "max", "gem(p=3)", "gwrp(r=0.6)", "rdp(gamma=8)", "rdp_gem(gamma=9,p=3)"]
)
def test_pooling_is_order_free_and_positively_homogeneous(clip, spec):
    order = np.random.default_rng(0).permutation(len(clip))
    np.testing.assert_allclose(pool(clip[order], spec), pool(clip, spec), rtol=1e-12)
    np.testing.assert_allclose(pool(2.5 * clip, spec), 2.5 * pool(clip, spec), rtol=1e-12)


@pytest.mark.parametrize("spec", ["gem(p=3)", "rdp(gamma=8)", "rdp_gem(gamma=9,p=3)+max"])
def test_a_batch_and_a_band_grid_pool_as_their_parts(spec):
    rng = np.random.default_rng(1)
    batch = rng.standard_normal((4, 9, 6))  # [clips, frames, d]
    np.testing.assert_allclose(pool(batch, spec), np.stack([pool(c, spec) for c in batch]), rtol=1e-12)
    grid = rng.standard_normal((9, 3, 6))  # [frames, bands, d]: each band pooled over time on its own
    expected = np.stack([pool(grid[:, f], spec) for f in range(3)])
    np.testing.assert_allclose(pool(grid, spec, axis=0), expected, rtol=1e-12)


def test_terms_joined_by_plus_are_concatenated(clip):
    np.testing.assert_allclose(
        pool(clip, "rdp(gamma=4)+gem(p=3)"), np.concatenate([rdp_pool(clip, 4), gem_pool(clip, 3)])
    )
    assert parse_pooling("mean+max").n_features(768) == 1536


def test_the_setting_has_one_canonical_spelling():
    assert str(parse_pooling(" rdp_gem( p = 3 , gamma=16 ) ")) == "rdp_gem(gamma=16,p=3)"
    assert str(parse_pooling("gem")) == "gem(p=6)"  # the paper's embedding-agnostic default (Table III)
    assert str(parse_pooling("gwrp(r=0.25)+mean")) == "gwrp(r=0.25)+mean"
    parsed = parse_pooling("rdp(gamma=19)+gem(p=10)")
    assert isinstance(parsed, Pooling) and parse_pooling(str(parsed)) == parsed
    assert parse_pooling(parsed) is parsed


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            "average",
            r"unknown pooling 'average'; choose one of mean, max, gem\(p\), gwrp\(r\), rdp\(gamma\), "
            r"rdp_gem\(gamma, p\) \(several joined by '\+'\)",
        ),
        ("gem(q=3)", r"gem takes p=<number>; got 'q=3'"),
        ("mean(p=1)", r"mean takes no parameters; got 'p=1'"),
        ("gem(p=three)", r"gem\(p=three\) is not a number"),
        ("gem(p=0)", r"gem\(p=0\) must be a finite number > 0"),
        ("gwrp(r=1.5)", r"gwrp\(r=1.5\) must be a finite number in \[0, 1\]"),
        ("rdp(gamma=-1)", r"rdp\(gamma=-1\) must be a finite number >= 0"),
        ("gem()", r"gem\(\) is empty; write gem for the defaults"),
        ("mean+mean", r"mean appears twice"),
        ("mean+", r"unknown pooling ''"),
        ("", r"must be a non-empty string"),
    ],
)
def test_setting_errors_name_the_value_and_the_allowed_ones(spec, message):
    with pytest.raises(ValueError, match=message):
        parse_pooling(spec, key="scoring.pooling")
    with pytest.raises(ValueError, match=r"^scoring\.pooling"):
        parse_pooling(spec, key="scoring.pooling")


def test_input_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"must be \[\.\.\., n_frames, n_features\]; got shape \(4,\)"):
        mean_pool(np.zeros(4))
    with pytest.raises(ValueError, match=r"axis=-1 must name a time axis other than the last"):
        mean_pool(np.zeros((3, 4)), axis=-1)
    with pytest.raises(ValueError, match=r"no frames along axis -2"):
        rdp_pool(np.zeros((0, 4)))
    with pytest.raises(ValueError, match=r"NaN or infinite"):
        gem_pool(np.array([[np.nan, 1.0]]))
    with pytest.raises(ValueError, match=r"gem\(p=-2\) must be a finite number > 0"):
        gem_pool(np.ones((2, 2)), p=-2)
