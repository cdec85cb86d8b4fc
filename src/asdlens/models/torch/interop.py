"""A torch autoencoder's trained weights in its Keras twin, for the exporters (:mod:`asdlens.deploy`).

The deployment graphs (SavedModel, LiteRT, ONNX) are TensorFlow graphs of frontend + network + aggregate; a torch
run's network enters them as the Keras twin of its torch network (:mod:`asdlens.models.autoencoders`, the same
layers in the same order) with the torch state dict's values copied in: ``Linear.weight`` ``[out, in]`` is the
Dense kernel transposed, ``BatchNorm1d``'s ``weight``, ``bias``, ``running_mean``, ``running_var`` and ``eps`` are
BatchNormalization's ``gamma``, ``beta``, ``moving_mean``, ``moving_variance`` and ``epsilon``. In inference both
compute ``W x + b`` and ``gamma (z - mean) / sqrt(var + eps) + beta``, so the twin is the torch network to float32
rounding (tested; ``deploy-check`` measures every artifact against the run's own scores). The torch-native
converters are not used: ``torch.onnx.export`` (torch 2.13's dynamo exporter) needs ``onnxscript`` and LiteRT's
``litert-torch`` (formerly ``ai-edge-torch``) converter, neither of which is installed here, and the frontend and
aggregate are TensorFlow graphs either way.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..frameworks import LayerSettings


def keras_twin(state: Mapping, name: str, input_dim: int, layers: LayerSettings):
    """The Keras autoencoder ``name`` holding the torch state dict ``state``'s weights (see the module docstring).

    Raises
    ------
    ValueError
        When the state dict's layers do not line up with the Keras twin's (another network).
    """
    import keras

    from ..autoencoders import build_model

    model = build_model(name, input_dim, layers=LayerSettings(batchnorm_eps=layers.batchnorm_eps))
    arrays = {
        k: np.asarray(v.detach().cpu().numpy() if hasattr(v, "detach") else v) for k, v in state.items()
    }
    linears = sorted({k.rsplit(".", 1)[0] for k in arrays if k.endswith(".weight") and arrays[k].ndim == 2},
                     key=_layer_order)  # fmt: skip
    norms = sorted({k.rsplit(".", 1)[0] for k in arrays if k.endswith(".running_var")}, key=_layer_order)
    dense = [la for la in model.layers if isinstance(la, keras.layers.Dense)]
    batchnorm = [la for la in model.layers if isinstance(la, keras.layers.BatchNormalization)]
    if len(dense) != len(linears) or len(batchnorm) != len(norms):
        raise ValueError(
            f"the torch state dict has {len(linears)} Linear and {len(norms)} BatchNorm layers; the Keras "
            f"{name} has {len(dense)} and {len(batchnorm)}"
        )
    for layer, prefix in zip(dense, linears, strict=True):
        layer.set_weights([arrays[f"{prefix}.weight"].T, arrays[f"{prefix}.bias"]])
    for layer, prefix in zip(batchnorm, norms, strict=True):
        layer.set_weights(
            [arrays[f"{prefix}.{k}"] for k in ("weight", "bias", "running_mean", "running_var")]
        )
    return model


def _layer_order(prefix: str) -> tuple[int, int]:
    """``encoder.3`` -> (0, 3), ``decoder.0`` -> (1, 0): the network's order."""
    part, index = prefix.split(".")
    return ({"encoder": 0, "decoder": 1}[part], int(index))
