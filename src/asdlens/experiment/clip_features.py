"""Clip features for the reference protocols: log-mel of one channel, then stacked frames.

This is the official ``file_to_vector_array`` (``common.py`` of y-kawagu/dcase2020_task2_baseline, the same
function in MIMII-hitachi/mimii_baseline ``baseline.py``): ``librosa.load(sr=None, mono=False)`` (channel 0 of a
multi-channel MIMII file), ``librosa.feature.melspectrogram`` (librosa 0.6: reflect padding), ``20 / power *
log10(mel + sys.float_info.epsilon)`` and ``frames`` consecutive frames laid end to end. Here the log-mel comes
from :func:`asdlens.features.melspectrogram` (the spec says every setting; the ``dcase2020`` and ``mimii`` presets
are the official ones) and the stacking from :func:`asdlens.features.stacking.stack_frames`.

Unlike the official code, a clip too short for one vector is an error, not an empty array that scores 0.0.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from ..features import MelSpec, melspectrogram
from ..features.channels import ChannelSpec
from ..features.stacking import n_vectors, stack_frames
from ..features.transfer import Transfer


def logmels(
    batch: np.ndarray, spec: MelSpec, channels: ChannelSpec | None = None, transfer: Transfer | None = None
) -> np.ndarray:
    """Log-mel of a batch of equal-length clips with the numpy backend: ``[batch, n_mels, n_frames]``; with
    ``channels``, the batch is ``[batch, 2, samples]`` (near, far) and goes through that channel stage first
    (with ``transfer``, the fitted far-to-near gain of ``channels.transfer: fitted``). The two planes of
    ``both`` come as one log-mel of ``2 * n_mels`` bands, the near channel's first."""
    out = np.asarray(melspectrogram(batch, spec, backend="numpy", channels=channels, transfer=transfer))
    return out.reshape(out.shape[0], -1, out.shape[-1]) if out.ndim == 4 else out


def check_length(logmel: np.ndarray, frames: int, *, path: str | Path) -> None:
    """Raise a ``ValueError`` naming ``path`` if the log-mel gives no vector of ``frames`` frames."""
    if n_vectors(logmel.shape[-1], frames) < 1:
        raise ValueError(
            f"{path}: gives {logmel.shape[-1]} log-mel frame(s), fewer than frames={frames}; the clip is too "
            "short to score (the official code would score it 0.0)"
        )


def clip_vectors(y: np.ndarray, spec: MelSpec, frames: int) -> np.ndarray:
    """Stacked log-mel vectors of one clip: ``[n_frames - frames + 1, n_mels * frames]``.

    Parameters
    ----------
    y : numpy.ndarray
        ``[samples]`` float32 audio in [-1, 1] (as :func:`asdlens.data.read_audio` returns it).
    spec : MelSpec
    frames : int
    """
    return stack_frames(logmels(np.asarray(y)[None, :], spec)[0], frames)


def file_vectors(path: str | Path, spec: MelSpec, frames: int, *, channel: int = 0) -> np.ndarray:
    """:func:`clip_vectors` of one channel of a WAV file (read and validated by :func:`asdlens.data.read_audio`).

    Raises
    ------
    asdlens.data.AudioError
        The file cannot be used (the message names it).
    ValueError
        The clip is too short for one vector.
    """
    from ..data import read_audio

    y = read_audio(path, channel=channel, expect_sr=spec.sample_rate)
    logmel = logmels(y[None, :], spec)[0]
    check_length(logmel, frames, path=path)
    return stack_frames(logmel, frames)


def _read_block(
    block, spec: MelSpec, channel: int | ChannelSpec, expect_channels: int | None = None
) -> tuple[dict[int, np.ndarray], dict[int, str]]:
    """Audio of ``block`` (``[(index, path)]``): ``({index: samples}, {index: problem})``; a channel stage
    reads both channels (``[2, samples]``; another channel count is the file's problem)."""
    from ..data import AudioError, read_audio

    audio: dict[int, np.ndarray] = {}
    problems: dict[int, str] = {}
    index, expect = (None, 2) if isinstance(channel, ChannelSpec) else (channel, expect_channels)
    for i, path in block:
        try:
            audio[i] = read_audio(path, channel=index, expect_sr=spec.sample_rate, expect_channels=expect)
        except AudioError as exc:
            problems[i] = str(exc)
    return audio, problems


def _block_logmels(audio: dict, buffers: dict, block_clips: int, spec: MelSpec, stage: tuple) -> dict:
    """Log-mels of one block's clips (``{index: samples}``), the clips of each length as one batch in a reused
    buffer; ``stage`` is ``(ChannelSpec or None, Transfer or None)``."""
    by_length: dict[int, list[int]] = {}
    for i, y in audio.items():
        by_length.setdefault(y.shape[-1], []).append(i)
    out: dict[int, np.ndarray] = {}
    for length, members in by_length.items():
        if length not in buffers:
            buffers[length] = np.empty((block_clips, *audio[members[0]].shape), np.float32)
        batch = buffers[length][: len(members)]
        for row, i in enumerate(members):
            batch[row] = audio[i]
        out.update(zip(members, logmels(batch, spec, *stage), strict=True))
    return out


def file_logmels(
    paths: Sequence[str | Path],
    spec: MelSpec,
    *,
    channel: int | dict | ChannelSpec = 0,
    expect_channels: int | None = None,
    block_clips: int = 16,
    transfer: Transfer | None = None,
) -> Iterator[tuple[int, np.ndarray | None, str | None]]:
    """Log-mels of many files, computed in batches: ``(index, logmel, None)`` or ``(index, None, problem)``.

    Files are read ``block_clips`` at a time by a reader thread, one block ahead of the computation (reading
    waits for the disk with the GIL released, so it overlaps the log-mels of the block before); the clips of a
    block that have the same length go through the numpy backend as one ``[batch, samples]`` array (one
    filterbank, one batched FFT), not clip by clip.

    Parameters
    ----------
    paths : sequence of path
    spec : MelSpec
    channel : int, ChannelSpec or dict
        Channel of multi-channel files (MIMII: 0), or the channel stage of two-channel files (DCASE 2026: a
        :class:`~asdlens.features.ChannelSpec` or its ``to_dict()``).
    expect_channels : int or None
        Channels every file must have (a strict layout's count: DCASE 2026, 2); None accepts any.
    block_clips : int
        Files per batch (memory: about ``block_clips`` x the float64 frames of one clip, and two blocks of audio).
    transfer : Transfer or None
        The fitted far-to-near gain a ``transfer: fitted`` channel stage needs.

    Yields
    ------
    (int, numpy.ndarray or None, str or None)
        The index into ``paths``, the ``[n_mels, n_frames]`` log-mel in the spec's dtype, or the reason the file
        cannot be used (the :class:`asdlens.data.AudioError` message, which names the file). Indices come in
        increasing order.
    """
    blocks = [list(enumerate(paths[s : s + block_clips], s)) for s in range(0, len(paths), block_clips)]
    if not blocks:
        return
    if isinstance(channel, dict):
        channel = ChannelSpec.from_dict(channel)
    stage = channel if isinstance(channel, ChannelSpec) else None
    buffers: dict[int, np.ndarray] = {}  # one [block_clips, samples] array per clip length, reused per block
    with ThreadPoolExecutor(1, thread_name_prefix="asdlens-read") as reader:
        ahead = reader.submit(_read_block, blocks[0], spec, channel, expect_channels)
        for k, block in enumerate(blocks):
            audio, problems = ahead.result()
            if k + 1 < len(blocks):
                ahead = reader.submit(_read_block, blocks[k + 1], spec, channel, expect_channels)
            out = _block_logmels(audio, buffers, block_clips, spec, (stage, transfer))
            for i, _ in block:
                yield (i, out[i], None) if i in out else (i, None, problems[i])
