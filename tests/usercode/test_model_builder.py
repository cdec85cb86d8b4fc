"""``model: {builder: my_model.py:build}``: a user's network (Keras or torch) trained by the autoencoder
family's loop, and the errors that name the builder's file."""

from __future__ import annotations

import json

import pytest

from asdlens.data.synth import generate
from asdlens.engine import EngineOptions
from asdlens.experiment import load_experiment, run_experiment

QUIET = EngineOptions(progress=False)

KERAS = """
import keras


def build(input_dim):
    x = keras.Input((input_dim,))
    h = keras.layers.Dense(32, activation="relu")(x)
    code = keras.layers.Dense(6, activation="relu")(h)
    h = keras.layers.Dense(32, activation="relu")(code)
    return keras.Model(x, keras.layers.Dense(input_dim)(h))


def too_narrow(input_dim):
    x = keras.Input((input_dim,))
    return keras.Model(x, keras.layers.Dense(7)(x))


def broken(input_dim):
    raise RuntimeError("no GPU here")
"""

TORCH = """
import torch


class Small(torch.nn.Module):
    def __init__(self, input_dim):
        super().__init__()
        self.encoder = torch.nn.Sequential(torch.nn.Linear(input_dim, 16), torch.nn.ReLU(), torch.nn.Linear(16, 4))
        self.decoder = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, input_dim))

    def forward(self, x):
        return self.decoder(self.encoder(x))

    def code(self, x):
        return self.encoder(x)


def build(input_dim):
    return Small(input_dim)
"""


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("builder")
    data = generate(root / "data", layout="dcase2020", types=["pump"], ids=["00"], n_train=6, n_test_normal=3,
                    n_test_anomaly=3, duration=1.0, seed=1)  # fmt: skip
    (root / "keras_model.py").write_text(KERAS)
    (root / "torch_model.py").write_text(TORCH)
    return root, data


def _run(root, data, name, sets):
    exp = load_experiment("dcase2020", ["training.epochs=1", *sets])
    return run_experiment(exp, data_root=data, out_dir=root / name, cache_dir=root / "cache", engine=QUIET,
                          report=False)  # fmt: skip


def _saved_widths(cache, framework: str) -> list[int]:
    """The bottleneck widths of the networks a run saved (the user's: 6 in Keras, 4 in torch; 8 is ours)."""
    if framework == "keras":
        import keras

        models = [keras.models.load_model(p, compile=False) for p in cache.rglob("model.keras")]
        return sorted(min(layer.units for layer in m.layers if hasattr(layer, "units")) for m in models)
    import torch

    states = [torch.load(p, weights_only=True) for p in cache.rglob("*.pt")]
    return sorted(int(s["encoder.2.weight"].shape[0]) for s in states)


@pytest.mark.slow
@pytest.mark.parametrize("framework, file", [("keras", "keras_model.py"), ("torch", "torch_model.py")])
def test_a_builders_network_is_trained_by_the_family_and_keyed_by_its_source(tree, framework, file):
    root, data = tree
    sets = [f"model.builder={root / file}:build", f"model.framework={framework}"]
    result = _run(root, data, f"built-{framework}", sets)
    assert result.counters["models_trained"] == 1 and 0.0 <= result.mean_auc <= 1.0
    assert _saved_widths(root / "cache", framework) == ([6] if framework == "keras" else [4])
    written = json.loads((root / f"built-{framework}" / "results.json").read_text())
    assert written["experiment"]["model"]["builder"] == f"{root / file}:build"
    again = _run(root, data, f"again-{framework}", sets)  # the same source: the cached model
    assert again.counters["models_trained"] == 0 and again.mean_auc == result.mean_auc
    (root / file).write_text((root / file).read_text() + "\n# edited\n")
    edited = _run(root, data, f"edited-{framework}", sets)
    assert edited.counters["models_trained"] == 1


@pytest.mark.slow
@pytest.mark.parametrize(
    "target, message",
    [
        ("keras_model.py:too_narrow", "maps [2, 640] to [2, 7]; the autoencoder family needs [batch, 640]"),
        ("keras_model.py:broken", "failed to build a network for input_dim=640: RuntimeError: no GPU here"),
        ("keras_model.py:missing", "keras_model.py has no attribute 'missing'"),
        ("torch_model.py:build", "not a keras.Model"),
    ],
)
def test_a_failing_builder_is_an_error_naming_its_file(tree, target, message):
    root, data = tree
    with pytest.raises(Exception, match="keras_model.py|torch_model.py") as caught:
        _run(root, data, "bad", [f"model.builder={root / target}"])
    assert message in str(caught.value) and "model.builder" in str(caught.value)


def test_the_builder_is_checked_when_the_config_loads(tmp_path):
    with pytest.raises(ValueError, match="model.builder='nonsense' must look like FILE.py:NAME"):
        load_experiment("dcase2020", ["model.builder=nonsense"])
    with pytest.raises(ValueError, match="replaces the network of the \\['autoencoder'\\] family"):
        load_experiment("dcase2021-mobilenetv2", [f"model.builder={tmp_path / 'x.py'}:build"])
    (tmp_path / "net.py").write_text(TORCH)
    (tmp_path / "mine.yaml").write_text("model:\n  builder: net.py:build\n  framework: torch\n")
    assert load_experiment(tmp_path / "mine.yaml").model.builder == f"{(tmp_path / 'net.py').resolve()}:build"
    # at its default the field is left out: the config and keys of every other run keep their bytes
    assert "builder" not in load_experiment("dcase2020").to_dict()["model"]
