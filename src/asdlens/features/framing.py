"""Framing facts: how much padding, where, and how many frames. Backends apply them with their own arrays."""

from __future__ import annotations

from dataclasses import dataclass

from .spec import MelSpec


@dataclass(frozen=True)
class Framing:
    """Padding and frame layout of a spec applied to ``n_samples`` samples."""

    pad_left: int
    pad_right: int
    mode: str  # "constant" or "reflect"
    frame_length: int  # samples per frame before the FFT zero-fills it to n_fft
    hop: int
    n_frames: int


def framing(spec: MelSpec, n_samples: int) -> Framing:
    """Where the frames of ``spec`` fall on a clip of ``n_samples`` samples.

    librosa (``center=True``) pads ``n_fft // 2`` on both sides and has ``1 + n // hop`` frames; with
    ``center=False`` it has ``1 + (n - n_fft) // hop``. tf.signal frames ``win_length`` samples; with
    ``pad_end=True`` it zero-pads the end to ``ceil(n / hop)`` frames.

    Raises
    ------
    ValueError
        If the clip is too short for the spec.
    """
    frame_length = spec.win if spec.window_position == "left" else spec.n_fft
    hop = spec.hop
    if spec.center:
        pad = spec.n_fft // 2
        if spec.pad_mode == "reflect" and n_samples <= pad:
            raise ValueError(
                f"a clip of {n_samples} samples is too short for reflect padding of {pad} samples "
                f"(n_fft={spec.n_fft}); it needs more than n_fft // 2 samples"
            )
        total = n_samples + 2 * pad
        return Framing(pad, pad, spec.pad_mode, frame_length, hop, 1 + (total - frame_length) // hop)
    if spec.pad_end:
        n_frames = max(1, -(-n_samples // hop))
        right = max(0, frame_length + hop * (n_frames - 1) - n_samples)
        return Framing(0, right, "constant", frame_length, hop, n_frames)
    if n_samples < frame_length:
        raise ValueError(
            f"a clip of {n_samples} samples is shorter than one frame ({frame_length} samples) "
            "with center=False and pad_end=False"
        )
    return Framing(0, 0, "constant", frame_length, hop, 1 + (n_samples - frame_length) // hop)
