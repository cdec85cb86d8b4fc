"""The torch detectors: networks that compute what the Keras ones compute, fits that repeat, and every framework
setting trained in both frameworks (tiny generated data, one or two epochs)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import torch
from detector_fixtures import settings, subset

from asdlens.models.autoencoders import build_model
from asdlens.models.backbones import margin_cnn
from asdlens.models.detectors import load_detector, make_detector
from asdlens.models.frameworks import LayerSettings
from asdlens.models.torch.autoencoders import build_autoencoder
from asdlens.models.torch.margin import MarginCNN

RNG = np.random.default_rng(1)


def _copy_dense(dense, linear):
    kernel, *bias = dense.get_weights()
    linear.weight.data = torch.from_numpy(kernel.T.copy())
    if bias:
        linear.bias.data = torch.from_numpy(bias[0].copy())


def _copy_bn(layer, bn):
    gamma, beta, mean, var = layer.get_weights()
    for name, value in (("weight", gamma), ("bias", beta), ("running_mean", mean), ("running_var", var)):
        getattr(bn, name).data = torch.from_numpy(value.copy())


@pytest.mark.parametrize("name", ["dcase2020_autoencoder", "mimii_autoencoder"])
def test_torch_autoencoders_compute_what_the_keras_ones_compute(name):
    dim, n_mels = (640, 128) if name == "dcase2020_autoencoder" else (320, 64)
    keras.utils.set_random_seed(3)
    model = build_model(name, dim)
    k_layers = [
        la for la in model.layers if isinstance(la, keras.layers.Dense | keras.layers.BatchNormalization)
    ]
    for la in k_layers:  # non-trivial BatchNorm statistics
        if isinstance(la, keras.layers.BatchNormalization):
            la.set_weights([RNG.uniform(0.5, 2, la.gamma.shape).astype(np.float32) for _ in range(4)])
    net = build_autoencoder(name, dim, n_mels, LayerSettings())
    t_layers = [m for m in net.modules() if isinstance(m, torch.nn.Linear | torch.nn.BatchNorm1d)]
    assert len(t_layers) == len(k_layers)
    for la, m in zip(k_layers, t_layers, strict=True):
        (_copy_dense if isinstance(m, torch.nn.Linear) else _copy_bn)(la, m)
    x = RNG.standard_normal((32, dim)).astype(np.float32)
    ours = net.eval()(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(ours, np.asarray(model(x, training=False)), rtol=1e-4, atol=1e-4)


def test_torch_margin_cnn_computes_what_the_keras_one_computes():
    """TensorFlow's "same" padding and the frequency-major flatten, checked through the whole backbone."""
    frames, n_mels = 16, 40
    mean, std = RNG.standard_normal(n_mels).astype(np.float32), RNG.uniform(0.5, 2, n_mels).astype(np.float32)
    keras.utils.set_random_seed(4)
    model = margin_cnn(frames, n_mels, embedding_dim=24, width=0.5, mean=mean, std=std)
    net = MarginCNN(n_mels, embedding_dim=24, width=0.5)
    net.mean.data, net.std.data = torch.from_numpy(mean), torch.from_numpy(std)
    for stage, block in enumerate(net.stages):
        for conv, bn in (("down", "bn1"), ("conv", "bn2")):
            kernel = model.get_layer(f"s{stage}_{conv}").get_weights()[0]  # [kh, kw, in, out]
            block[conv].weight.data = torch.from_numpy(kernel.transpose(3, 2, 0, 1).copy())
            layer = model.get_layer(f"s{stage}_{bn}")
            layer.set_weights([RNG.uniform(0.5, 2, layer.gamma.shape).astype(np.float32) for _ in range(4)])
            _copy_bn(layer, block[bn])
    _copy_dense(model.get_layer("project"), net.project)
    _copy_bn(model.get_layer("embedding"), net.embedding)
    x = RNG.standard_normal((6, frames, n_mels)).astype(np.float32)
    ours = net.eval()(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(ours, np.asarray(model(x, training=False)), rtol=1e-4, atol=1e-4)


def _state(detector) -> dict:
    return {k: v.clone() for k, v in detector.model.state_dict().items()}


@pytest.mark.slow
def test_torch_fits_repeat_and_leave_the_global_generator_alone(tiny_sets):
    train, _ = tiny_sets
    part = subset(train, range(6))
    s = settings(["model.framework=torch", "training.epochs=2", "training.batch_size=64"])
    before = torch.random.get_rng_state()
    first, again = make_detector(s), make_detector(s)
    first.fit(part, seed=0)
    again.fit(part, seed=0)
    assert torch.equal(torch.random.get_rng_state(), before)
    a, b = _state(first), _state(again)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    other = make_detector(s)
    other.fit(part, seed=1)
    assert not torch.equal(_state(other)["encoder.0.weight"], a["encoder.0.weight"])
    assert a["cov_source"].abs().sum() > 0  # the fit's residual covariances are in the network


NON_DEFAULT = {
    "keras": ["model.init=torch", "model.batchnorm_momentum=0.1", "model.batchnorm_eps=1e-5",
              "model.batchnorm_variance=unbiased", "training.adam_eps=1e-8", "training.adam_eps_on=v_hat",
              "training.order=torch", "training.weight_decay=1e-4", "training.loss_reduction=sum"],
    "torch": ["model.init=keras", "model.batchnorm_momentum=0.01", "model.batchnorm_eps=1e-3",
              "model.batchnorm_variance=biased", "training.adam_eps=1e-7", "training.adam_eps_on=v",
              "training.order=asdlens", "training.weight_decay=1e-4", "training.loss_reduction=sum"],
}  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("framework", ["keras", "torch"])
def test_every_other_frameworks_default_trains_and_round_trips(framework, tiny_sets, tmp_path):
    train, test = tiny_sets
    s = settings([f"model.framework={framework}", "training.epochs=2", "training.batch_size=64",
                  *NON_DEFAULT[framework]])  # fmt: skip
    detector = make_detector(s)
    assert detector.framework["order"] == ("torch" if framework == "keras" else "asdlens")
    info = detector.fit(subset(train, range(6)), seed=0)
    assert len(info["history"]["loss"]) == 2 and np.isfinite(info["history"]["loss"]).all()
    scores = detector.score(test)
    detector.save(tmp_path)
    np.testing.assert_allclose(load_detector(tmp_path, s).score(test), scores, rtol=1e-6)
    s["scoring"]["backend"] = "mahalanobis"
    assert np.isfinite(load_detector(tmp_path, s).score(test)).all()


@pytest.mark.slow
@pytest.mark.parametrize("loss", ["arcface", "adacos"])
def test_torch_margin_embedding_trains_scores_and_round_trips(loss, tiny_sets, tmp_path):
    train, test = tiny_sets
    extra = ["model.loss=adacos", "model.subclusters=2"] if loss == "adacos" else ["model.loss=arcface"]
    s = settings(["model.name=margin_cnn", "model.per=all", "frames=16", "model.hop=8", "model.width=0.25",
                  "model.embedding_dim=16", "model.mixup=1.0", "training.epochs=2", "training.batch_size=32",
                  "training.validation_split=0.1", "scoring.backend=knn", "model.framework=torch", *extra])  # fmt: skip
    detector = make_detector(s)
    info = detector.fit(train, seed=0)
    assert len(info["history"]["val_loss"]) == 2 and info["scale"] > 0
    scores = detector.score(test)
    assert np.isfinite(scores).all()
    detector.save(tmp_path)
    np.testing.assert_allclose(load_detector(tmp_path, s).score(test), scores, rtol=1e-6)
    s["scoring"]["backend"] = "default"
    confidence = load_detector(tmp_path, s).score(test)
    assert np.isfinite(confidence).all() and (confidence >= 0).all()


@pytest.mark.parametrize("name", ["dcase2020_autoencoder", "mimii_autoencoder"])
def test_the_keras_twin_of_a_torch_network_computes_what_it_computes(name):
    """What the exporters build a torch run's graphs from (asdlens.models.torch.interop)."""
    from asdlens.models.torch.interop import keras_twin

    dim, n_mels = (640, 128) if name == "dcase2020_autoencoder" else (320, 64)
    layers = LayerSettings(
        batchnorm_momentum=0.1, batchnorm_eps=1e-5, batchnorm_variance="unbiased", init="torch"
    )
    torch.manual_seed(2)
    net = build_autoencoder(name, dim, n_mels, layers)
    net.train()
    with torch.no_grad():  # a few training-mode passes: non-trivial running statistics
        for _ in range(3):
            net(torch.randn(64, dim) * 2 + 0.5)
    model = keras_twin(net.state_dict(), name, dim, layers)
    x = RNG.standard_normal((16, dim)).astype(np.float32)
    ours = net.eval()(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(np.asarray(model(x, training=False)), ours, rtol=1e-4, atol=1e-5)
    with pytest.raises(
        ValueError, match="Linear and 0 BatchNorm layers; the Keras dcase2020_autoencoder has 10 and 9"
    ):
        keras_twin(build_autoencoder("mimii_autoencoder", 640, 128, layers).state_dict(), "dcase2020_autoencoder",
                   640, layers)  # fmt: skip
