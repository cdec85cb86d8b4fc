"""The margin-loss embedding CNN and its heads in PyTorch, twins of :func:`asdlens.models.backbones.margin_cnn` and
:mod:`asdlens.models.margin_layers` (see them for the recipe and the papers).

The backbone computes what the Keras one computes, layer for layer: per-band standardisation, four stages of
[3x3 convolution stride 2, BatchNorm, ReLU, 3x3 convolution, BatchNorm, residual add, ReLU], the frequency axis
and channels flattened (frequency-major, as Keras's NHWC reshape), the mean over time, a bias-free projection and
BatchNorm. Convolutions pad as TensorFlow's ``"same"`` does (``(total - total // 2)`` after, ``total // 2``
before: for a stride-2 convolution of an even size, one row after and none before), not torch's symmetric
padding, so that only the framework differs.

The heads keep their centres as ``[embedding_dim, n_centres]`` (Keras's layout), Glorot-uniform in both
frameworks (the torch ArcFace implementations of the field, e.g. liuyoude/STgram-MFN's ``ArcMarginProduct``,
use ``nn.init.xavier_uniform_``), and return class log-probabilities; AdaCos's scale is a buffer updated in
training steps.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..frameworks import LayerSettings
from .layers import BatchNorm1d, BatchNorm2d, initialise


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow's ``"same"`` padding of one axis: (before, after)."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class SameConv2d(nn.Conv2d):
    """A bias-free 2-D convolution with TensorFlow's ``"same"`` padding."""

    def __init__(self, c_in: int, c_out: int, kernel: int = 3, stride: int = 1):
        super().__init__(c_in, c_out, kernel, stride=stride, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        top, bottom = same_padding(x.shape[-2], kh, sh)
        left, right = same_padding(x.shape[-1], kw, sw)
        return super().forward(F.pad(x, (left, right, top, bottom)))


class MarginCNN(nn.Module):
    """``[batch, frames, n_mels]`` log-mel windows -> ``[batch, embedding_dim]`` (module docstring)."""

    def __init__(
        self, n_mels: int, *, embedding_dim: int, width: float, layers: LayerSettings = LayerSettings()
    ):
        super().__init__()
        self.register_buffer("mean", torch.zeros(n_mels))
        self.register_buffer("std", torch.ones(n_mels))
        stages, c_in, freq = [], 1, n_mels
        for base in (16, 32, 64, 128):
            ch = max(4, int(round(base * width)))
            stages.append(nn.ModuleDict({
                "down": SameConv2d(c_in, ch, 3, 2), "bn1": BatchNorm2d(ch, layers),
                "conv": SameConv2d(ch, ch, 3, 1), "bn2": BatchNorm2d(ch, layers),
            }))  # fmt: skip
            c_in, freq = ch, math.ceil(freq / 2)
        self.stages = nn.ModuleList(stages)
        self.project = nn.Linear(freq * c_in, embedding_dim, bias=False)
        self.embedding = BatchNorm1d(embedding_dim, layers)
        initialise(self, layers.init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = ((x - self.mean) / self.std).unsqueeze(1)  # [b, 1, time, mel]
        for s in self.stages:
            h = F.relu(s["bn1"](s["down"](h)))
            h = F.relu(h + s["bn2"](s["conv"](h)))
        b, c, t, f = h.shape
        h = (
            h.permute(0, 2, 3, 1).reshape(b, t, f * c).mean(dim=1)
        )  # Keras: NHWC reshape, GlobalAveragePooling1D
        return self.embedding(self.project(h))


def _unit(x: torch.Tensor, dim: int) -> torch.Tensor:
    return x / torch.clamp(torch.sqrt(torch.sum(x * x, dim=dim, keepdim=True)), min=1e-12)


class _CosineHead(nn.Module):
    def __init__(self, dim: int, n_classes: int, n_centres: int):
        super().__init__()
        self.n_classes, self.n_centres = int(n_classes), int(n_centres)
        self.centres = nn.Parameter(torch.empty(dim, self.n_centres))
        nn.init.xavier_uniform_(self.centres)

    def cosines(self, embedding: torch.Tensor) -> torch.Tensor:
        return _unit(embedding, -1) @ _unit(self.centres, 0)


class ArcFaceHead(_CosineHead):
    """ArcFace's additive angular margin (training only), as :class:`asdlens.models.margin_layers.ArcFaceHead`."""

    def __init__(self, dim: int, n_classes: int, *, margin: float, scale: float):
        super().__init__(dim, n_classes, n_classes)
        self.margin, self.scale = float(margin), float(scale)

    def forward(self, embedding: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        cos = self.cosines(embedding)
        if self.training and labels is not None:
            m = self.margin
            c = torch.clamp(cos, -1.0 + 1e-7, 1.0 - 1e-7)
            shifted = c * math.cos(m) - torch.sqrt(1.0 - c * c) * math.sin(m)
            shifted = torch.where(c > math.cos(math.pi - m), shifted, c - m * math.sin(math.pi - m))
            cos = labels * shifted + (1.0 - labels) * cos
        return torch.log_softmax(self.scale * cos, dim=-1)


class AdaCosHead(_CosineHead):
    """(Sub-cluster) AdaCos, as :class:`asdlens.models.margin_layers.AdaCosHead`: the scale adapts in training."""

    def __init__(self, dim: int, n_classes: int, *, subclusters: int):
        super().__init__(dim, n_classes, n_classes * int(subclusters))
        self.subclusters = int(subclusters)
        self.register_buffer("scale", torch.tensor(math.sqrt(2.0) * math.log(max(self.n_centres - 1, 2))))

    def forward(self, embedding: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        cos = self.cosines(embedding)
        if self.training and labels is not None:
            with torch.no_grad():
                target = torch.repeat_interleave(labels, self.subclusters, dim=1) > 0
                others = torch.where(target, -math.inf, self.scale * cos)
                per_sample = torch.logsumexp(others, dim=1)
                log_b = torch.logsumexp(per_sample, dim=0) - math.log(per_sample.shape[0])
                theta = torch.arccos(torch.clamp(cos, -1.0 + 1e-7, 1.0 - 1e-7))
                nearest = torch.min(torch.where(target, theta, math.inf), dim=1).values
                new = log_b / torch.cos(torch.clamp(torch.quantile(nearest, 0.5), max=math.pi / 4))
                if torch.isfinite(new) and new > 0:
                    self.scale.copy_(new)
        log_p = torch.log_softmax(self.scale * cos, dim=-1).view(-1, self.n_classes, self.subclusters)
        return torch.logsumexp(log_p, dim=-1)


class MarginNetwork(nn.Module):
    """Backbone and head: ``forward(x, labels)`` -> class log-probabilities; ``embed(x)`` the embedding."""

    def __init__(self, backbone: nn.Module, head: nn.Module):
        super().__init__()
        self.backbone, self.head = backbone, head

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.backbone(x), labels)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.backbone(x)


def build_margin_network(params: dict, n_mels: int, n_classes: int, layers: LayerSettings) -> MarginNetwork:
    """The torch ``margin_cnn`` with its ArcFace or AdaCos head (``params``: the resolved family parameters)."""
    backbone = MarginCNN(n_mels, embedding_dim=params["embedding_dim"], width=params["width"], layers=layers)
    if params["loss"] == "arcface":
        head = ArcFaceHead(params["embedding_dim"], n_classes, margin=params["margin"], scale=params["scale"])
    else:
        head = AdaCosHead(params["embedding_dim"], n_classes, subclusters=params["subclusters"])
    return MarginNetwork(backbone, head)
