"""The two reference autoencoders against the official descriptions, and their training helpers in real Keras."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from asdlens.models import (  # noqa: E402
    MODELS,
    build_model,
    dcase2020_autoencoder,
    load_model,
    make_deterministic,
    mimii_autoencoder,
    reconstruction_errors,
    save_model,
    train_autoencoder,
)
from asdlens.models.families import MODEL_FAMILY  # noqa: E402


def dense_params(n_in: int, n_out: int) -> int:
    return n_in * n_out + n_out


def layer_summary(model) -> list[tuple]:
    """(kind, units or activation) per layer after the input."""
    out = []
    for layer in model.layers[1:]:
        kind = type(layer).__name__
        if kind == "Dense":
            out.append((kind, layer.units, layer.activation.__name__))
        elif kind == "Activation":
            out.append((kind, layer.activation.__name__))
        else:
            out.append((kind,))
    return out


def test_dcase2020_autoencoder_is_the_baseline_architecture():
    # keras_model.get_model of the DCASE 2020 baseline: 640 -> [Dense 128, BN, ReLU] x4 -> [Dense 8, BN, ReLU]
    # -> [Dense 128, BN, ReLU] x4 -> Dense 640 (linear).
    model = dcase2020_autoencoder()
    units = [128, 128, 128, 128, 8, 128, 128, 128, 128]
    expected = []
    for u in units:
        expected += [("Dense", u, "linear"), ("BatchNormalization",), ("Activation", "relu")]
    expected.append(("Dense", 640, "linear"))
    assert layer_summary(model) == expected
    assert model.input_shape == (None, 640) and model.output_shape == (None, 640)
    dims = [640, *units, 640]
    n_dense = sum(dense_params(a, b) for a, b in zip(dims[:-1], dims[1:], strict=True))
    n_bn = sum(4 * u for u in units)  # gamma, beta trainable; moving mean and variance not
    assert model.count_params() == n_dense + n_bn == 269_992
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert trainable == n_dense + sum(2 * u for u in units)


def test_mimii_autoencoder_is_the_paper_architecture():
    # MIMII paper: Dense 64, 64, 8, 64, 64 (ReLU), linear Dense back to 320, no normalisation.
    model = mimii_autoencoder()
    units = [64, 64, 8, 64, 64]
    assert layer_summary(model) == [("Dense", u, "relu") for u in units] + [("Dense", 320, "linear")]
    dims = [320, *units, 320]
    assert model.count_params() == sum(dense_params(a, b) for a, b in zip(dims[:-1], dims[1:], strict=True))


def test_builders_by_name_and_errors():
    assert set(MODELS) == {name for name, family in MODEL_FAMILY.items() if family == "autoencoder"}
    assert build_model("mimii_autoencoder", 40).output_shape == (None, 40)
    with pytest.raises(ValueError, match="unknown model 'vae'.*dcase2020_autoencoder"):
        build_model("vae", 640)
    for bad in (0, -3, 2.5, True, "640"):
        with pytest.raises(ValueError, match="input_dim"):
            dcase2020_autoencoder(bad)


def test_same_seed_gives_identical_training():
    x = np.random.default_rng(1).standard_normal((600, 40)).astype(np.float32)
    runs = []
    for _ in range(2):
        keras.backend.clear_session()
        make_deterministic(7)
        model = mimii_autoencoder(40)
        hist = train_autoencoder(model, x, epochs=2, batch_size=64, validation_split=0.1, shuffle=True)
        runs.append(([w.copy() for w in model.get_weights()], hist))
    for a, b in zip(runs[0][0], runs[1][0], strict=True):
        np.testing.assert_array_equal(a, b)
    assert runs[0][1] == runs[1][1]
    assert set(runs[0][1]) == {"loss", "val_loss"} and len(runs[0][1]["loss"]) == 2


def test_validation_is_the_tail_of_the_array_and_errors_match_numpy():
    # Keras takes validation_split from the end of the array before shuffling: the val_loss of the last epoch
    # is the model's MSE on the last 10 % of the vectors.
    rng = np.random.default_rng(2)
    x = rng.standard_normal((500, 24)).astype(np.float32)
    x[-50:] += 3.0  # a tail unlike the rest, so head and tail give different losses
    keras.backend.clear_session()
    make_deterministic(0)
    model = mimii_autoencoder(24)
    hist = train_autoencoder(model, x, epochs=1, batch_size=50, validation_split=0.1, shuffle=True)
    errors = reconstruction_errors(model, x)
    manual = np.mean((x.astype(np.float64) - np.asarray(model(x), dtype=np.float64)) ** 2, axis=1)
    np.testing.assert_allclose(errors, manual, rtol=1e-6)
    assert errors.dtype == np.float64 and errors.shape == (500,)
    assert hist["val_loss"][-1] == pytest.approx(errors[-50:].mean(), rel=1e-4)
    assert hist["val_loss"][-1] != pytest.approx(errors[:50].mean(), rel=1e-2)


def test_training_input_errors():
    model = mimii_autoencoder(8)
    with pytest.raises(ValueError, match="non-empty"):
        train_autoencoder(model, np.zeros((0, 8)), epochs=1, batch_size=4, validation_split=0.1, shuffle=True)
    with pytest.raises(ValueError, match="validation_split=0.1 leaves 1 of 1"):
        train_autoencoder(model, np.zeros((1, 8)), epochs=1, batch_size=4, validation_split=0.1, shuffle=True)


def test_save_and_load_round_trip(tmp_path):
    keras.backend.clear_session()
    make_deterministic(3)
    model = dcase2020_autoencoder(40)
    x = np.random.default_rng(3).standard_normal((16, 40)).astype(np.float32)
    path = save_model(model, tmp_path / "m" / "model.keras")
    assert sorted(p.name for p in path.parent.iterdir()) == ["model.keras"]  # no temporary file left
    np.testing.assert_array_equal(reconstruction_errors(load_model(path), x), reconstruction_errors(model, x))
    with pytest.raises(ValueError, match=r"\.keras"):
        save_model(model, tmp_path / "model.h5")


def test_training_throughput_reports_what_it_timed():
    from asdlens.models import training_throughput

    r = training_throughput("mimii_autoencoder", input_dim=16, n_vectors=1000, epochs=2, batch_size=100)
    assert (r["model"], r["input_dim"], r["n_vectors"], r["epochs"]) == ("mimii_autoencoder", 16, 1000, 2)
    assert r["seconds"] > 0 and r["vectors_per_s"] == pytest.approx(900 * 2 / r["seconds"])
    with pytest.raises(ValueError, match="unknown model"):
        training_throughput("vae")


def test_fit_loop_ceiling_times_the_steps_it_asked_for():
    from asdlens.models.throughput import fit_loop_ceiling

    r = fit_loop_ceiling("mimii_autoencoder", batch_size=64, steps=96)
    assert (r["model"], r["batch_size"], r["steps"]) == ("mimii_autoencoder", 64, 96)
    assert r["seconds"] > 0 and r["vectors_per_s"] == pytest.approx(96 * 64 / r["seconds"])
