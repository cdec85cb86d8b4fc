"""Datasets: DCASE 2020 Task 2 and MIMII trees, audio reading and validation, a synthetic generator.

>>> from asdlens.data import scan, read_audio, mimii_split
>>> from asdlens.data.synth import generate, machine_clip

``asdlens.data.tf_dataset`` (tf.data) and ``asdlens.data.tfds`` (tensorflow-datasets builders) import TensorFlow
when first used; everything else needs only NumPy, SciPy and soundfile.
"""

from .clips import LAYOUTS, Clip, ScanResult, groups, select
from .layouts import DCASE2020_TYPES, MIMII_IDS, MIMII_SNRS, MIMII_TYPES, detect_layout, scan
from .splits import MIMII_PROTOCOLS, dcase2020_split, mimii_split, mimii_splits, split_clips
from .wavfile import AudioError, WavInfo, inspect_wav, read_audio, wav_info

__all__ = [
    "DCASE2020_TYPES",
    "LAYOUTS",
    "MIMII_IDS",
    "MIMII_PROTOCOLS",
    "MIMII_SNRS",
    "MIMII_TYPES",
    "AudioError",
    "Clip",
    "ScanResult",
    "WavInfo",
    "dcase2020_split",
    "detect_layout",
    "groups",
    "inspect_wav",
    "mimii_split",
    "mimii_splits",
    "read_audio",
    "scan",
    "select",
    "split_clips",
    "tf_dataset",
    "wav_info",
]


def __getattr__(name: str):
    # tf_dataset imports TensorFlow: load it on first use only, so `import asdlens.data` stays light.
    if name == "tf_dataset":
        from .tfdata import tf_dataset

        return tf_dataset
    raise AttributeError(f"module 'asdlens.data' has no attribute {name!r}")
