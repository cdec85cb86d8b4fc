"""The TensorFlow entry point ``logmel`` inside graphs: tf.function with a dynamic length, tf.data.map, errors."""

from __future__ import annotations

import numpy as np
import pytest

from asdlens.features import melspectrogram, resolve_spec
from signals import make_signal

tf = pytest.importorskip("tensorflow")
from asdlens.features.backends.tensorflow import logmel  # noqa: E402

PRESETS = ("librosa", "dcase2020", "tf.signal", "keras", "torchaudio")


def assert_same(ours, ref, spec) -> None:
    """Equal up to float32 rounding of the log: Grappler may rewrite ``log(x) / ln 10`` in a graph (1 ulp)."""
    ours, ref = np.asarray(ours), np.asarray(ref)
    assert ours.shape == ref.shape and ours.dtype == ref.dtype
    if resolve_spec(spec).log is None:
        np.testing.assert_array_equal(ours, ref)
    else:
        np.testing.assert_allclose(ours, ref, rtol=1e-6, atol=1e-5)  # dB


def assert_close(ours, ref, spec) -> None:
    """The graph ops against the XLA-compiled backend: equal to float32 rounding (the frontends' criterion:
    1e-5 relative on power values above 1e-9 of the peak, 1e-3 dB after a log)."""
    ours, ref = np.asarray(ours), np.asarray(ref)
    assert ours.shape == ref.shape and ours.dtype == ref.dtype
    if resolve_spec(spec).log is None:
        np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-9 * float(np.max(ref)))
    else:
        np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-3)


@pytest.mark.parametrize("preset", PRESETS)
def test_tf_function_with_dynamic_length_equals_eager(preset):
    """One trace serves clips of any length; it equals the same ops run eagerly, and the compiled backend
    (which is tested against librosa) to float32 rounding."""
    fn = tf.function(lambda y: logmel(y, preset), input_signature=[tf.TensorSpec([None], tf.float32)])
    y = make_signal("hum")
    # Lengths around hop multiples: the pad_end frame count and reflect/centre padding change there.
    for n in (32000, 31999, 16385, 4096, 2049):
        ours = fn(tf.constant(y[:n])).numpy()
        assert_same(ours, logmel(tf.constant(y[:n]), preset), preset)
        assert_close(ours, melspectrogram(y[:n], preset, backend="tensorflow"), preset)
    assert fn.experimental_get_tracing_count() == 1


def test_tf_function_batched_dynamic_shape_and_stages():
    fn = tf.function(
        lambda y: logmel(y, "dcase2020", stages=True),
        input_signature=[tf.TensorSpec([None, None], tf.float32)],
    )
    y = np.stack([make_signal("noise"), make_signal("chirp"), make_signal("silence")])[:, :20000]
    ours = fn(tf.constant(y))
    ref = {k: v.numpy() for k, v in melspectrogram(y, "dcase2020", backend="tensorflow", stages=True).items()}
    assert list(ours) == list(ref)
    for stage in ("frames", "windowed", "spectrum", "mel"):
        np.testing.assert_array_equal(ours[stage].numpy(), ref[stage], err_msg=stage)
    assert_same(ours["log"], ref["log"], "dcase2020")


def test_tf_data_map_per_clip_int16_and_float64():
    """In tf.data the clips arrive one by one with unknown length; int16 PCM is scaled by 1/32768."""
    y = make_signal("hum")
    pcm = np.round(y * 20000).astype(np.int16)
    ds = tf.data.Dataset.from_generator(
        lambda: iter([pcm[:24000], pcm[:20000]]), output_signature=tf.TensorSpec([None], tf.int16)
    ).map(lambda clip: logmel(clip, "dcase2020"))
    outs = [x.numpy() for x in ds]
    assert [o.shape for o in outs] == [(128, 47), (128, 40)]
    assert_same(outs[1], logmel(tf.constant(pcm[:20000]), "dcase2020"), "dcase2020")
    assert_close(outs[1], melspectrogram(pcm[:20000], "dcase2020", backend="tensorflow"), "dcase2020")
    y64 = tf.constant(y.astype(np.float64))
    assert_close(
        logmel(y64, "dcase2020"),
        melspectrogram(y.astype(np.float64), "dcase2020", backend="tensorflow"),
        "dcase2020",
    )


def test_static_shape_errors_are_value_errors():
    with pytest.raises(ValueError, match="3"):
        logmel(tf.zeros([2, 3, 4000]), "librosa")
    with pytest.raises(ValueError, match="dtype int32"):
        logmel(tf.zeros([4000], tf.int32), "librosa")
    with pytest.raises(ValueError, match="shorter than one frame"):
        logmel(tf.zeros([1000]), "not-a-preset" if False else {"n_fft": 2048, "center": False})
    with pytest.raises(ValueError, match="empty"):
        logmel(tf.zeros([0]), "librosa")


@pytest.mark.parametrize(
    "spec, n, message",
    [
        ("dcase2020", 300, "too short for reflect padding"),
        ({"n_fft": 2048, "center": False}, 1000, "shorter than one frame"),
        ("librosa", 0, "empty"),
    ],
)
def test_dynamic_length_errors_name_the_problem(spec, n, message):
    fn = tf.function(lambda y: logmel(y, spec), input_signature=[tf.TensorSpec([None], tf.float32)])
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        fn(tf.zeros([n]))


def test_non_finite_samples_fail_in_a_graph():
    fn = tf.function(lambda y: logmel(y, "librosa"), input_signature=[tf.TensorSpec([None], tf.float32)])
    y = np.zeros(4000, np.float32)
    y[7] = np.nan
    with pytest.raises(tf.errors.InvalidArgumentError, match="non-finite"):
        fn(tf.constant(y))


def test_fast_mode_is_float32_and_close_to_exact():
    y = tf.constant(make_signal("hum"))
    exact = logmel(y, "dcase2020").numpy()
    fast = logmel(y, "dcase2020", fast=True, stages=True)
    assert fast["frames"].dtype == tf.float32 and fast["log"].dtype == tf.float32
    keep = exact >= exact.max() - 60  # float32 FFT: fine near the peak, not 100 dB below it
    assert np.abs(fast["log"].numpy() - exact)[keep].max() < 1e-2
