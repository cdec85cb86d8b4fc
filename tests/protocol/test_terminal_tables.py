"""``asdlens run`` / ``asdlens results`` tables at 80 columns and in a pipe: every number of the results whole.

The results are made by the protocols themselves from scored clips (no training): long machine type names,
MIMII's SNRs, a DCASE 2021 and a 2023/2024 tree with published values beside ours.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console
from typer.testing import CliRunner

from asdlens.cli import app
from asdlens.data import Clip
from asdlens.evaluate import headline, official_columns
from asdlens.evaluate.published import comparison_rows, section_rows
from asdlens.experiment import RunResult, load_experiment
from asdlens.experiment import plan as plan_module
from asdlens.experiment.protocols import protocol_of
from asdlens.report.numbers import fmt

CASES = {
    # layout: (experiment, types, units, snrs)
    "dcase2020": ("dcase2020", ["ToyConveyor", "pump"], ["00", "02", "04"], [None]),
    "mimii": ("mimii", ["slider", "valve"], ["00", "02", "04", "06"], [-6, 0, 6]),
    "dcase2021": ("dcase2021-ae", ["fan", "valve"], ["00", "01", "02"], [None]),
    "dcase2023": ("dcase2023-ae-mahalanobis", ["ToyDrone", "ToyNscale", "bandsaw"], ["00"], [None]),
    "dcase2024": ("dcase2023-ae-mse", ["BrushlessMotor", "AirCompressor", "3DPrinter"], ["00"], [None]),
}


def _clips(layout: str, machine_type: str, unit: str, snr, rng) -> tuple[list[Clip], list[float]]:
    clips, scores = [], []
    domains = ("source", "target") if layout not in ("dcase2020", "mimii") else (None,)
    for domain in domains:
        for label in (0, 1):
            for i in range(60 if domain is None else 40):
                name = f"{'anomaly' if label else 'normal'}_{domain or 'id'}_{unit}_{i:08d}.wav"
                path = Path(f"/d/{machine_type}/{snr}/{unit}/{name}")
                clips.append(Clip(path, layout, machine_type, unit, "test", label, snr, i, domain=domain))
                scores.append(float(rng.normal(0.8 * label + (0.3 if domain == "target" else 0.0))))
    return clips, scores


def _result(layout: str, tmp_path: Path) -> dict:
    """A ``results.json`` of ``layout`` written by its protocol from random scores."""
    name, types, units, snrs = CASES[layout]
    rng = np.random.default_rng(len(layout))
    kind = "id" if layout in ("dcase2020", "mimii") else "section"
    tests, plan_units, scored = [], [], {}
    for t in types:
        for snr in snrs:
            unit = plan_module.Unit(t, snr, None, (), kind)
            plan_units.append(unit)
            for u in units:
                clips, scores = _clips(layout, t, u, snr, rng)
                group = plan_module.TestGroup(t, snr, u, unit.name, tuple(clips), kind)
                tests.append(group)
                scored[group.label] = [(c.file_name, s, c.label) for c, s in zip(clips, scores, strict=True)]
    for unit in plan_units:
        scored[f"{unit.name} training clips"] = []
    exp = load_experiment(name, [f"dataset.root={tmp_path}"])
    plan = plan_module.Plan(tmp_path, layout, plan_units, tests)
    protocol = protocol_of(layout)
    result = RunResult(protocol, protocol.evaluate(exp, plan, scored), {}, tmp_path, exp, layout, plan=plan,
                       scores={g.label: scored[g.label] for g in tests})  # fmt: skip
    return json.loads(json.dumps(result.results_dict()))


def _numbers(data: dict) -> list[str]:
    """Every number the tables must show, as they write it."""
    layout = data["layout"]
    protocol = protocol_of(layout)
    out = []
    if layout in ("dcase2020", "mimii"):
        for r in comparison_rows(data["results"], protocol.table()):
            out += [str(r["n"]), fmt(r["auc"]), fmt(r["pauc"])]
            out += [fmt(r[f"published_{m}"]) for m in ("auc", "pauc") if r[f"published_{m}"] is not None]
            out += [fmt(r[f"diff_{m}"], signed=True) for m in ("auc", "pauc") if r[f"diff_{m}"] is not None]
        out += [fmt(a[m]) for a in data["averages"] for m in ("auc", "pauc")]
        out += [fmt(data["mean"]["auc"]), fmt(data["mean"]["pauc"]), fmt(data["official_score_2020"])]
        return out
    official = data["official"]
    table, system = protocol.published(data["experiment"]["scoring"].get("backend", "default"))
    for r in section_rows(official["sections"], official_columns(layout), table, system):
        for c in official_columns(layout):
            out.append(fmt(r[c]))
            if r[f"published_{c}"] is not None:
                out += [fmt(r[f"published_{c}"]), fmt(r[f"diff_{c}"], signed=True)]
    for summary in official["types"].values():
        out += [fmt(v) for v in headline(summary, summary["score"]).values()]
    out += [fmt(v) for v in headline(official["overall"], data["official_score"]).values()]
    return out


def _rendered(data: dict) -> str:
    console = Console(width=80, record=True, file=io.StringIO())  # not a terminal: as in a pipe
    protocol_of(data["layout"]).print_tables(data, console, title="run folder /somewhere/on/disk/run-2026-01")
    return console.export_text()


@pytest.mark.parametrize("layout", list(CASES))
def test_tables_fit_80_columns_with_every_number_whole(layout, tmp_path):
    data = _result(layout, tmp_path)
    text = _rendered(data)
    assert max(len(line) for line in text.splitlines()) <= 80, text
    tokens = set(re.findall(r"[+-]?\d+(?:\.\d+)?", text))
    missing = [n for n in _numbers(data) if n not in tokens]
    assert not missing, (missing, text)
    if layout in ("dcase2023", "dcase2024"):  # the evaluation types are published: pub and Δ are there
        assert "pub" in text and "Δ" in text
    assert "…" not in text  # nothing cut


def test_the_results_command_at_80_columns(tmp_path):
    data = _result("mimii", tmp_path)
    (tmp_path / "results.json").write_text(json.dumps(data))
    out = CliRunner().invoke(app, ["results", str(tmp_path)], env={"COLUMNS": "80"})
    assert out.exit_code == 0, out.output
    assert max(len(line) for line in out.output.splitlines()) <= 80
    assert f"score {fmt(data['official_score_2020'])}" in out.output
    tokens = set(re.findall(r"[+-]?\d+(?:\.\d+)?", out.output))
    assert not [n for n in _numbers(data) if n not in tokens]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"layout": "dcase2020", "results": []}, "results.json has no 'averages'"),
        (
            {"layout": "dcase2023", "official": {}, "domains": [], "official_score": None},
            "official has no 'sections'",
        ),
        ({"layout": "dcase2030"}, "dataset.layout='dcase2030' has no evaluation protocol"),
    ],
)
def test_the_results_command_names_what_a_results_json_lacks(data, message, tmp_path):
    (tmp_path / "results.json").write_text(json.dumps(data))
    out = CliRunner().invoke(app, ["results", str(tmp_path)])
    assert out.exit_code == 2 and "not a results.json written by asdlens run" in out.output, out.output
    assert message in " ".join(out.output.split())


@pytest.mark.parametrize("layout", list(CASES))
def test_tables_show_the_bootstrap_intervals_of_types_and_overall(layout, tmp_path):
    from asdlens.report.numbers import fmt_interval

    data = _result(layout, tmp_path)
    text = _rendered(data)
    intervals = data["intervals"]
    key = "official_score_2020" if layout in ("dcase2020", "mimii") else "official_score"
    low, high = intervals["overall"][key]
    assert low < (data.get("official_score_2020") or data.get("official_score")) < high
    assert fmt_interval([low, high]) in text
    metric = "auc" if layout in ("dcase2020", "mimii") else "official_score"
    assert all(fmt_interval(v[metric]) in text for v in intervals["types"].values())
    assert "1000 resamples" in " ".join(text.split())
    # an older results.json without intervals still prints
    del data["intervals"]
    assert "95% CI" not in _rendered(data)
