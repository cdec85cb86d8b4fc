"""The bootstrap intervals: replicates equal sklearn on the resampled clips, the 95 % interval covers a known
population AUC about 95 % of the time, paired differences, and the year's means replicate by replicate."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import hmean, norm
from sklearn.metrics import roc_auc_score

from asdlens.evaluate import (
    BootstrapOptions,
    IdScores,
    difference,
    id_draws,
    paired_difference,
    section_draws,
)
from asdlens.evaluate.bootstrap import (
    auc_replicates,
    pauc_replicates,
    percentile_interval,
    stratified_counts,
    unit_weights,
)


def test_replicates_equal_sklearn_on_the_resampled_clips_with_ties():
    rng = np.random.default_rng(3)
    for _ in range(60):
        n = int(rng.integers(6, 60))
        y = rng.integers(0, 2, n)
        y[:2] = (0, 1)
        s = np.round(rng.normal(size=n) + y, int(rng.integers(0, 3)))  # rounding makes ties
        w = rng.integers(0, 4, size=(2, n)).astype(float)
        w[:, :2] += 1
        for b in range(2):
            yy, ss = np.repeat(y, w[b].astype(int)), np.repeat(s, w[b].astype(int))
            assert auc_replicates(s, y, w[b : b + 1])[0] == pytest.approx(roc_auc_score(yy, ss), abs=1e-13)
            for max_fpr in (0.1, 0.37):
                got = pauc_replicates(s, y, w[b : b + 1], max_fpr=max_fpr)[0]
                assert got == pytest.approx(roc_auc_score(yy, ss, max_fpr=max_fpr), abs=1e-13)


def test_counts_keep_every_stratum_and_are_seeded_per_unit():
    strata = np.array([0] * 5 + [1] * 3 + [2] * 7)
    w = stratified_counts(strata, 50, np.random.default_rng(0))
    assert w.shape == (50, 15)
    for s, m in ((0, 5), (1, 3), (2, 7)):
        assert np.all(w[:, strata == s].sum(axis=1) == m)
    opts = BootstrapOptions(n_resamples=20)
    labels = [0, 0, 0, 1, 1]
    np.testing.assert_array_equal(
        unit_weights("a", labels, None, opts), unit_weights("a", labels, None, opts)
    )
    assert not np.array_equal(unit_weights("a", labels, None, opts), unit_weights("b", labels, None, opts))


def test_the_95_percent_interval_covers_the_population_auc_in_93_to_97_percent_of_2000_draws():
    """Normals N(0, 1), anomalies N(1, 1): population AUC = Phi(1 / sqrt(2)) = 0.760. 2000 seeded data sets of
    60 + 60 clips, 400 replicates each."""
    rng = np.random.default_rng(2024)
    n, shift, draws = 60, 1.0, 2000
    truth = norm.cdf(shift / np.sqrt(2))
    y = np.r_[np.zeros(n, int), np.ones(n, int)]
    hits = 0
    for _ in range(draws):
        scores = rng.normal(size=2 * n) + shift * y
        low, high = percentile_interval(auc_replicates(scores, y, stratified_counts(y, 400, rng)))
        hits += low <= truth <= high
    assert 0.93 <= hits / draws <= 0.97


def test_paired_difference_sees_a_real_step_and_not_a_relabelled_copy():
    rng = np.random.default_rng(5)
    y = np.r_[np.zeros(150, int), np.ones(150, int)]
    base = rng.normal(size=300)
    a = base + 1.0 * y
    b = base + 0.6 * y  # the same clips, a weaker separation
    delta, low, high = paired_difference(a, b, y)
    assert delta == pytest.approx(roc_auc_score(y, a) - roc_auc_score(y, b), abs=1e-12)
    assert 0 < low < delta < high
    # pairing matters: the unpaired intervals of a and b overlap, the paired one excludes 0
    noise = a + 0.01 * rng.normal(size=300)
    d0, lo0, hi0 = paired_difference(a, noise, y, metric="pauc")
    assert lo0 <= 0 <= hi0 and abs(d0) < 0.02
    with pytest.raises(ValueError, match="pair the same clips"):
        paired_difference(a, b[:-1], y)


def test_id_draws_average_per_type_then_over_types():
    rng = np.random.default_rng(8)
    groups = []
    for t, ids in (("fan", ("00", "02")), ("pump", ("00",))):
        for i in ids:
            labels = [0] * 30 + [1] * 20
            groups.append(IdScores(t, i, None, labels, list(rng.normal(size=50) + np.array(labels))))
    draws = id_draws(groups, BootstrapOptions(n_resamples=200))
    fan = [draws["units"][f"fan id_{i}"]["auc"] for i in ("00", "02")]
    np.testing.assert_allclose(draws["types"]["fan"]["auc"].draws, (fan[0].draws + fan[1].draws) / 2)
    means = [draws["types"][t]["auc"].value for t in ("fan", "pump")]
    assert draws["overall"]["auc"].value == pytest.approx(np.mean(means))
    score = draws["overall"]["official_score_2020"]
    assert score.value == pytest.approx((draws["overall"]["auc"].value + draws["overall"]["pauc"].value) / 2)
    lo, hi = score.interval()
    assert lo < score.value < hi
    zero = difference(draws, draws)
    assert np.all(zero["overall"]["auc"].draws == 0)


@pytest.mark.parametrize("layout", ["dcase2021", "dcase2023"])
def test_section_draws_take_the_years_clips_and_harmonic_means(layout):
    rng = np.random.default_rng(4)
    rows = []
    for section in ("00", "01"):
        for domain in ("source", "target"):
            for label in (0, 1):
                for i in range(8):
                    score = float(rng.normal(label * (1.5 if domain == "source" else 0.5)))
                    rows.append(("fan", section, domain, f"{section}_{domain}_{label}_{i}.wav", label, score))
    draws = section_draws(rows, layout, BootstrapOptions(n_resamples=100))
    unit = [r for r in rows if r[1] == "00"]
    y, s, d = (np.array([r[k] for r in unit]) for k in (4, 5, 2))
    keep = d == "source" if layout == "dcase2021" else (d == "source") | (y == 1)
    assert draws["units"]["fan section 00"]["auc_source"].value == pytest.approx(
        roc_auc_score(y[keep], s[keep])
    )
    values = [v.value for u in draws["units"].values() for v in u.values()]
    assert draws["overall"]["official_score"].value == pytest.approx(hmean(values))
    assert set(draws["units"]["fan section 00"]) == (
        {"auc_source", "auc_target", "pauc_source", "pauc_target"}
        if layout == "dcase2021"
        else {"auc_source", "auc_target", "pauc"}
    )


def test_seed_mean_resamples_the_seeds_too():
    from asdlens.evaluate.intervals import seed_mean

    rng = np.random.default_rng(9)
    labels = [0] * 40 + [1] * 40
    opts = BootstrapOptions(n_resamples=300)
    runs = []
    for seed_shift in (0.2, 1.0, 1.8):  # three "seeds" of one system that disagree a lot
        scores = list(rng.normal(size=80) + seed_shift * np.array(labels))
        runs.append(id_draws([IdScores("fan", "00", None, labels, scores)], opts))
    pooled = seed_mean(runs, opts)
    values = [r["overall"]["auc"].value for r in runs]
    assert pooled["overall"]["auc"].value == pytest.approx(np.mean(values))
    clips_only = np.mean(
        [r["overall"]["auc"].draws for r in runs], axis=0
    )  # the clip spread of the mean alone
    assert np.std(pooled["overall"]["auc"].draws) > 1.5 * np.std(clips_only)
