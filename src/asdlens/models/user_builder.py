"""``model: {builder: my_model.py:build}``: a user's own network inside a family's training loop.

``build(input_dim)`` returns a Keras model (``model.framework: keras``) or a torch module (``torch``) that maps
a batch ``[batch, input_dim]`` to ``[batch, input_dim]`` (the autoencoder family: the stacked vector
reconstructed). The family trains it with its own loop (windows, validation part, epoch orders, optimizer,
loss) and scores it as it scores its own network. A torch module also needs ``code(x)`` (the bottleneck the
embedding back-ends read); the residual-covariance buffers the Mahalanobis score keeps are added when absent.
The builder's source file (SHA-256) is part of the model's key (:func:`asdlens.models.frameworks.fit_dependencies`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..user_code import load_function

#: The families whose network a builder may replace.
BUILDER_FAMILIES = ("autoencoder",)


def build_user_network(settings: dict[str, Any], input_dim: int, *, block_size: int) -> Any:
    """The network ``settings["model"]["builder"]`` builds for ``input_dim``, checked.

    Raises
    ------
    ValueError
        Naming ``model.builder`` and the builder's file: the file or function cannot be loaded, the build
        raises, the result is not a network of ``model.framework``, or its output is not ``[batch, input_dim]``.
    """
    target = settings["model"]["builder"]
    framework = settings["model"].get("framework", "keras")
    try:
        build = load_function(target)
    except ValueError as exc:
        raise ValueError(f"model.builder: {exc}") from None
    try:
        net = build(input_dim)
    except Exception as exc:  # noqa: BLE001 - user code failing to build is the user's error, named
        raise ValueError(f"model.builder {target} failed to build a network for input_dim={input_dim}: "
                         f"{type(exc).__name__}: {exc}") from None  # fmt: skip
    if framework == "torch":
        _check_torch(net, target, input_dim, block_size)
    else:
        _check_keras(net, target, input_dim)
    return net


def _wrong_shape(target: str, shape, input_dim: int) -> ValueError:
    return ValueError(f"model.builder {target}: the network maps [2, {input_dim}] to {list(shape)}; the "
                      f"autoencoder family needs [batch, {input_dim}] (the input vector reconstructed)")  # fmt: skip


def _check_keras(net, target: str, input_dim: int) -> None:
    import keras

    if not isinstance(net, keras.Model):
        raise ValueError(f"model.builder {target} returned {type(net).__name__}, not a keras.Model "
                         "(model.framework: keras; a torch module needs model.framework: torch)")  # fmt: skip
    try:
        out = np.asarray(net(np.zeros((2, input_dim), np.float32), training=False))
    except Exception as exc:  # noqa: BLE001
        raise ValueError(f"model.builder {target}: the network fails on a [2, {input_dim}] batch: "
                         f"{type(exc).__name__}: {exc}") from None  # fmt: skip
    if out.shape != (2, input_dim):
        raise _wrong_shape(target, out.shape, input_dim)


def _check_torch(net, target: str, input_dim: int, block_size: int) -> None:
    import torch

    if not isinstance(net, torch.nn.Module):
        raise ValueError(f"model.builder {target} returned {type(net).__name__}, not a torch.nn.Module "
                         "(model.framework: torch; a Keras model needs model.framework: keras)")  # fmt: skip
    if not callable(getattr(net, "code", None)):
        raise ValueError(f"model.builder {target}: a torch autoencoder needs a code(x) method returning the "
                         "bottleneck (the embedding back-ends read it)")  # fmt: skip
    for name in ("cov_source", "cov_target"):
        if not hasattr(net, name):
            net.register_buffer(name, torch.zeros(block_size, block_size))
    was_training = net.training
    net.eval()
    try:
        with torch.no_grad():
            out = net(torch.zeros(2, input_dim))
    except Exception as exc:  # noqa: BLE001
        raise ValueError(f"model.builder {target}: the network fails on a [2, {input_dim}] batch: "
                         f"{type(exc).__name__}: {exc}") from None  # fmt: skip
    finally:
        net.train(was_training)
    if tuple(out.shape) != (2, input_dim):
        raise _wrong_shape(target, tuple(out.shape), input_dim)
