"""DCASE 2026 scored as the 2023-2025 evaluators score (the 2026 evaluator could not be read): a run of the 2023
baseline on a generated two-channel tree (dcase2026-ae-mse reads the near channel, channel 0) writes the official files, and the
official score recomputed from those files alone by the 2023-2025 rules equals results.json's."""

from __future__ import annotations

import csv
import json
import sys

import numpy as np
import pytest
import scipy.stats
from sklearn.metrics import roc_auc_score

from asdlens.data import scan
from asdlens.data.synth import generate
from asdlens.engine import EngineOptions
from asdlens.experiment import load_experiment, run_experiment
from asdlens.experiment.protocols import protocol_of
from asdlens.explain import ExplainOptions, explain

QUIET = EngineOptions(executor="inline", progress=False)


def _scores(path):
    with open(path, newline="") as f:
        return {name: float(score) for name, score in csv.reader(f)}


def _official_from_files(out, clips):
    """The 2023-2025 rule, written out: per type, AUC(source) on source normals + all anomalies, AUC(target)
    likewise, pAUC (max_fpr 0.1) on every clip; the harmonic mean of them all, floored at eps."""
    values = {"auc_source": [], "auc_target": [], "pauc": []}
    for machine_type in sorted({c.machine_type for c in clips}):
        scores = _scores(out / f"anomaly_score_{machine_type}_section_00_test.csv")
        mine = [c for c in clips if c.machine_type == machine_type]
        y = np.array([c.label for c in mine])
        s = np.array([scores[c.file_name] for c in mine])
        d = np.array([c.domain for c in mine])
        for domain in ("source", "target"):
            keep = (d == domain) | (y == 1)
            values[f"auc_{domain}"].append(roc_auc_score(y[keep], s[keep]))
        values["pauc"].append(roc_auc_score(y, s, max_fpr=0.1))
    flat = values["auc_source"] + values["auc_target"] + values["pauc"]
    return float(scipy.stats.hmean(np.maximum(flat, sys.float_info.epsilon))), len(flat)


@pytest.mark.slow
def test_official_score_of_a_2026_run_recomputed_from_its_files(tmp_path):
    root = generate(
        tmp_path / "d26", layout="dcase2026", types=["ToyCarEmu", "fan"], parts=["dev"], n_train=12,
        n_train_target=2, n_test_normal=6, n_test_anomaly=6, duration=1.0, seed=3,
    )  # fmt: skip
    exp = load_experiment("dcase2026-ae-mse", ["training.epochs=2"])
    run = run_experiment(exp, data_root=root / "dev_data", out_dir=tmp_path / "run", engine=QUIET)
    assert run.layout == "dcase2026" and protocol_of(run.layout).year.rule.name == "dcase2026"
    data = json.loads((tmp_path / "run" / "results.json").read_text())
    assert data["layout"] == "dcase2026"
    clips = scan(root / "dev_data", "dcase2026").select(split="test")
    score, n = _official_from_files(tmp_path / "run", clips)
    assert n == 3 * 2
    assert data["official_score"] == pytest.approx(score, rel=1e-12)
    assert (tmp_path / "run" / "result.csv").is_file()
    assert sorted(p.name for p in (tmp_path / "run").glob("decision_result_*")) == [
        "decision_result_ToyCarEmu_section_00_test.csv", "decision_result_fan_section_00_test.csv"
    ]  # fmt: skip
    report = (tmp_path / "run" / "report.md").read_text()
    assert "Published official scores" in report and "secondary" in report


@pytest.mark.slow
@pytest.mark.ci
def test_explain_prices_the_channel_policy_on_a_2026_tree(tmp_path):
    root = generate(
        tmp_path / "d26", layout="dcase2026", types=["fan"], parts=["dev"], n_train=12, n_train_target=2,
        n_test_normal=6, n_test_anomaly=6, duration=1.0, seed=5,
    )  # fmt: skip
    result = explain("dcase2026-ae-mse", "dcase2026-ae-subtraction", data_root=root / "dev_data",
                     out_dir=tmp_path / "why", overrides=["training.epochs=2"], options=ExplainOptions(report=False),
                     engine=QUIET, announce=lambda _: None)  # fmt: skip
    assert [s.name for s in result.steps] == ["REF", "channel_policy"]
    step = result.steps[1]
    assert step.group.mine == {"channels.policy": "complex_subtraction"} and not step.group.inert
    assert step.outcome.counters["models_trained"] == 1 and step.outcome.counters["features_computed"] > 0
    assert (
        step.change["official_score"] != 0.0
    )  # the far channel's subtraction moves the features and the score
    cached = {p.parent.name for p in (tmp_path / "why" / "cache" / "features").rglob("*.npy")}
    assert len(cached) == 2 and any(name.endswith("-ch0") for name in cached)  # one entry set per policy
