"""tensorflow-datasets builders for DCASE 2020-2026 Task 2 and MIMII trees already on disk (nothing is downloaded).

Importing this module registers these builders with ``tensorflow_datasets``:

- ``dcase2020_task2``: one config per machine type (``dcase2020_task2/pump`` ...). ``manual_dir`` is the folder
  holding the ``<type>/`` folders (the dev set, the additional training set and the eval test set can be merged
  into one tree, as the official baseline does). Splits: ``train`` and ``test``, the folders. Eval test files
  (``id_05_00000000.wav``) have no label: ``label`` is -1.
- ``mimii``: one config per machine type x SNR, named ``<type>_<snr>dB`` with ``min6`` for -6 dB
  (``mimii/pump_6dB``, ``mimii/valve_min6dB``), split by the MIMII paper's protocol (seed 0), plus the same
  configs with the mimii_baseline code's protocol, suffixed ``_repo`` (``mimii/pump_6dB_repo``; see
  :mod:`asdlens.data.splits`). ``manual_dir`` holds the SNR folders (``-6_dB_pump/`` or ``min6dB/`` ...).
- ``dcase2021_task2`` ... ``dcase2026_task2``: one config per machine type of the year (development and
  evaluation types, e.g. ``dcase2023_task2/ToyDrone``). ``manual_dir`` holds the ``<type>/`` folders (dev,
  additional training and evaluation sets may be merged, as the baselines do). Splits: ``train`` and ``test``
  (and ``supplemental`` where 2025's folder exists). Published ground truth placed in ``<manual_dir>/ground_truth/``
  (any format :func:`asdlens.data.scan` reads) labels the evaluation test files; without it their ``label`` is -1
  and (2022+) their domain "unknown". Extra features: ``audio/section`` (``"00"``), ``audio/domain``
  (``source``/``target``/``unknown``) and ``audio/attributes`` (a sequence of ``{name, value}``; empty when
  unknown, with ``audio/attributes_known`` False).

Features: ``audio`` (int16 PCM as stored, ``[samples]`` for DCASE 2020-2025, ``[samples, 8]`` for MIMII,
``[samples, 2]`` for DCASE 2026: column 0 the near, column 1 the far microphone; a 2026 file without exactly two
channels fails the build, naming the file),
``audio/id`` (``"id_00"``), ``audio/machine`` (``"pump"``), ``label`` (0 normal, 1 anomaly; -1 unknown) and
``audio/file_name`` (the path relative to ``manual_dir``).

Examples
--------
>>> import tensorflow_datasets as tfds
>>> import asdlens.data.tfds  # registers the builders
>>> ds = tfds.load(
...     "dcase2020_task2/pump",
...     split="train",
...     data_dir="/tmp/tfds",
...     download_and_prepare_kwargs={
...         "download_config": tfds.download.DownloadConfig(manual_dir="/data/dcase2020")
...     },
... )  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path

import numpy as np
import tensorflow_datasets as tfds

from . import dcase2021, dcase2022
from .clips import Clip, layout_spec
from .layout_audio import layout_channel_problem
from .layouts import DCASE2020_TYPES, MIMII_SNRS, MIMII_TYPES, scan
from .splits import dcase2020_split, mimii_split
from .wavfile import AudioError, wav_info

SAMPLE_RATE = 16000
LABEL_NAMES = ("normal", "anomaly")
MIMII_SEED = 0
UNKNOWN_LABEL = -1

_MANUAL = """\
Nothing is downloaded: pass the folder that holds the data as manual_dir, e.g.
tfds.download.DownloadConfig(manual_dir=ROOT). {layout}
A synthetic tree in the same layout: `asdlens synth --layout {name} --out ROOT`.
"""


def snr_name(snr: int) -> str:
    """Config spelling of an SNR: ``-6 -> "min6dB"``, ``6 -> "6dB"`` (as the mimii_baseline names its folders)."""
    return f"min{-snr}dB" if snr < 0 else f"{snr}dB"


def _features(channels: int) -> tfds.features.FeaturesDict:
    shape = (None,) if channels == 1 else (None, channels)
    return tfds.features.FeaturesDict(
        {
            "audio": tfds.features.Audio(shape=shape, dtype=np.int16, sample_rate=SAMPLE_RATE),
            "audio/id": tfds.features.Text(),
            "audio/machine": tfds.features.Text(),
            "label": tfds.features.ClassLabel(names=list(LABEL_NAMES)),
            "audio/file_name": tfds.features.Text(),
        }
    )


def _read_int16(clip: Clip, channels: int) -> np.ndarray:
    import soundfile as sf

    info = wav_info(clip.path)
    if info.sample_rate != SAMPLE_RATE:
        raise AudioError(clip.path, f"sample rate is {info.sample_rate} Hz, expected {SAMPLE_RATE} Hz")
    if info.channels != channels:
        problem = layout_channel_problem(info.channels, clip.layout)  # 2026 names its channels
        raise AudioError(clip.path, problem or f"has {info.channels} channels, expected {channels}")
    if info.subtype != "PCM_16":
        raise AudioError(
            clip.path, f"sample format is {info.subtype}; the tfds builders store 16-bit PCM only"
        )
    data, _ = sf.read(str(clip.path), dtype="int16", always_2d=channels > 1)
    return data


def _examples(clips: list[Clip], root: Path, channels: int):
    for clip in clips:
        rel = clip.path.relative_to(root).as_posix()
        yield (
            rel,
            {
                "audio": _read_int16(clip, channels),
                "audio/id": f"id_{clip.machine_id}",
                "audio/machine": clip.machine_type,
                "label": UNKNOWN_LABEL if clip.label is None else clip.label,
                "audio/file_name": rel,
            },
        )


class _LocalBuilder(tfds.core.GeneratorBasedBuilder, skip_registration=True):
    """A builder whose code path is its source file.

    tensorflow-datasets 4.9 finds ``code_path`` through the undeclared ``importlib_resources`` package for
    builders outside its own tree; ours needs no resources (no checksums: nothing is downloaded).
    """

    @tfds.core.utils.classproperty
    @classmethod
    def code_path(cls):
        from etils import epath

        return epath.Path(inspect.getfile(cls))


def _manual_root(dl_manager) -> Path:
    root = Path(dl_manager.manual_dir).expanduser().absolute()
    if not root.is_dir():
        raise ValueError(f"manual_dir {root} is not a folder; pass DownloadConfig(manual_dir=<dataset root>)")
    return root


@dataclasses.dataclass
class Dcase2020Task2Config(tfds.core.BuilderConfig):
    """One DCASE 2020 Task 2 machine type."""

    machine_type: str = "pump"


class Dcase2020Task2(_LocalBuilder):
    """DCASE 2020 Task 2 (dev, additional training and eval sets) from a folder on disk."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "asdlens: reads <type>/{train,test}/*.wav from manual_dir."}
    BUILDER_CONFIGS = [
        Dcase2020Task2Config(name=t, description=f"DCASE 2020 Task 2, {t}", machine_type=t)
        for t in DCASE2020_TYPES
    ]
    MANUAL_DOWNLOAD_INSTRUCTIONS = _MANUAL.format(
        layout="It holds <type>/train/normal_id_01_00000000.wav and <type>/test/{normal,anomaly}_id_...",
        name="dcase2020",
    )

    def _info(self) -> tfds.core.DatasetInfo:
        return self.dataset_info_from_configs(
            description="Machine sounds for unsupervised anomalous sound detection (DCASE 2020 Task 2).",
            features=_features(1),
            supervised_keys=("audio", "label"),
            homepage="https://dcase.community/challenge2020/task-unsupervised-detection-of-anomalous-sounds",
        )

    def _split_generators(self, dl_manager):
        root = _manual_root(dl_manager)
        machine_type = self.builder_config.machine_type
        clips = scan(root, "dcase2020").select(machine_type=machine_type)
        if not clips:
            raise ValueError(f"manual_dir {root} holds no {machine_type}/train or {machine_type}/test clips")
        train, test = dcase2020_split(clips)
        return {"train": self._generate_examples(train, root), "test": self._generate_examples(test, root)}

    def _generate_examples(self, clips: list[Clip], root: Path):
        return _examples(clips, root, 1)


@dataclasses.dataclass
class MimiiConfig(tfds.core.BuilderConfig):
    """One MIMII machine type at one SNR, split by one protocol."""

    machine_type: str = "pump"
    snr: int = 6
    protocol: str = "paper"


def _mimii_configs() -> list[MimiiConfig]:
    configs = []
    for protocol, suffix in (("paper", ""), ("repo", "_repo")):
        for machine_type in MIMII_TYPES:
            for snr in MIMII_SNRS:
                configs.append(
                    MimiiConfig(
                        name=f"{machine_type}_{snr_name(snr)}{suffix}",
                        description=f"MIMII {machine_type} at {snr} dB, {protocol} split protocol",
                        machine_type=machine_type,
                        snr=snr,
                        protocol=protocol,
                    )
                )
    return configs


class Mimii(_LocalBuilder):
    """MIMII (Purohit et al., 2019) from a folder on disk, 8 channels, split per machine ID."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "asdlens: reads <snr>_dB_<type>/<type>/id_NN/{normal,abnormal}/*.wav."}
    BUILDER_CONFIGS = _mimii_configs()
    MANUAL_DOWNLOAD_INSTRUCTIONS = _MANUAL.format(
        layout="It holds -6_dB_pump/pump/id_00/normal/00000000.wav ... (or min6dB/, 0dB/, 6dB/ folders).",
        name="mimii",
    )

    def _info(self) -> tfds.core.DatasetInfo:
        return self.dataset_info_from_configs(
            description="MIMII: sounds of malfunctioning industrial machines, 8-channel microphone array.",
            features=_features(8),
            supervised_keys=("audio", "label"),
            homepage="https://zenodo.org/record/3384388",
        )

    def _split_generators(self, dl_manager):
        root = _manual_root(dl_manager)
        config = self.builder_config
        clips = scan(root, "mimii").select(machine_type=config.machine_type, snr=config.snr)
        if not clips:
            raise ValueError(f"manual_dir {root} holds no {config.machine_type} clips at {config.snr} dB")
        train: list[Clip] = []
        test: list[Clip] = []
        for machine_id in sorted({c.machine_id for c in clips}):
            tr, te = mimii_split(
                [c for c in clips if c.machine_id == machine_id], config.protocol, seed=MIMII_SEED
            )
            train += tr
            test += te
        return {"train": self._generate_examples(train, root), "test": self._generate_examples(test, root)}

    def _generate_examples(self, clips: list[Clip], root: Path):
        return _examples(clips, root, 8)


def _section_features(channels: int = 1) -> tfds.features.FeaturesDict:
    shape = (None,) if channels == 1 else (None, channels)
    return tfds.features.FeaturesDict(
        {
            "audio": tfds.features.Audio(shape=shape, dtype=np.int16, sample_rate=SAMPLE_RATE),
            "audio/machine": tfds.features.Text(),
            "audio/section": tfds.features.Text(),
            "audio/domain": tfds.features.Text(),
            "audio/attributes": tfds.features.Sequence(
                {"name": tfds.features.Text(), "value": tfds.features.Text()}
            ),
            "audio/attributes_known": np.bool_,
            "label": tfds.features.ClassLabel(names=list(LABEL_NAMES)),
            "audio/file_name": tfds.features.Text(),
        }
    )


def _section_examples(clips: list[Clip], root: Path, channels: int = 1):
    for clip in clips:
        rel = clip.path.relative_to(root).as_posix()
        attributes = clip.attributes or ()
        yield (
            rel,
            {
                "audio": _read_int16(clip, channels),
                "audio/machine": clip.machine_type,
                "audio/section": clip.machine_id,
                "audio/domain": clip.domain or "unknown",
                "audio/attributes": {"name": [k for k, _ in attributes], "value": [v for _, v in attributes]},
                "audio/attributes_known": clip.attributes is not None,
                "label": UNKNOWN_LABEL if clip.label is None else clip.label,
                "audio/file_name": rel,
            },
        )


@dataclasses.dataclass
class DcaseSectionsConfig(tfds.core.BuilderConfig):
    """One machine type of a DCASE 2021-2026 year."""

    machine_type: str = "fan"


def _year_types(layout: str) -> tuple[str, ...]:
    if layout == "dcase2021":
        return dcase2021.TYPES
    dev, evaluation = dcase2022.TYPES[layout]
    return tuple(dict.fromkeys((*dev, *evaluation)))


class _DcaseSections(_LocalBuilder, skip_registration=True):
    """A DCASE 2021-2026 Task 2 year from a folder on disk; subclasses set ``LAYOUT`` (its channel count comes
    from the layout's :class:`~asdlens.data.LayoutSpec`)."""

    LAYOUT = "dcase2021"
    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "asdlens: sections, domains and attributes from manual_dir (+ ground_truth/)."}

    def _info(self) -> tfds.core.DatasetInfo:
        year = self.LAYOUT[-4:]
        return self.dataset_info_from_configs(
            description=f"Machine sounds for anomalous sound detection under domain shift (DCASE {year} Task 2).",
            features=_section_features(layout_spec(self.LAYOUT).channels),
            supervised_keys=("audio", "label"),
            homepage=f"https://dcase.community/challenge{year}/",
        )

    def _split_generators(self, dl_manager):
        root = _manual_root(dl_manager)
        machine_type = self.builder_config.machine_type
        truth = root / "ground_truth"
        result = scan(root, self.LAYOUT, ground_truth=truth if truth.is_dir() else None)
        clips = result.select(machine_type=machine_type)
        if not clips:
            raise ValueError(f"manual_dir {root} holds no {machine_type} clips in the {self.LAYOUT} layout")
        splits = {
            split: self._generate_examples([c for c in clips if c.split == split], root)
            for split in ("train", "test", "supplemental")
            if split != "supplemental" or any(c.split == split for c in clips)
        }
        return splits

    def _generate_examples(self, clips: list[Clip], root: Path):
        channels = layout_spec(self.LAYOUT).channels
        return _section_examples(sorted(clips, key=lambda c: c.path), root, channels)


def _section_builder(layout: str) -> type:
    year = layout[-4:]
    configs = [
        DcaseSectionsConfig(name=t, description=f"DCASE {year} Task 2, {t}", machine_type=t)
        for t in _year_types(layout)
    ]
    manual = _MANUAL.format(
        layout="It holds <type>/train/section_00_source_train_normal_0000_<attributes>.wav and the test "
        "folders; put published ground truth in <manual_dir>/ground_truth/ to label evaluation files.",
        name=layout,
    )
    return type(
        f"Dcase{year}Task2",
        (_DcaseSections,),
        {
            "LAYOUT": layout,
            "BUILDER_CONFIGS": configs,
            "MANUAL_DOWNLOAD_INSTRUCTIONS": manual,
            "__module__": __name__,
            "__doc__": f"DCASE {year} Task 2 (sections, domains, attributes) from a folder on disk.",
        },
    )


Dcase2021Task2 = _section_builder("dcase2021")
Dcase2022Task2 = _section_builder("dcase2022")
Dcase2023Task2 = _section_builder("dcase2023")
Dcase2024Task2 = _section_builder("dcase2024")
Dcase2025Task2 = _section_builder("dcase2025")
Dcase2026Task2 = _section_builder("dcase2026")
