"""AUC/pAUC per ID and clip scores against sklearn and NumPy directly."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from asdlens.evaluate import (
    AGGREGATES,
    IdResult,
    clip_score,
    clip_scores,
    id_metrics,
    mean_defined,
    type_averages,
)
from asdlens.experiment.config import AGGREGATES as CONFIG_AGGREGATES


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_id_metrics_equal_sklearn(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 60)
    y[:2] = [0, 1]
    s = np.round(rng.standard_normal(60) + 0.8 * y, 1)  # rounding makes ties, which sklearn averages
    r = id_metrics(list(y), list(s), machine_type="pump", machine_id="00", max_fpr=0.1)
    assert r.auc == roc_auc_score(y, s)
    assert r.pauc == roc_auc_score(y, s, max_fpr=0.1)
    assert (r.n_normal, r.n_anomaly, r.n) == (int((y == 0).sum()), int(y.sum()), 60)
    assert r.message is None
    r2 = id_metrics(list(y), list(s), machine_type="pump", machine_id="00", max_fpr=0.3)
    assert r2.pauc == roc_auc_score(y, s, max_fpr=0.3)
    assert id_metrics(list(y), list(s), machine_type="p", machine_id="00", max_fpr=None).pauc is None


def test_unlabelled_clips_are_left_out():
    labels = [0, 1, None, 0, 1, None]
    scores = [0.1, 0.9, 5.0, 0.2, 0.3, -1.0]
    r = id_metrics(labels, scores, machine_type="fan", machine_id="02")
    assert r.auc == roc_auc_score([0, 1, 0, 1], [0.1, 0.9, 0.2, 0.3]) and r.n == 4


@pytest.mark.parametrize(
    ("labels", "pattern"),
    [
        ([0, 0, 0], r"fan id_06 6dB: the test set has only normal clips \(3\)"),
        ([1, 1], r"only anomalous clips \(2\)"),
        ([None, None], "no labelled test clips"),
    ],
)
def test_single_class_gives_a_message_not_a_crash(labels, pattern):
    r = id_metrics(labels, [0.5] * len(labels), machine_type="fan", machine_id="06", snr=6)
    assert r.auc is None and r.pauc is None
    assert r.message is not None
    import re

    assert re.search(pattern, r.message)


def test_id_metrics_errors():
    with pytest.raises(ValueError, match="2 labels but 3 scores"):
        id_metrics([0, 1], [1, 2, 3], machine_type="a", machine_id="00")
    with pytest.raises(ValueError, match="labels must be 0, 1 or None; got 2"):
        id_metrics([0, 2], [1, 2], machine_type="a", machine_id="00")
    with pytest.raises(ValueError, match="non-finite"):
        id_metrics([0, 1], [1, float("nan")], machine_type="a", machine_id="00")
    with pytest.raises(ValueError, match=r"max_fpr=1.5 must be in \(0, 1\]"):
        id_metrics([0, 1], [1, 2], machine_type="a", machine_id="00", max_fpr=1.5)


def test_type_averages_are_arithmetic_means_over_defined_ids():
    rows = [
        IdResult("pump", "00", None, 0.6, 0.5, 5, 5),
        IdResult("pump", "02", None, 0.8, 0.7, 5, 5),
        IdResult("pump", "04", None, None, None, 5, 0, "only normal"),
        IdResult("fan", "00", 6, 0.9, 0.6, 5, 5),
    ]
    avg = type_averages(rows)
    assert avg[("pump", None)] == {
        "auc": pytest.approx(0.7),
        "pauc": pytest.approx(0.6),
        "n_ids": 2,
        "n_undefined": 1,
    }
    assert avg[("fan", 6)]["auc"] == 0.9
    assert mean_defined([None, None]) is None


def test_clip_scores_equal_numpy():
    rng = np.random.default_rng(0)
    counts = [3, 1, 5]
    errors = rng.random(sum(counts))
    parts = np.split(errors, np.cumsum(counts)[:-1])
    assert AGGREGATES == CONFIG_AGGREGATES
    for name, fn in (("mean", np.mean), ("median", np.median), ("max", np.max)):
        np.testing.assert_array_equal(clip_scores(errors, counts, aggregate=name), [fn(p) for p in parts])
    assert clip_score(parts[0]) == np.mean(parts[0])
    with pytest.raises(ValueError, match="scoring.aggregate='sum'"):
        clip_score(parts[0], aggregate="sum")
    with pytest.raises(ValueError, match="non-empty"):
        clip_score(np.zeros(0))
    with pytest.raises(ValueError, match="counts add up to 8 vectors but there are 9"):
        clip_scores(errors, [3, 5])
