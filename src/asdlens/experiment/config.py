"""The experiment config: a YAML file with the sections ``dataset``, ``frontend``, ``frames``, ``model``,
``training``, ``scoring`` and ``metric``, validated when it is loaded.

Every field has one place here. Errors name the field with its dotted key (``training.epochs``) and the allowed
values. ``--set key=value`` overrides any field by its dotted key (:func:`apply_overrides`); ``frontend.<field>``
takes any :class:`asdlens.features.MelSpec` field on top of ``frontend.preset``.

Shipped experiments (``asdlens/experiment/configs/*.yaml``) load by name: :func:`load_experiment("dcase2020")`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any

from ..features import MelSpec, resolve_spec
from ..models.families import (
    BACKENDS,
    FAMILY_DEFAULTS,
    GMM_COVARIANCES,
    LOSS_PARAMS,
    MARGIN_LOSSES,
    MODEL_FAMILY,
    MODEL_PARAMS,
    resolved_params,
)

LAYOUTS = ("dcase2020", "mimii")
SPLIT_PROTOCOLS = ("paper", "repo")
MODEL_UNITS = ("type", "id", "all")
AGGREGATES = (
    "mean",
    "median",
    "max",
)  # the same tuple as asdlens.evaluate.scores.AGGREGATES (checked in tests)
MODEL_NAMES = tuple(MODEL_FAMILY)


def _fail(key: str, value: Any, why: str) -> None:
    raise ValueError(f"{key}={value!r} {why}")


def _choice(key: str, value: Any, allowed: tuple) -> None:
    if value not in allowed:
        _fail(key, value, f"is not allowed; choose one of {list(allowed)}")


def _int(key: str, value: Any, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        _fail(key, value, f"must be an integer >= {minimum}")


def _number(value: Any) -> Any:
    """YAML 1.1 reads ``1e-3`` (no dot) as a string; take such strings as the number they spell."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


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
    layout : {"dcase2020", "mimii"}
    root : str or None
        The tree's root; ``asdlens run --data`` sets it.
    types, ids : tuple of str or None
        Machine types and IDs to use; None means all found.
    snrs : tuple of int or None
        MIMII SNRs (dB) to use; None means all found.
    channel : int
        Channel of multi-channel files (MIMII: channel 0, as the paper).
    split : {"paper", "repo"}
        MIMII test split: the paper's (all abnormal + as many random normal clips) or mimii_baseline's (the first
        normal files in sorted order). DCASE 2020 uses its folders.
    split_seed : int
        Seed of the paper split's draw.
    """

    layout: str = "dcase2020"
    root: str | None = None
    types: tuple[str, ...] | None = None
    ids: tuple[str, ...] | None = None
    snrs: tuple[int, ...] | None = None
    channel: int = 0
    split: str = "paper"
    split_seed: int = 0

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


@dataclass(frozen=True)
class ModelConfig:
    """Which detector, what one model covers, and the family's parameters.

    Families (:data:`asdlens.models.families.MODEL_FAMILY`): the two autoencoders (``dcase2020_autoencoder``,
    ``mimii_autoencoder``), the DCASE 2021/2022 section classifier ``mobilenetv2``, and the margin-loss
    embedding models ``margin_cnn`` (compact, CPU-sized) and ``mobilefacenet`` (the published size). Every
    family reads windows of ``frames`` frames (the top-level field): the autoencoders' stacked vectors, the
    classifiers' patches. Parameters left null take the family's default
    (:data:`asdlens.models.families.FAMILY_DEFAULTS`); a parameter the family does not have must stay null.

    Attributes
    ----------
    name : str
        A key of :data:`asdlens.models.families.MODEL_FAMILY`.
    per : {"type", "id", "all"}
        ``"type"``: one model per machine type (and SNR), its IDs pooled (DCASE 2020 baseline).
        ``"id"``: one model per machine type x ID x SNR (MIMII paper).
        ``"all"``: one model across every machine type (per SNR), as the ID classifiers of the field train.
    hop : int or None
        Training windows start every ``hop`` frames (the baselines' ``n_hop_frames``: 1 for the
        autoencoders, 8 for MobileNetV2). Embeddings use the same windows.
    width : float or None
        Channel multiplier: MobileNetV2's ``alpha`` (0.5 in the baseline) or the margin models' width.
    embedding_dim : int or None
        Margin models: length of the embedding.
    loss : {"arcface", "adacos"} or None
        Margin models: ArcFace (additive angular margin, fixed scale) or sub-cluster AdaCos (adaptive scale;
        ``subclusters: 1`` is plain AdaCos).
    margin, scale : float or None
        ArcFace's angular margin (radians) and scale.
    subclusters : int or None
        AdaCos: centres per class.
    mixup : float or None
        Margin models: probability that a training sample is mixed with another (mixup with a uniform weight,
        labels mixed alike); 0 turns it off.
    """

    name: str = "dcase2020_autoencoder"
    per: str = "type"
    hop: int | None = None
    width: float | None = None
    embedding_dim: int | None = None
    loss: str | None = None
    margin: float | None = None
    scale: float | None = None
    subclusters: int | None = None
    mixup: float | None = None

    def __post_init__(self) -> None:
        _choice("model.name", self.name, MODEL_NAMES)
        _choice("model.per", self.per, MODEL_UNITS)
        for key in ("width", "margin", "scale", "mixup"):
            object.__setattr__(self, key, _number(getattr(self, key)))
        if self.hop is not None:
            _int("model.hop", self.hop, minimum=1)
        if self.embedding_dim is not None:
            _int("model.embedding_dim", self.embedding_dim, minimum=2)
        if self.subclusters is not None:
            _int("model.subclusters", self.subclusters, minimum=1)
        if self.loss is not None:
            _choice("model.loss", self.loss, MARGIN_LOSSES)
        for key, low, high, closed in (("width", 0.0, None, False), ("scale", 0.0, None, False),
                                       ("margin", 0.0, 1.5, True), ("mixup", 0.0, 1.0, True)):  # fmt: skip
            value = getattr(self, key)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                _fail(f"model.{key}", value, "must be a number or null")
            ok = (value >= low if closed else value > low) and (high is None or value <= high)
            if not ok:
                span = f"in [{low}, {high}]" if high is not None else f"> {low}"
                _fail(f"model.{key}", value, f"must be a number {span} or null")
            object.__setattr__(self, key, float(value))
        family = MODEL_FAMILY[self.name]
        own = FAMILY_DEFAULTS[family]
        for key in MODEL_PARAMS:
            if getattr(self, key) is not None and key not in own:
                _fail(
                    f"model.{key}",
                    getattr(self, key),
                    f"is not a parameter of model.name={self.name!r} ({family} family: {sorted(own)}); "
                    "leave it null",
                )
        if family == "margin":
            loss = self.loss or own["loss"]
            for other, keys in LOSS_PARAMS.items():
                for key in keys if other != loss else ():
                    if getattr(self, key) is not None:
                        _fail(
                            f"model.{key}",
                            getattr(self, key),
                            f"is a {other} parameter; model.loss is {loss!r}",
                        )

    def params(self) -> dict[str, Any]:
        """The family's parameters with null replaced by the family default."""
        return resolved_params(dataclasses.asdict(self))


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
    learning_rate : float or None
        Adam's learning rate; None is Keras's default (0.001), as the baselines use.
    gpus : float
        GPUs a fit asks its scheduler for (Ray's ``num_gpus``; 0 trains on the CPU). A GPU computes other
        last bits than a CPU, so this is part of the model's key.
    """

    epochs: int = 100
    batch_size: int = 512
    validation_split: float = 0.1
    shuffle: bool = True
    seed: int = 0
    learning_rate: float | None = None
    gpus: float = 0.0

    def __post_init__(self) -> None:
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


@dataclass(frozen=True)
class ScoringConfig:
    """How a trained model's outputs become a clip's anomaly score: the back-end and its parameters.

    Changing this section reuses the trained model (the model's cache key does not cover it), which is how
    ``explain`` prices a back-end on its own.

    Attributes
    ----------
    backend : {"default", "mahalanobis", "cosine", "knn", "gmm", "confidence"}
        ``default``: the family's own score (autoencoders: the windows' mean squared reconstruction error;
        MobileNetV2: DCASE 2022's ``log(1 - p) - log(p)`` of the clip's ID; margin models: ``-log p(ID)``).
        ``mahalanobis``: autoencoders: the DCASE 2023-2025 baseline's Mahalanobis distance of the clip's mean
        reconstruction residual; embedding families: the Mahalanobis distance of the clip embedding to its
        ID's training embeddings (Ledoit-Wolf covariance). ``cosine``: cosine distance of the clip embedding
        to its ID's centre (the mean training embedding); ``knn``: mean cosine distance to its ID's ``k``
        nearest training embeddings; ``gmm``: negative log-likelihood under a Gaussian mixture fitted to its
        ID's training embeddings; ``confidence``: ``-log p(ID)`` per window (classifier families).
    aggregate : {"mean", "median", "max"}
        Over a clip's per-window scores (``default``, ``confidence``); "mean" is the official one. The
        embedding back-ends score one clip embedding and the autoencoder's Mahalanobis the clip's mean
        residual, so they do not use it.
    k : int
        ``knn``: neighbours.
    components : int
        ``gmm``: mixture components.
    covariance : {"full", "diag", "tied", "spherical"}
        ``gmm``: scikit-learn's ``covariance_type``.
    reg_covar : float
        ``gmm``: added to the covariances' diagonal (1e-3, as sub-cluster AdaCos's GMM back-end).
    """

    aggregate: str = "mean"
    backend: str = "default"
    k: int = 1
    components: int = 1
    covariance: str = "full"
    reg_covar: float = 1e-3

    def __post_init__(self) -> None:
        _choice("scoring.aggregate", self.aggregate, AGGREGATES)
        _choice("scoring.backend", self.backend, BACKENDS)
        _int("scoring.k", self.k, minimum=1)
        _int("scoring.components", self.components, minimum=1)
        _choice("scoring.covariance", self.covariance, GMM_COVARIANCES)
        object.__setattr__(self, "reg_covar", _number(self.reg_covar))
        value = self.reg_covar
        if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
            _fail("scoring.reg_covar", value, "must be a number >= 0")
        object.__setattr__(self, "reg_covar", float(value))


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


SECTIONS = {
    "dataset": DatasetConfig,
    "model": ModelConfig,
    "training": TrainingConfig,
    "scoring": ScoringConfig,
    "metric": MetricConfig,
}
TOP_LEVEL = ("name", "description", "dataset", "frontend", "frames", "model", "training", "scoring", "metric")


@dataclass(frozen=True)
class Experiment:
    """A whole reference protocol: data, frontend, frame stacking, model, training, scoring and metric.

    Build it with :func:`load_experiment` or :meth:`from_dict`; every field is validated there.

    Attributes
    ----------
    name, description : str
    dataset : DatasetConfig
    preset : str or None
        The frontend preset the spec started from (for people; :attr:`spec` holds every value).
    spec : asdlens.features.MelSpec
        The log-mel frontend, fully resolved.
    frames : int
        Consecutive log-mel frames stacked into one vector (5 in both baselines).
    model, training, scoring, metric
        See their classes.
    """

    name: str = "experiment"
    description: str = ""
    dataset: DatasetConfig = field(default_factory=DatasetConfig)
    preset: str | None = None
    spec: MelSpec = field(default_factory=MelSpec)
    frames: int = 5
    model: ModelConfig = field(default_factory=ModelConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    scoring: ScoringConfig = field(default_factory=ScoringConfig)
    metric: MetricConfig = field(default_factory=MetricConfig)

    def __post_init__(self) -> None:
        _int("frames", self.frames, minimum=1)
        if not isinstance(self.name, str) or not self.name:
            _fail("name", self.name, "must be a non-empty string")
        _check_model_and_scoring(self.model, self.scoring)

    @property
    def input_dim(self) -> int:
        """Length of one stacked vector: ``n_mels * frames``."""
        return self.spec.n_mels * self.frames

    def frontend_dict(self) -> dict[str, Any]:
        """The ``frontend`` section written out in full: the preset name and every resolved MelSpec field."""
        return {"preset": self.preset, **self.spec.resolved().to_dict()}

    def to_dict(self) -> dict[str, Any]:
        """The resolved config as plain data (YAML/JSON-ready); :meth:`from_dict` of it gives an equal Experiment."""

        def plain(section) -> dict:
            return {f.name: _plain(getattr(section, f.name)) for f in fields(section)}

        return {
            "name": self.name,
            "description": self.description,
            "dataset": plain(self.dataset),
            "frontend": self.frontend_dict(),
            "frames": self.frames,
            "model": plain(self.model),
            "training": plain(self.training),
            "scoring": plain(self.scoring),
            "metric": plain(self.metric),
        }

    def to_yaml(self) -> str:
        import yaml

        return yaml.safe_dump(self.to_dict(), sort_keys=False, default_flow_style=False)

    def flat(self) -> dict[str, Any]:
        """Every field by its dotted key (``training.epochs``, ``frontend.n_mels``, ...)."""
        out = {}
        for key, value in self.to_dict().items():
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


def _check_model_and_scoring(model: ModelConfig, scoring: ScoringConfig) -> None:
    """The combinations of family, unit and back-end that cannot work, named before anything runs."""
    family = MODEL_FAMILY[model.name]
    if scoring.backend == "confidence" and family == "autoencoder":
        _fail(
            "scoring.backend",
            scoring.backend,
            f"needs a model with classes; model.name={model.name!r} is an autoencoder (use default, "
            "mahalanobis, cosine, knn or gmm)",
        )
    if model.per == "id" and family != "autoencoder":
        _fail(
            "model.per",
            model.per,
            f"gives each {model.name} one class to tell apart; use type or all",
        )


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
    frontend = dict(frontend)
    preset = frontend.get("preset")
    if preset is None:
        frontend.pop("preset", None)
    try:
        spec = resolve_spec(frontend).resolved()
    except ValueError as exc:
        raise ValueError(f"frontend: {exc}") from None
    frames = data.get("frames", 5)
    return Experiment(
        name=data.get("name") or "experiment",
        description=data.get("description") or "",
        preset=preset,
        spec=spec,
        frames=frames,
        **kwargs,
    )


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
    for key, value in overrides.items():
        section, dot, name = key.partition(".")
        if not dot:
            if section not in TOP_LEVEL or section in SECTIONS or section == "frontend":
                allowed = ["name", "description", "frames"] + [
                    f"{s}.<field>" for s in (*SECTIONS, "frontend")
                ]
                raise ValueError(f"--set {key}: unknown key; allowed: {allowed}")
            out[section] = value
            continue
        if section == "frontend":
            if name not in ("preset", *spec_fields):
                raise ValueError(
                    f"--set {key}: unknown frontend field {name!r}; allowed: {['preset', *spec_fields]}"
                )
            if name != "preset":
                out.setdefault("frontend", {})[name] = value
            continue
        if section not in SECTIONS:
            raise ValueError(f"--set {key}: unknown section {section!r}; allowed: {[*SECTIONS, 'frontend']}")
        allowed = [f.name for f in fields(SECTIONS[section])]
        if name not in allowed:
            raise ValueError(f"--set {key}: unknown field {name!r} of {section}; allowed: {allowed}")
        out.setdefault(section, {})[name] = value
    return out


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
    if overrides:
        if not isinstance(data, dict):
            raise ValueError(f"{text_source}: an experiment config must be a mapping of sections")
        data = apply_overrides(data, overrides)
    return Experiment.from_dict(data, source=text_source)


def stable_key(*parts: Any) -> str:
    """Short stable hash of JSON-able parts (cache keys)."""
    payload = json.dumps(parts, sort_keys=True, default=repr)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]
