"""The architecture of a BEATs checkpoint (its ``cfg``), validated; no torch here.

Facts (microsoft/unilm ``beats/BEATs.py`` @ 768a3c87, class ``BEATsConfig``; the ``beats/`` folder last changed in
732d834d): an official checkpoint is a dict whose ``cfg`` is a plain dict of these keys and whose ``model`` is the
state dict. The values of the released checkpoints (``BEATs_iter3.pt``, ``BEATs_iter3_plus_AS2M.pt``, ...) are not
in the official code, which only has class defaults; they are as a third-party loader checked them on all 15
released files (public index id 59479021383, "timbral" ``helpers/beats``; the same values in id 66864481692): 16x16
patches, ``embed_dim`` 512, no conv bias, 12 layers of width 768, FFN 3072, 12 heads, GELU, post-LN
(``layer_norm_first`` False) with DeepNorm, a 128-tap positional convolution in 16 groups, relative positions in 320
buckets up to distance 800 with the gated relative position of WavLM. Pre-trained files carry 22 keys: those and
``dropout`` 0.1, ``attention_dropout`` 0.1, ``activation_dropout`` 0.0, ``encoder_layerdrop`` 0.05,
``dropout_input`` 0.1, ``layer_wise_gradient_decay_ratio`` 1.0; fine-tuned ones add ``finetuned_model``,
``predictor_dropout`` and ``predictor_class`` (527 AudioSet classes). The official class defaults differ from those
values (``deep_norm`` False, ``max_distance`` 1280, ``input_patch_size`` -1), so a cfg that leaves an architecture
key out is refused here rather than filled in.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields
from typing import Any

#: Keys a checkpoint's ``cfg`` may hold that only matter for training (dropouts, layer drop, gradient decay).
TRAINING_KEYS = (
    "dropout",
    "attention_dropout",
    "activation_dropout",
    "encoder_layerdrop",
    "dropout_input",
    "layer_wise_gradient_decay_ratio",
    "predictor_dropout",
)
#: Their values in the released pre-trained checkpoints (written by :meth:`BeatsConfig.to_cfg`).
PRETRAINED_TRAINING_VALUES = {
    "dropout": 0.1,
    "attention_dropout": 0.1,
    "activation_dropout": 0.0,
    "encoder_layerdrop": 0.05,
    "dropout_input": 0.1,
    "layer_wise_gradient_decay_ratio": 1.0,
}
#: Architecture keys a cfg may leave out, with the official class defaults (pre-trained files have no predictor).
OPTIONAL_KEYS = {"finetuned_model": False, "predictor_class": 527}
ACTIVATIONS = ("gelu",)
_INT_FIELDS = (
    "input_patch_size",
    "embed_dim",
    "encoder_layers",
    "encoder_embed_dim",
    "encoder_ffn_embed_dim",
    "encoder_attention_heads",
    "conv_pos",
    "conv_pos_groups",
    "num_buckets",
    "max_distance",
    "predictor_class",
)
_BOOL_FIELDS = (
    "conv_bias",
    "layer_norm_first",
    "deep_norm",
    "relative_position_embedding",
    "gru_rel_pos",
    "finetuned_model",
)


@dataclass(frozen=True)
class BeatsConfig:
    """A BEATs architecture, named as the checkpoint's ``cfg`` keys. Defaults are the released checkpoints'.

    Parameters
    ----------
    input_patch_size : int
        Side of the square patches of the fbank (16: 16 frames x 16 mel bins).
    embed_dim : int
        Width of the patch embedding (512); projected to ``encoder_embed_dim`` when they differ.
    conv_bias : bool
        Whether the patch embedding has a bias.
    encoder_layers, encoder_embed_dim, encoder_ffn_embed_dim, encoder_attention_heads : int
        Transformer depth, width, FFN width and heads (12, 768, 3072, 12).
    activation_fn : {"gelu"}
        FFN activation (the released checkpoints use GELU; the others of the official code are not built).
    layer_norm_first : bool
        Pre-LN layers (True) or post-LN (False, released).
    deep_norm : bool
        DeepNorm residual scaling ``alpha = (2 * encoder_layers) ** 0.25`` of post-LN layers (released: True).
    conv_pos, conv_pos_groups : int
        Kernel size and groups of the convolutional positional embedding (128, 16).
    relative_position_embedding : bool
        Relative position bias in the attention (released: True).
    num_buckets, max_distance : int
        Buckets and largest distinguished distance of the relative positions (320, 800).
    gru_rel_pos : bool
        Gated relative position bias (WavLM's GRU-style gates; released: True).
    finetuned_model : bool
        The checkpoint carries an AudioSet classifier (``predictor``); its weights are checked and left unused.
    predictor_class : int
        Classes of that classifier (527).
    """

    input_patch_size: int = 16
    embed_dim: int = 512
    conv_bias: bool = False
    encoder_layers: int = 12
    encoder_embed_dim: int = 768
    encoder_ffn_embed_dim: int = 3072
    encoder_attention_heads: int = 12
    activation_fn: str = "gelu"
    layer_norm_first: bool = False
    deep_norm: bool = True
    conv_pos: int = 128
    conv_pos_groups: int = 16
    relative_position_embedding: bool = True
    num_buckets: int = 320
    max_distance: int = 800
    gru_rel_pos: bool = True
    finetuned_model: bool = False
    predictor_class: int = 527

    def __post_init__(self) -> None:
        for name in _INT_FIELDS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"BEATs cfg {name}={value!r} must be a positive integer")
        for name in _BOOL_FIELDS:
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"BEATs cfg {name}={getattr(self, name)!r} must be True or False")
        if self.activation_fn not in ACTIVATIONS:
            raise ValueError(
                f"BEATs cfg activation_fn={self.activation_fn!r} is not supported; use one of {list(ACTIVATIONS)}"
            )
        if self.deep_norm and self.layer_norm_first:
            raise ValueError("BEATs cfg deep_norm=True needs layer_norm_first=False (DeepNorm is post-LN)")
        if self.encoder_embed_dim % self.encoder_attention_heads:
            raise ValueError(
                f"BEATs cfg encoder_embed_dim={self.encoder_embed_dim} is not divisible by "
                f"encoder_attention_heads={self.encoder_attention_heads}"
            )
        if self.encoder_embed_dim % self.conv_pos_groups:
            raise ValueError(
                f"BEATs cfg encoder_embed_dim={self.encoder_embed_dim} is not divisible by "
                f"conv_pos_groups={self.conv_pos_groups}"
            )
        if self.relative_position_embedding and not (
            self.num_buckets >= 4 and self.max_distance > self.num_buckets // 4
        ):
            raise ValueError(
                f"BEATs cfg num_buckets={self.num_buckets}, max_distance={self.max_distance}: need num_buckets >= 4 "
                "and max_distance > num_buckets // 4 (the exact range)"
            )

    @property
    def head_dim(self) -> int:
        return self.encoder_embed_dim // self.encoder_attention_heads

    @property
    def deep_norm_alpha(self) -> float:
        """Residual scale of post-LN layers: ``(2 * encoder_layers) ** (1/4)`` with DeepNorm, else 1."""
        return (2 * self.encoder_layers) ** 0.25 if self.deep_norm else 1.0

    def to_cfg(self) -> dict[str, Any]:
        """The checkpoint ``cfg`` dict in the official form (architecture keys and the training values of a
        released pre-trained checkpoint; the predictor keys only for a fine-tuned model)."""
        cfg = {f.name: getattr(self, f.name) for f in fields(self)}
        if not self.finetuned_model:
            for key in OPTIONAL_KEYS:
                del cfg[key]
        cfg.update(PRETRAINED_TRAINING_VALUES)
        if self.finetuned_model:
            cfg["predictor_dropout"] = 0.0
        return cfg

    @classmethod
    def from_cfg(cls, cfg: Any, *, source: str = "the checkpoint") -> BeatsConfig:
        """Validate a checkpoint's ``cfg``; ``source`` (the file) is named in every error.

        Raises
        ------
        ValueError
            If ``cfg`` is not a dict, lacks an architecture key, has a key BEATs does not know (a checkpoint of
            another model), or holds a value outside the allowed range.
        """
        if not isinstance(cfg, dict):
            raise ValueError(f"{source}: 'cfg' is a {type(cfg).__name__}, not a dict of BEATs settings")
        known = {f.name for f in fields(cls)}
        foreign = sorted(set(cfg) - known - set(TRAINING_KEYS))
        missing = sorted(known - set(cfg) - set(OPTIONAL_KEYS))
        if foreign or missing:
            parts = ([f"unknown key(s) {foreign}"] if foreign else []) + (
                [f"missing key(s) {missing}"] if missing else []
            )
            raise ValueError(f"{source}: 'cfg' is not a BEATs config: {'; '.join(parts)}")
        values = {**OPTIONAL_KEYS, **{k: v for k, v in cfg.items() if k in known}}
        try:
            return cls(**values)
        except ValueError as exc:
            raise ValueError(f"{source}: {exc}") from None


#: The released checkpoints' architecture (BEATs base, about 90 M parameters).
BASE = BeatsConfig()
#: A tiny model of the same structure for tests: 2 layers of width 32 (a projection from the 24-wide patches).
TINY = dataclasses.replace(
    BASE,
    embed_dim=24,
    encoder_layers=2,
    encoder_embed_dim=32,
    encoder_ffn_embed_dim=64,
    encoder_attention_heads=4,
    conv_pos=8,
    conv_pos_groups=4,
    num_buckets=32,
    max_distance=64,
)
SIZES = {"base": BASE, "tiny": TINY}
