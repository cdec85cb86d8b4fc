"""The exported graph's pieces against their NumPy definitions, and BatchNorm folding against Keras."""

from __future__ import annotations

import numpy as np
import pytest

from asdlens.features.stacking import stack_frames

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")


def test_stacking_matches_the_protocol():
    from asdlens.deploy.scoring_graph import stack_vectors

    logmel = np.random.default_rng(0).standard_normal((16, 23)).astype(np.float32)
    ours = stack_vectors(tf.constant(logmel), 5).numpy()
    np.testing.assert_array_equal(ours, stack_frames(logmel, 5))  # slices and a concat: no arithmetic


@pytest.mark.parametrize("count", [7, 8])
def test_aggregates_match_numpy(count):
    from asdlens.deploy.scoring_graph import aggregate_scores

    x = np.random.default_rng(count).random(count).astype(np.float32)
    for name in ("mean", "median", "max"):
        got = float(aggregate_scores(tf.constant(x), name, count))
        # float32 reductions in another order than NumPy's: equal to a few ulps
        assert got == pytest.approx(float(getattr(np, name)(x)), rel=1e-6), name


def _trained_bn_model():
    from asdlens.models import dcase2020_autoencoder

    keras.utils.set_random_seed(0)
    model = dcase2020_autoencoder(40)
    x = np.random.default_rng(1).standard_normal((256, 40)).astype(np.float32) * 3 + 1
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, x, epochs=2, batch_size=64, verbose=0)  # moves BatchNorm's statistics off 0/1
    return model, x


def test_fold_batchnorm_equals_keras():
    from asdlens.deploy.fold import fold_batchnorm

    model, x = _trained_bn_model()
    folded = fold_batchnorm(model)
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in folded.layers)
    assert len([w for w in folded.weights]) < len(model.weights)
    a = np.asarray(model(x, training=False))
    b = np.asarray(folded(x, training=False))
    # folded weights rounded once to float32: outputs equal to float32 rounding of the chain
    np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-4 * np.abs(a).max())


def test_fold_rejects_a_model_it_cannot_fold():
    from asdlens.deploy.fold import fold_batchnorm

    inputs = keras.Input((8,))
    h = keras.layers.BatchNormalization()(inputs)
    model = keras.Model(inputs, keras.layers.Dense(8)(h), name="bn_first")
    with pytest.raises(ValueError, match=r"model 'bn_first': batch_normalization\w* does not follow a Dense"):
        fold_batchnorm(model)


def test_network_function_modes_differ_only_in_batch_stats():
    from asdlens.deploy.fold import network_function

    model, x = _trained_bn_model()
    ref = np.asarray(model(x[:50], training=False))
    for mode, close in (("fold", True), ("keep", True), ("batch-stats", False)):
        out = tf.function(network_function(model, batchnorm=mode))(tf.constant(x[:50])).numpy()
        assert np.allclose(out, ref, rtol=1e-4, atol=1e-4 * np.abs(ref).max()) == close, mode
