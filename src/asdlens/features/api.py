"""``melspectrogram``: one function, four backends."""

from __future__ import annotations

import importlib

import numpy as np

from .audio import as_batch, as_channels
from .backends import BACKENDS
from .channel_stage import select
from .channels import ChannelSpec, resolve_channels
from .pipeline import run
from .presets import resolve_spec
from .spec import MelSpec
from .transfer import Transfer, stage_for


def melspectrogram(
    y,
    spec: MelSpec | str = "librosa",
    *,
    backend: str = "numpy",
    stages: bool = False,
    fast: bool = False,
    channels: ChannelSpec | str | dict | None = None,
    transfer: Transfer | None = None,
):
    """Log-mel (or mel) spectrogram of ``y`` as ``spec`` says, computed by ``backend``.

    Parameters
    ----------
    y : array_like
        ``[samples]`` or ``[batch, samples]``; float32, float64, or int16 PCM (scaled by 1/32768). With
        ``channels``: channel-first, ``[samples]`` (a mono clip), ``[channels, samples]`` (one clip) or
        ``[batch, channels, samples]``, channel 0 the near and channel 1 the far microphone.
    spec : MelSpec or str
        A spec or a preset name (see :func:`list_presets`).
    backend : {"numpy", "tensorflow", "torch", "librosa"}
        Array library. "librosa" calls librosa clip by clip (the oracle the others are tested against).
    stages : bool
        Return a dict of every named stage (``frames, windowed, spectrum, mel, log``) instead of the last.
    fast : bool
        Float32 FFT instead of float64: quicker, but bins far below the clip's peak lose relative precision.
    channels : ChannelSpec, str or dict, optional
        The channel stage in front of the frontend (a spec, a policy name or a mapping of fields; see
        :class:`~asdlens.features.ChannelSpec`). None: mono input as above, no channel stage.
    transfer : Transfer, optional
        The fitted far-to-near gain a ``ChannelSpec(transfer="fitted")`` needs (:func:`fit_transfer`).

    Returns
    -------
    array or dict
        ``[..., n_mels, n_frames]`` in the spec's dtype, as the backend's array type (NumPy for "numpy" and
        "librosa", ``tf.Tensor``, ``torch.Tensor``). Policy ``both``: ``[..., 2, n_mels, n_frames]``.

    Examples
    --------
    >>> import numpy as np
    >>> from asdlens.features import melspectrogram
    >>> melspectrogram(np.zeros(16000, np.float32) + 0.1, "dcase2020").shape
    (128, 32)
    """
    spec = resolve_spec(spec)
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {list(BACKENDS)}")
    if channels is not None:
        return _with_channels(
            y, spec, resolve_channels(channels), transfer, backend, stages=stages, fast=fast
        )
    if transfer is not None:
        raise ValueError("a Transfer was given without a channel spec; pass channels=ChannelSpec(...)")
    batch, squeeze = as_batch(y)
    module = importlib.import_module(f"asdlens.features.backends.{backend}")
    if hasattr(module, "compute"):
        out = module.compute(batch, spec, stages=stages)
    else:
        out = run(module.OPS, batch, spec, n_samples=batch.shape[-1], stages=stages, fast=fast)
        if backend == "numpy":
            out = {k: _contiguous(v) for k, v in out.items()} if stages else _contiguous(out)
    if squeeze:
        return {k: v[0] for k, v in out.items()} if stages else out[0]
    return out


def _with_channels(
    y, spec: MelSpec, channels: ChannelSpec, transfer, backend: str, *, stages: bool, fast: bool
):
    """:func:`melspectrogram` of channel-first audio through the channel stage."""
    batch, clip = as_channels(y, channels)
    stage = stage_for(channels, transfer, spec)
    if backend == "librosa":
        if channels.subtracts:
            raise ValueError(
                f"the librosa backend has no channel stage for policy {channels.policy!r}; use another backend"
            )
        # librosa sees plain mono clips: the time-domain selection (NumPy) or each plane in turn.
        from .backends.numpy import OPS

        mono = (
            OPS.flatten_planes(batch)
            if channels.policy == "both"
            else select(OPS, batch, channels, "float64")
        )
        out = melspectrogram(np.ascontiguousarray(mono), spec, backend=backend, stages=stages)
        if channels.policy == "both":
            out = (
                {k: OPS.unflatten_planes(v, 2) for k, v in out.items()}
                if stages
                else OPS.unflatten_planes(out, 2)
            )
    else:
        module = importlib.import_module(f"asdlens.features.backends.{backend}")
        out = run(
            module.OPS,
            batch,
            spec,
            n_samples=batch.shape[-1],
            stages=stages,
            fast=fast,
            channels=stage,
        )
        if backend == "numpy":
            out = {k: _contiguous(v) for k, v in out.items()} if stages else _contiguous(out)
    if clip:
        return {k: v[0] for k, v in out.items()} if stages else out[0]
    return out


def _contiguous(x):
    import numpy as np

    return np.ascontiguousarray(x)
