"""The protocol registry, the layout table and the group key: one switch, one table, one name per group.

The end-to-end test registers a protocol that exists only here and runs a small experiment through the
unchanged runner, CLI and report: a new protocol (or year) is a registration, not an edit of the runner.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pytest
from typer.testing import CliRunner

from asdlens.atomic import atomic_write_text
from asdlens.cli import app
from asdlens.data import LAYOUT_SPECS, LAYOUTS, GroupKey, layout_spec
from asdlens.data.synth import generate
from asdlens.engine import EngineOptions
from asdlens.evaluate import RULES, official_columns
from asdlens.experiment import load_experiment, run_experiment
from asdlens.experiment.protocols import EvaluationProtocol, protocol_of, register, registered, require
from asdlens.experiment.protocols.ids import IdsProtocol
from asdlens.experiment.protocols.sections import YEARS, SectionsProtocol
from asdlens.experiment.results import results_json
from asdlens.report import Report

INLINE = EngineOptions(executor="inline", progress=False)


def test_every_layout_has_one_protocol_that_agrees_with_the_data_layer():
    for layout in LAYOUTS:
        protocol = protocol_of(layout)
        assert protocol.layout == layout
        # the data layer's "unit is a section" and the protocol's kind are two views of one fact
        assert isinstance(protocol, SectionsProtocol) == layout_spec(layout).sections
    assert set(YEARS) == set(RULES) == {n for n, s in LAYOUT_SPECS.items() if s.sections}
    assert protocol_of("dcase2021").headline_protocol == "dcase2021"
    assert protocol_of("mimii").headline_protocol is None
    assert official_columns("dcase2021") == ("auc_source", "auc_target", "pauc_source", "pauc_target")
    assert official_columns("dcase2025") == ("auc_source", "auc_target", "pauc")
    with pytest.raises(ValueError, match=r"dataset.layout='auto' has no evaluation protocol; choose one of"):
        protocol_of("auto")
    with pytest.raises(ValueError, match="already has a protocol .*replace=True"):
        register(IdsProtocol(protocol_of("dcase2020").rules))


def test_layout_table():
    assert LAYOUTS == (
        "dcase2020", "mimii", "dcase2021", "dcase2022", "dcase2023", "dcase2024", "dcase2025", "dcase2026"
    )  # fmt: skip
    assert {s.channels for n, s in LAYOUT_SPECS.items() if n not in ("mimii", "dcase2026")} == {1}
    assert layout_spec("mimii").channels == 8  # MIMII's eight microphones (data check expects them)
    spec_2026 = layout_spec("dcase2026")
    assert spec_2026.channels == 2 and spec_2026.channel_names == ("near", "far")
    assert [n for n, s in LAYOUT_SPECS.items() if s.strict_channels] == ["dcase2026"]
    assert [layout_spec(n).naming for n in ("dcase2022", "dcase2025", "dcase2026")] == ["dcase2022"] * 3
    with pytest.raises(ValueError, match=r"layout='dcase2027' is not allowed; choose one of \['dcase2020'"):
        layout_spec("dcase2027")


def test_group_key_label_slug_and_order():
    keys = [
        GroupKey("fan", 6, "00"),
        GroupKey("fan", -6, "02"),
        GroupKey("fan", None, "04"),
        GroupKey("ToyCar"),
    ]
    assert [k.label for k in keys] == ["fan id_00 6dB", "fan id_02 -6dB", "fan id_04", "ToyCar"]
    assert [k.slug for k in keys] == ["fan_6dB_id_00", "fan_min6dB_id_02", "fan_id_04", "ToyCar"]
    assert [k.label for k in sorted(keys, key=lambda k: k.order)] == [
        "ToyCar", "fan id_04", "fan id_02 -6dB", "fan id_00 6dB"
    ]  # fmt: skip
    section = GroupKey("valve", None, "01", "section")
    assert (section.label, section.slug) == ("valve section 01", "valve_section_01")
    assert GroupKey("fan", 0).label == "fan 0dB" and GroupKey("fan", 0).slug == "fan_0dB"
    with pytest.raises(ValueError, match="kind='domain' is not allowed"):
        GroupKey("fan", None, "00", "domain")


@dataclass(frozen=True)
class AboveMedian(EvaluationProtocol):
    """Test-only protocol: per machine ID, the share of anomalous clips scored above the median normal clip."""

    layout: str = "dcase2020"
    headline_metrics: tuple[str, ...] = ("share",)

    def check_settings(self, exp, plan) -> None:
        if exp.training.epochs > 5:
            raise ValueError(f"training.epochs={exp.training.epochs}: this test protocol takes at most 5")

    def evaluate(self, exp, plan, scored):
        out = {}
        for g in plan.tests:
            normal = [s for _, s, lab in scored[g.label] if lab == 0]
            anomalous = [s for _, s, lab in scored[g.label] if lab == 1]
            out[g.label] = float(np.mean(np.array(anomalous) > np.median(normal)))
        return out

    def results_dict(self, result):
        return results_json(result, {"share_above_median": result.evaluation})

    def write_files(self, result) -> None:
        lines = "".join(f"{label},{share!r}\n" for label, share in result.evaluation.items())
        atomic_write_text(result.out_dir / "share.csv", lines)

    def files_written(self) -> str:
        return "share.csv"

    def check_results(self, data) -> None:
        require(data, "share_above_median")

    def print_tables(self, data, console, *, title: str) -> None:
        for label, share in data["share_above_median"].items():
            console.print(f"{label}: {share:.3f} of the anomalies above the median normal clip")

    def report(self, result) -> Report:
        rep = Report(f"test protocol: {result.config.name}")
        rep.table(["group", "share"], [[k, v] for k, v in result.evaluation.items()])
        return rep

    def headline(self, result):
        return {"share": float(np.mean(list(result.evaluation.values())))}

    def unit_values(self, result):
        return {label: {"share": v} for label, v in result.evaluation.items()}


@pytest.mark.slow
def test_a_registered_protocol_scores_a_run_without_touching_the_runner(tmp_path):
    root = generate(tmp_path / "data", layout="dcase2020", types=["pump"], ids=["00", "02"], n_train=6,
                    n_test_normal=4, n_test_anomaly=4, duration=1.0, seed=4)  # fmt: skip
    exp = load_experiment("dcase2020", ["training.epochs=1", "training.batch_size=64"])
    with registered(AboveMedian()) as protocol:
        assert protocol_of("dcase2020") is protocol
        with pytest.raises(ValueError, match="training.epochs=7: this test protocol takes at most 5"):
            run_experiment(exp.with_overrides({"training.epochs": 7}), data_root=root, out_dir=tmp_path / "no",
                           engine=INLINE)  # fmt: skip
        assert not (tmp_path / "no" / "cache" / "models").exists()  # refused before anything trained
        result = run_experiment(exp, data_root=root, out_dir=tmp_path / "run", engine=INLINE)
        assert result.protocol is protocol and set(result.evaluation) == {"pump id_00", "pump id_02"}
        data = json.loads((tmp_path / "run" / "results.json").read_text())
        assert data["share_above_median"] == result.evaluation and data["layout"] == "dcase2020"
        assert "results" not in data and "averages" not in data  # the ID protocol's part is not written
        assert (tmp_path / "run" / "share.csv").read_text().startswith("pump id_00,")
        assert not (tmp_path / "run" / "result.csv").exists()
        assert "test protocol: dcase2020" in (tmp_path / "run" / "report.md").read_text()
        cli = CliRunner().invoke(app, ["results", str(tmp_path / "run")])
        assert cli.exit_code == 0 and "pump id_02:" in cli.output, cli.output
        assert protocol.headline(result)["share"] == pytest.approx(np.mean(list(result.evaluation.values())))
    assert isinstance(protocol_of("dcase2020"), IdsProtocol)  # restored after the block


def _imports(path) -> set[str]:
    """Absolute names of the asdlens modules ``path`` imports (also inside functions)."""
    import ast
    from pathlib import Path

    src = Path(__file__).parents[2] / "src"
    module = ".".join(Path(path).relative_to(src).with_suffix("").parts)
    package = (
        module.rsplit(".", 1)[0] if not module.endswith("__init__") else module.removesuffix(".__init__")
    )
    out = set()
    for node in ast.walk(ast.parse(Path(path).read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")
            base = base[: len(base) - node.level + 1] if node.level else []
            name = ".".join([*base, node.module] if node.module else base)
            out |= {name} | {f"{name}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
    return {n for n in out if n.startswith("asdlens")}


def test_numbers_pages_and_protocols_import_downward():
    from pathlib import Path

    src = Path(__file__).parents[2] / "src" / "asdlens"
    for path in (src / "evaluate").glob("*.py"):  # every number, below everything that shows it
        above = {
            n
            for n in _imports(path)
            if not n.startswith(("asdlens.evaluate", "asdlens.atomic", "asdlens.groups"))
        }
        assert not above, (path.name, above)
    assert not {n for n in _imports(src / "groups.py")}
    results = _imports(src / "experiment" / "results.py")
    assert not any(n.startswith("asdlens.experiment.protocols") for n in results)
    pages = {"ids_page", "sections_page"}
    for page in pages:
        found = _imports(src / "experiment" / "protocols" / f"{page}.py")
        assert not any(n.endswith(tuple(pages - {page})) for n in found), page
    cli = set().union(*(_imports(p) for p in (src / "cli").glob("*.py")))
    pages = (
        "asdlens.experiment.render",
        "asdlens.experiment.protocols.ids_page",
        "asdlens.experiment.protocols.sections_page",
    )
    assert not any(n.startswith(pages) for n in cli)  # the CLI reads numbers, not run report pages
