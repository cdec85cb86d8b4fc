"""torch layers that honour the framework settings (:mod:`asdlens.models.frameworks`).

- :class:`BatchNorm1d` / :class:`BatchNorm2d`: ``nn.BatchNorm*d`` (same parameters, buffers and state-dict
  names) whose running variance averages either the unbiased batch variance (torch's own) or the biased one
  (Keras's, ``batchnorm_variance: biased``); ``momentum`` is the new batch's weight in both.
- :func:`initialise`: ``init: torch`` keeps what the layers' constructors drew (torch's
  ``reset_parameters``: kaiming-uniform ``a = sqrt(5)`` weights, U(+-1/sqrt(fan_in)) biases); ``init: keras``
  redraws every Linear / Conv weight Glorot-uniform (``nn.init.xavier_uniform_``: the same bound as Keras's
  ``GlorotUniform``, fans counted alike for dense and 2-D convolution kernels) with zero biases, and sets
  PReLU slopes to Keras's 0.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..frameworks import LayerSettings


class _Convention:
    """The running-variance convention of a BatchNorm module (``variance``: "unbiased" or "biased")."""

    variance = "unbiased"

    def forward(self, x):
        if not self.training or self.variance == "unbiased":
            return super().forward(x)
        self._check_input_dim(x)
        with torch.no_grad():
            dims = [0, *range(2, x.dim())]
            var, mean = torch.var_mean(x, dims, correction=0)
            self.running_mean.lerp_(mean, self.momentum)
            self.running_var.lerp_(var, self.momentum)
            self.num_batches_tracked.add_(1)
        return F.batch_norm(x, None, None, self.weight, self.bias, True, 0.0, self.eps)


class BatchNorm1d(_Convention, nn.BatchNorm1d):
    def __init__(self, features: int, layers: LayerSettings):
        super().__init__(features, momentum=layers.batchnorm_momentum, eps=layers.batchnorm_eps)
        self.variance = layers.batchnorm_variance


class BatchNorm2d(_Convention, nn.BatchNorm2d):
    def __init__(self, features: int, layers: LayerSettings):
        super().__init__(features, momentum=layers.batchnorm_momentum, eps=layers.batchnorm_eps)
        self.variance = layers.batchnorm_variance


def initialise(module: nn.Module, init: str) -> nn.Module:
    """Apply ``init`` to every Linear, Conv2d and PReLU of ``module`` (draws from torch's global generator)."""
    if init == "torch":
        return module  # the constructors' draws
    if init != "keras":
        raise ValueError(f"model.init={init!r} is not allowed; choose one of ['keras', 'torch']")
    for layer in module.modules():
        if isinstance(layer, nn.Linear | nn.Conv2d):
            nn.init.xavier_uniform_(layer.weight)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
        elif isinstance(layer, nn.PReLU):
            nn.init.zeros_(layer.weight)
    return module
