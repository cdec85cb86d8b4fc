"""The selective Mahalanobis back-end against direct NumPy / SciPy / torch computations of its definition."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import mahalanobis

from asdlens.models.mahalanobis import ResidualMahalanobis

BLOCK = 8  # small blocks keep the covariances well conditioned with few vectors


def _residuals(seed: int, n: int, frames: int = 5, shift: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mixing = rng.standard_normal((BLOCK, BLOCK)) * 0.3 + np.eye(BLOCK)
    blocks = rng.standard_normal((n * frames, BLOCK)) @ mixing + shift
    return blocks.reshape(n, frames * BLOCK)


def _direct_covariances(residuals, domains, batch):
    """The baseline's recipe written out: per batch and domain, blocks centred on their batch mean, outer
    products summed, divided by (vectors of the domain - 1)."""
    sums = {d: np.zeros((BLOCK, BLOCK)) for d in ("source", "target")}
    counts = dict.fromkeys(sums, 0)
    for start in range(0, len(residuals), batch):
        r, d = residuals[start : start + batch], np.array(domains[start : start + batch])
        if len(r) <= 1:
            continue
        for dom in sums:
            own = r[d == dom].reshape(-1, BLOCK)
            if len(own):
                # np.cov with bias=True is the centred scatter divided by the number of rows
                sums[dom] += np.cov(own, rowvar=False, bias=True) * len(own)
                counts[dom] += int(np.sum(d == dom))
    return {dom: sums[dom] / (counts[dom] - 1) for dom in sums}, counts


def test_covariances_are_the_batch_centred_scatter_per_domain():
    residuals = np.concatenate([_residuals(0, 300), _residuals(1, 41, shift=0.7)])
    domains = ["source"] * 300 + ["target"] * 41
    order = np.random.default_rng(2).permutation(len(domains))
    residuals, domains = residuals[order], [domains[i] for i in order]
    fitted = ResidualMahalanobis(BLOCK).fit(residuals, domains, batch_size=64)
    expected, counts = _direct_covariances(residuals, domains, 64)
    assert fitted.counts_ == counts == {"source": 300, "target": 41}
    for dom in ("source", "target"):
        np.testing.assert_allclose(fitted.covariances_[dom], expected[dom], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(fitted.precisions_[dom] @ expected[dom], np.eye(BLOCK), atol=1e-9)
    # centring per batch is not centring once: the batches change the result (as in the baseline)
    whole = ResidualMahalanobis(BLOCK).fit(residuals, domains)
    assert not np.allclose(whole.covariances_["target"], fitted.covariances_["target"])


def test_score_is_the_min_over_domains_of_the_mean_residual_distance():
    train = np.concatenate([_residuals(0, 200), _residuals(1, 60, shift=1.5)])
    fitted = ResidualMahalanobis(BLOCK).fit(train, ["source"] * 200 + ["target"] * 60, batch_size=50)
    clip = _residuals(7, 31, shift=0.4)
    blocks = clip.reshape(-1, BLOCK)
    mean = blocks.mean(axis=0)
    for dom in ("source", "target"):
        p = fitted.precisions_[dom]
        # scipy's distance is the square root of the quadratic form
        assert fitted.distances(clip)[dom] == pytest.approx(
            mahalanobis(mean, np.zeros(BLOCK), p) ** 2, rel=1e-10
        )
        # the baseline's reduction: the mean over all block pairs (i, j) of d_i P d_j
        pairwise = blocks @ p @ blocks.T
        assert fitted.distances(clip)[dom] == pytest.approx(pairwise.mean(), rel=1e-9)
    assert fitted.score(clip) == min(fitted.distances(clip).values())
    scores = fitted.score_samples([clip, clip[:3], -clip])
    assert scores.shape == (3,) and scores[0] == scores[2] == fitted.score(clip)


def test_equals_the_baselines_torch_reduction():
    torch = pytest.importorskip("torch")
    train = _residuals(3, 120)
    fitted = ResidualMahalanobis(BLOCK).fit(train, [None] * 120, batch_size=40)  # None counts as source
    assert fitted.counts_ == {"source": 120, "target": 0}
    np.testing.assert_array_equal(fitted.covariances_["target"], fitted.covariances_["source"])
    clip = _residuals(4, 17)
    delta = torch.from_numpy(clip.reshape(-1, BLOCK))
    inv = torch.from_numpy(fitted.precisions_["source"])
    m = (
        delta @ inv @ delta.T
    )  # torch.matmul(torch.matmul(delta, inv_cov), delta.t()), then mean(dim=1), sum / N
    value = float(torch.sum(torch.mean(m, dim=1)) / m.shape[0])
    assert fitted.score(clip) == pytest.approx(value, rel=1e-9)


def test_single_vector_batches_are_skipped_and_bad_input_is_named(tmp_path):
    train = _residuals(5, 65)
    domains = ["source"] * 65
    fitted = ResidualMahalanobis(BLOCK).fit(train, domains, batch_size=64)  # the last batch holds one vector
    assert fitted.counts_["source"] == 64
    with pytest.raises(ValueError, match=r"block_size=0 must be a positive integer"):
        ResidualMahalanobis(0)
    with pytest.raises(ValueError, match=r"residuals must be \[n_vectors, k \* 8\]"):
        ResidualMahalanobis(BLOCK).partial_fit(np.zeros((4, 12)), domains[:4])
    with pytest.raises(ValueError, match=r"domains must be 'source' or 'target'.*'other'"):
        ResidualMahalanobis(BLOCK).partial_fit(train[:2], ["source", "other"])
    with pytest.raises(ValueError, match=r"3 residual vectors but 2 domains"):
        ResidualMahalanobis(BLOCK).partial_fit(train[:3], domains[:2])
    with pytest.raises(ValueError, match=r"at least 2 source training vectors; got 0"):
        ResidualMahalanobis(BLOCK).finalize()
    few = ResidualMahalanobis(BLOCK).partial_fit(np.ones((2, BLOCK)), ["source", "source"])
    with pytest.raises(ValueError, match=r"source residual covariance .* is singular"):
        few.finalize()
    path = fitted.save(tmp_path / "state.npz")
    again = ResidualMahalanobis.load(path)
    assert again.counts_ == fitted.counts_
    clip = _residuals(6, 9)
    assert again.score(clip) == fitted.score(clip)
