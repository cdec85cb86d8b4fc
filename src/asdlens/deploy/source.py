"""A finished run folder as the exporter reads it: config, plan, trained models, model keys, clip length."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from .frontend_graph import check_channels_exportable


def artifact_channel(exp) -> int | None:
    """What an artifact of the run ``exp`` takes of a clip: the index of the one channel its policy reads (near:
    ``dataset.channel``, far: 1), or None: both channels ``[near, far]``, the channel stage being in the graph
    (policies mean and the subtractions)."""
    channel = exp.feature_channel
    return channel if isinstance(channel, int) else None


def read_input(path, exp, sample_rate: int) -> np.ndarray:
    """A clip as an artifact of the run ``exp`` takes it (:func:`artifact_channel`): float32 ``[samples]``, or
    ``[2, samples]`` (a file without exactly two channels is then an error naming it), as the run read it."""
    from ..data import read_audio

    channel = artifact_channel(exp)
    expect = 2 if channel is None else None
    return read_audio(path, channel=channel, expect_sr=sample_rate, expect_channels=expect)


@dataclass
class RunSource:
    """A finished ``asdlens run`` folder.

    Attributes
    ----------
    run_dir : pathlib.Path
    data_root : pathlib.Path
        The data the run was made from (``dataset.root``), or the one given to :func:`open_run`.
    """

    run_dir: Path
    data_root: Path

    @cached_property
    def experiment(self):
        from ..experiment import load_experiment

        exp = load_experiment(self.run_dir / "config.yaml")
        check_channels_exportable(exp.channels, str(self.run_dir))
        return exp

    @property
    def channel_stage(self):
        """The run's :class:`~asdlens.features.ChannelSpec` when its artifacts take both channels (the stage in
        the graph), else None (one channel: :func:`artifact_channel`)."""
        exp = self.experiment
        return None if artifact_channel(exp) is not None else exp.channels

    @cached_property
    def plan(self):
        from ..experiment.plan import make_plan

        if not self.data_root.is_dir():
            raise ValueError(
                f"{self.run_dir}: its data root {self.data_root} is not there; pass the data with --data"
            )
        return make_plan(self.experiment, self.data_root)

    @property
    def unit_names(self) -> list[str]:
        return [u.name for u in self.plan.units]

    def unit(self, name: str):
        for u in self.plan.units:
            if u.name == name:
                return u
        raise ValueError(f"{self.run_dir}: no unit {name!r}; its units are {self.unit_names}")

    def tests(self, name: str) -> list:
        """The test groups scored by unit ``name``."""
        return [t for t in self.plan.tests if t.unit == name]

    def model_path(self, name: str) -> Path:
        """The unit's network file: ``models/<unit>.keras``, or ``models/<unit>.pt`` for a torch run."""
        suffix = ".pt" if self.experiment.model.framework == "torch" else ".keras"
        path = self.run_dir / "models" / f"{name}{suffix}"
        if not path.is_file():
            raise ValueError(f"{self.run_dir}: no trained model models/{name}{suffix}")
        return path

    def load_model(self, name: str):
        """The unit's network as a Keras model: a torch run's weights in its Keras twin
        (:mod:`asdlens.models.torch.interop`), which the exporters build their graphs from."""
        from ..models import load_model

        if self.experiment.model.framework != "torch":
            return load_model(self.model_path(name))
        from ..models.frameworks import LayerSettings
        from ..models.torch.checkpoint import read_state
        from ..models.torch.interop import keras_twin

        exp = self.experiment
        state = read_state(self.model_path(name), what="trained network")
        return keras_twin(state, exp.model.name, exp.input_dim, LayerSettings.of(exp.framework_settings()))

    def model_key(self, name: str) -> str | None:
        """The run's cache key of the unit's model (``results.json`` ``models``), or None."""
        try:
            models = json.loads((self.run_dir / "results.json").read_text()).get("models") or {}
        except (OSError, ValueError, AttributeError):
            return None
        key = models.get(name) if isinstance(models, dict) else None
        return key if isinstance(key, str) else None

    def model_sha256(self, name: str) -> str:
        return hashlib.sha256(self.model_path(name).read_bytes()).hexdigest()[:16]

    def read(self, clip) -> np.ndarray:
        """One clip as the run read it (:func:`read_input`): the run's channel (near: ``dataset.channel``, far:
        1) ``[samples]`` or both channels ``[2, samples]``, checked sample rate, float32 in [-1, 1]."""
        exp = self.experiment
        return read_input(clip.path, exp, exp.spec.sample_rate)

    def logmel(self, y: np.ndarray, spec=None) -> np.ndarray:
        """The run's exact features of one clip read by :meth:`read` (the NumPy backend, with the run's channel
        stage for two channels), ``[n_mels, frames]`` in the spec's dtype; ``spec`` replaces the run's (e.g. mel
        power)."""
        from ..features import melspectrogram

        spec = self.experiment.spec if spec is None else spec
        return np.asarray(melspectrogram(y, spec, backend="numpy", channels=self.channel_stage))

    def clip_length(self, name: str) -> int:
        """Samples of the unit's training clips (the exported input length); all must be equal."""
        from ..data import wav_info

        lengths = {}
        for c in self.unit(name).train:
            lengths.setdefault(wav_info(c.path).frames, c.path)
        if len(lengths) != 1:
            shown = ", ".join(f"{n} ({p.name})" for n, p in list(lengths.items())[:3])
            raise ValueError(
                f"{self.run_dir}: unit {name}'s training clips differ in length ({shown}); "
                "give the exported clip length with --samples"
            )
        return next(iter(lengths))

    def calibration_clips(self, name: str, count: int) -> list:
        """``count`` training clips of the unit, evenly spaced over its sorted list (all if fewer)."""
        train = list(self.unit(name).train)
        if count >= len(train):
            return train
        picks = np.linspace(0, len(train) - 1, count).round().astype(int)
        return [train[i] for i in sorted(set(picks.tolist()))]


def open_run(run_dir: str | Path, data_root: str | Path | None = None) -> RunSource:
    """Open a finished run folder.

    Raises
    ------
    ValueError
        Naming the folder: not a run folder (no ``config.yaml`` or ``models/``), or a config that does not load.
    """
    run_dir = Path(run_dir)
    if not (run_dir / "config.yaml").is_file():
        raise ValueError(f"{run_dir}: not a finished run folder (no config.yaml)")
    if not (run_dir / "models").is_dir():
        raise ValueError(f"{run_dir}: not a finished run folder (no models/)")
    source = RunSource(run_dir, Path("."))
    exp = source.experiment
    root = data_root if data_root is not None else exp.dataset.root
    if root is None:
        raise ValueError(f"{run_dir}/config.yaml: no dataset.root; pass the data with --data")
    source.data_root = Path(root).expanduser().absolute()
    return source
