"""Plans on DCASE 2021-2025 trees: one test group per type x section, units per type, evaluation trees."""

from __future__ import annotations

import pytest

from asdlens.data.synth import generate
from asdlens.experiment import load_experiment
from asdlens.experiment import plan as plan_module
from asdlens.experiment.plan import make_plan, training_group

TINY = dict(n_train=3, n_train_target=1, n_test_normal=2, n_test_anomaly=2, duration=0.1, seed=3)


@pytest.fixture(scope="module")
def trees(tmp_path_factory):
    root = tmp_path_factory.mktemp("years")
    return {
        "dcase2021": generate(root / "d21", layout="dcase2021", types=["fan", "valve"], sections=["00", "01"],
                              eval_sections=["03"], **TINY),
        "dcase2023": generate(root / "d23", layout="dcase2023", types=["fan"], eval_types=["ToyTank"], **TINY),
        "dcase2025": generate(root / "d25", layout="dcase2025", types=["bearing"], eval_types=["AutoTrash"],
                              n_supplemental=2, **TINY),
    }  # fmt: skip


def test_each_section_is_a_test_group_and_each_type_one_unit(trees):
    plan = make_plan(load_experiment("dcase2021-ae"), trees["dcase2021"] / "dev_data")
    assert plan.layout == "dcase2021" and plan.sections
    assert [u.name for u in plan.units] == ["fan", "valve"]
    # a unit pools its sections and both domains (1 target + 3 source training clips per section)
    assert [len(u.train) for u in plan.units] == [8, 8]
    assert {c.domain for c in plan.units[0].train} == {"source", "target"}
    assert [t.label for t in plan.tests] == [
        "fan section 00",
        "fan section 01",
        "valve section 00",
        "valve section 01",
    ]
    for t in plan.tests:
        assert t.kind == "section" and t.unit == t.machine_type
        # both domains' folders (source_test/ and target_test/) are in the section's group
        assert sorted((c.domain, c.label) for c in t.clips) == sorted([(d, lab) for d in ("source", "target")
                                                                      for lab in (0, 0, 1, 1)])  # fmt: skip
    per_section = make_plan(
        load_experiment("dcase2021-ae", ["model.per=id"]), trees["dcase2021"] / "dev_data"
    )
    assert [u.name for u in per_section.units] == ["fan_section_00", "fan_section_01", "valve_section_00",
                                                   "valve_section_01"]  # fmt: skip
    assert [t.unit for t in per_section.tests] == [u.name for u in per_section.units]
    group = training_group(plan.units[0])
    assert (group.label, group.kind, group.clips) == ("fan training clips", "train", plan.units[0].train)
    sections = make_plan(
        load_experiment("dcase2021-ae", ["dataset.ids=[1]"]), trees["dcase2021"] / "dev_data"
    )
    assert [t.label for t in sections.tests] == ["fan section 01", "valve section 01"]


def test_auto_detects_the_year_and_keeps_the_scans_warnings(trees):
    plan = make_plan(load_experiment("dcase2023-ae-mse"), trees["dcase2023"] / "dev_data")
    assert plan.layout == "dcase2023"
    # a development tree of section 00 alone could be 2023, 2024 or 2025: read as 2023, and said so
    assert [w.code for w in plan.warnings] == ["layout-ambiguous"]
    plan25 = make_plan(load_experiment("dcase2023-ae-mse"), trees["dcase2025"])
    assert plan25.layout == "dcase2025"
    # the supplemental clips are neither trained on nor scored
    assert all(c.split != "supplemental" for c in plan25.clips)
    assert [u.name for u in plan25.units] == ["AutoTrash", "bearing"]


def test_evaluation_trees_with_and_without_ground_truth(trees):
    root = trees["dcase2023"]
    hidden = make_plan(load_experiment("dcase2023-ae-mse"), root / "eval_data")
    assert [t.label for t in hidden.tests] == ["ToyTank section 00"]
    assert all(c.label is None and c.domain is None for c in hidden.tests[0].clips)
    known = make_plan(
        load_experiment("dcase2023-ae-mse", [f"dataset.ground_truth={root / 'ground_truth'}"]),
        root / "eval_data",
    )
    assert all(c.label in (0, 1) and c.domain in ("source", "target") for c in known.tests[0].clips)
    assert sorted(c.label for c in known.tests[0].clips) == [0, 0, 0, 0, 1, 1, 1, 1]


def test_dcase2020_plans_are_unchanged(tmp_path):
    root = generate(tmp_path / "d20", types=["pump"], ids=["00"], n_train=2, n_test_normal=1, n_test_anomaly=1,
                    duration=0.1)  # fmt: skip
    plan = make_plan(load_experiment("dcase2020"), root)
    assert not plan.sections and plan.warnings == []
    assert [(u.name, u.kind) for u in plan.units] == [("pump", "id")]
    assert [(t.label, t.kind) for t in plan.tests] == [("pump id_00", "id")]
    assert plan_module.Unit("pump", None, "00", ()).name == "pump_id_00"
