"""DCASE 2021 and 2023 end to end on generated data, with real training: the official files written and read
back, the official score recomputed from them, the target domain below the source domain for the autoencoder,
and ``explain dcase2023-ae-mse dcase2023-ae-mahalanobis``.

The generated sections used have a real shift (``asdlens.data.synth.shift``): 2023 valve and ToyTrain section 00
change ``load`` in the target domain, 2021 pump sections 00/01/02 change the microphone, the speed and the load.
The CI test (one ``explain``, whose REF step is the ``dcase2023-ae-mse`` run) takes about 80 s on 2 cores.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from asdlens.cli import app
from asdlens.data import scan
from asdlens.data.synth import generate
from asdlens.engine import EngineOptions
from asdlens.evaluate import (
    HEADLINE_METRICS,
    evaluate_official,
    gamma_threshold,
    headline,
    read_evaluator_result_csv,
    read_submission,
    submission_rows,
)
from asdlens.experiment import load_experiment, run_experiment
from asdlens.explain import explain
from asdlens.report import check_html

QUIET = EngineOptions(progress=False)  # every run of these tests without the live display

pytestmark = pytest.mark.slow
EPOCHS_2023 = ["training.epochs=20"]


@pytest.fixture(scope="module")
def tree2023(tmp_path_factory):
    return generate(
        tmp_path_factory.mktemp("d23") / "data", layout="dcase2023", types=["valve", "ToyTrain"],
        eval_types=["ToyTank"], n_train=40, n_train_target=4, n_test_normal=10, n_test_anomaly=10, duration=2.0,
        seed=1,
    )  # fmt: skip


@pytest.fixture(scope="module")
def explained2023(tree2023, tmp_path_factory):
    out = tmp_path_factory.mktemp("explain23")
    result = explain(
        "dcase2023-ae-mse", "dcase2023-ae-mahalanobis", data_root=tree2023 / "dev_data", out_dir=out,
        overrides=EPOCHS_2023, engine=QUIET, announce=lambda _: None,
    )  # fmt: skip
    runs = {
        name: run_experiment(
            load_experiment(name, EPOCHS_2023),
            data_root=tree2023 / "dev_data",
            out_dir=out / name,
            cache_dir=out / "cache",
            engine=QUIET,
        )  # fmt: skip
        for name in ("dcase2023-ae-mse", "dcase2023-ae-mahalanobis")
    }
    return out, result, runs


def _check_files(run, root, layout):
    """The run's score/decision files read back equal its scores, thresholds and official result."""
    out = run.out_dir
    submission = read_submission(out)
    names = sorted(p.name for p in submission.files)
    units = sorted({(g.machine_type, g.machine_id) for g in run.plan.tests})
    domains = ("_source", "_target") if layout == "dcase2021" else ("",)
    expected = sorted(
        f"{kind}_{t}_section_{s}{d}_test.csv" for kind in ("anomaly_score", "decision_result") for t, s in units
        for d in domains
    )  # fmt: skip
    assert names == expected
    for group in run.plan.tests:
        for name, score, _ in run.scores[group.label]:
            assert submission.scores[(group.machine_type, name)] == score  # repr round trip: exact
            limit = run.thresholds[group.unit]
            assert submission.decisions[(group.machine_type, name)] == int(score > limit)
    for unit, limit in run.thresholds.items():
        assert limit == gamma_threshold(run.train_scores[unit])
        assert len(run.train_scores[unit]) == len(next(u for u in run.plan.units if u.name == unit).train)
    # the official score again, from the files and the tree alone
    clips = scan(root, layout).select(split="test")
    again = evaluate_official(
        submission_rows(submission, clips, layout), layout, decisions=submission.decisions, ci95=True
    )  # fmt: skip (2022 on, the run computes the evaluators' ci95 too)
    assert again.to_dict() == run.official.to_dict()
    written = read_evaluator_result_csv(out / "result.csv")
    assert written.official_score == pytest.approx(run.official_score, rel=1e-15)
    data = json.loads((out / "results.json").read_text())
    assert data["official_score"] == run.official_score and data["layout"] == layout
    assert len(data["domains"]) == 2 * len(run.official.sections)
    assert "results" not in data and "mean" not in data
    return data


@pytest.mark.ci
def test_dcase2023_files_written_read_back_and_the_shift_is_real(explained2023, tree2023):
    _, _, runs = explained2023
    run = runs["dcase2023-ae-mse"]
    assert run.layout == "dcase2023" and run.counters["models_trained"] == 0  # the explain trained them
    _check_files(run, tree2023 / "dev_data", "dcase2023")
    top = headline(run.official.overall, run.official_score)
    assert top["auc_target"] < top["auc_source"] - 0.2, top
    for section in run.official.sections:  # load-shifted: every target normal looks anomalous
        assert section.auc_target < section.auc_source, section
    # the Mahalanobis covariances were fit on the training part: every training vector but the validation draw
    for name, info in run.models.items():
        n_val = int(np.ceil(0.1 * info["n_vectors"]))
        counts = info["mahalanobis"]
        assert counts["n_source"] + counts["n_target"] == info["n_vectors"] - n_val, name
        assert counts["n_target"] > 0
    assert check_html(run.out_dir / "report.html")
    report = (run.out_dir / "report.md").read_text()
    assert "## Official score" in report and "official_heatmap.png" in report
    assert (run.out_dir / "official_heatmap.png").is_file()


@pytest.mark.ci
def test_explain_mse_vs_mahalanobis_reports_each_domain(explained2023):
    out, result, runs = explained2023
    assert [s.name for s in result.steps] == ["REF", "scoring"]
    assert result.metrics == HEADLINE_METRICS and result.protocol == "dcase2023"
    step = result.steps[1]
    assert step.group.fields == ("scoring.backend",)
    # the back-end is fit with every 2021+ model: changing it retrains nothing
    assert step.outcome.counters["models_trained"] == 0 and step.outcome.counters["models_cached"] == 2
    for metric in HEADLINE_METRICS:
        ref = headline(runs["dcase2023-ae-mse"].official.overall, runs["dcase2023-ae-mse"].official_score)
        mine = headline(
            runs["dcase2023-ae-mahalanobis"].official.overall, runs["dcase2023-ae-mahalanobis"].official_score
        )  # fmt: skip
        assert result.steps[0].outcome.value[metric] == ref[metric]
        assert step.change[metric] == pytest.approx(mine[metric] - ref[metric], abs=1e-15)
        assert result.total[metric] == step.change[metric]
    data = json.loads((out / "explain.json").read_text())
    assert data["metrics"] == list(HEADLINE_METRICS) and data["protocol"] == "dcase2023"
    assert set(data["steps"][1]["change"]) == set(HEADLINE_METRICS)
    assert set(data["steps"][1]["per_id"]) == {"ToyTrain section 00", "valve section 00"}
    assert set(data["steps"][1]["per_id"]["valve section 00"]) >= {"auc_source", "auc_target", "pauc"}
    assert len(check_html(out / "report.html")) == 2
    md = (out / "report.md").read_text()
    assert "How each step moved the domains" in md and "scoring: official score" in md
    cli = CliRunner().invoke(
        app, ["results", str(out / "runs" / next(p.name for p in (out / "runs").iterdir()))]
    )
    assert cli.exit_code == 0 and "official score" in cli.output


def test_dcase2021_per_domain_files_and_the_target_domain_is_harder(tmp_path):
    root = generate(tmp_path / "d21", layout="dcase2021", types=["pump"], n_train=60, n_train_target=3,
                    n_test_normal=12, n_test_anomaly=12, duration=2.0, seed=1, parts=("dev",))  # fmt: skip
    run = run_experiment(
        load_experiment("dcase2021-ae", ["training.epochs=60"]), data_root=root / "dev_data", out_dir=tmp_path / "run",
        engine=EngineOptions("local", progress=False),
    )  # fmt: skip
    data = _check_files(run, root / "dev_data", "dcase2021")
    assert run.official.n_values == 12  # 3 sections x 2 domains x (AUC, pAUC)
    top = headline(run.official.overall, run.official_score)
    assert top["auc_target"] < top["auc_source"], top
    lower = [s.auc_target < s.auc_source for s in run.official.sections]
    assert sum(lower) >= 2, run.official.sections
    assert [row["domain"] for row in data["domains"][:2]] == ["source", "target"]
    cli = CliRunner().invoke(app, ["results", str(tmp_path / "run")])
    assert cli.exit_code == 0 and "as the dcase2021 evaluator" in cli.output, cli.output


def test_evaluation_tree_scored_then_evaluated_with_its_ground_truth(tree2023, tmp_path):
    """No ground truth: the submission files, nothing evaluated. With it: the evaluator's result. The same bytes
    on the inline and the local executor."""
    quick = ["training.epochs=2"]
    hidden = run_experiment(
        load_experiment("dcase2023-ae-mse", quick), data_root=tree2023 / "eval_data", out_dir=tmp_path / "hidden",
        engine=EngineOptions("inline", progress=False),
    )  # fmt: skip
    assert hidden.official is None and hidden.official_score is None
    assert any("have no label or domain" in m for m in hidden.messages)
    assert not (tmp_path / "hidden" / "result.csv").exists()
    submission = read_submission(tmp_path / "hidden")
    assert {p.name for p in submission.files} == {"anomaly_score_ToyTank_section_00_test.csv",
                                                  "decision_result_ToyTank_section_00_test.csv"}  # fmt: skip
    assert all(name.count("_") == 2 for _, name in submission.scores)  # section_00_0000.wav: hidden names
    cli = CliRunner().invoke(app, ["results", str(tmp_path / "hidden")])
    assert cli.exit_code == 0 and "not evaluated" in cli.output
    truth = tree2023 / "ground_truth"
    runs = {}
    for executor in ("inline", "local"):
        out = tmp_path / f"known-{executor}"
        cli = CliRunner().invoke(app, ["run", "dcase2023-ae-mse", "--data", str(tree2023 / "eval_data"),
                                       "--ground-truth", str(truth), "--out", str(out), "--executor", executor,
                                       "--set", "training.epochs=2", "-q"])  # fmt: skip
        assert cli.exit_code == 0, cli.output
        assert "official score" in cli.output
        runs[executor] = out
    names = ["results.json", "result.csv", "anomaly_score_ToyTank_section_00_test.csv",
             "decision_result_ToyTank_section_00_test.csv"]  # fmt: skip
    for name in names:
        assert (runs["inline"] / name).read_bytes() == (runs["local"] / name).read_bytes(), name
    data = json.loads((runs["inline"] / "results.json").read_text())
    clips = scan(tree2023 / "eval_data", ground_truth=truth).select(split="test")
    submission = read_submission(runs["inline"])
    again = evaluate_official(submission_rows(submission, clips, "dcase2023"), "dcase2023",
                              decisions=submission.decisions, ci95=True)  # fmt: skip
    assert again.official_score == data["official_score"] and again.to_dict() == data["official"]
    # the scores do not depend on the ground truth: the hidden run's file is the same file
    assert (tmp_path / "hidden" / names[2]).read_bytes() == (runs["inline"] / names[2]).read_bytes()


def test_explain_the_keras_port_against_the_official_torch_baseline(tree2023, tmp_path):
    """``explain dcase2023-ae-mse-keras dcase2023-ae-mse``: the framework, then each default that differs, on the
    year's official score and its harmonic means."""
    result = explain(
        "dcase2023-ae-mse-keras", "dcase2023-ae-mse", data_root=tree2023 / "dev_data", out_dir=tmp_path / "out",
        overrides=["training.epochs=2"], progress=False, report=False, announce=lambda _: None,
    )  # fmt: skip
    assert [s.name for s in result.steps] == ["REF", "framework", "init", "batchnorm", "optimizer", "order"]
    assert result.steps[3].group.fields == ("model.batchnorm_variance",)
    assert result.metrics == HEADLINE_METRICS and result.protocol == "dcase2023"
    for metric in HEADLINE_METRICS:
        assert sum(s.change[metric] for s in result.steps[1:]) == pytest.approx(
            result.total[metric], abs=1e-12
        )
    for step in result.steps[1:]:
        assert (
            step.outcome.counters["models_trained"] == 2 and step.outcome.counters["features_computed"] == 0
        )
