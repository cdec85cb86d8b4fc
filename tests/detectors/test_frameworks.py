"""``model.framework`` and the framework defaults as settings: resolution, storage, keys and explain's groups."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pytest

from asdlens.data import Clip
from asdlens.engine import FileIdentity, RunCache
from asdlens.experiment import load_experiment, shipped_experiments
from asdlens.experiment import plan as plan_module
from asdlens.experiment.graph import FIT_KEEPS, JobBuilder, library_versions
from asdlens.explain import compose, differing_groups
from asdlens.explain.core import config_id
from asdlens.keys import stable_key
from asdlens.models import frameworks

TORCH = frameworks.DEFAULTS["torch"]
KERAS = frameworks.DEFAULTS["keras"]


def test_null_takes_the_frameworks_defaults_and_a_default_is_stored_as_null():
    keras, torch = load_experiment("dcase2020"), load_experiment("dcase2020", ["model.framework=torch"])
    assert keras.framework_settings() == KERAS and torch.framework_settings() == TORCH
    # a value equal to the framework's default is stored as null: one config, one key
    explicit = load_experiment(
        "dcase2020", ["model.framework=torch", "model.init=torch", "training.adam_eps=1e-8"]
    )
    assert explicit == torch and explicit.model.init is None and explicit.training.adam_eps is None
    assert torch.to_dict()["model"] == {"name": "dcase2020_autoencoder", "per": "type", "framework": "torch"}
    # a Keras default in a torch config is kept, and is what the config says
    mixed = load_experiment(
        "dcase2020", ["model.framework=torch", "model.init=keras", "training.order=asdlens"]
    )
    assert mixed.to_dict()["model"]["init"] == "keras" and mixed.to_dict()["training"]["order"] == "asdlens"
    assert mixed.framework_settings() == {**TORCH, "init": "keras", "order": "asdlens"}
    assert type(mixed).from_dict(mixed.to_dict()) == mixed
    # the MIMII autoencoder has no BatchNorm: its BatchNorm settings resolve to null in both frameworks
    assert (
        load_experiment("mimii", ["model.framework=torch"]).framework_settings()["batchnorm_momentum"] is None
    )


def test_bad_framework_settings_are_named():
    cases = [
        (["model.framework=jax"], r"model.framework='jax' is not allowed; choose one of \['keras', 'torch'\]"),
        (["model.name=mobilenetv2", "frames=64", "model.framework=torch"],
         r"model.framework='torch': model.name='mobilenetv2' is implemented in \['keras'\] only"),
        (["model.batchnorm_momentum=0.99"], None),  # allowed: a weight in (0, 1]
        (["model.batchnorm_momentum=0"], r"model.batchnorm_momentum=0 must be a number in \(0, 1.0\] or null"),
        (["model.init=he"], r"model.init='he' is not allowed; choose one of \['keras', 'torch'\]"),
        (["training.order=random"], r"training.order='random' is not allowed; choose one of \['asdlens', 'torch'\]"),
        (["training.adam_eps_on=m"], r"training.adam_eps_on='m' is not allowed; choose one of \['v', 'v_hat'\]"),
        (["training.adam_beta2=1"], r"training.adam_beta2=1.0 must be a number in \[0, 1\) or null"),
        (["training.weight_decay=-1"], r"training.weight_decay=-1 must be a number >= 0 or null"),
        (["training.loss_reduction=none"], r"training.loss_reduction='none' is not allowed"),
        (["model.checkpoint=x.pth"], r"model.checkpoint='x.pth' is a torch state dict: it needs model.framework: torch"),
        (["training.epochs=0"], r"training.epochs=0 must be an integer >= 1 \(0 only with model.checkpoint"),
    ]  # fmt: skip
    for items, pattern in cases:
        if pattern is None:
            load_experiment("dcase2020", items)
            continue
        with pytest.raises(ValueError, match=pattern):
            load_experiment("dcase2020", items)
    with pytest.raises(ValueError, match=r"model.batchnorm_eps=0.001 is not a setting of model.name='mimii_autoencoder' "
                                         r"\(it has no BatchNorm\); leave it null"):  # fmt: skip
        load_experiment("mimii", ["model.batchnorm_eps=1e-3"])
    assert load_experiment(
        "dcase2020", ["model.framework=torch", "model.checkpoint=x.pth", "training.epochs=0"]
    )


def _key_before_the_frameworks(builder, exp, unit):
    """The model key as graph.py computed it before model.framework existed."""
    drop = {*frameworks.MODEL_SETTINGS, *frameworks.TRAINING_SETTINGS, "framework", "checkpoint"}
    return stable_key(
        "model",
        {"spec": exp.spec.key(), "channel": exp.dataset.channel, "frames": exp.frames},
        [builder.identity(c.path).key() for c in unit.train],
        {k: v for k, v in exp.key_section("model").items() if k not in drop},
        {k: v for k, v in exp.key_section("training").items() if k not in drop},
        exp.input_dim,
        library_versions(),
        FIT_KEEPS,
    )


def test_keras_experiments_keep_their_model_keys_and_torch_ones_name_torch(tmp_path):
    clip = Clip(Path("/d/fan/train/section_00_source_train_normal_0000_a.wav"), "dcase2023", "fan", "00",
                "train", 0, None, 0, domain="source")  # fmt: skip
    builder = JobBuilder(RunCache(tmp_path))
    builder.identities[clip.path] = FileIdentity(str(clip.path), 1, 2)
    unit = plan_module.Unit("fan", None, None, (clip,))
    keys = {}
    for name in shipped_experiments():
        if name.startswith(
            "beats-"
        ):  # a frozen encoder needs model.checkpoint (tests/encoders/test_encoder_runs.py)
            continue
        exp = load_experiment(name)
        keys[name] = builder.fit_job(exp, unit, []).key
        if exp.model.framework == "keras":
            assert set(exp.key_section("model")) & {"framework", *frameworks.MODEL_SETTINGS} == set(), name
            assert set(exp.key_section("training")) & set(frameworks.TRAINING_SETTINGS) == set(), name
            assert keys[name] == _key_before_the_frameworks(builder, exp, unit), name
        else:
            assert exp.key_section("model")["framework"] == "torch"
            assert keys[name] != _key_before_the_frameworks(builder, exp, unit), name
    # the Keras ports are today's dcase2023-ae-* (their numbers and keys), the torch configs new ones
    assert keys["dcase2023-ae-mse-keras"] == keys["dcase2023-ae-mahalanobis-keras"]
    assert keys["dcase2023-ae-mse"] == keys["dcase2023-ae-mahalanobis"] != keys["dcase2023-ae-mse-keras"]
    deps = frameworks.fit_dependencies(asdict(load_experiment("dcase2023-ae-mse").model), {})
    assert set(deps) == {"torch"}


def test_a_checkpoint_is_keyed_by_its_content(tmp_path):
    path = tmp_path / "a.pth"
    path.write_bytes(b"one")
    model = {"name": "dcase2020_autoencoder", "framework": "torch", "checkpoint": str(path)}
    first = frameworks.fit_dependencies(model, {})
    path.write_bytes(b"two")
    assert frameworks.fit_dependencies(model, {})["checkpoint"] != first["checkpoint"]
    with pytest.raises(ValueError, match="model.checkpoint='.*missing.pth': cannot read it"):
        frameworks.fit_dependencies({**model, "checkpoint": str(tmp_path / "missing.pth")}, {})


def test_explain_walks_the_framework_then_each_default_that_differs():
    ref, mine = load_experiment("dcase2020"), load_experiment("dcase2020-torch")
    groups = differing_groups(ref, mine)
    assert [g.name for g in groups] == ["framework", "init", "batchnorm", "optimizer", "order"]
    assert groups[2].fields == ("model.batchnorm_momentum", "model.batchnorm_eps", "model.batchnorm_variance")
    assert groups[3].mine == {"training.adam_eps": 1e-8, "training.adam_eps_on": "v_hat"}
    # the framework step changes the implementation alone: every default stays Keras's
    step = compose(ref, mine, groups[:1])
    assert step.model.framework == "torch" and step.framework_settings() == KERAS
    assert step.to_dict()["model"]["init"] == "keras"
    after_init = compose(ref, mine, groups[:2]).framework_settings()
    assert after_init == {**KERAS, "init": "torch"}
    assert config_id(compose(ref, mine, groups)) == config_id(mine)
    # the official torch code vs its Keras port: BatchNorm differs only in the running variance
    port, official = load_experiment("dcase2023-ae-mse-keras"), load_experiment("dcase2023-ae-mse")
    names = {g.name: g for g in differing_groups(port, official)}
    assert list(names) == ["framework", "init", "batchnorm", "optimizer", "order"]
    assert names["batchnorm"].fields == ("model.batchnorm_variance",)


def test_a_family_change_takes_its_framework_and_defaults_with_it():
    ref, mine = load_experiment("dcase2020-torch"), load_experiment("dcase2021-mobilenetv2")
    groups = differing_groups(ref, mine)
    model = next(g for g in groups if g.name == "model")
    assert "model.framework" in model.fields and "training.order" in model.fields
    assert not {g.name for g in groups} & set(frameworks.SETTING_GROUPS)
    for i in range(len(groups) + 1):
        compose(ref, mine, groups[:i])  # every step is a valid experiment
    assert config_id(compose(ref, mine, groups)) == config_id(mine)
