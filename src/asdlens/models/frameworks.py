"""Training frameworks and their defaults as named settings: plain tables (nothing here imports Keras or torch).

``model.framework`` picks the implementation of a detector family (Keras 3 or PyTorch). What a port from one to
the other silently changes is not the framework itself but its defaults; each of them is a setting here, so
that ``explain`` can price it on its own and either implementation can run with either value:

=====================  ===================================  ===================================  ================
setting                Keras 3 (``keras``)                  PyTorch (``torch``)                  explain group
=====================  ===================================  ===================================  ================
model.init             Glorot-uniform kernels, zero biases  ``nn.Linear``/``nn.Conv2d`` default:  init
                                                            kaiming-uniform(a=sqrt 5) weights,
                                                            biases U(+-1/sqrt(fan_in))
model.batchnorm_       0.01 (Keras ``momentum=0.99``)       0.1 (``nn.BatchNorm1d`` default)     batchnorm
momentum
model.batchnorm_eps    1e-3                                 1e-5                                 batchnorm
model.batchnorm_       ``biased``: the batch's variance     ``unbiased``: n/(n-1) times it       batchnorm
variance               as normalised with
training.adam_beta1/2  0.9 / 0.999                          0.9 / 0.999                          optimizer
training.adam_eps      1e-7                                 1e-8                                 optimizer
training.adam_eps_on   ``v``: ``m / (sqrt(v) + eps)``,      ``v_hat``: eps added to              optimizer
                       bias correction in the step size     ``sqrt(v / (1 - beta2**t))``
training.weight_decay  0 (as torch ``Adam``: ``g += wd*w``)  0                                    optimizer
training.order         ``asdlens``: one permutation per     ``torch``: as ``DataLoader(shuffle=  order
                       epoch drawn from (seed, epoch)       True, generator=Generator(seed))``
training.loss_         ``mean`` over every value            ``mean`` (``MSELoss`` default)        loss
reduction
=====================  ===================================  ===================================  ================

**One convention for BatchNorm**: ``batchnorm_momentum`` is the weight of the *new* batch in the running
average, ``running = (1 - m) * running + m * batch`` (torch's ``momentum``); Keras's ``momentum`` argument is the
weight of the old value, so Keras 0.99 is 0.01 here. Both frameworks normalise a training batch with its biased
variance; they differ in what the running variance averages (Keras: that biased variance; torch: the unbiased
one).

**Null = the framework's default.** A setting left null takes the default of ``model.framework`` for the model
(:func:`resolve`); a configured value equal to that default is stored as null (:func:`canonical`), so a config
says only what differs from its framework and the cache key of every existing Keras experiment is unchanged.
``explain`` compares the resolved values, so a Keras-vs-torch ladder has one ``framework`` step (the
implementation alone, every default held equal) and one step per default that differs.

Models whose network asdlens does not build layer by layer (``mobilenetv2``: ``keras.applications``) take only
the training settings; their initialisation and BatchNorm are keras.applications' own (resolved as null).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

FRAMEWORKS = ("keras", "torch")

#: The implementations of each ``model.name``.
IMPLEMENTATIONS: dict[str, tuple[str, ...]] = {
    "dcase2020_autoencoder": ("keras", "torch"),
    "mimii_autoencoder": ("keras", "torch"),
    "margin_cnn": ("keras", "torch"),
    "mobilefacenet": ("keras",),
    "mobilenetv2": ("keras",),
    "beats": ("torch",),
}

INITS = ("keras", "torch")
BATCHNORM_VARIANCES = ("biased", "unbiased")
ORDERS = ("asdlens", "torch")
ADAM_EPS_ON = ("v", "v_hat")
LOSS_REDUCTIONS = ("mean", "sum")

MODEL_SETTINGS = ("init", "batchnorm_momentum", "batchnorm_eps", "batchnorm_variance")
TRAINING_SETTINGS = (
    "order",
    "adam_beta1",
    "adam_beta2",
    "adam_eps",
    "adam_eps_on",
    "weight_decay",
    "loss_reduction",
)
BATCHNORM_SETTINGS = ("batchnorm_momentum", "batchnorm_eps", "batchnorm_variance")

#: Each framework's defaults (see the module docstring).
DEFAULTS: dict[str, dict[str, Any]] = {
    "keras": {
        "init": "keras",
        "batchnorm_momentum": 0.01,
        "batchnorm_eps": 1e-3,
        "batchnorm_variance": "biased",
        "order": "asdlens",
        "adam_beta1": 0.9,
        "adam_beta2": 0.999,
        "adam_eps": 1e-7,
        "adam_eps_on": "v",
        "weight_decay": 0.0,
        "loss_reduction": "mean",
    },
    "torch": {
        "init": "torch",
        "batchnorm_momentum": 0.1,
        "batchnorm_eps": 1e-5,
        "batchnorm_variance": "unbiased",
        "order": "torch",
        "adam_beta1": 0.9,
        "adam_beta2": 0.999,
        "adam_eps": 1e-8,
        "adam_eps_on": "v_hat",
        "weight_decay": 0.0,
        "loss_reduction": "mean",
    },
}

#: The settings a model cannot take (resolved as null, must stay null): no BatchNorm in the MIMII autoencoder;
#: MobileNetV2's layers are keras.applications'.
NOT_SETTABLE: dict[str, tuple[str, ...]] = {
    "mimii_autoencoder": BATCHNORM_SETTINGS,
    "mobilenetv2": MODEL_SETTINGS,
    "beats": MODEL_SETTINGS + TRAINING_SETTINGS,
}
NOT_SETTABLE_WHY = {
    "beats": "a frozen encoder trains nothing",
    "mimii_autoencoder": "it has no BatchNorm",
    "mobilenetv2": "its layers are keras.applications.MobileNetV2's own",
}

#: ``explain`` groups of the framework settings, in ladder order (dotted keys).
SETTING_GROUPS: dict[str, tuple[str, ...]] = {
    "framework": ("model.framework",),
    "init": ("model.init",),
    "batchnorm": tuple(f"model.{k}" for k in BATCHNORM_SETTINGS),
    "optimizer": tuple(
        f"training.{k}" for k in ("adam_beta1", "adam_beta2", "adam_eps", "adam_eps_on", "weight_decay")
    ),
    "order": ("training.order",),
    "loss": ("training.loss_reduction",),
}


def check_framework(name: str, framework: str) -> None:
    """Raise ``ValueError`` naming ``model.framework`` when ``name`` has no implementation in ``framework``."""
    if framework not in FRAMEWORKS:
        raise ValueError(f"model.framework={framework!r} is not allowed; choose one of {list(FRAMEWORKS)}")
    have = IMPLEMENTATIONS.get(name, ("keras",))
    if framework not in have:
        raise ValueError(
            f"model.framework={framework!r}: model.name={name!r} is implemented in {list(have)} only"
        )


def defaults(name: str, framework: str) -> dict[str, Any]:
    """Every framework setting's default for model ``name`` in ``framework`` (null where the model takes none)."""
    out = dict(DEFAULTS[framework])
    for key in NOT_SETTABLE.get(name, ()):
        out[key] = None
    return out


def _settings(model: Mapping, training: Mapping) -> dict[str, Any]:
    return {**{k: model.get(k) for k in MODEL_SETTINGS}, **{k: training.get(k) for k in TRAINING_SETTINGS}}


def resolve(model: Mapping, training: Mapping) -> dict[str, Any]:
    """The framework settings of a ``model`` and ``training`` section (mappings) with null replaced by the
    default of ``model.framework`` for ``model.name`` (undotted keys: ``init``, ``adam_eps``, ...)."""
    base = defaults(model["name"], model.get("framework") or "keras")
    given = _settings(model, training)
    return {k: base[k] if given[k] is None else given[k] for k in base}


def canonical(model: Mapping, training: Mapping) -> dict[str, Any]:
    """The settings as a config stores them: null where the value is the framework's default.

    Raises
    ------
    ValueError
        Naming the dotted key of a setting the model cannot take (see :data:`NOT_SETTABLE`).
    """
    name = model["name"]
    base = defaults(name, model.get("framework") or "keras")
    out = {}
    for key, value in _settings(model, training).items():
        if value is not None and key in NOT_SETTABLE.get(name, ()):
            section = "model" if key in MODEL_SETTINGS else "training"
            raise ValueError(
                f"{section}.{key}={value!r} is not a setting of model.name={name!r} ({NOT_SETTABLE_WHY[name]}); "
                "leave it null"
            )
        out[key] = None if value == base[key] else value
    return out


def uses_torch(model: Mapping, training: Mapping) -> bool:
    """True when torch computes part of the fit: a torch network, or a Keras fit in torch's epoch order."""
    return (model.get("framework") or "keras") == "torch" or resolve(model, training)["order"] == "torch"


def fit_libraries(model: Mapping, training: Mapping) -> tuple[str, ...]:
    """The libraries whose versions can change a fit's weights (part of the model key).

    A Keras fit in its own order depends on Keras and TensorFlow (the model keys of every run before the torch
    framework existed); torch joins when it draws the epoch order; a torch fit depends on torch alone.
    """
    if (model.get("framework") or "keras") == "torch":
        return ("torch",)
    return ("keras", "tensorflow", "torch") if uses_torch(model, training) else ("keras", "tensorflow")


def fit_dependencies(model: Mapping, training: Mapping) -> dict[str, str]:
    """What a fit depends on besides its config and data: the versions of :func:`fit_libraries` (``"absent"``
    for one not installed) and, with ``model.checkpoint``, the SHA-256 of that file (its content, not its path).

    For a Keras fit in its own order this is ``{"keras": ..., "tensorflow": ...}``, what every model key held
    before the torch framework existed.
    """
    from ..runtime import versions

    out = versions(fit_libraries(model, training), missing="absent", python=False)
    if model.get("checkpoint"):
        out["checkpoint"] = checkpoint_digest(model["checkpoint"])
    if model.get("builder"):  # a user's network: its source's content, as a checkpoint's
        from ..user_code import source_digest

        try:
            out["builder"] = source_digest(model["builder"])
        except ValueError as exc:
            raise ValueError(f"model.builder: {exc}") from None
    return out


def checkpoint_digest(path) -> str:
    """SHA-256 of a checkpoint file; ``ValueError`` naming ``model.checkpoint`` when it cannot be read.

    Read in blocks and remembered per (path, size, mtime) in this process: a BEATs checkpoint is ~330 MB and
    every unit's model key and every embedding job's key asks for it."""
    import os
    from pathlib import Path

    try:
        resolved = Path(path).expanduser().absolute()
        st = os.stat(resolved)
        return _file_digest(str(resolved), st.st_size, st.st_mtime_ns)
    except OSError as exc:
        raise ValueError(f"model.checkpoint={str(path)!r}: cannot read it ({exc.strerror or exc})") from None


@functools.lru_cache(maxsize=16)
def _file_digest(path: str, size: int, mtime_ns: int) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class LayerSettings:
    """How a network's layers start and normalise (resolved ``model`` framework settings).

    ``batchnorm_momentum`` is the new batch's weight in the running averages (torch's convention).
    """

    init: str = "keras"
    batchnorm_momentum: float = 0.01
    batchnorm_eps: float = 1e-3
    batchnorm_variance: str = "biased"

    @classmethod
    def of(cls, resolved: Mapping) -> LayerSettings:
        """From :func:`resolve`'s output (a null BatchNorm setting, for a model without one, keeps the default)."""
        values = {k: resolved.get(k) for k in MODEL_SETTINGS}
        return cls(**{k: v for k, v in values.items() if v is not None})

    @property
    def is_keras(self) -> bool:
        """Keras's own defaults: the layers are built exactly as before these settings existed."""
        return self == LayerSettings()


@dataclass(frozen=True)
class OptimizerSettings:
    """Adam's settings of a fit (resolved ``training`` framework settings; ``learning_rate`` None = 0.001)."""

    learning_rate: float | None = None
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-7
    eps_on: str = "v"
    weight_decay: float = 0.0

    @classmethod
    def of(cls, resolved: Mapping, learning_rate: float | None) -> OptimizerSettings:
        return cls(learning_rate, resolved["adam_beta1"], resolved["adam_beta2"], resolved["adam_eps"],
                   resolved["adam_eps_on"], resolved["weight_decay"])  # fmt: skip

    @property
    def lr(self) -> float:
        """The learning rate (0.001, both frameworks' Adam default, when not set)."""
        return 0.001 if self.learning_rate is None else float(self.learning_rate)

    @property
    def is_keras(self) -> bool:
        return dataclasses.replace(self, learning_rate=None) == OptimizerSettings()


def detector_framework(settings: Mapping) -> dict[str, Any]:
    """The resolved framework settings of a detector's ``settings`` (``model`` and ``training`` sections)."""
    return resolve(settings["model"], settings["training"])
