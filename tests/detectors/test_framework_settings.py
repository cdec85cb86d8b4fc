"""Each framework default, in each framework, against the real thing: the other framework's own layer, optimizer,
loader or initialiser computes the same numbers (float32 tolerances), so a ladder step changes what it names."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
import torch

from asdlens.models.frameworks import LayerSettings, OptimizerSettings
from asdlens.models.keras_settings import (
    TorchBatchNormalization,
    adam,
    batchnorm,
    dense_options,
    reduced_loss,
)
from asdlens.models.samples import EpochOrders
from asdlens.models.torch.layers import BatchNorm1d
from asdlens.models.torch.training import KerasFormAdam, optimizer_for

RNG = np.random.default_rng(0)
X = (RNG.standard_normal((64, 12)) * 3 + 1).astype(np.float32)


def _torch_bn_step(bn, x, steps=3):
    bn.train()
    for _ in range(steps):
        out = bn(torch.from_numpy(x))
    return out.detach().numpy(), bn.running_mean.numpy(), bn.running_var.numpy()


def _keras_bn_step(layer, x, steps=3):
    for _ in range(steps):
        out = layer(x, training=True)
    return np.asarray(out), np.asarray(layer.moving_mean), np.asarray(layer.moving_variance)


@pytest.mark.parametrize("variance", ["unbiased", "biased"])
def test_batchnorm_conventions_match_the_other_frameworks_layer(variance):
    """torch's nn.BatchNorm1d = Keras TorchBatchNormalization; Keras's BatchNormalization = torch's biased one."""
    settings = LayerSettings(batchnorm_momentum=0.1, batchnorm_eps=1e-5, batchnorm_variance=variance)
    ours_torch = _torch_bn_step(BatchNorm1d(12, settings), X)
    ours_keras = _keras_bn_step(batchnorm(settings), X)
    if variance == "unbiased":
        real = _torch_bn_step(torch.nn.BatchNorm1d(12, momentum=0.1, eps=1e-5), X)
        assert isinstance(batchnorm(settings), TorchBatchNormalization)
    else:
        real = _keras_bn_step(keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5), X)
    for a, b, c in zip(ours_torch, ours_keras, real, strict=True):
        np.testing.assert_allclose(a, c, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(b, c, rtol=1e-5, atol=1e-5)
    # the conventions differ by n / (n - 1) in the running variance: the setting changes something
    biased, unbiased = (
        _torch_bn_step(BatchNorm1d(12, LayerSettings(batchnorm_momentum=0.1, batchnorm_variance=v)), X)[2]
        for v in ("biased", "unbiased")
    )
    assert not np.allclose(biased, unbiased, rtol=1e-3)
    # Keras's own layer for Keras's defaults, so Keras runs keep their weights
    assert type(batchnorm(LayerSettings())) is keras.layers.BatchNormalization


def _fan_bounds(weight: np.ndarray, fan_in: int, fan_out: int):
    return float(np.abs(weight).max()), 1 / math.sqrt(fan_in), math.sqrt(6 / (fan_in + fan_out))


def test_initialisations_draw_the_other_frameworks_bounds():
    torch.manual_seed(0)
    real = torch.nn.Linear(640, 128)  # torch's own reset_parameters
    top, torch_bound, glorot = _fan_bounds(real.weight.detach().numpy(), 640, 128)
    assert 0.98 * torch_bound < top <= torch_bound and np.abs(real.bias.detach().numpy()).max() <= torch_bound
    keras.utils.set_random_seed(0)
    dense = keras.layers.Dense(128, **dense_options(LayerSettings(init="torch"), 640))
    dense.build((None, 640))
    top, _, _ = _fan_bounds(np.asarray(dense.kernel), 640, 128)
    assert 0.98 * torch_bound < top <= torch_bound
    bias = np.asarray(dense.bias)
    assert 0.9 * torch_bound < np.abs(bias).max() <= torch_bound  # biases drawn, not zero
    from asdlens.models.torch.autoencoders import AENet

    torch.manual_seed(0)
    net = AENet(640, 128, LayerSettings(init="keras"))
    top, _, glorot = _fan_bounds(net.encoder[0].weight.detach().numpy(), 640, 128)
    assert 0.98 * glorot < top <= glorot and not net.encoder[0].bias.detach().numpy().any()
    keras.utils.set_random_seed(0)
    real_keras = keras.layers.Dense(128)
    real_keras.build((None, 640))
    assert 0.98 * glorot < float(np.abs(np.asarray(real_keras.kernel)).max()) <= glorot


def _train_keras(optimizer, w0, steps=20):
    w = keras.Variable(w0)
    for t in range(steps):
        grad = np.sin(np.asarray(w) * (t + 1)).astype(np.float32)  # a fixed gradient sequence
        optimizer.apply([keras.ops.convert_to_tensor(grad)], [w])
    return np.asarray(w)


def _train_torch(make, w0, steps=20):
    w = torch.nn.Parameter(torch.from_numpy(w0.copy()))
    opt = make([w])
    for t in range(steps):
        w.grad = torch.sin(w.detach() * (t + 1))
        opt.step()
    return w.detach().numpy()


@pytest.mark.parametrize("weight_decay", [0.0, 0.01])
def test_adam_forms_match_the_other_frameworks_optimizer(weight_decay):
    w0 = RNG.standard_normal(50).astype(np.float32)
    lr, eps = 0.01, 1e-3  # a large epsilon makes where it is added visible
    keras_form = OptimizerSettings(lr, 0.9, 0.999, eps, "v", weight_decay)
    torch_form = OptimizerSettings(lr, 0.9, 0.999, eps, "v_hat", weight_decay)
    real_torch = _train_torch(lambda p: torch.optim.Adam(p, lr=lr, eps=eps, weight_decay=weight_decay), w0)
    np.testing.assert_allclose(
        _train_torch(lambda p: optimizer_for(p, torch_form), w0), real_torch, rtol=1e-6
    )
    np.testing.assert_allclose(_train_keras(adam(torch_form), w0), real_torch, rtol=2e-5, atol=1e-6)
    ours_keras_form = _train_torch(lambda p: KerasFormAdam(p, lr=lr, eps=eps, weight_decay=weight_decay), w0)
    if weight_decay == 0.0:
        real_keras = _train_keras(keras.optimizers.Adam(learning_rate=lr, epsilon=eps), w0)
        np.testing.assert_allclose(ours_keras_form, real_keras, rtol=2e-5, atol=1e-6)
        assert type(adam(OptimizerSettings(lr))) is keras.optimizers.Adam  # Keras's own at its defaults
    np.testing.assert_allclose(_train_keras(adam(keras_form), w0), ours_keras_form, rtol=2e-5, atol=1e-6)
    assert not np.allclose(ours_keras_form, real_torch, rtol=1e-4)  # the placement of epsilon matters


def test_torch_order_is_what_a_seeded_dataloader_draws():
    data = torch.utils.data.TensorDataset(torch.arange(37))
    loader = torch.utils.data.DataLoader(
        data, batch_size=8, shuffle=True, generator=torch.Generator().manual_seed(5)
    )
    orders = EpochOrders(37, 5, kind="torch")
    for epoch in range(1, 5):
        seen = torch.cat([b[0] for b in loader]).numpy()
        np.testing.assert_array_equal(orders(epoch), seen)
    np.testing.assert_array_equal(orders.after_training(4), torch.cat([b[0] for b in loader]).numpy())
    with pytest.raises(ValueError, match="drawn in sequence: epoch 6 next, not 2"):
        orders(2)
    asdlens = EpochOrders(37, 5)
    np.testing.assert_array_equal(asdlens.after_training(3), asdlens(3))  # the last epoch's order again
    assert not np.array_equal(EpochOrders(37, 5)(1), EpochOrders(37, 5, kind="torch")(1))


def test_loss_reductions_agree_across_frameworks():
    y, p = X[:8], X[8:16]
    keras_sum = float(reduced_loss("mean_squared_error", "sum")(y, p))
    torch_sum = float(torch.nn.functional.mse_loss(torch.from_numpy(p), torch.from_numpy(y), reduction="sum"))
    assert keras_sum == pytest.approx(torch_sum, rel=1e-6)
    keras_mean = float(keras.losses.get("mean_squared_error")(y, p).numpy().mean())
    assert keras_mean == pytest.approx(torch_sum / y.size, rel=1e-6)
