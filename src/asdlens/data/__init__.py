"""Datasets: DCASE Task 2 (2020-2026) and MIMII trees, audio reading and validation, a synthetic generator.

>>> from asdlens.data import scan, read_audio, mimii_split
>>> tree = scan("dev_data", ground_truth="dcase2023_task2_evaluator")  # doctest: +SKIP
>>> from asdlens.data.synth import SynthOptions, generate, machine_clip

``asdlens.data.tf_dataset`` (tf.data) and ``asdlens.data.tfds`` (tensorflow-datasets builders) import TensorFlow
when first used; everything else needs only NumPy, SciPy and soundfile.
"""

from .clips import (
    DOMAINS,
    LAYOUT_SPECS,
    LAYOUTS,
    Clip,
    DataWarning,
    GroupKey,
    LayoutSpec,
    ScanResult,
    groups,
    layout_spec,
    select,
)
from .ground_truth import GroundTruth, apply_ground_truth, read_ground_truth
from .layout_audio import layout_channel_problem, read_layout_audio, read_policy_audio
from .layouts import (
    DCASE2020_TYPES,
    MIMII_IDS,
    MIMII_SNRS,
    MIMII_TYPES,
    NoClipsError,
    detect_layout,
    scan,
)
from .sections import format_attributes, parse_attribute_suffix, parse_labelled_name
from .splits import MIMII_PROTOCOLS, dcase2020_split, dcase_split, mimii_split, mimii_splits, split_clips
from .wavfile import AudioError, WavInfo, inspect_wav, read_audio, wav_info

__all__ = [
    "DCASE2020_TYPES",
    "DOMAINS",
    "LAYOUTS",
    "LAYOUT_SPECS",
    "MIMII_IDS",
    "MIMII_PROTOCOLS",
    "MIMII_SNRS",
    "MIMII_TYPES",
    "AudioError",
    "Clip",
    "DataWarning",
    "GroupKey",
    "LayoutSpec",
    "GroundTruth",
    "NoClipsError",
    "ScanResult",
    "TFDataOptions",
    "WavInfo",
    "apply_ground_truth",
    "dcase2020_split",
    "dcase_split",
    "detect_layout",
    "format_attributes",
    "groups",
    "inspect_wav",
    "layout_spec",
    "mimii_split",
    "mimii_splits",
    "parse_attribute_suffix",
    "parse_labelled_name",
    "read_audio",
    "read_layout_audio",
    "read_policy_audio",
    "layout_channel_problem",
    "read_ground_truth",
    "scan",
    "select",
    "split_clips",
    "tf_dataset",
    "wav_info",
]


def __getattr__(name: str):
    # tf_dataset imports TensorFlow: load it on first use only, so `import asdlens.data` stays light.
    if name in ("tf_dataset", "TFDataOptions"):
        from . import tfdata

        return getattr(tfdata, name)
    raise AttributeError(f"module 'asdlens.data' has no attribute {name!r}")
