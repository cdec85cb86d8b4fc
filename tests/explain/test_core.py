"""The ladder and the Shapley split on value functions with known answers (no training: pure arithmetic)."""

from types import SimpleNamespace

import pytest

from asdlens.evaluate.metrics import IdResult
from asdlens.experiment import load_experiment
from asdlens.experiment.protocols import protocol_of
from asdlens.experiment.protocols.ids import id_evaluation
from asdlens.explain import ladder

REF = load_experiment("dcase2020")


def known_value_run(effect):
    """A run whose AUC is a known function of the config: lets the split be checked exactly."""

    calls = []

    def run_one(exp):
        calls.append(exp)
        auc = effect(exp)
        rows = [
            IdResult("pump", mid, None, auc + d, auc / 2 + d, 10, 10)
            for mid, d in (("00", 0.01), ("02", -0.01))
        ]
        return SimpleNamespace(protocol=protocol_of("dcase2020"), evaluation=id_evaluation(rows),
                               counters={"models_trained": 1})  # fmt: skip

    def run_many(exps):  # the whole plan at once, as asdlens.experiment.run_experiments gets it
        return [run_one(e) for e in exps]

    return run_many, calls


def test_one_group_gets_everything():
    mine = load_experiment("dcase2020", ["training.epochs=7"])
    run, _ = known_value_run(lambda e: 0.6 + 0.01 * e.training.epochs)
    result = ladder(REF, mine, run, attribute=True, announce=lambda _: None)
    assert [s.name for s in result.steps] == ["REF", "training"]
    assert result.total["auc"] == pytest.approx(0.01 * (7 - 100))
    assert result.shapley["training"]["auc"] == pytest.approx(result.total["auc"])


def test_additive_groups_split_exactly_and_the_ladder_telescopes():
    mine = load_experiment("dcase2020", ["training.epochs=7", "frontend.n_mels=64", "metric.max_fpr=0.2"])

    def effect(e):
        return (
            0.8
            - 0.001 * (100 - e.training.epochs)
            - 0.0005 * (128 - e.spec.n_mels)
            + (e.metric.max_fpr - 0.1)
        )

    run, calls = known_value_run(effect)
    result = ladder(REF, mine, run, attribute=True, announce=lambda _: None)
    steps = {s.name: s.change["auc"] for s in result.steps[1:]}
    assert steps == pytest.approx({"n_mels": -0.032, "training": -0.093, "metric": 0.1})
    assert sum(steps.values()) == pytest.approx(result.total["auc"])
    assert {k: v["auc"] for k, v in result.shapley.items()} == pytest.approx(steps)
    assert len(calls) == 2**3  # every subset once: the ladder's runs are reused by the split


def test_interaction_is_split_evenly_and_order_changes_the_ladder_not_the_split():
    mine = load_experiment("dcase2020", ["training.epochs=7", "frontend.n_mels=64"])

    def effect(e):  # only both changes together matter
        return 0.9 - 0.2 * (e.training.epochs == 7 and e.spec.n_mels == 64)

    run, _ = known_value_run(effect)
    a = ladder(REF, mine, run, attribute=True, announce=lambda _: None)
    b = ladder(REF, mine, run, order=["training"], attribute=True, announce=lambda _: None)
    assert [s.change["auc"] for s in a.steps[1:]] == pytest.approx([0.0, -0.2])
    assert [s.change["auc"] for s in b.steps[1:]] == pytest.approx([0.0, -0.2])
    assert [s.name for s in b.steps[1:]] == ["training", "n_mels"]
    assert a.shapley == b.shapley
    assert a.shapley["n_mels"]["auc"] == pytest.approx(-0.1)


def test_repeats_mark_changes_within_the_noise():
    mine = load_experiment("dcase2020", ["training.epochs=7", "frontend.n_mels=64"])

    def effect(e):  # seed noise of ±0.02; epochs cost 0.2, n_mels costs 0.001
        noise = 0.02 * (1 if e.training.seed % 2 else -1)
        return 0.8 + noise - 0.2 * (e.training.epochs == 7) - 0.001 * (e.spec.n_mels == 64)

    run, calls = known_value_run(effect)
    result = ladder(REF, mine, run, repeats=4, announce=lambda _: None)
    noise = {s.name: s.within_noise["auc"] for s in result.steps[1:]}
    assert noise == {"n_mels": True, "training": False}
    assert len(calls) == 3 * 4 and {e.training.seed for e in calls} == {0, 1, 2, 3}
    assert result.steps[0].outcome.value["auc_sd"] > 0


def test_too_many_groups_for_shapley_is_refused_before_any_run():
    overrides = [
        "training.epochs=7",
        "frontend.n_mels=64",
        "metric.max_fpr=0.2",
        "frames=3",
        "scoring.aggregate=max",
        "model.per=id",
        "frontend.power=1.0",
        "frontend.n_fft=2048",
        "frontend.fmin=50",
        "frontend.mel_scale=htk",
        "frontend.norm=null",
        "frontend.hop_length=256",
    ]
    mine = load_experiment("dcase2020", overrides)
    run, calls = known_value_run(lambda e: 0.5)
    with pytest.raises(ValueError, match="Shapley split needs 2\\*\\*1[1-9]"):
        ladder(REF, mine, run, attribute=True, announce=lambda _: None)
    assert calls == []
