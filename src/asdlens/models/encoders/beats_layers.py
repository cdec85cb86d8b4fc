"""The BEATs transformer in torch, written from the paper and the checkpoint's facts; module and parameter names
are the official state-dict names, so a released checkpoint loads into it key for key.

Facts (Chen et al., "BEATs: Audio Pre-Training with Acoustic Tokenizers", arXiv 2212.09058, §3: a ViT-style
encoder on 16x16 fbank patches with the relative position and gated relative position of WavLM; microsoft/unilm
``beats/backbone.py`` @ 768a3c87 for the exact shapes, order and constants):

- positional convolution: ``x + GELU(conv(x))``, a grouped 1-D convolution over the tokens with ``conv_pos`` taps,
  padding ``conv_pos // 2`` and the last output dropped when the kernel is even (same length out); its weight is
  weight-normalised over every axis but the tap axis (torch ``weight_norm(dim=2)``: keys ``weight_g``
  ``[1, 1, conv_pos]`` and ``weight_v``), then (post-LN) the encoder's layer norm;
- relative position bias (T5's bucketing, Raffel et al. 2020): for key position ``j`` and query ``i``,
  ``r = j - i``; half of the ``num_buckets`` buckets take ``r > 0``; within a half, distances below
  ``exact = num_buckets // 4`` have their own bucket and longer ones share logarithmically spaced buckets
  ``exact + floor(ln(|r| / exact) / ln(max_distance / exact) * (num_buckets // 2 - exact))``, capped at the last one;
  one table ``[num_buckets, heads]`` (``relative_attention_bias``, stored under every layer but one parameter),
  looked up once in the first layer and reused by every layer;
- gated relative position bias (WavLM, Chen et al. 2022, eq. 3): per head, from the query ``q_i`` (the
  projection before scaling), ``g = sigmoid(sum over groups of 4 of grep_linear(q_i))`` gives two gates
  ``g_a, g_b``; the bias of query ``i`` is scaled by ``g_a (g_b w - 1) + 2`` with ``w = grep_a`` per head, which is
  WavLM's ``d + g_update d + (1 - g_update) w g_reset d`` with ``g_update = 1 - g_a`` and ``g_reset = g_b``;
- attention ``softmax(q k^T / sqrt(head_dim) + bias) v`` (the official code subtracts each row's maximum inside a
  rescaling by 32 first, which does not change the softmax);
- layers: post-LN ``LN(alpha x + f(x))`` for attention then FFN, ``alpha = (2 L) ** 0.25`` with DeepNorm (1
  without), or pre-LN ``x + f(LN(x))``; the FFN is ``fc2(GELU(fc1(x)))``; layer norms have torch's ``eps=1e-5``.

There is no dropout here at all: the encoder is frozen, so its output cannot depend on train/eval mode (unilm
issue #1658: the same input gave different outputs, a missing ``.eval()``).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .beats_config import BeatsConfig


def relative_position_buckets(n_query: int, n_key: int, num_buckets: int, max_distance: int) -> torch.Tensor:
    """The bucket of every (query, key) pair, ``[n_query, n_key]`` int64 (see the module notes).

    The log is taken in float32, as the official code takes it, so a distance on a bucket boundary falls where
    it falls there.
    """
    rel = torch.arange(n_key)[None, :] - torch.arange(n_query)[:, None]
    half = num_buckets // 2
    exact = half // 2
    dist = rel.abs()
    far = exact + (
        torch.log(dist.clamp_min(1).float() / exact) / math.log(max_distance / exact) * (half - exact)
    ).to(torch.long)
    return (rel > 0).to(torch.long) * half + torch.where(dist < exact, dist, far.clamp_max(half - 1))


class WeightNormConv1d(nn.Module):
    """The positional convolution: weight ``g * v / ||v||`` (norm over all but the tap axis), same-length output."""

    def __init__(self, dim: int, kernel: int, groups: int):
        super().__init__()
        self.kernel, self.groups = kernel, groups
        self.weight_g = nn.Parameter(torch.ones(1, 1, kernel))
        self.weight_v = nn.Parameter(torch.zeros(dim, dim // groups, kernel))
        self.bias = nn.Parameter(torch.zeros(dim))

    def weight(self) -> torch.Tensor:
        return self.weight_g * self.weight_v / self.weight_v.square().sum(dim=(0, 1), keepdim=True).sqrt()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[batch, dim, tokens]`` -> ``GELU(conv(x))`` of the same shape."""
        y = F.conv1d(x, self.weight(), self.bias, padding=self.kernel // 2, groups=self.groups)
        return F.gelu(y[..., :-1] if self.kernel % 2 == 0 else y)


class RelativeSelfAttention(nn.Module):
    """Multi-head self-attention with the (gated) relative position bias.

    ``table`` is the encoder's one relative-position embedding, registered in every layer under the official
    name; only the first layer looks it up (:meth:`position_bias`).
    """

    def __init__(self, config: BeatsConfig, table: nn.Embedding | None):
        super().__init__()
        dim = config.encoder_embed_dim
        self.heads, self.head_dim = config.encoder_attention_heads, config.head_dim
        self.num_buckets, self.max_distance = config.num_buckets, config.max_distance
        self.k_proj = nn.Linear(dim, dim)
        self.v_proj = nn.Linear(dim, dim)
        self.q_proj = nn.Linear(dim, dim)
        self.out_proj = nn.Linear(dim, dim)
        self.gated = config.gru_rel_pos
        if self.gated:
            self.grep_linear = nn.Linear(self.head_dim, 8)
            self.grep_a = nn.Parameter(torch.ones(1, self.heads, 1, 1))
        if table is not None:
            self.relative_attention_bias = table

    def position_bias(self, n_tokens: int) -> torch.Tensor:
        """The bias of every (query, key) pair, ``[heads, n_tokens, n_tokens]``."""
        table = self.relative_attention_bias
        buckets = relative_position_buckets(n_tokens, n_tokens, self.num_buckets, self.max_distance)
        return table(buckets.to(table.weight.device)).permute(2, 0, 1)

    def gate(self, q: torch.Tensor) -> torch.Tensor:
        """Per-query scale of the bias, ``[batch, heads, tokens, 1]``, from ``q`` ``[batch, heads, tokens, head_dim]``."""
        z = self.grep_linear(q).unflatten(-1, (2, 4)).sum(-1)
        g_a, g_b = torch.sigmoid(z).chunk(2, dim=-1)
        return g_a * (g_b * self.grep_a - 1.0) + 2.0

    def forward(self, x: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        """``[batch, tokens, dim]`` -> the same shape; ``bias`` is :meth:`position_bias` (or None)."""
        batch, tokens, dim = x.shape

        def heads(t: torch.Tensor) -> torch.Tensor:
            return t.view(batch, tokens, self.heads, self.head_dim).transpose(1, 2)

        q, k, v = heads(self.q_proj(x)), heads(self.k_proj(x)), heads(self.v_proj(x))
        mask = None
        if bias is not None:
            mask = self.gate(q) * bias if self.gated else bias[None]
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        return self.out_proj(out.transpose(1, 2).reshape(batch, tokens, dim))


class EncoderLayer(nn.Module):
    """One transformer layer (post-LN with DeepNorm scaling, or pre-LN, as the config says)."""

    def __init__(self, config: BeatsConfig, table: nn.Embedding | None):
        super().__init__()
        dim = config.encoder_embed_dim
        self.pre_ln, self.alpha = config.layer_norm_first, config.deep_norm_alpha
        self.self_attn = RelativeSelfAttention(config, table)
        self.self_attn_layer_norm = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, config.encoder_ffn_embed_dim)
        self.fc2 = nn.Linear(config.encoder_ffn_embed_dim, dim)
        self.final_layer_norm = nn.LayerNorm(dim)

    def _ffn(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.gelu(self.fc1(x)))

    def forward(self, x: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        if self.pre_ln:
            x = x + self.self_attn(self.self_attn_layer_norm(x), bias)
            return x + self._ffn(self.final_layer_norm(x))
        x = self.self_attn_layer_norm(x * self.alpha + self.self_attn(x, bias))
        return self.final_layer_norm(x * self.alpha + self._ffn(x))


class TransformerEncoder(nn.Module):
    """Positional convolution, (post-LN) layer norm, then the layers."""

    def __init__(self, config: BeatsConfig):
        super().__init__()
        dim = config.encoder_embed_dim
        self.pre_ln = config.layer_norm_first
        self.pos_conv = nn.ModuleList([WeightNormConv1d(dim, config.conv_pos, config.conv_pos_groups)])
        table = (
            nn.Embedding(config.num_buckets, config.encoder_attention_heads)
            if config.relative_position_embedding
            else None
        )
        self.layers = nn.ModuleList([EncoderLayer(config, table) for _ in range(config.encoder_layers)])
        self.layer_norm = nn.LayerNorm(dim)

    def forward(self, x: torch.Tensor, n_layers: int) -> torch.Tensor:
        """``[batch, tokens, dim]`` through the first ``n_layers`` layers (the output of layer ``n_layers``).

        For a pre-LN model the caller applies :attr:`layer_norm` to the last layer's output (the official
        ``extract_features`` does so only when it runs every layer).
        """
        x = x + self.pos_conv[0](x.transpose(1, 2)).transpose(1, 2)
        if not self.pre_ln:
            x = self.layer_norm(x)
        first = self.layers[0].self_attn
        bias = first.position_bias(x.shape[1]) if hasattr(first, "relative_attention_bias") else None
        for layer in self.layers[:n_layers]:
            x = layer(x, bias)
        return x
