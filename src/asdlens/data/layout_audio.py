"""Reading a clip as its layout defines it: the channel count checked where the layout fixes it (DCASE 2026:
two, ``[near, far]``), and what a channel policy reads (:class:`asdlens.features.ChannelSpec`).

The generic reader (:func:`asdlens.data.read_audio`) reads any channel of any file; these readers add the
layout's rule, so that a mono or three-channel file in a 2026 tree is an error naming the file (the official 2026
loader, nttcslab/dcase2023_task2_baseline_ae v5.x ``datasets/loader_common.py:file_load`` @ 9b64dc4, asserts a
multi-channel file and keeps channel 0).
"""

from __future__ import annotations

import os

import numpy as np

from .clips import layout_spec
from .wavfile import AudioError, read_audio


def layout_channel_problem(n_channels: int, layout: str) -> str | None:
    """Why a file of ``n_channels`` channels cannot be a clip of ``layout``, or None (a layout that is not strict
    about channels, :attr:`asdlens.data.clips.LayoutSpec.strict_channels`, accepts any count here)."""
    spec = layout_spec(layout)
    if not spec.strict_channels or n_channels == spec.channels:
        return None
    names = ", ".join(f"{i} {name}" for i, name in enumerate(spec.channel_names))
    return (
        f"has {n_channels} channel(s), expected {spec.channels}: every {spec.name} clip has channels "
        f"[{names}]"
    )


def read_layout_audio(
    path: str | os.PathLike, layout: str, *, channel: int | None = None, expect_sr: int | None = 16000
) -> np.ndarray:
    """Read a clip of ``layout``, its channel count checked where the layout fixes it (DCASE 2026: two).

    Parameters
    ----------
    path : path
    layout : str
        One of :data:`asdlens.data.LAYOUTS`.
    channel : int or None
        None: every channel, ``[channels, samples]`` for a multi-channel layout (DCASE 2026: ``[2, samples]``,
        the near microphone first) and ``[samples]`` for a mono one (the same samples as
        ``read_audio(path, channel=0)``). An int: that channel, ``[samples]`` (0 is the near microphone, what
        the 2026 baseline reads and the channel policy ``near`` uses).
    expect_sr : int or None
        Required sample rate in Hz; None accepts any.

    Returns
    -------
    numpy.ndarray
        float32 in [-1, 1], as :func:`read_audio` returns it.

    Raises
    ------
    AudioError
        As :func:`read_audio`, and for a file of a strict layout with another channel count (a mono or
        three-channel file in a 2026 tree), naming the file and the channels expected.
    """
    spec = layout_spec(layout)
    if not spec.strict_channels:
        return read_audio(
            path, channel=0 if channel is None and spec.channels == 1 else channel, expect_sr=expect_sr
        )
    # One open and one decode (libsndfile decodes every channel anyway); the count is checked on what was read.
    y = read_audio(path, channel=None, expect_sr=expect_sr)
    if y.shape[0] != spec.channels:
        raise AudioError(path, layout_channel_problem(y.shape[0], layout))
    if channel is None:
        return np.ascontiguousarray(y)
    if not -spec.channels <= channel < spec.channels:
        raise AudioError(path, f"has {spec.channels} channel(s); channel {channel} does not exist")
    return np.ascontiguousarray(y[channel])


def read_policy_audio(
    path: str | os.PathLike, layout: str, channels="near", *, expect_sr: int | None = 16000
) -> np.ndarray:
    """What a channel policy reads of a clip of ``layout``: the one channel a time-domain pick needs, else both.

    Parameters
    ----------
    channels : ChannelSpec, str or mapping
        The channel stage's spec (:class:`asdlens.features.ChannelSpec`, a policy name or its fields).
        ``near`` reads channel 0 ``[samples]`` (the 2026 baseline's input, and a mono layout's only channel),
        ``far`` channel 1 ``[samples]``; every other policy gets ``[2, samples]`` for the channel stage.

    Raises
    ------
    AudioError
        As :func:`read_layout_audio` (a 2026 file without exactly two channels, naming it).
    ValueError
        A policy other than ``near`` on a layout that does not have two channels.
    """
    from ..features.channels import resolve_channels

    spec = resolve_channels(channels)
    if spec.n_channels == 2 and layout_spec(layout).channels != 2:
        raise ValueError(
            f"ChannelSpec(policy={spec.policy!r}) needs two channels [near, far]; {layout} clips have "
            f"{layout_spec(layout).channels} (only policy 'near' reads a mono layout)"
        )
    channel = {"near": 0, "far": 1}.get(spec.policy)
    return read_layout_audio(path, layout, channel=channel, expect_sr=expect_sr)
