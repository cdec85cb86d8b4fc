"""The channel stage's math, written once against a backend's array ops (:class:`asdlens.features.pipeline.Ops`).

Notation: ``C[t, f]`` and ``F[t, f]`` are the STFTs of the near (channel 0) and far (channel 1) microphone with
the frontend's own framing, window and FFT size; ``a`` is ``over_subtraction``, ``floor`` the spectral floor and
``eps`` ``transfer_eps`` of the :class:`~asdlens.features.channels.ChannelSpec`.

- Transfer, least squares per bin ``f`` over frames ``t`` (over every frame of the clip for ``transfer="clip"``,
  of all training clips for ``"fitted"``): complex ``H[f] = sum_t C conj(F) / (sum_t |F|^2 + eps)`` minimises
  ``sum_t |C - H F|^2`` (kasahart/asd-experiments ``src/asd_min/waveform.py`` @ 0c24fec, ``w1_transfer``);
  magnitude ``g[f] = sum_t |C| |F| / (sum_t |F|^2 + eps)`` minimises ``sum_t (|C| - g |F|)^2``. ``"none"``:
  ``H = g = 1``.
- ``magnitude_subtraction``: ``m = |C| - a g |F|`` where ``|C| > a g |F|``, else ``floor |C|`` (the strict
  ``>`` and the near-relative floor as Qian_65_t2 Eq. 1 is read by ``waveform.py``'s ``ss_spectrum``; it is not
  ``max(|C| - a g |F|, floor |C|)``).
- ``complex_subtraction``: ``m = max(|C - a H F|, floor |C|)`` (W1 has no floor: ``floor = 0``).

Then ``m ** power`` goes to the mel stage as the power spectrum would. The arithmetic runs in the pipeline's
work precision (float64 unless ``fast``) on the real and imaginary parts, and is rounded once to the spec's
dtype at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .channels import ChannelSpec


@dataclass(frozen=True)
class ChannelStage:
    """A channel spec with the data it runs with: what :func:`asdlens.features.pipeline.run` takes as
    ``channels``.

    Attributes
    ----------
    spec : ChannelSpec
    gain : (re, im) or None
        A fitted transfer's gain ``[bins]`` (``im`` None for a magnitude gain) in any array type the backend's
        ``asarray`` takes (NumPy, or a module's buffers); needed only when ``spec.transfer_method == "fitted"``.
    """

    spec: ChannelSpec
    gain: tuple | None = None


def select(ops: Any, y: Any, channels: ChannelSpec, work: str) -> Any:
    """The time-domain policies: ``[batch, channels, samples]`` to ``[batch, samples]``.

    ``near`` and ``far`` pick a channel without touching its samples (so ``near`` gives the mono pipeline's
    bits); ``mean`` averages both in the work precision (exact for float32 audio in float64).
    """
    if channels.policy == "near":
        return y[:, 0]
    if channels.policy == "far":
        return y[:, 1]
    if channels.policy == "mean":
        return (ops.asarray(y[:, 0], work) + ops.asarray(y[:, 1], work)) * 0.5
    raise ValueError(f"ChannelSpec.policy={channels.policy!r} is not a time-domain policy")


def parts(ops: Any, spectrum: Any) -> tuple[Any, Any]:
    """Real and imaginary parts of a complex spectrum."""
    return ops.real(spectrum), ops.imag(spectrum)


def ls_sums(ops: Any, near: tuple, far: tuple, kind: str) -> tuple[Any, Any, Any]:
    """Sums over frames (axis -2, kept) of the per-bin least-squares normal equations.

    Parameters
    ----------
    near, far : (re, im)
        Parts of ``C`` and ``F``, ``[..., frames, bins]``.
    kind : {"complex", "magnitude"}

    Returns
    -------
    (num_re, num_im, den)
        ``sum_t C conj(F)`` (complex; ``num_im`` None for magnitude, where ``num_re = sum_t |C||F|``) and
        ``sum_t |F|^2``, each ``[..., 1, bins]``. Sums from several clips add up (a fitted transfer).
    """
    (cr, ci), (fr, fi) = near, far
    den = ops.sum_frames(fr * fr + fi * fi)
    if kind == "complex":
        return ops.sum_frames(cr * fr + ci * fi), ops.sum_frames(ci * fr - cr * fi), den
    return ops.sum_frames(ops.sqrt(cr * cr + ci * ci) * ops.sqrt(fr * fr + fi * fi)), None, den


def ls_gain(num_re: Any, num_im: Any, den: Any, eps: float) -> tuple[Any, Any]:
    """The gain from :func:`ls_sums`: ``num / (den + eps)`` (``num_im`` None for a magnitude gain)."""
    scale = den + eps
    return num_re / scale, (None if num_im is None else num_im / scale)


def subtract(
    ops: Any, near: Any, far: Any, stage: ChannelStage, *, work: str, power: float, dtype: str
) -> Any:
    """The subtracted spectrum ``m ** power`` (see the module notes), ``[batch, frames, bins]`` in ``dtype``.

    Parameters
    ----------
    near, far : complex arrays of ``ops``
        STFTs ``[batch, frames, bins]`` of channel 0 and channel 1.
    stage : ChannelStage
        The subtraction policy and, for ``transfer="fitted"``, its gain.
    """
    channels, gain = stage.spec, stage.gain
    c, f = parts(ops, near), parts(ops, far)
    kind, method = channels.transfer_kind, channels.transfer_method
    if method == "clip":
        h = ls_gain(*ls_sums(ops, c, f, kind), channels.transfer_eps)
    elif method == "fitted":
        if gain is None:
            raise ValueError("ChannelSpec.transfer='fitted' needs a fitted Transfer; none was given")
        h = (ops.asarray(gain[0], work), None if gain[1] is None else ops.asarray(gain[1], work))
    else:
        h = None
    a, floor = channels.over_subtraction, channels.floor_value
    (cr, ci), (fr, fi) = c, f
    if channels.policy == "magnitude_subtraction":
        near_mag = ops.sqrt(cr * cr + ci * ci)
        far_mag = ops.sqrt(fr * fr + fi * fi) * a
        if h is not None:
            far_mag = far_mag * h[0]
        m = ops.where(near_mag > far_mag, near_mag - far_mag, near_mag * floor)
    else:
        if h is not None:
            (hr, hi) = h
            fr, fi = hr * fr - hi * fi, hr * fi + hi * fr
        yr, yi = cr - fr * a, ci - fi * a
        m = ops.sqrt(yr * yr + yi * yi)
        if floor > 0:
            m = ops.maximum(m, ops.sqrt(cr * cr + ci * ci) * floor)
    if power == 2.0:
        m = m * m
    elif power != 1.0:
        m = ops.pow(m, power)
    return ops.asarray(m, dtype)
