"""Helpers of the detector tests: log-mel ClipSets of generated clips, detector settings from overrides."""

from __future__ import annotations

import numpy as np

from asdlens.data import read_audio
from asdlens.experiment import load_experiment
from asdlens.experiment.graph import clip_meta, detector_settings
from asdlens.features import melspectrogram
from asdlens.models.samples import ClipSet


def clipset(clips) -> ClipSet:
    logmels = [np.asarray(melspectrogram(read_audio(c.path), "dcase2020")).T for c in clips]
    offsets = np.zeros(len(logmels) + 1, np.int64)
    np.cumsum([len(m) for m in logmels], out=offsets[1:])
    return ClipSet(np.concatenate(logmels).astype(np.float32), offsets, [clip_meta(c) for c in clips])


def settings(overrides: list[str]) -> dict:
    """Detector settings of the ``dcase2020`` experiment with ``--set`` style overrides."""
    return detector_settings(load_experiment("dcase2020", overrides))


def subset(clips: ClipSet, rows) -> ClipSet:
    """The clips ``rows`` of ``clips`` as a new ClipSet."""
    parts = [clips.clip(i) for i in rows]
    offsets = np.zeros(len(parts) + 1, np.int64)
    np.cumsum([len(p) for p in parts], out=offsets[1:])
    return ClipSet(np.concatenate(parts), offsets, [clips.meta[i] for i in rows])
