"""A DCASE 2021-2025 run's metrics from scores: thresholds, decisions, the official result, the tables; each
against a direct scipy / sklearn computation of the definition."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.stats import gamma, hmean
from sklearn.metrics import roc_auc_score

from asdlens.data import Clip
from asdlens.evaluate import HEADLINE_METRICS, domain_table, headline
from asdlens.experiment import load_experiment
from asdlens.experiment import plan as plan_module
from asdlens.experiment.protocols import protocol_of
from asdlens.experiment.protocols import sections as oo


def _plan(layout: str, scored_unlabelled: int = 0):
    """Two types x two sections, 6 clips per domain x label, scores that separate the source domain better."""
    rng = np.random.default_rng(11)
    tests, scored = [], {}
    for machine_type in ("fan", "valve"):
        for section in ("00", "01"):
            clips, values = [], []
            for domain in ("source", "target"):
                for label in (0, 1):
                    for i in range(6):
                        name = (
                            f"section_{section}_{domain}_test_{'anomaly' if label else 'normal'}_{i:04d}.wav"
                        )
                        clips.append(Clip(Path(f"/d/{machine_type}/test/{name}"), layout, machine_type, section,
                                          "test", label, None, i, domain=domain))  # fmt: skip
                        shift = 1.5 if domain == "source" else 0.4
                        values.append(float(rng.normal(shift * label + (0.6 if domain == "target" else 0.0))))
            for i in range(scored_unlabelled):
                clips.append(Clip(Path(f"/d/{machine_type}/test/section_{section}_{i:04d}.wav"), layout,
                                  machine_type, section, "test", None, None, i))  # fmt: skip
                values.append(0.0)
            group = plan_module.TestGroup(machine_type, None, section, machine_type, tuple(clips), "section")
            tests.append(group)
            scored[group.label] = [(c.file_name, s, c.label) for c, s in zip(clips, values, strict=True)]
    units = [plan_module.Unit(t, None, None, (), "section") for t in ("fan", "valve")]
    return plan_module.Plan(Path("/d"), layout, units, tests), scored


def test_thresholds_are_the_gamma_quantile_of_the_training_scores():
    train = {"fan": list(np.random.default_rng(0).gamma(3.0, 2.0, size=80)), "valve": [1.0, 1.0, 1.0]}
    limits, messages = oo.thresholds(train)
    a, loc, scale = gamma.fit(train["fan"])
    assert limits["fan"] == pytest.approx(gamma.ppf(0.9, a, loc=loc, scale=scale), rel=1e-12)
    assert (
        limits["valve"] is None
        and "valve: no decision threshold (all training scores are equal" in messages[0]
    )


@pytest.mark.parametrize("layout", ["dcase2021", "dcase2023"])
def test_official_result_from_the_scores_matches_the_definition(layout):
    plan, scored = _plan(layout)
    rows = oo.score_rows(plan, scored)
    limits = {"fan": 0.8, "valve": 1.1}
    decisions = oo.decisions_of(plan, rows, limits)
    assert decisions[("fan", rows[0].file_name)] == int(rows[0].score > 0.8)
    assert oo.decisions_of(plan, rows, {"fan": 0.8, "valve": None}) is None
    official, messages = oo.evaluate_rows(load_experiment("dcase2023-ae-mse"), plan, rows, decisions)
    assert messages == []
    values = []
    for r in official.sections:
        unit = [x for x in rows if (x.machine_type, x.section) == (r.machine_type, r.section)]
        y = np.array([x.label for x in unit])
        s = np.array([x.score for x in unit])
        d = np.array([x.domain for x in unit])
        for dom in ("source", "target"):
            keep = d == dom if layout == "dcase2021" else (d == dom) | (y == 1)
            assert getattr(r, f"auc_{dom}") == pytest.approx(roc_auc_score(y[keep], s[keep]), abs=1e-12)
            own = d == dom
            assert getattr(r, f"pauc_{dom}") == pytest.approx(
                roc_auc_score(y[own], s[own], max_fpr=0.1), abs=1e-12
            )
        if layout != "dcase2021":
            assert r.pauc == pytest.approx(roc_auc_score(y, s, max_fpr=0.1), abs=1e-12)
        values.append(r)
    if layout == "dcase2021":
        every = [v for r in values for v in (r.auc_source, r.pauc_source, r.auc_target, r.pauc_target)]
    else:
        every = [v for r in values for v in (r.auc_source, r.auc_target, r.pauc)]
    assert official.official_score == pytest.approx(hmean(every), rel=1e-12)
    top = headline(official.overall, official.official_score)
    assert top["auc_source"] == pytest.approx(hmean([r.auc_source for r in values]), rel=1e-12)
    assert top["auc_target"] == pytest.approx(hmean([r.auc_target for r in values]), rel=1e-12)
    paucs = [r.pauc for r in values] if layout != "dcase2021" else [
        v for r in values for v in (r.pauc_source, r.pauc_target)]  # fmt: skip
    assert top["pauc"] == pytest.approx(hmean(paucs), rel=1e-12)
    # the shift is in the scores: the target domain separates worse
    assert top["auc_target"] < top["auc_source"]
    table = domain_table(official)
    assert len(table) == 2 * len(values)
    first = table[0]
    assert (first["machine_type"], first["section"], first["domain"]) == ("fan", "00", "source")
    assert first["auc"] == values[0].auc_source and (first["n_normal"], first["n_anomaly"]) == (6, 6)
    assert first["pauc_section"] == (None if layout == "dcase2021" else values[0].pauc)


def test_unlabelled_clips_are_scored_not_evaluated():
    plan, scored = _plan("dcase2023", scored_unlabelled=3)
    rows = oo.score_rows(plan, scored)
    official, messages = oo.evaluate_rows(load_experiment("dcase2023-ae-mse"), plan, rows, None)
    assert messages == [
        "12 of 108 test clips have no label or domain (evaluation names without ground truth: set "
        "dataset.ground_truth); they are in the score files but not evaluated"
    ]
    assert all(r.n_normal_source == 6 for r in official.sections)
    hidden = [r._replace(label=None, domain=None) for r in rows]
    assert oo.evaluate_rows(load_experiment("dcase2023-ae-mse"), plan, hidden, None)[0] is None
    assert domain_table(None) == [] and headline(None, None) == dict.fromkeys(HEADLINE_METRICS)


def test_settings_that_cannot_give_an_official_score_stop_the_run_early():
    plan, _ = _plan("dcase2022")
    with pytest.raises(
        ValueError, match=r"metric.max_fpr=None: the dcase2022 official score .* includes pAUC"
    ):
        protocol_of("dcase2022").check_settings(
            load_experiment("dcase2022-ae", ["metric.max_fpr=null"]), plan
        )
    protocol_of("dcase2022").check_settings(load_experiment("dcase2022-ae"), plan)


def test_report_and_results_command_of_a_dcase2021_result(tmp_path):
    """The report leads with the official score and shows the published 2021 values beside ours; ``asdlens
    results`` reads the results.json back."""
    import json

    from typer.testing import CliRunner

    from asdlens.cli import app
    from asdlens.experiment import RunResult
    from asdlens.experiment.protocols.sections import SectionEvaluation
    from asdlens.experiment.render import build_run_report
    from asdlens.report import check_html

    plan, scored = _plan("dcase2021")
    rows = oo.score_rows(plan, scored)
    official, _ = oo.evaluate_rows(load_experiment("dcase2021-ae"), plan, rows, oo.decisions_of(plan, rows, {"fan": 0.8,
                                   "valve": 1.1}))  # fmt: skip
    exp = load_experiment("dcase2021-ae", [f"dataset.root={tmp_path}"])
    evaluation = SectionEvaluation(official, thresholds={"fan": 0.8, "valve": 1.1},
                                   train_scores={"fan": [0.1] * 5, "valve": [0.2] * 5})  # fmt: skip
    result = RunResult(
        protocol=protocol_of("dcase2021"), evaluation=evaluation, counters={}, out_dir=tmp_path, config=exp,
        layout="dcase2021", scores=scored, plan=plan,
        models={"fan": {"key": "k1", "n_clips": 5, "n_vectors": 9, "history": {"loss": [2.0, 1.0]}}},
    )  # fmt: skip
    build_run_report(result).write(tmp_path)
    assert len(check_html(tmp_path / "report.html")) == 6  # heat map, 2 ROC, 2 histograms, loss
    md = (tmp_path / "report.md").read_text()
    assert md.index("## Official score") < md.index("## Per section x domain")
    fan00 = next(line for line in md.splitlines() if line.startswith("| fan | 00 |"))
    cells = [c.strip() for c in fan00.strip("|").split("|")]
    # AUC (source), published (the 2021 AE README's fan section 00 source AUC), diff
    assert cells[3] == "0.6738" and float(cells[4]) == pytest.approx(float(cells[2]) - 0.6738, abs=1e-4)
    data = result.results_dict()
    assert data["official_score"] == official.official_score and "results" not in data
    (tmp_path / "results.json").write_text(json.dumps(data))
    out = CliRunner().invoke(app, ["results", str(tmp_path)])
    assert out.exit_code == 0, out.output
    assert f"official score {official.official_score:.4f}" in out.output and "0.6738" in out.output
    as_json = json.loads(CliRunner().invoke(app, ["results", str(tmp_path), "--json"]).output)
    assert as_json["official"]["sections"][0]["published_auc_source"] == 0.6738


@pytest.mark.parametrize("layout", ["dcase2022", "dcase2023", "dcase2024"])
def test_result_csv_and_results_json_carry_the_evaluators_ci95(layout, tmp_path):
    """The evaluators' ``official score ci95``: the mean of the jackknife 95 % half-widths of the AUC and the
    pAUC of every clip pooled (types, sections and files sorted), computed here from its definition."""
    import json

    from scipy.stats import t

    from asdlens.evaluate import read_evaluator_result_csv
    from asdlens.experiment import RunResult
    from asdlens.experiment.plan import training_group
    from asdlens.experiment.results import write_outputs

    plan, scored = _plan(layout)
    for unit in plan.units:
        scored[training_group(unit).label] = [(f"t{i}.wav", float(v), 0) for i, v in
                                              enumerate(np.random.default_rng(1).gamma(3.0, 0.3, 40))]  # fmt: skip
    exp = load_experiment("dcase2023-ae-mse", [f"dataset.root={tmp_path}"])
    protocol = protocol_of(layout)
    evaluation = protocol.evaluate(exp, plan, scored)
    result = RunResult(protocol=protocol, evaluation=evaluation, counters={}, out_dir=tmp_path, config=exp,
                       layout=layout, scores={g.label: scored[g.label] for g in plan.tests}, plan=plan)  # fmt: skip
    write_outputs(result, {})

    rows = sorted(oo.score_rows(plan, scored), key=lambda r: (r.machine_type, r.section, r.file_name))
    y, s = np.array([r.label for r in rows]), np.array([r.score for r in rows])
    halves = []
    for max_fpr in (None, 0.1):
        loo = np.array(
            [roc_auc_score(np.delete(y, i), np.delete(s, i), max_fpr=max_fpr) for i in range(y.size)]
        )
        sigma = np.sqrt(np.sum((loo - loo.mean()) ** 2) / (y.size * (y.size - 1)))
        halves.append(abs(t.ppf(0.025, y.size - 1)) * sigma)
    expected = np.mean(halves)
    csv_value = read_evaluator_result_csv(tmp_path / "result.csv").ci95
    assert csv_value == pytest.approx(expected, rel=1e-12)
    assert f"official score ci95,,{csv_value!r}" in (tmp_path / "result.csv").read_text()
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["official"]["official_score_ci95"] == csv_value
    # the bootstrap intervals, a key of their own beside (not instead of) the evaluator's number
    low, high = data["intervals"]["overall"]["official_score"]
    assert low < data["official_score"] < high
    assert set(data["intervals"]["units"]) == {"fan section 00", "fan section 01", "valve section 00",
                                               "valve section 01"}  # fmt: skip
    if layout == "dcase2023":  # the report's uncertainty table shows the same interval
        from asdlens.experiment.render import build_run_report
        from asdlens.report.numbers import fmt_interval

        build_run_report(result).write(tmp_path)
        md = (tmp_path / "report.md").read_text()
        assert "## Uncertainty" in md and fmt_interval([low, high]) in md


def test_a_dcase2025_report_shows_the_published_frozen_encoder_systems_beside_the_run(tmp_path):
    from asdlens.experiment import RunResult
    from asdlens.experiment.plan import training_group
    from asdlens.experiment.render import build_run_report, cell

    plan, scored = _plan("dcase2025")
    for unit in plan.units:
        scored[training_group(unit).label] = [(f"t{i}.wav", float(v), 0) for i, v in
                                              enumerate(np.random.default_rng(1).gamma(3.0, 0.3, 40))]  # fmt: skip
    exp = load_experiment("beats-knn", [f"dataset.root={tmp_path}", "model.checkpoint=/nowhere/BEATs.pt"])
    protocol = protocol_of("dcase2025")
    evaluation = protocol.evaluate(exp, plan, scored)
    result = RunResult(protocol=protocol, evaluation=evaluation, counters={}, out_dir=tmp_path, config=exp,
                       layout="dcase2025", scores={g.label: scored[g.label] for g in plan.tests},
                       plan=plan)  # fmt: skip
    build_run_report(result).write(tmp_path)
    md = (tmp_path / "report.md").read_text()
    published = md.split("## Published official scores", 1)[1].split("\n## ", 1)[0]
    lines = {line.split("|")[1].strip(): line for line in published.splitlines() if line.startswith("| ")}
    assert cell(evaluation.official.official_score) in lines["this run"]
    # the training-free state of the art (dev 64.0, eval 62.4), the baseline and the winner, each with its source
    frozen = [line for line in published.splitlines() if "BEATs RDP+GeM + LDN + VarMin" in line]
    assert len(frozen) == 2 and "0.640" in frozen[0] + frozen[1] and "0.624" in frozen[0] + frozen[1]
    assert all("Wilkinghoff, Yadav, Tan, Table V" in line for line in frozen)
    assert "0.5443" in lines["MSE"] and "0.5651" in lines["MAHALA"]
    assert "(secondary)" in next(line for line in published.splitlines() if "challenge winner" in line)
    assert "channels" not in published.splitlines()[2]  # a mono year's table has no channel column
