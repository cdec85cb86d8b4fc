"""torch state dicts in and out: the network file of a torch detector, and ``model.checkpoint``.

A torch detector saves its network as ``model.pt``, ``torch.save(net.state_dict())``: the format the official
DCASE 2023-2026 baseline writes (``torch.save(self.model.state_dict(), self.model_path)``,
``networks/dcase2023t2_ae/dcase2023t2_ae.py`` at 9b64dc4) and reads (``load_state_dict(torch.load(...))``).
Files are read with ``weights_only=True`` (tensors only, no pickled code) and loaded *strictly*: every key of
the network and nothing else, each with its shape; a file that does not fit raises one ``ValueError`` naming the
missing keys, the unexpected ones and the mismatched shapes.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import torch

NETWORK_FILE = "model.pt"


def save_state(net: torch.nn.Module, path: str | Path) -> Path:
    """``torch.save(net.state_dict(), path)`` atomically (a temporary file beside it, then renamed)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    try:
        state = {k: v.detach().cpu() for k, v in net.state_dict().items()}
        torch.save(state, tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def read_state(path: str | Path, *, what: str = "checkpoint") -> dict[str, torch.Tensor]:
    """The state dict in ``path`` (``weights_only``); a full training checkpoint's ``model_state_dict`` too."""
    path = Path(path).expanduser()
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, ValueError, EOFError, pickle.UnpicklingError) as exc:
        # unreadable, not a torch file, or one holding pickled code (weights_only refuses it)
        raise ValueError(f"{what} {path}: not a torch state dict file ({exc})") from None
    if (
        isinstance(state, dict)
        and "model_state_dict" in state
        and isinstance(state["model_state_dict"], dict)
    ):
        state = state["model_state_dict"]  # the official checkpoint.tar: {"epoch", "model_state_dict", ...}
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f"{what} {path}: not a state dict (a mapping of parameter names to tensors)")
    return state


def state_mismatch(net: torch.nn.Module, state: dict[str, torch.Tensor]) -> str | None:
    """What keeps ``state`` from loading strictly into ``net`` (None when it fits)."""
    own = net.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    shapes = [
        f"{k}: {tuple(state[k].shape)} in the file, {tuple(own[k].shape)} in the network"
        for k in own
        if k in state and tuple(state[k].shape) != tuple(own[k].shape)
    ]
    parts = []
    if missing:
        parts.append(f"missing keys {missing}")
    if unexpected:
        parts.append(f"unexpected keys {unexpected}")
    if shapes:
        parts.append(f"mismatched shapes [{'; '.join(shapes)}]")
    return "; ".join(parts) or None


def load_state(net: torch.nn.Module, path: str | Path, *, what: str = "model.checkpoint") -> torch.nn.Module:
    """Load the state dict in ``path`` strictly into ``net``.

    Raises
    ------
    ValueError
        Naming ``what`` and the file: unreadable, not a state dict, or not this network's (missing and unexpected
        keys, mismatched shapes).
    """
    state = read_state(path, what=what)
    problem = state_mismatch(net, state)
    if problem:
        raise ValueError(f"{what} {Path(path).expanduser()} does not fit {type(net).__name__}: {problem}")
    net.load_state_dict(state, strict=True)
    return net
