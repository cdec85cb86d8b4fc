"""``melspectrogram``: one function, four backends."""

from __future__ import annotations

import importlib

from .audio import as_batch
from .backends import BACKENDS
from .pipeline import run
from .presets import resolve_spec
from .spec import MelSpec


def melspectrogram(
    y,
    spec: MelSpec | str = "librosa",
    *,
    backend: str = "numpy",
    stages: bool = False,
    fast: bool = False,
):
    """Log-mel (or mel) spectrogram of ``y`` as ``spec`` says, computed by ``backend``.

    Parameters
    ----------
    y : array_like
        ``[samples]`` or ``[batch, samples]``; float32, float64, or int16 PCM (scaled by 1/32768).
    spec : MelSpec or str
        A spec or a preset name (see :func:`list_presets`).
    backend : {"numpy", "tensorflow", "torch", "librosa"}
        Array library. "librosa" calls librosa clip by clip (the oracle the others are tested against).
    stages : bool
        Return a dict of every named stage (``frames, windowed, spectrum, mel, log``) instead of the last.
    fast : bool
        Float32 FFT instead of float64: quicker, but bins far below the clip's peak lose relative precision.

    Returns
    -------
    array or dict
        ``[..., n_mels, n_frames]`` in the spec's dtype, as the backend's array type (NumPy for "numpy" and
        "librosa", ``tf.Tensor``, ``torch.Tensor``).

    Examples
    --------
    >>> import numpy as np
    >>> from asdlens.features import melspectrogram
    >>> melspectrogram(np.zeros(16000, np.float32) + 0.1, "dcase2020").shape
    (128, 32)
    """
    spec = resolve_spec(spec)
    batch, squeeze = as_batch(y)
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {list(BACKENDS)}")
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


def _contiguous(x):
    import numpy as np

    return np.ascontiguousarray(x)
