"""The experiment config: a YAML file with the sections ``dataset``, ``frontend``, ``frames``, ``model``,
``training``, ``scoring`` and ``metric``, validated when it is loaded.

Every field has one place here. Errors name the field with its dotted key (``training.epochs``) and the allowed
values. ``--set key=value`` overrides any field by its dotted key (:func:`apply_overrides`); ``frontend.<field>``
takes any :class:`asdlens.features.MelSpec` field on top of ``frontend.preset``.

Shipped experiments (``asdlens/experiment/configs/*.yaml``) load by name: :func:`load_experiment("dcase2020")`.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any

from ..data.clips import LAYOUTS as DATA_LAYOUTS
from ..features import MelSpec, resolve_spec
from ..features.channels import ChannelSpec, resolve_channels
from ..models import frameworks
from ..models.families import MODEL_FAMILY, MODEL_PARAMS, TWO_PLANE_FAMILIES
from .checks import choice as _choice
from .checks import fail as _fail
from .checks import integer as _int
from .checks import number as _number
from .detector_config import (  # noqa: F401 - re-exported: the sections of an experiment live here by name
    AGGREGATES,
    MODEL_NAMES,
    MODEL_UNITS,
    ModelConfig,
    ScoringConfig,
    check_model_and_scoring,
    positive,
)
from .function_frontend import FunctionFrontend, resolve_function

#: Every layout the data layer reads (:data:`asdlens.data.LAYOUTS`), and ``auto``: the layout
#: :func:`asdlens.data.scan` detects (DCASE 2023-2025 share one naming, so one experiment runs on a 2023, 2024 or
#: 2025 tree and is scored with that year's protocol, :func:`asdlens.experiment.protocols.protocol_of`).
LAYOUTS = (*DATA_LAYOUTS, "auto")
VALIDATION_FROM = ("tail", "random")
SPLIT_PROTOCOLS = ("paper", "repo")


def _names(key: str, value: Any, *, item=str, what: str = "string") -> tuple | None:
    """None, or a tuple of items from a list or a comma-separated string."""
    if value is None:
        return None
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    elif isinstance(value, int | float) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list | tuple) or not value:
        _fail(key, value, "must be null (all) or a non-empty list")
    out = []
    for v in value:
        try:
            out.append(item(v))
        except (TypeError, ValueError):
            _fail(key, value, f"has an item {v!r} that is not a {what}")
    return tuple(out)


def _machine_id(v) -> str:
    """IDs are two-digit strings; YAML reads ``00`` as the int 0 and ``06`` as 6, so normalise."""
    if isinstance(v, bool):
        raise ValueError(v)
    if isinstance(v, int):
        return f"{v:02d}"
    v = str(v).strip()
    v = v[3:] if v.startswith("id_") else v
    if not v.isdigit():
        raise ValueError(v)
    return v.zfill(2)


@dataclass(frozen=True)
class DatasetConfig:
    """Which data and how it is split.

    Attributes
    ----------
    layout : {"dcase2020", "mimii", "dcase2021", "dcase2022", "dcase2023", "dcase2024", "dcase2025", "auto"}
        The tree's layout; it also names the protocol a run is scored with (DCASE 2021-2025: the year's
        official score per section x domain). "auto" takes the layout :func:`asdlens.data.scan` detects.
    root : str or None
        The tree's root; ``asdlens run --data`` sets it.
    types, ids : tuple of str or None
        Machine types and IDs to use (DCASE 2021-2025: sections, e.g. ``[00, 01]``); None means all found.
    snrs : tuple of int or None
        MIMII SNRs (dB) to use; None means all found.
    channel : int
        Channel of multi-channel files (MIMII: channel 0, as the paper).
    split : {"paper", "repo"}
        MIMII test split: the paper's (all abnormal + as many random normal clips) or mimii_baseline's (the first
        normal files in sorted order). DCASE 2020 uses its folders.
    split_seed : int
        Seed of the paper split's draw.
    ground_truth : str or None
        Published ground truth of an evaluation tree (a file or folder, as ``scan(..., ground_truth=...)`` and
        ``asdlens data check --ground-truth`` take it): labels, domains and attributes of hidden test names.
        Without it, evaluation test clips are scored and written to the official files but not evaluated.
    """

    layout: str = "dcase2020"
    root: str | None = None
    types: tuple[str, ...] | None = None
    ids: tuple[str, ...] | None = None
    snrs: tuple[int, ...] | None = None
    channel: int = 0
    split: str = "paper"
    split_seed: int = 0
    ground_truth: str | None = None

    def __post_init__(self) -> None:
        _choice("dataset.layout", self.layout, LAYOUTS)
        if self.root is not None and not isinstance(self.root, str):
            object.__setattr__(self, "root", str(self.root))
        object.__setattr__(self, "types", _names("dataset.types", self.types))
        object.__setattr__(
            self, "ids", _names("dataset.ids", self.ids, item=_machine_id, what="machine ID like 00 or id_00")
        )
        object.__setattr__(
            self, "snrs", _names("dataset.snrs", self.snrs, item=int, what="whole number of dB")
        )
        _int("dataset.channel", self.channel, minimum=0)
        _choice("dataset.split", self.split, SPLIT_PROTOCOLS)
        _int("dataset.split_seed", self.split_seed, minimum=0)
        if self.ground_truth is not None:
            if not isinstance(self.ground_truth, str | Path) or not str(self.ground_truth).strip():
                _fail("dataset.ground_truth", self.ground_truth, "must be a path (file or folder) or null")
            object.__setattr__(self, "ground_truth", str(self.ground_truth))


@dataclass(frozen=True)
class TrainingConfig:
    """``model.fit`` settings (``baseline.yaml`` ``fit:`` section of the official code).

    Attributes
    ----------
    epochs, batch_size : int
    validation_split : float
        In [0, 1): share of the vectors, taken from the end of the array (Keras), kept for validation.
    shuffle : bool
    seed : int
        Seeds weights, shuffling and every other random draw of training.
    validation_from : {"tail", "random"}
        Which vectors form the validation part: ``"tail"``, the last ``validation_split`` share of the vectors
        in file order (Keras's ``validation_split``: the DCASE 2020-2022 baselines); ``"random"``, a random share
        drawn as ``sklearn.model_selection.train_test_split(range(n_vectors), test_size=validation_split)``
        with numpy's generator seeded by ``seed`` (the DCASE 2023-2025 PyTorch baseline, whose ``train.py``
        calls ``np.random.seed(seed)`` first).
    learning_rate : float or None
        Adam's learning rate; None is Keras's default (0.001), as the baselines use.
    gpus : float
        GPUs a fit asks its scheduler for (Ray's ``num_gpus``; 0 trains on the CPU). A GPU computes other
        last bits than a CPU, so this is part of the model's key. A torch fit trains on CUDA when this is
        above 0 and a GPU is present.
    order : {"asdlens", "torch"} or None
        The per-epoch order of the training samples: ``asdlens`` draws each epoch's permutation from
        ``(seed, epoch)``; ``torch`` as ``DataLoader(shuffle=True, generator=torch.Generator().manual_seed(seed))``
        draws it. Null: the framework's (:mod:`asdlens.models.frameworks`).
    adam_beta1, adam_beta2, adam_eps : float or None
        Adam's constants (null: the framework's; epsilon 1e-7 in Keras, 1e-8 in torch).
    adam_eps_on : {"v", "v_hat"} or None
        Where Adam adds epsilon: to ``sqrt(v)`` with the bias correction in the step size (Keras), or to
        ``sqrt(v / (1 - beta2**t))`` (torch).
    weight_decay : float or None
        L2 penalty added to the gradient, ``g + weight_decay * w`` (torch ``Adam``'s ``weight_decay``).
    loss_reduction : {"mean", "sum"} or None
        A batch's loss: the mean over its values (MSE; the samples' mean for cross-entropy) or their sum.
    """

    epochs: int = 100
    batch_size: int = 512
    validation_split: float = 0.1
    shuffle: bool = True
    seed: int = 0
    learning_rate: float | None = None
    gpus: float = 0.0
    validation_from: str = "tail"
    order: str | None = None
    adam_beta1: float | None = None
    adam_beta2: float | None = None
    adam_eps: float | None = None
    adam_eps_on: str | None = None
    weight_decay: float | None = None
    loss_reduction: str | None = None

    def __post_init__(self) -> None:
        if self.epochs != 0:  # 0 only with model.checkpoint (Experiment checks)
            _int("training.epochs", self.epochs, minimum=1)
        _int("training.batch_size", self.batch_size, minimum=1)
        object.__setattr__(self, "validation_split", _number(self.validation_split))
        object.__setattr__(self, "learning_rate", _number(self.learning_rate))
        if isinstance(self.validation_split, int) and not isinstance(self.validation_split, bool):
            object.__setattr__(self, "validation_split", float(self.validation_split))
        if not isinstance(self.validation_split, float) or not 0.0 <= self.validation_split < 1.0:
            _fail("training.validation_split", self.validation_split, "must be a number in [0, 1)")
        if not isinstance(self.shuffle, bool):
            _fail("training.shuffle", self.shuffle, "must be true or false")
        _int("training.seed", self.seed, minimum=0)
        if self.learning_rate is not None:
            if isinstance(self.learning_rate, bool) or not isinstance(self.learning_rate, int | float):
                _fail("training.learning_rate", self.learning_rate, "must be a positive number or null")
            if not self.learning_rate > 0:
                _fail("training.learning_rate", self.learning_rate, "must be a positive number or null")
            object.__setattr__(self, "learning_rate", float(self.learning_rate))
        object.__setattr__(self, "gpus", _number(self.gpus))
        if isinstance(self.gpus, bool) or not isinstance(self.gpus, int | float) or self.gpus < 0:
            _fail("training.gpus", self.gpus, "must be a number >= 0 (GPUs per fit)")
        object.__setattr__(self, "gpus", float(self.gpus))
        _choice("training.validation_from", self.validation_from, VALIDATION_FROM)
        self._check_framework_settings()

    def _check_framework_settings(self) -> None:
        for key, allowed in (("order", frameworks.ORDERS), ("adam_eps_on", frameworks.ADAM_EPS_ON),
                             ("loss_reduction", frameworks.LOSS_REDUCTIONS)):  # fmt: skip
            if getattr(self, key) is not None:
                _choice(f"training.{key}", getattr(self, key), allowed)
        for key in ("adam_beta1", "adam_beta2"):
            value = positive(f"training.{key}", getattr(self, key), high=1.0, zero=True)
            if value == 1.0:
                _fail(f"training.{key}", value, "must be a number in [0, 1) or null")
            object.__setattr__(self, key, value)
        object.__setattr__(self, "adam_eps", positive("training.adam_eps", self.adam_eps))
        object.__setattr__(
            self, "weight_decay", positive("training.weight_decay", self.weight_decay, zero=True)
        )


@dataclass(frozen=True)
class MetricConfig:
    """Attributes
    ----------
    max_fpr : float or None
        pAUC range (0.1 in ``baseline.yaml``); None reports AUC only.
    """

    max_fpr: float | None = 0.1

    def __post_init__(self) -> None:
        object.__setattr__(self, "max_fpr", _number(self.max_fpr))
        if self.max_fpr is None:
            return
        if isinstance(self.max_fpr, bool) or not isinstance(self.max_fpr, int | float):
            _fail("metric.max_fpr", self.max_fpr, "must be a number in (0, 1] or null")
        if not 0 < self.max_fpr <= 1:
            _fail("metric.max_fpr", self.max_fpr, "must be a number in (0, 1] or null")
        object.__setattr__(self, "max_fpr", float(self.max_fpr))


#: Fields added after the first runs were cached and published, with their defaults. Written out (and part of
#: cache keys) only when set to another value, so the ``config.yaml``, ``results.json`` and cache keys of
#: experiments that do not use them keep their bytes, and their cached models stay valid.
ADDED_FIELDS: dict[str, dict[str, Any]] = {
    "dataset": {"ground_truth": None},
    "training": {"validation_from": "tail", **dict.fromkeys(frameworks.TRAINING_SETTINGS)},
    # the family parameters and the framework settings: null = the family's / the framework's default
    "model": {
        **dict.fromkeys(MODEL_PARAMS),
        "framework": "keras",
        "checkpoint": None,
        **dict.fromkeys(frameworks.MODEL_SETTINGS),
        "builder": None,
    },
    "scoring": {
        **{"backend": "default", "k": 1, "components": 1, "covariance": "full", "reg_covar": 1e-3},
        # the training-free back-ends of the frozen encoders
        **{"density_k": 1, "density_r": None, "space": "linear", "n_components": 0.9},
        **{"fusion": "knn+mahalanobis+ldn+pca", "domains": "joint"},
    },
}


def section_dict(name: str, section, *, complete: bool = False) -> dict[str, Any]:
    """One config section as plain data; fields of :data:`ADDED_FIELDS` at their default are left out unless
    ``complete``."""
    added = ADDED_FIELDS.get(name, {})
    return {
        f.name: _plain(getattr(section, f.name))
        for f in fields(section)
        if complete or f.name not in added or getattr(section, f.name) != added[f.name]
    }


SECTIONS = {
    "dataset": DatasetConfig,
    "model": ModelConfig,
    "training": TrainingConfig,
    "scoring": ScoringConfig,
    "metric": MetricConfig,
}
TOP_LEVEL = (
    "name", "description", "dataset", "channels", "frontend", "frames", "model", "training", "scoring", "metric",
)  # fmt: skip


@dataclass(frozen=True)
class Experiment:
    """A whole reference protocol: data, frontend, frame stacking, model, training, scoring and metric.

    Build it with :func:`load_experiment` or :meth:`from_dict`; every field is validated there.

    Attributes
    ----------
    name, description : str
    dataset : DatasetConfig
    channels : asdlens.features.ChannelSpec
        The channel stage in front of the frontend (DCASE 2026's near and far microphones); the default,
        ``near``, reads ``dataset.channel`` as every earlier layout does. Written to YAML and keys only when
        not the default, so configs and caches of mono runs are unchanged.
    preset : str or None
        The frontend preset the spec started from (for people; :attr:`spec` holds every value).
    spec : asdlens.features.MelSpec
        The log-mel frontend, fully resolved.
    function : FunctionFrontend or None
        A user's feature function (``frontend: {function: FILE.py:NAME}``,
        :mod:`asdlens.experiment.function_frontend`). When a MelSpec reproduces it, :attr:`spec` is that spec and
        the run is the spec's; otherwise the function computes the features (:attr:`frontend_key`) and
        :attr:`spec` holds only its band count and sample rate. None (the default) is left out of YAML and keys.
    frames : int
        Consecutive log-mel frames stacked into one vector (5 in both baselines).
    model, training, scoring, metric
        See their classes.
    """

    name: str = "experiment"
    description: str = ""
    dataset: DatasetConfig = field(default_factory=DatasetConfig)
    channels: ChannelSpec = field(default_factory=ChannelSpec)
    preset: str | None = None
    spec: MelSpec = field(default_factory=MelSpec)
    function: FunctionFrontend | None = None
    frames: int = 5
    model: ModelConfig = field(default_factory=ModelConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    scoring: ScoringConfig = field(default_factory=ScoringConfig)
    metric: MetricConfig = field(default_factory=MetricConfig)

    def __post_init__(self) -> None:
        _int("frames", self.frames, minimum=1)
        if not isinstance(self.name, str) or not self.name:
            _fail("name", self.name, "must be a non-empty string")
        check_model_and_scoring(self.model, self.scoring)
        _check_channels(self.channels, self.dataset, self.model.name)
        _check_encoder(self)
        if self.function is not None and self.channels.policy != "near":
            _fail("frontend.function", self.function.function, f"reads one channel; channels.policy="
                  f"{self.channels.policy!r} needs a MelSpec frontend")  # fmt: skip
        if self.training.epochs == 0 and self.model.checkpoint is None:
            _fail(
                "training.epochs",
                0,
                "must be an integer >= 1 (0 only with model.checkpoint: score a given network)",
            )
        self._canonical_framework_settings()

    def _canonical_framework_settings(self) -> None:
        """Store each framework setting as null where it is the framework's default (one config, one key)."""
        model, training = dataclasses.asdict(self.model), dataclasses.asdict(self.training)
        stored = frameworks.canonical(model, training)
        model_part = {k: stored[k] for k in frameworks.MODEL_SETTINGS}
        training_part = {k: stored[k] for k in frameworks.TRAINING_SETTINGS}
        if any(model[k] != v for k, v in model_part.items()):
            object.__setattr__(self, "model", dataclasses.replace(self.model, **model_part))
        if any(training[k] != v for k, v in training_part.items()):
            object.__setattr__(self, "training", dataclasses.replace(self.training, **training_part))

    def framework_settings(self) -> dict[str, Any]:
        """Every framework setting with null resolved to ``model.framework``'s default (undotted keys)."""
        return frameworks.resolve(dataclasses.asdict(self.model), dataclasses.asdict(self.training))

    @property
    def feature_channel(self) -> int | str:
        """What the feature entries are read from, as caches name it: a channel index (``dataset.channel``
        for ``near``, 1 for ``far``: the ``-ch<N>`` entries of every earlier run) or the channel stage's key."""
        if self.channels.policy == "near":
            return self.dataset.channel
        if self.channels.policy == "far":
            return 1
        return f"cs{self.channels.key()}"

    @property
    def frontend_key(self) -> str:
        """What feature entries and model keys name the frontend by: the spec's key, or an opaque function's."""
        if self.function is not None and self.function.opaque:
            return self.function.key()
        return self.spec.key()

    @property
    def input_dim(self) -> int:
        """Length of one stacked vector: ``feature_bands * frames``."""
        return self.feature_bands * self.frames

    @property
    def feature_bands(self) -> int:
        """Bands of a clip's feature entry: ``n_mels``, twice that for ``channels.policy: both`` (the near
        channel's bands, then the far channel's)."""
        return self.spec.n_mels * self.channels.planes

    def frontend_dict(self) -> dict[str, Any]:
        """The ``frontend`` section written out in full: the preset name and every resolved MelSpec field; for a
        function, the function's section and what identify found (``identified``)."""
        if self.function is not None:
            return {**self.function.section(), "identified": self.function.identified(self.spec)}
        return {"preset": self.preset, **self.spec.resolved().to_dict()}

    def to_dict(self, *, complete: bool = False) -> dict[str, Any]:
        """The resolved config as plain data (YAML/JSON-ready); :meth:`from_dict` of it gives an equal Experiment.

        Fields added later (:data:`ADDED_FIELDS`) appear only when they differ from their default, unless
        ``complete``: the resolved config of an experiment that does not use them reads as it always did.
        """

        def plain(name: str) -> dict:
            return section_dict(name, getattr(self, name), complete=complete)

        return {
            "name": self.name,
            "description": self.description,
            "dataset": plain("dataset"),
            **({"channels": self.channels.to_dict()} if complete or self.channels != ChannelSpec() else {}),
            "frontend": self.frontend_dict(),
            "frames": self.frames,
            "model": plain("model"),
            "training": plain("training"),
            "scoring": plain("scoring"),
            "metric": plain("metric"),
        }

    def key_section(self, name: str) -> dict[str, Any]:
        """Section ``name`` as cache keys see it (added fields only when set: old keys stay valid)."""
        return section_dict(name, getattr(self, name))

    def to_yaml(self) -> str:
        import yaml

        return yaml.safe_dump(self.to_dict(), sort_keys=False, default_flow_style=False)

    def flat(self) -> dict[str, Any]:
        """Every field by its dotted key (``training.epochs``, ``frontend.n_mels``, ...)."""
        out = {}
        for key, value in self.to_dict(complete=True).items():
            if isinstance(value, dict):
                out.update({f"{key}.{k}": v for k, v in value.items()})
            else:
                out[key] = value
        return out

    def replace(self, **changes) -> Experiment:
        """A copy with top-level fields replaced (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)

    def with_overrides(self, overrides: dict[str, Any] | list[str] | None) -> Experiment:
        """A copy with ``--set`` style overrides applied (see :func:`apply_overrides`)."""
        if not overrides:
            return self
        return Experiment.from_dict(apply_overrides(self.to_dict(), overrides))

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "experiment config") -> Experiment:
        """Validate and build from a mapping (a parsed YAML file).

        Raises
        ------
        ValueError
            Naming the field (dotted key) and the allowed values; ``source`` (a file name) prefixes the message.
        """
        try:
            return _from_dict(data)
        except ValueError as exc:
            raise ValueError(f"{source}: {exc}") from None


def _check_channels(channels: ChannelSpec, dataset, model_name: str) -> None:
    """Refuse the channel settings a run cannot use, naming the key."""
    if channels.planes != 1 and MODEL_FAMILY[model_name] not in TWO_PLANE_FAMILIES:
        takes = [n for n, f in MODEL_FAMILY.items() if f in TWO_PLANE_FAMILIES]
        _fail("channels.policy", channels.policy, f"gives two feature planes; model.name={model_name!r} takes "
              f"one (the two planes go to {takes}): choose near, far, mean or a subtraction")  # fmt: skip
    if channels.policy != "near" and dataset.channel != 0:
        _fail("dataset.channel", dataset.channel, f"selects one channel; channels.policy={channels.policy!r} "
              "reads the near (0) and far (1) channels itself: leave dataset.channel at 0")  # fmt: skip


def _check_encoder(exp: Experiment) -> None:
    """A frozen encoder reads the waveform of one channel and pools its own frame embeddings."""
    if MODEL_FAMILY[exp.model.name] != "encoder":
        return
    if exp.frames != 1:
        _fail("frames", exp.frames, f"must be 1 for model.name={exp.model.name!r}: a frozen encoder pools its "
              "frame embeddings (model.pooling), it stacks no log-mel frames")  # fmt: skip
    if exp.channels.policy not in ("near", "far"):
        _fail("channels.policy", exp.channels.policy, f"is not available to model.name={exp.model.name!r} yet: "
              "a frozen encoder reads one channel's waveform (choose near or far)")  # fmt: skip


def _plain(value):
    return list(value) if isinstance(value, tuple) else value


def _from_dict(data: dict[str, Any]) -> Experiment:
    if not isinstance(data, dict):
        raise ValueError(f"an experiment config must be a mapping of sections; got {type(data).__name__}")
    unknown = sorted(set(data) - set(TOP_LEVEL))
    if unknown:
        raise ValueError(f"unknown section(s) {unknown}; allowed: {list(TOP_LEVEL)}")
    kwargs: dict[str, Any] = {}
    for name, cls in SECTIONS.items():
        section = data.get(name) or {}
        if not isinstance(section, dict):
            raise ValueError(f"{name} must be a mapping of fields; got {section!r}")
        allowed = [f.name for f in fields(cls)]
        bad = sorted(set(section) - set(allowed))
        if bad:
            raise ValueError(f"unknown field(s) {[f'{name}.{b}' for b in bad]}; allowed: {allowed}")
        kwargs[name] = cls(**section)
    frontend = data.get("frontend") or {}
    if isinstance(frontend, str):
        frontend = {"preset": frontend}
    if not isinstance(frontend, dict):
        raise ValueError(f"frontend must be a mapping (preset and/or MelSpec fields); got {frontend!r}")
    preset, spec, function = _frontend(dict(frontend))
    frames = data.get("frames", 5)
    try:
        channels = resolve_channels(data.get("channels") or {})
    except ValueError as exc:
        raise ValueError(f"channels: {exc}") from None
    return Experiment(
        name=data.get("name") or "experiment",
        description=data.get("description") or "",
        channels=channels,
        preset=preset,
        spec=spec,
        function=function,
        frames=frames,
        **kwargs,
    )


def _frontend(frontend: dict[str, Any]) -> tuple[str | None, MelSpec, FunctionFrontend | None]:
    """The preset, the spec and the function of a ``frontend`` section."""
    if frontend.get("function") is not None:
        function, spec = resolve_function(frontend)
        return None, spec, function
    frontend.pop("function", None)
    preset = frontend.get("preset")
    if preset is None:
        frontend.pop("preset", None)
    try:
        return preset, resolve_spec(frontend).resolved(), None
    except ValueError as exc:
        raise ValueError(f"frontend: {exc}") from None


def parse_value(text: str) -> Any:
    """A ``--set`` value as YAML reads it: ``2`` -> 2, ``0.5`` -> 0.5, ``null`` -> None, ``true`` -> True,
    ``[pump, fan]`` -> list; anything else stays a string."""
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def parse_overrides(items: list[str] | None) -> dict[str, Any]:
    """``["training.epochs=2", ...]`` -> ``{"training.epochs": 2}``, naming a malformed item."""
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--set {item!r} must look like section.field=value (e.g. training.epochs=2)")
        out[key.strip()] = parse_value(value.strip())
    return out


def apply_overrides(data: dict[str, Any], overrides: dict[str, Any] | list[str]) -> dict[str, Any]:
    """Apply dotted-key overrides to a config mapping (a copy).

    ``training.epochs=2`` sets one field; ``frontend.n_mels=64`` sets a MelSpec field; ``frames=3`` a top-level
    one. Setting ``frontend.preset`` starts the frontend from that preset again, keeping other fields set in the
    same call. Values are validated when the result is loaded.

    Raises
    ------
    ValueError
        For an unknown section or field, listing the allowed ones.
    """
    if isinstance(overrides, list):
        overrides = parse_overrides(overrides)
    out = json.loads(json.dumps(data, default=_plain))
    spec_fields = [f.name for f in fields(MelSpec)]
    if "frontend.preset" in overrides:
        # A new preset replaces every frontend value; fields given alongside it still apply below.
        out["frontend"] = {"preset": overrides["frontend.preset"]}
    if "frontend.function" in overrides:
        # So does a function (its calling convention detected again unless given alongside).
        out["frontend"] = {"function": overrides["frontend.function"]}
    for key, value in overrides.items():
        section, dot, name = key.partition(".")
        if not dot:
            if section not in TOP_LEVEL or section in SECTIONS or section in ("frontend", "channels"):
                allowed = ["name", "description", "frames"] + [
                    f"{s}.<field>" for s in (*SECTIONS, "frontend")
                ]
                raise ValueError(f"--set {key}: unknown key; allowed: {allowed}")
            out[section] = value
            continue
        if section == "frontend":
            allowed = ["preset", *spec_fields, *FUNCTION_FIELDS]
            if name not in allowed:
                raise ValueError(f"--set {key}: unknown frontend field {name!r}; allowed: {allowed}")
            if name not in ("preset", "function"):
                out.setdefault("frontend", {})[name] = value
            continue
        if section == "channels":
            channel_fields = [f.name for f in fields(ChannelSpec)]
            if name not in channel_fields:
                raise ValueError(
                    f"--set {key}: unknown field {name!r} of channels; allowed: {channel_fields}"
                )
            out.setdefault("channels", {})[name] = value
            continue
        if section not in SECTIONS:
            raise ValueError(
                f"--set {key}: unknown section {section!r}; allowed: {[*SECTIONS, 'channels', 'frontend']}"
            )
        allowed = [f.name for f in fields(SECTIONS[section])]
        if name not in allowed:
            raise ValueError(f"--set {key}: unknown field {name!r} of {section}; allowed: {allowed}")
        out.setdefault(section, {})[name] = value
    return out


FUNCTION_FIELDS = ("function", "arguments", "call", "input_scale", "layout")


def shipped_experiments() -> list[str]:
    """Names of the experiments shipped with asdlens (``asdlens/experiment/configs/<name>.yaml``)."""
    folder = resources.files("asdlens.experiment").joinpath("configs")
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_experiment(
    name_or_path: str | Path, overrides: dict[str, Any] | list[str] | None = None
) -> Experiment:
    """Load a shipped experiment by name (``"dcase2020"``, ``"mimii"``) or a YAML file by path, then apply
    ``--set`` style ``overrides``.

    Raises
    ------
    ValueError
        Unknown name (listing the shipped ones), unreadable or malformed file, or an invalid field.
    """
    import yaml

    text_source = str(name_or_path)
    path = Path(name_or_path)
    if isinstance(name_or_path, str) and name_or_path in shipped_experiments() and not path.exists():
        text = (
            resources.files("asdlens.experiment")
            .joinpath("configs")
            .joinpath(f"{name_or_path}.yaml")
            .read_text()
        )
        text_source = f"experiment {name_or_path!r}"
    elif path.suffix.lower() in (".yaml", ".yml") or path.exists():
        try:
            text = path.read_text()
        except OSError as exc:
            raise ValueError(f"{path}: cannot read experiment file ({exc.strerror or exc})") from None
    else:
        raise ValueError(
            f"unknown experiment {text_source!r}; shipped experiments: {shipped_experiments()}, "
            "or give a path to a YAML file"
        )
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"{text_source}: not valid YAML: {exc}") from None
    if path.exists() and isinstance(data, dict):
        data = _function_paths_from(data, path.parent)
    if overrides:
        if not isinstance(data, dict):
            raise ValueError(f"{text_source}: an experiment config must be a mapping of sections")
        data = apply_overrides(data, overrides)
    return Experiment.from_dict(data, source=text_source)


def _function_paths_from(data: dict[str, Any], folder: Path) -> dict[str, Any]:
    """``data`` with a relative ``frontend.function`` or ``model.builder`` file resolved against the YAML
    file's ``folder``."""
    from ..user_code import absolute_target

    out = dict(data)
    for section, name in (("frontend", "function"), ("model", "builder")):
        part = data.get(section)
        if not isinstance(part, dict) or not isinstance(part.get(name), str):
            continue
        try:
            out[section] = {**part, name: absolute_target(part[name], folder)}
        except ValueError:
            pass  # the config's validation names the malformed target
    return out
