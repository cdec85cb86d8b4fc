"""Experiment configs: the shipped baselines hold the official facts, round trips, overrides, clear errors."""

from __future__ import annotations

import pytest

from asdlens.experiment import (
    Experiment,
    apply_overrides,
    load_experiment,
    parse_overrides,
    shipped_experiments,
)


def test_shipped_dcase2020_is_the_baseline():
    exp = load_experiment("dcase2020")
    s = exp.spec
    assert (s.sample_rate, s.n_mels, s.n_fft, s.hop_length, s.power) == (16000, 128, 1024, 512, 2.0)
    assert (s.center, s.pad_mode, s.log) == (True, "reflect", "dcase")
    assert exp.frames == 5 and exp.input_dim == 640
    assert (exp.model.name, exp.model.per) == ("dcase2020_autoencoder", "type")
    t = exp.training
    assert (t.epochs, t.batch_size, t.validation_split, t.shuffle, t.learning_rate) == (
        100,
        512,
        0.1,
        True,
        None,
    )
    assert exp.scoring.aggregate == "mean" and exp.metric.max_fpr == 0.1
    assert exp.dataset.layout == "dcase2020"


def test_shipped_mimii_is_the_paper():
    exp = load_experiment("mimii")
    assert exp.spec.n_mels == 64 and exp.input_dim == 320 and exp.dataset.channel == 0
    assert (exp.model.name, exp.model.per, exp.training.epochs) == ("mimii_autoencoder", "id", 50)
    assert (exp.dataset.layout, exp.dataset.split) == ("mimii", "paper")


@pytest.mark.parametrize("name", ["dcase2020", "mimii"])
def test_round_trips(name, tmp_path):
    assert {"dcase2020", "mimii"} <= set(shipped_experiments())
    exp = load_experiment(name)
    assert Experiment.from_dict(exp.to_dict()) == exp
    path = tmp_path / "exp.yaml"
    path.write_text(exp.to_yaml())
    assert load_experiment(str(path)) == exp
    assert exp.with_overrides(None) is exp


def test_overrides():
    exp = load_experiment(
        "dcase2020",
        [
            "training.epochs=2",
            "frontend.n_mels=64",
            "frames=3",
            "dataset.ids=[0, id_02, '04']",
            "metric.max_fpr=null",
        ],
    )
    assert exp.training.epochs == 2 and exp.spec.n_mels == 64 and exp.frames == 3 and exp.input_dim == 192
    assert exp.dataset.ids == ("00", "02", "04") and exp.metric.max_fpr is None
    assert exp.spec.pad_mode == "reflect"  # the rest of the preset is kept
    # A new preset starts the frontend again; fields given with it still apply.
    lib = load_experiment("dcase2020", {"frontend.preset": "librosa", "frontend.n_mels": 40})
    assert lib.preset == "librosa" and lib.spec.n_mels == 40 and lib.spec.pad_mode == "constant"
    assert load_experiment("dcase2020", ["dataset.types=pump,fan"]).dataset.types == ("pump", "fan")
    assert parse_overrides(["training.epochs=3", "name=x"]) == {"training.epochs": 3, "name": "x"}
    # YAML 1.1 reads 1e-3 as a string; the number fields take it as the number.
    assert load_experiment("dcase2020", ["training.learning_rate=1e-3"]).training.learning_rate == 0.001
    assert load_experiment("dcase2020", ["frontend.fmin=1e2"]).spec.fmin == 100.0
    data = load_experiment("mimii").to_dict()
    assert apply_overrides(data, {"training.seed": 5})["training"]["seed"] == 5
    assert data["training"]["seed"] == 0  # a copy


@pytest.mark.parametrize(
    ("items", "pattern"),
    [
        (["training.epochs=0"], r"training.epochs=0 must be an integer >= 1"),
        (["training.epoch=3"], r"unknown field 'epoch' of training; allowed: \['epochs'"),
        (["optimizer.lr=3"], r"unknown section 'optimizer'"),
        (["frontend.n_mel=3"], r"unknown frontend field 'n_mel'"),
        (["model.name=vae"], r"model.name='vae' is not allowed; choose one of"),
        (["model.per=clip"], r"model.per='clip'"),
        (["training.validation_split=1"], r"validation_split=1.0 must be a number in \[0, 1\)"),
        (["metric.max_fpr=0"], r"metric.max_fpr=0 must be a number in \(0, 1\]"),
        (["dataset.layout=dcase2027"], r"dataset.layout='dcase2027' is not allowed.*'dcase2026', 'auto'"),
        (["dataset.ids=[ab]"], r"dataset.ids=.*machine ID"),
        (["frontend.n_fft=-1"], r"frontend: MelSpec.n_fft=-1"),
        (["epochs"], r"--set 'epochs' must look like section.field=value"),
        (["dataset=3"], r"--set dataset: unknown key"),
    ],
)
def test_override_errors_name_the_field(items, pattern):
    with pytest.raises(ValueError, match=pattern):
        load_experiment("dcase2020", items)


def test_load_errors(tmp_path):
    with pytest.raises(ValueError, match=r"unknown experiment 'dcase2021'; shipped experiments: \["):
        load_experiment("dcase2021")
    with pytest.raises(ValueError, match="cannot read experiment file"):
        load_experiment(str(tmp_path / "missing.yaml"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("training: [1, 2\n")
    with pytest.raises(ValueError, match="bad.yaml: not valid YAML"):
        load_experiment(str(bad))
    bad.write_text("trainig:\n  epochs: 2\n")
    with pytest.raises(ValueError, match=r"bad.yaml: unknown section\(s\) \['trainig'\]"):
        load_experiment(str(bad))
    bad.write_text("training:\n  epochs: two\n")
    with pytest.raises(ValueError, match=r"bad.yaml: training.epochs='two' must be an integer"):
        load_experiment(str(bad))
