"""The files of a generated tree: the output folder, and the 16-bit WAV clips written atomically.

A tree's renderer returns :class:`Rendered` clips (where, the audio ``[channels, samples]``, the manifest row);
:func:`write_wav` writes whatever channel count it is given, so a mono, an 8-channel MIMII or a two-channel clip
go through the same writer.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ...atomic import atomic_write_bytes
from ...pcm import to_int16
from .manifest import ManifestRow


class Rendered(NamedTuple):
    """One clip to write: ``path`` relative to the tree's root, float32 ``audio [channels, samples]``, its row."""

    path: str
    audio: np.ndarray
    row: ManifestRow


def prepare_out(out: Path, overwrite: bool) -> Path:
    """Create ``out``; it must be absent or an empty folder unless ``overwrite``."""
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise ValueError(
            f"{out}: folder is not empty; choose a new folder or pass overwrite=True (--overwrite)"
        )
    out.mkdir(parents=True, exist_ok=True)
    return out


def wav_bytes(audio: np.ndarray, sample_rate: int) -> bytes:
    """A 16-bit PCM WAV file of float ``audio [channels, samples]`` (any channel count) in [-1, 1]."""
    import soundfile as sf

    if audio.ndim != 2:
        raise ValueError(f"audio must be [channels, samples]; got shape {audio.shape}")
    buf = io.BytesIO()
    sf.write(buf, to_int16(audio.T), sample_rate, subtype="PCM_16", format="WAV")
    return buf.getvalue()


def write_wav(path: Path, audio: np.ndarray, sample_rate: int) -> Path:
    """Write ``audio [channels, samples]`` as 16-bit PCM WAV at ``path``, atomically (a crash never leaves a
    half-written clip under its real name); parent folders are created."""
    return atomic_write_bytes(path, wav_bytes(audio, sample_rate))
