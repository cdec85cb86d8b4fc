"""``asdlens.features.keras.LogMel``: inside a model, through .keras save/load, in tf.data.map."""

from __future__ import annotations

import numpy as np
import pytest

from asdlens.features import MelSpec, get_preset, melspectrogram
from signals import make_signal

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")
from asdlens.features.keras import LogMel  # noqa: E402


@pytest.fixture(scope="module")
def batch() -> np.ndarray:
    return np.stack([make_signal("hum"), make_signal("chirp", seed=1)])


@pytest.mark.parametrize("spec", ["dcase2020", "tf.signal", {"preset": "keras", "top_db": 60.0}])
def test_layer_equals_tensorflow_backend(spec, batch):
    ours = LogMel(spec)(batch)
    ref = melspectrogram(
        batch, spec if not isinstance(spec, dict) else LogMel(spec).spec, backend="tensorflow"
    )
    np.testing.assert_allclose(np.asarray(ours), ref.numpy(), rtol=1e-6, atol=1e-5)


def test_model_save_load_round_trip_gives_identical_output(tmp_path, batch):
    spec = MelSpec(
        n_fft=1024, hop_length=256, n_mels=64, fmin=50.0, fmax=7000.0, log="db", ref="max", top_db=70.0
    )
    inputs = keras.Input(shape=(None,))
    features = LogMel(spec, name="logmel")(inputs)
    pooled = keras.layers.GlobalAveragePooling1D(data_format="channels_first")(features)  # mean over frames
    outputs = keras.layers.Dense(3, kernel_initializer="ones")(pooled)
    model = keras.Model(inputs, [features, outputs])
    before = [np.asarray(x) for x in model.predict(batch, verbose=0)]

    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    after = [np.asarray(x) for x in loaded.predict(batch, verbose=0)]

    assert loaded.get_layer("logmel").spec == spec
    for a, b in zip(before, after, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(after[0], melspectrogram(batch, spec), rtol=1e-6, atol=1e-3)


def test_config_round_trip_keeps_every_field():
    layer = LogMel("tf.signal", fast=True, name="front")
    clone = LogMel.from_config(layer.get_config())
    assert clone.spec == get_preset("tf.signal")
    assert clone.fast and clone.name == "front"


def test_layer_in_tf_data_map_with_unknown_length(batch):
    layer = LogMel("dcase2020")
    clips = [batch[0, :30000], batch[1, :20000]]
    ds = tf.data.Dataset.from_generator(
        lambda: iter(clips), output_signature=tf.TensorSpec([None], tf.float32)
    )
    outs = [x.numpy() for x in ds.map(layer)]
    for clip, out in zip(clips, outs, strict=True):
        np.testing.assert_allclose(out, melspectrogram(clip, "dcase2020"), rtol=1e-6, atol=1e-3)


def test_symbolic_output_shape_and_dtype():
    fixed = LogMel("dcase2020")(keras.Input(shape=(16000,)))
    assert tuple(fixed.shape) == (None, 128, 32)
    free = LogMel(MelSpec(dtype="float64"))(keras.Input(shape=(None,)))
    assert tuple(free.shape) == (None, 128, None) and free.dtype == "float64"


def test_bad_spec_names_the_field():
    with pytest.raises(ValueError, match="n_mels"):
        LogMel({"n_mels": 0})
