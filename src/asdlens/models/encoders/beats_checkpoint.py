"""BEATs checkpoints: strict loading of the official ``.pt`` file, its content hash, and random-weight files in
the same format (for tests and the bench; no weights can be downloaded here).

The official format (microsoft/unilm ``beats/README.md`` @ 768a3c87, "Load Pre-Trained Models"): ``torch.load``
gives a dict with ``cfg`` (a plain dict, :mod:`.beats_config`) and ``model`` (the state dict; fine-tuned files also
hold ``label_dict``). State-dict names are those of :class:`~.beats.BeatsEncoder` (the official module tree):
``patch_embedding.weight``, ``layer_norm.*``, ``post_extract_proj.*``, ``encoder.pos_conv.0.{weight_g, weight_v,
bias}``, ``encoder.layer_norm.*``, ``encoder.layers.N.self_attn.{q,k,v,out}_proj.*``,
``encoder.layers.N.self_attn.{grep_linear.*, grep_a, relative_attention_bias.weight}``,
``encoder.layers.N.{self_attn_layer_norm, fc1, fc2, final_layer_norm}.*`` and, fine-tuned, ``predictor.*``. The
relative-position table is one parameter shared by every layer (``beats/backbone.py``), so the file holds equal
copies under every layer's name.

Loading is ``torch.load(path, map_location="cpu", weights_only=True)``: the unpickler then accepts only tensors
and plain containers (dict, list, str, numbers), which is all the official format holds, and a file cannot run
code while it loads. A file that needs more is refused with a clear error, never reloaded unsafely.
"""

from __future__ import annotations

import hashlib
import io
import math
import pickle
import re
from pathlib import Path

import torch

from ...atomic import atomic_write_bytes
from .beats import BeatsEncoder
from .beats_config import SIZES, BeatsConfig

WHERE = "the official BEATs checkpoints are published at https://github.com/microsoft/unilm/tree/master/beats"
_SHOWN = 8  # keys listed in an error before "and N more"


def checkpoint_sha256(path: str | Path) -> str:
    """SHA-256 of the file's bytes (hex): the checkpoint's identity in cache keys."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _listed(keys) -> str:
    keys = sorted(keys)
    more = f" and {len(keys) - _SHOWN} more" if len(keys) > _SHOWN else ""
    return f"{keys[:_SHOWN]}{more}"


def read_checkpoint(path: str | Path) -> tuple[BeatsConfig, dict[str, torch.Tensor]]:
    """The validated config and the state dict of a BEATs checkpoint file.

    Raises
    ------
    ValueError
        Naming the file: missing, not a torch checkpoint (or truncated), holding objects beyond tensors and
        plain containers, not a dict with ``cfg`` and ``model``, or a ``cfg`` that is not BEATs'.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such checkpoint file ({WHERE})")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        # torch's weights-only unpickler: a class it refuses ("Unsupported global: GLOBAL argparse.Namespace"),
        # or bytes that are no pickle at all ("Unsupported operand 66").
        text = str(exc)
        refused = re.search(r"GLOBAL (\S+)", text)
        if refused:
            raise ValueError(
                f"{path}: the file holds a pickled {refused[1]} object; asdlens loads checkpoints with "
                "weights_only=True (tensors and plain containers only, so that loading cannot run code) and does "
                "not unpickle it"
            ) from None
        detail = re.search(r"WeightsUnpickler error:\s*(.+?)\s*(?:\n\n|$)", text, re.S)
        raise ValueError(
            f"{path}: not a readable torch checkpoint ({detail[1] if detail else _first_line(exc)})"
        ) from None
    except Exception as exc:  # a truncated zip, a text file, ...: torch raises RuntimeError, EOFError, ...
        raise ValueError(
            f"{path}: not a readable torch checkpoint ({type(exc).__name__}: {_first_line(exc)})"
        ) from None
    if not isinstance(data, dict) or not {"cfg", "model"} <= set(data):
        what = (
            f"a dict with keys {_listed(map(str, data))}"
            if isinstance(data, dict)
            else f"a {type(data).__name__}"
        )
        hint = (
            " (a bare state dict?)"
            if isinstance(data, dict) and data and all(map(torch.is_tensor, data.values()))
            else ""
        )
        raise ValueError(
            f"{path}: not a BEATs checkpoint: expected a dict with 'cfg' and 'model', got {what}{hint}"
        )
    config = BeatsConfig.from_cfg(data["cfg"], source=str(path))
    state = data["model"]
    if not isinstance(state, dict) or not all(
        isinstance(k, str) and torch.is_tensor(v) for k, v in state.items()
    ):
        raise ValueError(f"{path}: 'model' is not a state dict of named tensors")
    return config, state


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def check_state(
    config: BeatsConfig, state: dict[str, torch.Tensor], model: BeatsEncoder, source: str
) -> None:
    """Raise ``ValueError`` (naming ``source``) unless ``state`` has exactly the model's keys and shapes, finite
    floating-point values, and one relative-position table (equal copies under every layer)."""
    expected = model.state_dict()
    missing, unexpected = set(expected) - set(state), set(state) - set(expected)
    shapes = sorted(
        f"{k}: {tuple(state[k].shape)} in the file, {tuple(v.shape)} expected"
        for k, v in expected.items()
        if k in state and state[k].shape != v.shape
    )
    problems = ([f"missing key(s) {_listed(missing)}"] if missing else []) + (
        [f"unexpected key(s) {_listed(unexpected)}"] if unexpected else []
    )
    if shapes:
        more = f" and {len(shapes) - _SHOWN} more" if len(shapes) > _SHOWN else ""
        problems.append(f"mismatched shape(s) {shapes[:_SHOWN]}{more}")
    if problems:
        raise ValueError(f"{source}: the state dict does not fit its BEATs cfg: {'; '.join(problems)}")
    bad = [k for k, v in state.items() if not v.is_floating_point() or not bool(torch.isfinite(v).all())]
    if bad:
        raise ValueError(f"{source}: non-float or non-finite values in {_listed(bad)}")
    tables = [k for k in state if k.endswith("self_attn.relative_attention_bias.weight")]
    unequal = [k for k in tables if not torch.equal(state[k], state[tables[0]])]
    if unequal:
        raise ValueError(
            f"{source}: the relative-position tables of {_listed(unequal)} differ from {tables[0]}'s; BEATs "
            "shares one table across its layers"
        )


def load_beats(path: str | Path) -> BeatsEncoder:
    """A :class:`~.beats.BeatsEncoder` with the weights of an official (or same-format) checkpoint, strictly.

    Raises
    ------
    ValueError
        See :func:`read_checkpoint` and :func:`check_state`: every problem names the file.
    """
    config, state = read_checkpoint(path)
    model = BeatsEncoder(config)
    check_state(config, state, model, str(path))
    model.load_state_dict(state, strict=True)
    return model.eval()


def randomise_(model: BeatsEncoder, *, seed: int = 0) -> BeatsEncoder:
    """Fill ``model``'s weights with random values in place (no copy of the weights is made); returns ``model``.

    Linear, patch and table weights are N(0, 0.02) (BERT's initialisation, as the official ``init_bert_params``);
    the positional convolution's ``weight_v`` is N(0, sqrt(4 / (conv_pos * dim))) with ``weight_g = ||v||`` (torch's
    weight-norm start); layer norms are 1 and 0, biases 0, ``grep_a`` 1. The shared relative-position table is
    one parameter, drawn once.
    """
    config = model.config
    generator = torch.Generator().manual_seed(seed)
    conv_std = math.sqrt(4 / (config.conv_pos * config.encoder_embed_dim))
    with torch.no_grad():
        for name, param in model.named_parameters():  # shared parameters come once
            if name.endswith("weight_v"):
                param.copy_(torch.randn(param.shape, generator=generator) * conv_std)
            elif name.endswith("grep_a") or ("norm" in name and name.endswith("weight")):
                param.fill_(1.0)
            elif name.endswith(".bias"):
                param.zero_()
            elif not name.endswith("weight_g"):
                param.copy_(torch.randn(param.shape, generator=generator) * 0.02)
        conv = model.encoder.pos_conv[0]
        conv.weight_g.copy_(conv.weight_v.square().sum(dim=(0, 1), keepdim=True).sqrt())
    return model


def random_state(config: BeatsConfig, *, seed: int = 0) -> dict[str, torch.Tensor]:
    """A state dict of random weights (:func:`randomise_`) under the official names, every tensor its own copy
    (the relative-position table once per layer, as the official files hold it)."""
    return {k: v.clone() for k, v in randomise_(BeatsEncoder(config), seed=seed).state_dict().items()}


def write_random_checkpoint(path: str | Path, config: BeatsConfig | str = "tiny", *, seed: int = 0) -> str:
    """Write a random-weight checkpoint in the official format to ``path`` (atomically); return its SHA-256.

    ``config`` is a :class:`BeatsConfig` or a size name: ``"base"`` (the released architecture, about 360 MB on
    disk) or ``"tiny"`` (for tests).
    """
    if isinstance(config, str):
        if config not in SIZES:
            raise ValueError(f"unknown BEATs size {config!r}; choose one of {sorted(SIZES)}")
        config = SIZES[config]
    buffer = io.BytesIO()
    torch.save({"cfg": config.to_cfg(), "model": random_state(config, seed=seed)}, buffer)
    atomic_write_bytes(path, buffer.getbuffer())
    return checkpoint_sha256(path)
