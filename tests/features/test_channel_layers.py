"""The channel stage in the Keras layer (config, .keras save/load, tf.data) and the torch module (buffers)."""

from __future__ import annotations

import numpy as np
import pytest
from channel_reference import stereo

from asdlens.features import ChannelSpec, MelSpec, fit_transfer, melspectrogram

SPEC = MelSpec(n_fft=512, hop_length=256, n_mels=40, pad_mode="reflect", log="dcase")
FITTED = ChannelSpec("complex_subtraction", transfer="fitted", floor=0.05)


@pytest.fixture(scope="module")
def clips() -> np.ndarray:
    return stereo(0.5, seed=4)


@pytest.fixture(scope="module")
def transfer():
    return fit_transfer(list(stereo(0.5, seed=12, batch=2)), SPEC, FITTED)


def test_keras_model_with_a_fitted_transfer_saves_and_loads_identically(tmp_path, clips, transfer):
    pytest.importorskip("tensorflow")
    keras = pytest.importorskip("keras")
    from asdlens.features.keras import LogMel

    inputs = keras.Input(shape=(2, None))
    features = LogMel(SPEC, channels=FITTED, transfer=transfer, name="logmel")(inputs)
    pooled = keras.layers.GlobalAveragePooling1D(data_format="channels_first")(features)
    model = keras.Model(inputs, [features, keras.layers.Dense(2, kernel_initializer="ones")(pooled)])
    before = [np.asarray(x) for x in model.predict(clips, verbose=0)]
    model.save(tmp_path / "model.keras")
    loaded = keras.models.load_model(tmp_path / "model.keras")
    after = [np.asarray(x) for x in loaded.predict(clips, verbose=0)]
    layer = loaded.get_layer("logmel")
    assert layer.channels == FITTED and layer.transfer.key() == transfer.key()  # the gain, bit for bit
    for a, b in zip(before, after, strict=True):
        np.testing.assert_array_equal(a, b)
    ref = melspectrogram(clips, SPEC, channels=FITTED, transfer=transfer)
    np.testing.assert_allclose(after[0], ref, rtol=0, atol=1e-3)


def test_keras_config_round_trip_and_shapes():
    pytest.importorskip("tensorflow")
    keras = pytest.importorskip("keras")
    from asdlens.features.keras import LogMel

    layer = LogMel("dcase2020", channels="both", name="front")
    clone = LogMel.from_config(layer.get_config())
    assert clone.channels == ChannelSpec("both") and clone.transfer is None and clone.name == "front"
    assert tuple(clone(keras.Input(shape=(2, 16000))).shape) == (None, 2, 128, 32)
    assert tuple(LogMel("dcase2020", channels="mean")(keras.Input(shape=(2, None))).shape) == (
        None,
        128,
        None,
    )
    mono = LogMel("dcase2020").get_config()
    assert "channels" not in mono and "transfer" not in mono  # mono configs are as before
    with pytest.raises(ValueError, match="needs a Transfer"):
        LogMel(SPEC, channels=FITTED)


def test_keras_layer_in_tf_data_map_with_stereo_clips_of_unknown_length(clips):
    tf = pytest.importorskip("tensorflow")
    from asdlens.features.keras import LogMel

    layer = LogMel(SPEC, channels="magnitude_subtraction")
    parts = [clips[0, :, :6000], clips[1, :, :5000]]
    ds = tf.data.Dataset.from_generator(
        lambda: iter(parts), output_signature=tf.TensorSpec([2, None], tf.float32)
    )
    for clip, out in zip(parts, ds.map(layer), strict=True):
        ref = melspectrogram(clip, SPEC, channels="magnitude_subtraction")
        np.testing.assert_allclose(out.numpy(), ref, rtol=0, atol=1e-3)


def test_tf_graph_checks_a_dynamic_channel_count(clips):
    tf = pytest.importorskip("tensorflow")
    from asdlens.features.backends.tensorflow import logmel

    fn = tf.function(
        lambda y: logmel(y, SPEC, channels="far"), input_signature=[tf.TensorSpec([None, None], tf.float32)]
    )
    assert fn(tf.constant(clips[0])).shape[0] == SPEC.n_mels
    with pytest.raises(tf.errors.InvalidArgumentError, match="needs two channels"):
        fn(tf.constant(clips[0, :1]))
    with pytest.raises(ValueError, match="needs two channels"):
        logmel(clips[0, :1], SPEC, channels="far")  # a static count fails at trace time


def test_torch_module_keeps_the_transfer_as_buffers(clips, transfer):
    torch = pytest.importorskip("torch")
    from asdlens.features.torch import LogMel

    module = LogMel(SPEC, channels=FITTED, transfer=transfer)
    assert set(dict(module.named_buffers())) == {"window", "mel_basis", "transfer_re", "transfer_im"}
    assert module.transfer_re.dtype == torch.float64 and module.transfer_re.shape == (257,)
    ours = module(torch.from_numpy(clips)).numpy()
    np.testing.assert_allclose(
        ours, melspectrogram(clips, SPEC, channels=FITTED, transfer=transfer), atol=1e-3
    )
    # A module built with another gain and given this state dict computes the same numbers.
    other = LogMel(SPEC, channels=FITTED, transfer=fit_transfer([clips[0]], SPEC, FITTED))
    other.load_state_dict(module.state_dict())
    np.testing.assert_array_equal(other(torch.from_numpy(clips)).numpy(), ours)
    magnitude = ChannelSpec("magnitude_subtraction", transfer="fitted")
    gain = fit_transfer(list(clips), SPEC, magnitude)
    assert "transfer_im" not in dict(LogMel(SPEC, channels=magnitude, transfer=gain).named_buffers())
    assert "transfer_re" not in dict(LogMel(SPEC, channels="complex_subtraction").named_buffers())


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda torch: torch.zeros(3, 1, 4000), "needs two channels"),
        (lambda torch: torch.zeros(1, 2, 2, 4000), "4-D tensor"),
        (lambda torch: torch.zeros(2, 0), "empty"),
        (lambda torch: torch.zeros(2, 4000, dtype=torch.int32), "dtype torch.int32"),
        (lambda torch: torch.tensor([[0.0, float("nan")] * 2000] * 2), "4000 non-finite"),
    ],
)
def test_torch_module_bad_input_names_the_problem(make, message):
    torch = pytest.importorskip("torch")
    from asdlens.features.torch import LogMel

    with pytest.raises(ValueError, match=message):
        LogMel(SPEC, channels="complex_subtraction")(make(torch))
