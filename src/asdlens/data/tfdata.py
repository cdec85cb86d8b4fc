"""``tf_dataset``: WAV files to stacked log-mel vectors in a parallel ``tf.data`` pipeline.

Each clip is read (``tf.io.read_file``), decoded (``tf.audio.decode_wav``: 16-bit PCM scaled by 1/32768, as
:func:`asdlens.data.read_audio` and librosa scale it), turned into a log-mel by the TensorFlow backend
(:func:`asdlens.features.backends.tensorflow.logmel`, graph-safe) and cut into vectors of ``frames`` consecutive
frames in the layout of :func:`asdlens.features.stacking.stack_frames` (the DCASE 2020 / MIMII baselines').
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import tensorflow as tf

from ..features.backends.tensorflow import logmel
from ..features.presets import resolve_spec
from ..features.spec import MelSpec
from .clips import Clip, layout_spec

UNKNOWN_LABEL = -1


def _table(clips: Iterable[Clip | str | os.PathLike]) -> tuple[list[str], list[int]]:
    paths, labels = [], []
    for clip in clips:
        if isinstance(clip, Clip):
            paths.append(str(clip.path))
            labels.append(UNKNOWN_LABEL if clip.label is None else int(clip.label))
        elif isinstance(clip, str | os.PathLike):
            paths.append(str(Path(clip)))
            labels.append(UNKNOWN_LABEL)
        else:
            raise ValueError(f"clips must hold Clip records or paths; got {type(clip).__name__}: {clip!r}")
    if not paths:
        raise ValueError("tf_dataset got no clips")
    return paths, labels


def strict_channels(clips: Iterable[Clip | str | os.PathLike]) -> int | None:
    """The channel count the clips' layout requires (DCASE 2026: 2), or None: paths, mono/MIMII layouts (not
    strict about it) or clips of several layouts."""
    layouts = {c.layout if isinstance(c, Clip) else None for c in clips}
    if len(layouts) != 1 or None in layouts:
        return None
    spec = layout_spec(layouts.pop())
    return spec.channels if spec.strict_channels else None


def stack_frames_tf(logmel_: tf.Tensor, frames: int) -> tf.Tensor:
    """``[n_mels, T]`` to ``[T - frames + 1, n_mels * frames]``, the layout of ``stacking.stack_frames``.

    Vector ``v`` holds frames ``v .. v + frames - 1`` end to end, all mels of frame ``v`` first.
    """
    n_mels = logmel_.shape[0]
    windows = tf.signal.frame(tf.transpose(logmel_), frames, 1, axis=0)  # [V, frames, n_mels]
    return tf.reshape(windows, [-1, frames * n_mels])


def decode_clip(
    path: tf.Tensor, *, channel: int | None, sample_rate: int, channels: int | None = None
) -> tf.Tensor:
    """A 16-bit WAV file as float32: one channel ``[samples]``, or every channel ``[samples, channels]`` when
    ``channel`` is None (a DCASE 2026 clip: ``[samples, 2]``, column 0 the near microphone). The graph checks
    the rate, the channel and, when ``channels`` is given, the exact channel count."""
    audio, rate = tf.audio.decode_wav(tf.io.read_file(path))  # [samples, channels], int16 / 32768
    # tf.debugging.Assert prints its data, so the message names the file and the value found.
    checks = [
        tf.debugging.Assert(
            tf.equal(rate, sample_rate),
            [path, "has a sample rate (Hz) of", rate, f"but the spec needs {sample_rate} Hz"],
        ),
    ]
    if channel is not None:
        checks.append(
            tf.debugging.Assert(
                tf.shape(audio)[1] > channel,
                [path, "has", tf.shape(audio)[1], f"channel(s); channel {channel} does not exist"],
            )
        )
    if channels is not None:
        checks.append(
            tf.debugging.Assert(
                tf.equal(tf.shape(audio)[1], channels),
                [path, "has", tf.shape(audio)[1], f"channel(s), expected {channels}"],
            )
        )
    with tf.control_dependencies(checks):
        return tf.identity(audio if channel is None else audio[:, channel])


@dataclass(frozen=True)
class TFDataOptions:
    """How :func:`tf_dataset` reads, shapes and runs its pipeline (everything beyond clips, spec, frames and
    batch size), validated when made.

    Parameters
    ----------
    channel : int
        Channel to use (MIMII files have 8; the MIMII baseline uses channel 0; DCASE 2026 files have 2, channel
        0 the near microphone, the one its baseline uses).
    channels : int or None
        The exact channel count every file must have (a file with another fails when iterated, named). None:
        the count of the clips' layout where that layout is strict about it (DCASE 2026: 2; see
        :attr:`asdlens.data.LayoutSpec.strict_channels`), else unchecked.
    per_clip : bool
        False: elements are batches of vectors ``[batch, n_mels * frames]`` pooled over clips (training).
        True: one element per clip, ``(vectors [V, n_mels * frames], label int32, path string)`` in the order
        of ``clips`` (scoring).
    autoencoder : bool
        With pooled vectors, yield ``(x, x)`` pairs for ``keras.Model.fit``.
    shuffle : bool
        Shuffle the files and then the pooled vectors (buffer ``shuffle_buffer``), reproducibly for ``seed``.
    shuffle_buffer : int
        Vectors in the shuffle buffer.
    seed : int
    fast : bool
        Float32 FFT (see :mod:`asdlens.features.pipeline`).
    drop_remainder : bool
        Drop a last, smaller batch.
    num_parallel_calls : int or None
        Clips decoded and transformed at once; None lets tf.data tune it (``AUTOTUNE``).
    deterministic : bool
        Keep the order of ``clips`` although clips are processed in parallel.
    """

    channel: int = 0
    channels: int | None = None
    per_clip: bool = False
    autoencoder: bool = False
    shuffle: bool = False
    shuffle_buffer: int = 20000
    seed: int = 0
    fast: bool = False
    drop_remainder: bool = False
    num_parallel_calls: int | None = None
    deterministic: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.channel, bool) or not isinstance(self.channel, int) or self.channel < 0:
            raise ValueError(f"channel={self.channel!r} must be a non-negative integer")
        if self.channels is not None and (
            isinstance(self.channels, bool) or not isinstance(self.channels, int) or self.channels < 1
        ):
            raise ValueError(f"channels={self.channels!r} must be a positive integer or None")
        if (
            isinstance(self.shuffle_buffer, bool)
            or not isinstance(self.shuffle_buffer, int)
            or self.shuffle_buffer < 1
        ):
            raise ValueError(f"shuffle_buffer={self.shuffle_buffer!r} must be a positive integer")


def tf_dataset(
    clips: Iterable[Clip | str | os.PathLike],
    spec: MelSpec | str = "dcase2020",
    frames: int = 5,
    batch_size: int | None = 512,
    *,
    options: TFDataOptions | None = None,
    **fields,
) -> tf.data.Dataset:
    """A ``tf.data.Dataset`` of stacked log-mel vectors from WAV files.

    Parameters
    ----------
    clips : iterable of Clip or path
        The files, in order (e.g. ``scan(root).select(split="train")``); paths carry label -1 (unknown).
    spec : MelSpec or str
        Log-mel spec or preset name; its ``sample_rate`` must match the files.
    frames : int
        Consecutive log-mel frames per vector (5 in the DCASE 2020 baseline).
    batch_size : int or None
        Vectors per batch (512 in the DCASE 2020 baseline); None leaves the vectors unbatched. Ignored when
        ``per_clip``.
    options : TFDataOptions or None
        Channel, per-clip or pooled elements, shuffling, parallelism; None: ``TFDataOptions(**fields)``.
    **fields
        Fields of :class:`TFDataOptions` (``channel=``, ``per_clip=``, ``autoencoder=``, ``shuffle=``,
        ``seed=``, ``fast=``, ...), replacing those of ``options``.

    Returns
    -------
    tf.data.Dataset
        Prefetched. Values in ``spec.dtype``.

    Raises
    ------
    ValueError
        No clips, a bad ``frames``, ``batch_size`` or option. Files that cannot be decoded, have another sample
        rate or lack the channel raise ``tf.errors.InvalidArgumentError`` naming the file when iterated; validate
        a tree first with ``asdlens data check``.

    Examples
    --------
    >>> from asdlens.data import scan, tf_dataset  # doctest: +SKIP
    >>> train = scan("dev_data").select(machine_type="pump", machine_id="00", split="train")  # doctest: +SKIP
    >>> model.fit(tf_dataset(train, "dcase2020", autoencoder=True, shuffle=True), epochs=100)  # doctest: +SKIP
    """
    opts = TFDataOptions(**fields) if options is None else dataclasses.replace(options, **fields)
    spec = resolve_spec(spec)
    if isinstance(frames, bool) or not isinstance(frames, int) or frames < 1:
        raise ValueError(f"frames={frames!r} must be a positive integer")
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1
    ):
        raise ValueError(f"batch_size={batch_size!r} must be a positive integer or None")
    clips = list(clips)
    paths, labels = _table(clips)
    if opts.channels is None:
        opts = dataclasses.replace(opts, channels=strict_channels(clips))
    ds = tf.data.Dataset.from_tensor_slices((paths, tf.constant(labels, tf.int32)))
    if opts.shuffle:
        ds = ds.shuffle(len(paths), seed=opts.seed, reshuffle_each_iteration=True)
    ds = ds.map(
        _vectors(spec, frames, opts),
        num_parallel_calls=tf.data.AUTOTUNE if opts.num_parallel_calls is None else opts.num_parallel_calls,
        deterministic=opts.deterministic,
    )
    if opts.per_clip:
        return ds.prefetch(tf.data.AUTOTUNE)
    ds = ds.flat_map(lambda v, _label, _path: tf.data.Dataset.from_tensor_slices(v))
    if opts.shuffle:
        ds = ds.shuffle(opts.shuffle_buffer, seed=opts.seed, reshuffle_each_iteration=True)
    if batch_size is not None:
        ds = ds.batch(batch_size, drop_remainder=opts.drop_remainder)
    if opts.autoencoder:
        ds = ds.map(lambda x: (x, x))
    return ds.prefetch(tf.data.AUTOTUNE)


def _vectors(spec: MelSpec, frames: int, opts: TFDataOptions):
    """The per-clip map: path, label -> (stacked vectors, label, path); the graph checks the frame count."""

    def vectors(path, label):
        y = decode_clip(path, channel=opts.channel, sample_rate=spec.sample_rate, channels=opts.channels)
        mel = logmel(y, spec, fast=opts.fast)  # [n_mels, T], T known only when the graph runs
        checks = [
            tf.debugging.Assert(
                tf.shape(mel)[1] >= frames,
                [path, "gives", tf.shape(mel)[1], f"log-mel frames, fewer than frames={frames}"],
            )
        ]
        with tf.control_dependencies(checks):
            return stack_frames_tf(mel, frames), label, path

    return vectors
