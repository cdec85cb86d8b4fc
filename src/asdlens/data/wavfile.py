"""Reading and validating WAV files: :func:`read_audio`, :func:`inspect_wav` and :class:`AudioError`.

Decision on sample formats: DCASE 2020 Task 2 and MIMII are 16-bit PCM, but :func:`read_audio` also accepts
8/24/32-bit PCM and 32/64-bit float WAVs, scaled as soundfile (and so librosa) scales them: PCM by ``1 / 2**(bits-1)``
(int16 / 32768), float as stored. Float files must be finite; float samples outside [-1, 1] are returned as stored.
:func:`inspect_wav` (used by ``asdlens data check``) reports a non-16-bit file as a problem, because the tfds builder
(int16 audio) and ``tf.audio.decode_wav`` in :func:`asdlens.data.tf_dataset` read 16-bit PCM only.

Truncated files: libsndfile silently returns the samples that are there when a file is shorter than its ``data``
chunk declares, so the RIFF chunk sizes are checked here first.
"""

from __future__ import annotations

import dataclasses
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..pcm import INT16_SCALE

_RIFF_IDS = (b"RIFF", b"RIFX", b"RF64")
_UNKNOWN_SIZES = (0, 0xFFFFFFFF)
_NO_FRAMES = "holds no samples (a WAV header with 0 frames)"  # streaming writers leave the data size 0 or -1 ("until end of file")


class AudioError(ValueError):
    """An audio file cannot be used: the message names the file and the problem.

    Attributes
    ----------
    path : pathlib.Path
    problem : str
    """

    def __init__(self, path, problem: str):
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


@dataclass(frozen=True)
class WavInfo:
    """Header facts of an audio file (after the checks of :func:`wav_info`)."""

    path: Path
    sample_rate: int
    channels: int
    frames: int
    format: str  # soundfile format, "WAV" for DCASE/MIMII
    subtype: str  # "PCM_16" for DCASE/MIMII

    @property
    def duration(self) -> float:
        """Seconds."""
        return self.frames / self.sample_rate


def _looks_like_text(head: bytes) -> bool:
    if not head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch in "\r\n\t" for ch in text)


def _riff_truncation(path: Path, head: bytes, size: int) -> str | None:
    """A message if the RIFF ``data`` chunk declares more bytes than the file holds, else None."""
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    with open(path, "rb") as f:
        pos = 12
        while pos + 8 <= size:
            f.seek(pos)
            chunk_id, chunk_size = struct.unpack("<4sI", f.read(8))
            if chunk_id == b"data":
                available = size - pos - 8
                if chunk_size not in _UNKNOWN_SIZES and chunk_size > available:
                    return (
                        f"truncated: the WAV header declares {chunk_size} bytes of samples but the file holds "
                        f"{available} (an interrupted copy or download?)"
                    )
                return None
            pos += 8 + chunk_size + (chunk_size & 1)  # chunks are word-aligned
    return None


def _open(path: str | os.PathLike):
    """``(path, soundfile.SoundFile)`` after the checks libsndfile would report badly or not at all.

    Raises
    ------
    AudioError
        Missing, a folder, unreadable (permissions), empty (0 bytes), not audio (e.g. text named .wav),
        truncated, or not decodable by libsndfile.
    """
    import soundfile as sf

    path = Path(path)
    if not path.exists():
        if path.is_symlink():
            raise AudioError(path, f"broken symbolic link to {os.readlink(path)} (the target does not exist)")
        raise AudioError(path, "no such file")
    if path.is_dir():
        raise AudioError(path, "is a folder, not an audio file")
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(64)
    except OSError as exc:
        raise AudioError(path, f"cannot read the file: {exc.strerror or exc}") from None
    if size == 0:
        raise AudioError(path, "empty file (0 bytes)")
    if head[:4] not in _RIFF_IDS:
        if _looks_like_text(head):
            raise AudioError(path, f"not a WAV file: it holds text ({head[:24]!r}...), not a RIFF header")
        if head[:4] not in (b"fLaC", b"OggS", b"FORM"):
            raise AudioError(path, f"not a WAV file: starts with {head[:4]!r} instead of b'RIFF'")
    truncated = _riff_truncation(path, head, size)
    if truncated:
        raise AudioError(path, truncated)
    try:
        return path, sf.SoundFile(str(path))
    except Exception as exc:  # noqa: BLE001 - libsndfile reports every decode failure as one error type
        message = str(exc).split(": ", 1)[-1] if ": " in str(exc) else str(exc)
        raise AudioError(path, f"cannot decode: {message}") from None


def _info(path: Path, f) -> WavInfo:
    return WavInfo(path, int(f.samplerate), int(f.channels), int(f.frames), f.format, f.subtype)


def wav_info(path: str | os.PathLike) -> WavInfo:
    """Open ``path``'s header and check it can be decoded.

    Raises
    ------
    AudioError
        Missing, a folder, unreadable (permissions), empty (0 bytes), not audio (e.g. text named .wav),
        truncated, or not decodable by libsndfile.
    """
    path, f = _open(path)
    with f:
        return _info(path, f)


def _validate(
    info: WavInfo, *, channel: int | None, expect_sr: int | None, expect_channels: int | None
) -> None:
    path = info.path
    if expect_sr is not None and info.sample_rate != expect_sr:
        raise AudioError(
            path, f"sample rate is {info.sample_rate} Hz, expected {expect_sr} Hz (asdlens does not resample)"
        )
    if expect_channels is not None and info.channels != expect_channels:
        raise AudioError(path, f"has {info.channels} channels, expected {expect_channels}")
    if channel is not None and not -info.channels <= channel < info.channels:
        raise AudioError(path, f"has {info.channels} channel(s); channel {channel} does not exist")
    if info.frames == 0:
        raise AudioError(path, _NO_FRAMES)


def read_audio(
    path: str | os.PathLike,
    channel: int | None = 0,
    expect_sr: int | None = 16000,
    *,
    expect_channels: int | None = None,
    min_samples: int = 1,
) -> np.ndarray:
    """Read one channel of a WAV file as float32 in [-1, 1], validated.

    Parameters
    ----------
    path : path
        A WAV file (16-bit PCM as in DCASE 2020 / MIMII; 8/24/32-bit PCM and float are accepted, see module doc).
    channel : int or None
        Channel to return (negative counts from the end); None returns all channels as ``[channels, samples]``.
    expect_sr : int or None
        Required sample rate in Hz; None accepts any.
    expect_channels : int or None
        Required channel count (1 for DCASE 2020, 8 for MIMII); None accepts any.
    min_samples : int
        Fewest samples accepted.

    Returns
    -------
    numpy.ndarray
        float32 ``[samples]`` (or ``[channels, samples]`` when ``channel`` is None); int16 PCM is scaled by
        1/32768 exactly as librosa does.

    Raises
    ------
    AudioError
        A ``ValueError`` whose message names the file and the problem.
    """
    path, f = _open(path)
    with f:
        info = _info(path, f)
        _validate(info, channel=channel, expect_sr=expect_sr, expect_channels=expect_channels)
        # 16-bit PCM is read as int16 and scaled here: the same values as libsndfile's float conversion (x / 32768
        # is exact in float32), in a third of the time.
        pcm16 = info.subtype == "PCM_16"
        try:
            data = f.read(dtype="int16" if pcm16 else "float32", always_2d=True)
        except Exception as exc:  # noqa: BLE001
            raise AudioError(info.path, f"cannot decode: {exc}") from None
    if data.shape[0] < max(min_samples, 1):
        raise AudioError(info.path, f"holds {data.shape[0]} samples, fewer than the {min_samples} required")
    if data.shape[0] != info.frames:
        raise AudioError(info.path, f"decoded {data.shape[0]} samples but the header declares {info.frames}")
    if info.subtype in ("FLOAT", "DOUBLE") and not np.isfinite(data).all():
        bad = int((~np.isfinite(data)).sum())
        raise AudioError(info.path, f"float WAV holds {bad} non-finite sample(s) (NaN or inf)")
    out = data[:, channel] if channel is not None else data.T
    if pcm16:
        return np.multiply(out, np.float32(1.0 / INT16_SCALE), dtype=np.float32)
    return np.ascontiguousarray(out, dtype=np.float32)


def inspect_wav(
    path: str | os.PathLike,
    *,
    expect_sr: int | None = 16000,
    expect_channels: int | None = None,
    expect_subtype: str | None = "PCM_16",
) -> tuple[WavInfo | None, list[str]]:
    """Every problem of one file, without stopping at the first (for ``asdlens data check``).

    Returns
    -------
    (WavInfo or None, list of str)
        The header facts (None if the file cannot be opened) and the problems found, each one sentence.
    """
    try:
        info = wav_info(path)
    except AudioError as exc:
        return None, [exc.problem]
    problems = []
    if info.format != "WAV":
        problems.append(f"container is {info.format}, not WAV")
    if expect_subtype is not None and info.subtype != expect_subtype:
        problems.append(
            f"sample format is {info.subtype}, expected {expect_subtype} (read_audio scales it correctly, "
            "but the tfds builder and tf_dataset read 16-bit PCM only)"
        )
    # One check at a time, so that a file with several problems gets each reported once.
    for check in (
        dict(expect_sr=expect_sr, expect_channels=None),
        dict(expect_sr=None, expect_channels=expect_channels),
    ):
        try:
            _validate(dataclasses.replace(info, frames=1), channel=None, **check)
        except AudioError as exc:
            problems.append(exc.problem)
    if not info.frames:
        problems.append(_NO_FRAMES)
    else:
        try:
            read_audio(path, channel=None, expect_sr=None)
        except AudioError as exc:
            problems.append(exc.problem)
    return info, problems
