"""The two reference autoencoders in PyTorch, twins of :mod:`asdlens.models.autoencoders`.

:class:`AENet` is the DCASE 2020 baseline network as the official DCASE 2023-2026 baseline writes it in torch
(nttcslab/dcase2023_task2_baseline_ae ``networks/dcase2023t2_ae/network.py``, read at 9b64dc4, the same class
since v1.0.0): an ``encoder`` ``nn.Sequential`` of four [Linear 128, BatchNorm1d, ReLU] blocks and a
[Linear 8, BatchNorm1d, ReLU] bottleneck, a ``decoder`` of four [Linear 128, BatchNorm1d, ReLU] blocks and a
Linear back to ``input_dim``, and two ``block_size x block_size`` matrices ``cov_source`` / ``cov_target``
(the residual covariances of the Mahalanobis score; ``nn.Parameter(requires_grad=False)`` there, buffers
here: the state-dict names, shapes and dtypes are the same). So its state dict is ``cov_source``,
``cov_target``, ``encoder.{0,3,6,9,12}.{weight,bias}``, ``encoder.{1,4,7,10,13}.{weight,bias,running_mean,
running_var,num_batches_tracked}``, likewise ``decoder.{0..12}`` and ``decoder.12.{weight,bias}``, and the
official ``torch.save(model.state_dict())`` files load strictly. The official BatchNorm is
``BatchNorm1d(momentum=0.01, eps=1e-3)``; here it is the config's (:class:`~asdlens.models.frameworks.LayerSettings`).

The layers are created in the official order, so with ``init: torch`` the same ``torch.manual_seed`` gives the
official initial weights. :class:`MimiiAutoencoder`: the MIMII paper's Dense 64, 64, 8, 64, 64 (ReLU), linear
output, no normalisation, in the same ``encoder`` / ``decoder`` layout.
"""

from __future__ import annotations

import torch
from torch import nn

from ..frameworks import LayerSettings
from .layers import BatchNorm1d, initialise


class _Autoencoder(nn.Module):
    """``forward(x) -> reconstruction``; ``code(x)``: the bottleneck (the encoder's output)."""

    def __init__(self, input_dim: int, block_size: int):
        super().__init__()
        if isinstance(input_dim, bool) or not isinstance(input_dim, int) or input_dim < 1:
            raise ValueError(f"input_dim={input_dim!r} must be a positive integer (n_mels * frames)")
        self.input_dim = input_dim
        self.register_buffer("cov_source", torch.zeros(block_size, block_size))
        self.register_buffer("cov_target", torch.zeros(block_size, block_size))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x.view(-1, self.input_dim)))

    def code(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x.view(-1, self.input_dim))


class AENet(_Autoencoder):
    """The DCASE 2020 baseline autoencoder with the official DCASE 2023 baseline's names (module docstring).

    Parameters
    ----------
    input_dim : int
        ``n_mels * frames`` (640).
    block_size : int
        ``n_mels``: the side of the residual covariances (128).
    layers : LayerSettings
        Initialisation and BatchNorm settings.
    """

    def __init__(self, input_dim: int = 640, block_size: int = 128, layers: LayerSettings = LayerSettings()):
        super().__init__(input_dim, block_size)

        def block(n_in: int, n_out: int) -> list[nn.Module]:
            return [nn.Linear(n_in, n_out), BatchNorm1d(n_out, layers), nn.ReLU()]

        self.encoder = nn.Sequential(
            *block(input_dim, 128), *block(128, 128), *block(128, 128), *block(128, 128), *block(128, 8)
        )
        self.decoder = nn.Sequential(
            *block(8, 128), *block(128, 128), *block(128, 128), *block(128, 128), nn.Linear(128, input_dim)
        )
        initialise(self, layers.init)


class MimiiAutoencoder(_Autoencoder):
    """The MIMII paper's autoencoder (see :func:`asdlens.models.autoencoders.mimii_autoencoder`)."""

    def __init__(self, input_dim: int = 320, block_size: int = 64, layers: LayerSettings = LayerSettings()):
        super().__init__(input_dim, block_size)
        self.encoder = nn.Sequential(
            nn.Linear(input_dim, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 8), nn.ReLU()
        )
        self.decoder = nn.Sequential(
            nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, input_dim)
        )
        initialise(self, layers.init)


#: torch autoencoders by ``model.name``.
TORCH_AUTOENCODERS = {"dcase2020_autoencoder": AENet, "mimii_autoencoder": MimiiAutoencoder}


def build_autoencoder(name: str, input_dim: int, block_size: int, layers: LayerSettings) -> _Autoencoder:
    """The torch autoencoder ``name``; its initial weights are drawn from torch's global generator."""
    if name not in TORCH_AUTOENCODERS:
        raise ValueError(
            f"model.name={name!r} has no torch autoencoder; choose one of {list(TORCH_AUTOENCODERS)}"
        )
    return TORCH_AUTOENCODERS[name](input_dim, block_size, layers)
