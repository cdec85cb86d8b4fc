"""librosa backend: calls librosa clip by clip. The oracle every other backend is tested against.

librosa has no tf.signal framing (``pad_end``, a left-aligned short window) and no mel-axis triangles; a spec
that needs them raises ``ValueError``.
"""

from __future__ import annotations

import numpy as np

from .. import filters
from ..framing import framing
from ..spec import MelSpec


def _check(spec: MelSpec) -> None:
    missing = []
    if spec.pad_end:
        missing.append("pad_end=True")
    if spec.window_position == "left" and spec.win != spec.n_fft:
        missing.append("window_position='left' with win_length < n_fft")
    if spec.triangles == "mel":
        missing.append("triangles='mel'")
    if missing:
        raise ValueError(f"librosa has no equivalent of {', '.join(missing)}; use another backend")


def _window_arg(spec: MelSpec):
    # librosa builds periodic windows from a name; a symmetric one is passed as an array.
    return spec.window if spec.periodic else filters._window(spec.window, spec.win, False)


def _log(mel: np.ndarray, spec: MelSpec) -> np.ndarray:
    import librosa

    if spec.log is None:
        return mel
    if spec.log == "dcase":
        return 20.0 / spec.power * np.log10(mel + spec.eps)
    if spec.log == "ln":
        return np.log(mel + spec.eps)
    ref = np.max if spec.ref == "max" else spec.ref
    return librosa.power_to_db(mel, ref=ref, amin=spec.amin, top_db=spec.top_db)


def _one(y: np.ndarray, spec: MelSpec, stages: bool):
    import librosa

    dtype = np.dtype(spec.dtype)
    if dtype == np.float64:
        y = y.astype(np.float64)
    framing_args = dict(
        n_fft=spec.n_fft,
        hop_length=spec.hop,
        win_length=spec.win,
        window=_window_arg(spec),
        center=spec.center,
        pad_mode=spec.pad_mode,
    )
    mel = librosa.feature.melspectrogram(
        y=y,
        sr=spec.sample_rate,
        power=spec.power,
        n_mels=spec.n_mels,
        fmin=spec.fmin,
        fmax=spec.f_max,
        htk=spec.mel_scale == "htk",
        norm=spec.norm,
        dtype=dtype,
        **framing_args,
    ).astype(dtype, copy=False)
    log = _log(mel, spec)
    if not stages:
        return log
    spectrum = (np.abs(librosa.stft(y, **framing_args)) ** spec.power).astype(dtype, copy=False)
    g = framing(spec, y.shape[-1])
    padded = np.pad(y, (g.pad_left, g.pad_right), mode=g.mode) if g.pad_left or g.pad_right else y
    frames = librosa.util.frame(padded, frame_length=spec.n_fft, hop_length=spec.hop)
    window = librosa.util.pad_center(librosa.filters.get_window(_window_arg(spec), spec.win), size=spec.n_fft)
    return {
        "frames": frames,
        "windowed": frames * window[:, None],
        "spectrum": spectrum,
        "mel": mel,
        "log": log,
    }


def compute(batch: np.ndarray, spec: MelSpec, *, stages: bool = False):
    """Log-mel of a ``[batch, samples]`` NumPy array by per-clip librosa calls."""
    _check(spec)
    outs = [_one(clip, spec, stages) for clip in batch]
    if stages:
        return {name: np.stack([o[name] for o in outs]) for name in outs[0]}
    return np.stack(outs)


def reflect_tail_frames(spec: MelSpec, n_samples: int) -> int:
    """How many final frames librosa >= 0.10 computes differently from whole-signal reflect padding.

    librosa 0.10 pads the head and tail of a centred signal separately. With ``pad_mode="reflect"``, when the
    tail segment it pads is no longer than ``n_fft // 2`` samples, NumPy's reflection wraps around and the last
    frame differs from reflecting the whole signal (what librosa <= 0.9, the DCASE baseline, torch and Keras
    do, and asdlens does). It happens only when ``hop_length >= n_fft / 2``.
    """
    if not (spec.center and spec.pad_mode == "reflect"):
        return 0
    half = spec.n_fft // 2
    start_k = -(-half // spec.hop)
    tail_k = (n_samples + half - spec.n_fft) // spec.hop + 1
    if tail_k <= start_k:
        return 0
    tail_len = n_samples - (tail_k * spec.hop - half)
    n_frames = 1 + n_samples // spec.hop
    return n_frames - tail_k if tail_len <= half else 0
