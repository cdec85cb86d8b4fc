"""The model and scoring sections: the shipped detector experiments hold their sources' settings, parameters are
validated with the family, ``model.per: all``, and every pair of shipped experiments composes into valid
intermediate experiments (what ``explain`` runs)."""

from __future__ import annotations

import itertools
from importlib import resources

import pytest

from asdlens.data.synth import generate
from asdlens.experiment import load_experiment, shipped_experiments
from asdlens.experiment.plan import ALL_TYPES, make_plan, regroup
from asdlens.explain import compose, differing_groups

DETECTORS = ["dcase2020-ae-mahalanobis", "dcase2021-mobilenetv2", "arcface-knn", "arcface-knn-full"]


def header(name: str) -> str:
    text = resources.files("asdlens.experiment").joinpath("configs", f"{name}.yaml").read_text()
    return "\n".join(line for line in text.splitlines() if line.startswith("#"))


def test_shipped_detector_experiments_and_their_sources():
    assert set(DETECTORS) <= set(shipped_experiments())
    assert "nttcslab/dcase2023_task2_baseline_ae" in header("dcase2020-ae-mahalanobis")
    assert "y-kawagu/dcase2021_task2_baseline_mobile_net_v2" in header("dcase2021-mobilenetv2")
    assert "Kota-Dohi/dcase2022_task2_baseline_mobile_net_v2" in header("dcase2021-mobilenetv2")
    assert "liuyoude/STgram-MFN" in header("arcface-knn-full")
    assert "ArcFace" in header("arcface-knn") and "kNN" in header("arcface-knn")


def test_mahalanobis_experiment_is_the_baseline_with_another_scoring_section():
    ae, maha = load_experiment("dcase2020"), load_experiment("dcase2020-ae-mahalanobis")
    assert maha.scoring.backend == "mahalanobis" and ae.scoring.backend == "default"
    assert (maha.spec, maha.frames, maha.model, maha.training, maha.dataset) == (
        ae.spec,
        ae.frames,
        ae.model,
        ae.training,
        ae.dataset,
    )  # so the two share their trained models
    assert [g.name for g in differing_groups(ae, maha)] == ["scoring"]


def test_mobilenetv2_experiment_has_the_published_settings():
    exp = load_experiment("dcase2021-mobilenetv2")
    assert (exp.spec.n_mels, exp.spec.n_fft, exp.spec.hop_length, exp.spec.pad_mode) == (
        128,
        1024,
        512,
        "reflect",
    )
    assert exp.frames == 64 and exp.model.params() == {"hop": 8, "width": 0.5}
    assert (exp.model.name, exp.model.per) == ("mobilenetv2", "type")
    t = exp.training
    assert (t.learning_rate, t.epochs, t.batch_size, t.validation_split, t.shuffle) == (
        1e-5,
        20,
        32,
        0.1,
        True,
    )
    assert (exp.scoring.backend, exp.scoring.aggregate) == ("default", "mean")


def test_margin_experiments():
    cpu, full = load_experiment("arcface-knn"), load_experiment("arcface-knn-full")
    for exp in (cpu, full):
        assert exp.model.per == "all" and exp.model.params()["loss"] == "arcface"
        assert (exp.scoring.backend, exp.scoring.k) == ("knn", 1)
    assert cpu.model.name == "margin_cnn"
    assert (full.model.name, full.frames, full.model.params()["embedding_dim"]) == ("mobilefacenet", 313, 128)
    assert full.model.params()["margin"] == 0.7 and full.model.params()["scale"] == 30.0  # STgram-MFN
    assert full.training.epochs >= 200 and full.training.epochs > 5 * cpu.training.epochs
    assert full.training.gpus >= 1


def test_null_parameters_take_the_family_defaults():
    exp = load_experiment("dcase2020", ["model.name=mobilenetv2"])
    assert exp.model.hop is None and exp.model.params() == {"hop": 8, "width": 0.5}
    assert load_experiment("dcase2020").model.params() == {"hop": 1}
    ada = load_experiment("arcface-knn", ["model.loss=adacos", "model.margin=null", "model.scale=null"])
    assert "margin" not in ada.model.params() and ada.model.params()["subclusters"] == 1


@pytest.mark.parametrize(
    ("items", "pattern"),
    [
        (["model.width=0.5"], r"model.width=0.5 is not a parameter of model.name='dcase2020_autoencoder' "
                              r"\(autoencoder family: \['hop'\]\); leave it null"),
        (["model.name=mobilenetv2", "model.per=id"], r"model.per='id' gives each mobilenetv2 one class"),
        (["scoring.backend=confidence"], r"scoring.backend='confidence' needs a model with classes"),
        (["scoring.backend=lof"], r"scoring.backend='lof' is not allowed; choose one of \['default'"),
        (["scoring.k=0"], r"scoring.k=0 must be an integer >= 1"),
        (["scoring.covariance=round"], r"scoring.covariance='round' is not allowed"),
        (["scoring.reg_covar=-1"], r"scoring.reg_covar=-1 must be a number >= 0"),
        (["model.name=vae"], r"model.name='vae' is not allowed"),
        (["model.hop=0"], r"model.hop=0 must be an integer >= 1"),
        (["model.per=machine"], r"model.per='machine' is not allowed; choose one of \['type', 'id', 'all'\]"),
        (["model.name=margin_cnn", "model.per=all", "model.loss=triplet"], r"model.loss='triplet' is not allowed"),
        (["model.name=margin_cnn", "model.per=all", "model.loss=adacos", "model.margin=0.5"],
         r"model.margin=0.5 is a arcface parameter; model.loss is 'adacos'"),
        (["model.name=margin_cnn", "model.per=all", "model.subclusters=4"],
         r"model.subclusters=4 is a adacos parameter; model.loss is 'arcface'"),
        (["model.name=margin_cnn", "model.per=all", "model.mixup=2"], r"model.mixup=2 must be a number in \[0.0, 1.0\]"),
        (["model.name=margin_cnn", "model.per=all", "model.width=0"], r"model.width=0 must be a number > 0.0"),
        (["model.name=margin_cnn", "model.per=all", "model.embedding_dim=1"], r"model.embedding_dim=1 must be an integer >= 2"),
    ],
)  # fmt: skip
def test_errors_name_the_field(items, pattern):
    with pytest.raises(ValueError, match=pattern):
        load_experiment("dcase2020", items)


@pytest.mark.parametrize(
    "pair", list(itertools.permutations(["dcase2020", "mimii", "dcase2020-torch", *DETECTORS], 2))
)
def test_every_pair_composes_into_valid_experiments(pair):
    """``explain A B`` runs ``compose(A, B, groups)`` for the ladder's prefixes and (with ``--attribute``) for
    every subset of groups: each must be a valid experiment."""
    ref, mine = (load_experiment(n) for n in pair)
    groups = differing_groups(ref, mine)
    assert groups, pair
    for n in range(len(groups) + 1):
        for subset in itertools.combinations(groups, n):
            compose(ref, mine, list(subset))  # validates (raises ValueError naming the field otherwise)
    if ref.model.name != mine.model.name:
        model = next(g for g in groups if g.name == "model")
        assert "model.name" in model.fields
    if ref.scoring.backend != mine.scoring.backend:
        assert "scoring.backend" in next(g for g in groups if g.name == "scoring").fields


def test_plan_per_all_trains_one_model_across_types(tmp_path):
    root = generate(tmp_path / "d", types=["pump", "fan"], ids=["00", "02"], n_train=2, n_test_normal=1,
                    n_test_anomaly=1, duration=1.0)  # fmt: skip
    plan = make_plan(load_experiment("arcface-knn"), root)
    assert [u.name for u in plan.units] == [ALL_TYPES]
    assert len(plan.units[0].train) == 8 and {c.machine_type for c in plan.units[0].train} == {"pump", "fan"}
    assert [t.unit for t in plan.tests] == [ALL_TYPES] * 4
    assert [t.label for t in plan.tests] == ["fan id_00", "fan id_02", "pump id_00", "pump id_02"]
    # a runner shares one plan per dataset section; each experiment's jobs use the plan grouped its way
    per_type = make_plan(load_experiment("dcase2020"), root)
    assert [u.name for u in per_type.units] == ["fan", "pump"]
    assert regroup(per_type, "all") == plan and regroup(plan, "type") == per_type
    assert regroup(per_type, "type") is per_type
    assert [u.name for u in regroup(plan, "id").units] == [
        "fan_id_00",
        "fan_id_02",
        "pump_id_00",
        "pump_id_02",
    ]
    other = generate(tmp_path / "e", types=["all"], ids=["00"], n_train=1, n_test_normal=1, n_test_anomaly=1,
                     duration=1.0)  # fmt: skip
    with pytest.raises(ValueError, match=r"a machine type is called 'all'"):
        make_plan(load_experiment("arcface-knn"), other)
