"""Temporal pooling of frame-level embeddings: ``[..., n_frames, d] -> [..., d']``.

A frozen encoder gives one embedding per frame (per time patch, or per time x frequency patch); a training-free
back-end compares one vector per clip. These functions pool over the time axis and keep everything else, so the
same code pools one clip ``[n_frames, d]``, a batch of equal-length clips ``[n_clips, n_frames, d]`` and band-level
patch grids ``[n_frames, n_bands, d]`` (``axis=0``: each band pooled over time on its own, as BEATs' frequency
patches are in BEAM and the kasahart reproduction). The feature axis is always the last one.

Definitions (``x_t`` the frame embeddings, ``T`` frames; everything per feature dimension unless said):

- ``mean``: ``(1/T) sum_t x_t``.
- ``max``: ``max_t x_t``.
- ``gem(p)``: generalised mean of the non-negative part, ``((1/T) sum_t max(x_t, 0)^p)^(1/p)``, ``p > 0``
  (Radenovic, Tolias, Chum, TPAMI 2019; negatives set to zero as in Wilkinghoff, Yadav, Tan, "Temporal pooling
  strategies for training-free anomalous sound detection with self-supervised audio embeddings", arXiv 2603.04605,
  Sec. III-D).
- ``gwrp(r)``: global weighted rank pooling, ``sum_t r^(t-1) x_(t) / sum_t r^(t-1)`` with ``x_(t)`` the ``t``-th
  largest value of the dimension, ``r`` in ``[0, 1]`` (``r = 1`` mean, ``r = 0`` max; Kolesnikov and Lampert,
  ECCV 2016; arXiv 2603.04605 Sec. III-C).
- ``rdp(gamma)``: relative deviation pooling, a weighted mean ``sum_t w_t x_t`` (arXiv 2603.04605 Sec. III-E) with
  ``d_t = ||x_t - mean||_2``, ``d^_t = d_t / max_t d_t`` (0 when every ``d_t`` is 0),
  ``w_t = (1 + d^_t)^gamma / sum_s (1 + d^_s)^gamma``, ``gamma >= 0`` (``gamma = 0`` is the mean). **Plausible
  reading**: the paper's three RDP equations are images in every copy readable here; the prose fixes the steps
  (deviation from the temporal mean, a normalisation, weights relative to the sequence, a weighted mean, mean at
  ``gamma = 0``), the exact forms above are kasahart/dcase-asd-toolkit's reconstruction
  (``docs/methods/beam_rdp_varmin.md`` at b4dec0c, ``asdkit/models/pooling.py`` at 6dc7d69).
- ``rdp_gem(gamma, p)``: the paper's hybrid "RDP + GeM" (Sec. III-F): weighted GeM with the RDP weights,
  ``(sum_t w_t max(x_t, 0)^p)^(1/p)`` (the weights sum to one). It is **not** the concatenation ``rdp+gem``.

Terms joined by ``+`` are concatenated along the feature axis (``"mean+max"`` gives ``2 d`` features).

Default parameters are the paper's embedding-agnostic settings (Table III, column "All"): ``gem`` p = 6, ``gwrp``
r = 0.7, ``rdp`` gamma = 10, ``rdp_gem`` gamma = 9 and p = 3. Its BEATs settings are r = 0.4, p = 10, gamma = 19 and
``rdp_gem(gamma=16, p=3)``, the pooling of its DCASE 2025 result (Table V).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

# name -> ((parameter, default), ...), in the order the canonical string writes them
POOLINGS: dict[str, tuple[tuple[str, float], ...]] = {
    "mean": (),
    "max": (),
    "gem": (("p", 6.0),),
    "gwrp": (("r", 0.7),),
    "rdp": (("gamma", 10.0),),
    "rdp_gem": (("gamma", 9.0), ("p", 3.0)),
}
_RANGES = {"p": ("> 0", lambda v: v > 0), "r": ("in [0, 1]", lambda v: 0 <= v <= 1),
           "gamma": (">= 0", lambda v: v >= 0)}  # fmt: skip
_TERM = re.compile(r"^\s*([a-z_]+)\s*(?:\((.*)\))?\s*$")


def _frames(frames, axis: int) -> np.ndarray:
    """``frames`` as float64 with the time axis moved to -2 (the feature axis stays last)."""
    x = np.asarray(frames, dtype=np.float64)
    if x.ndim < 2:
        raise ValueError(f"frames must be [..., n_frames, n_features]; got shape {x.shape}")
    t = axis % x.ndim if -x.ndim <= axis < x.ndim else None
    if t is None or t == x.ndim - 1:
        raise ValueError(f"axis={axis} must name a time axis other than the last (feature) axis of {x.shape}")
    if x.shape[t] == 0:
        raise ValueError(f"frames has no frames along axis {axis}: shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("frames holds NaN or infinite values")
    return np.moveaxis(x, t, -2)


def mean_pool(frames, *, axis: int = -2) -> np.ndarray:
    """Temporal mean; ``frames`` ``[..., n_frames, d]`` (time on ``axis``) -> ``[..., d]``."""
    return _frames(frames, axis).mean(axis=-2)


def max_pool(frames, *, axis: int = -2) -> np.ndarray:
    """Temporal maximum of each feature."""
    return _frames(frames, axis).max(axis=-2)


def _generalised_mean(x: np.ndarray, weights: np.ndarray, p: float) -> np.ndarray:
    """``(sum_t w_t max(x_t, 0)^p)^(1/p)`` over axis -2 for weights summing to one, computed on ``x / max_t x``
    so that a large ``p`` cannot overflow."""
    positive = np.maximum(x, 0.0)
    top = positive.max(axis=-2, keepdims=True)
    scaled = np.divide(positive, top, out=np.zeros_like(positive), where=top > 0)
    return (np.sum(weights * scaled**p, axis=-2) ** (1.0 / p)) * top[..., 0, :]


def gem_pool(frames, p: float = 6.0, *, axis: int = -2) -> np.ndarray:
    """Generalised mean of the non-negative part: ``((1/T) sum_t max(x_t, 0)^p)^(1/p)``."""
    x = _frames(frames, axis)
    p = _param("p", p, "gem")
    return _generalised_mean(x, np.full(x.shape[:-1] + (1,), 1.0 / x.shape[-2]), p)


def gwrp_pool(frames, r: float = 0.7, *, axis: int = -2) -> np.ndarray:
    """Global weighted rank pooling: each feature's values sorted in descending order, weighted ``r^(t-1)``."""
    x = _frames(frames, axis)
    r = _param("r", r, "gwrp")
    ranked = -np.sort(-x, axis=-2)
    weights = np.power(r, np.arange(x.shape[-2], dtype=np.float64))  # 0^0 = 1: r = 0 keeps the maximum
    return np.tensordot(ranked, weights / weights.sum(), axes=([-2], [0]))


def rdp_weights(frames, gamma: float = 10.0, *, axis: int = -2) -> np.ndarray:
    """Relative-deviation weights ``[..., n_frames]`` (summing to one over the frames; plausible reading, see the
    module docstring)."""
    return _rdp_weights(_frames(frames, axis), _param("gamma", gamma, "rdp"))


def _rdp_weights(x: np.ndarray, gamma: float) -> np.ndarray:
    deviation = np.linalg.norm(x - x.mean(axis=-2, keepdims=True), axis=-1)  # [..., T]
    top = deviation.max(axis=-1, keepdims=True)
    relative = np.divide(deviation, top, out=np.zeros_like(deviation), where=top > 0)
    log_a = gamma * np.log1p(relative)  # (1 + d^)^gamma, normalised in the log domain
    a = np.exp(log_a - log_a.max(axis=-1, keepdims=True))
    return a / a.sum(axis=-1, keepdims=True)


def rdp_pool(frames, gamma: float = 10.0, *, axis: int = -2) -> np.ndarray:
    """Relative deviation pooling: ``sum_t w_t x_t`` with :func:`rdp_weights`."""
    x = _frames(frames, axis)
    w = _rdp_weights(x, _param("gamma", gamma, "rdp"))
    return np.sum(w[..., None] * x, axis=-2)


def rdp_gem_pool(frames, gamma: float = 9.0, p: float = 3.0, *, axis: int = -2) -> np.ndarray:
    """The hybrid "RDP + GeM": ``(sum_t w_t max(x_t, 0)^p)^(1/p)`` with the RDP weights."""
    x = _frames(frames, axis)
    w = _rdp_weights(x, _param("gamma", gamma, "rdp_gem"))
    return _generalised_mean(x, w[..., None], _param("p", p, "rdp_gem"))


_FUNCTIONS = {"mean": mean_pool, "max": max_pool, "gem": gem_pool, "gwrp": gwrp_pool, "rdp": rdp_pool,
              "rdp_gem": rdp_gem_pool}  # fmt: skip


def _param(name: str, value, pooling: str, key: str = "pooling") -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(f"{key}: {pooling}({name}={value!r}) must be a number {_RANGES[name][0]}")
    value = float(value)
    if not math.isfinite(value) or not _RANGES[name][1](value):
        raise ValueError(f"{key}: {pooling}({name}={value:g}) must be a finite number {_RANGES[name][0]}")
    return value


def _number(v: float) -> str:
    return str(int(v)) if v.is_integer() else repr(v)


@dataclass(frozen=True)
class PoolingTerm:
    """One pooling with its parameters, e.g. ``PoolingTerm("gem", (("p", 3.0),))``."""

    name: str
    params: tuple[tuple[str, float], ...] = ()

    def __str__(self) -> str:
        if not self.params:
            return self.name
        return f"{self.name}(" + ",".join(f"{k}={_number(v)}" for k, v in self.params) + ")"

    def __call__(self, frames, *, axis: int = -2) -> np.ndarray:
        return _FUNCTIONS[self.name](frames, **dict(self.params), axis=axis)


@dataclass(frozen=True)
class Pooling:
    """A parsed pooling setting: its terms, concatenated in order. ``str()`` is the canonical spelling."""

    terms: tuple[PoolingTerm, ...]

    def __str__(self) -> str:
        return "+".join(str(t) for t in self.terms)

    def __call__(self, frames, *, axis: int = -2) -> np.ndarray:
        """``[..., n_frames, d]`` (time on ``axis``) -> ``[..., len(terms) * d]``."""
        return np.concatenate([term(frames, axis=axis) for term in self.terms], axis=-1)

    def n_features(self, d: int) -> int:
        """Features of the pooled vector for ``d`` frame features."""
        return len(self.terms) * int(d)


def _allowed() -> str:
    forms = [n if not p else f"{n}({', '.join(k for k, _ in p)})" for n, p in POOLINGS.items()]
    return ", ".join(forms) + " (several joined by '+')"


def _parse_term(text: str, spec: str, key: str) -> PoolingTerm:
    match = _TERM.match(text)
    name = match.group(1) if match else None
    if name not in POOLINGS:
        raise ValueError(f"{key}={spec!r}: unknown pooling {text.strip()!r}; choose one of {_allowed()}")
    defaults = dict(POOLINGS[name])
    given: dict[str, float] = {}
    for item in filter(None, (s.strip() for s in (match.group(2) or "").split(","))):
        param, _, value = (s.strip() for s in item.partition("="))
        if param not in defaults or not value:
            allowed = ", ".join(f"{k}=<number>" for k in defaults) or "no parameters"
            raise ValueError(f"{key}={spec!r}: {name} takes {allowed}; got {item!r}")
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"{key}={spec!r}: {name}({param}={value}) is not a number") from None
        given[param] = _param(param, number, name, key)
    if match.group(2) is not None and not given and defaults:
        raise ValueError(f"{key}={spec!r}: {name}() is empty; write {name} for the defaults")
    return PoolingTerm(name, tuple((k, given.get(k, d)) for k, d in POOLINGS[name]))


def parse_pooling(spec: str | Pooling, *, key: str = "pooling") -> Pooling:
    """Parse a pooling setting such as ``"mean"``, ``"gem(p=3)"``, ``"rdp_gem(gamma=16,p=3)"`` or
    ``"rdp(gamma=19)+gem(p=10)"`` (concatenation).

    Parameters
    ----------
    spec : str or Pooling
        The setting (a :class:`Pooling` is returned as is).
    key : str
        The dotted config key the errors name.

    Raises
    ------
    ValueError
        An unknown pooling or parameter, a value out of range, or the same term twice; the message names the
        value and the allowed ones.
    """
    if isinstance(spec, Pooling):
        return spec
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"{key}={spec!r} must be a non-empty string; choose one of {_allowed()}")
    terms = tuple(_parse_term(part, spec, key) for part in spec.split("+"))
    seen = [str(t) for t in terms]
    twice = sorted({t for t in seen if seen.count(t) > 1})
    if twice:
        raise ValueError(
            f"{key}={spec!r}: {twice[0]} appears twice; concatenating a pooling with itself adds nothing"
        )
    return Pooling(terms)


def pool(frames, spec: str | Pooling = "mean", *, axis: int = -2) -> np.ndarray:
    """Pool ``frames`` (time on ``axis``, features last) with the setting ``spec`` (see :func:`parse_pooling`)."""
    return parse_pooling(spec)(frames, axis=axis)
