"""The ``model`` and ``scoring`` sections of an experiment config: the detector family with its parameters, and
the scoring back-end with its parameters (tables in :mod:`asdlens.models.families`)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from ..models.families import (
    DOMAIN_MEMORIES,
    ENCODER_SCORERS,
    FAMILY_DEFAULTS,
    FUSION_MEMBERS,
    GMM_COVARIANCES,
    LOSS_PARAMS,
    MARGIN_LOSSES,
    MODEL_FAMILY,
    MODEL_PARAMS,
    SCORERS,
    VARMIN_SPACES,
    resolved_params,
)
from ..models.frameworks import BATCHNORM_VARIANCES, FRAMEWORKS, INITS, check_framework
from .checks import choice, fail, integer, number

MODEL_UNITS = ("type", "id", "all")
AGGREGATES = (
    "mean",
    "median",
    "max",
)  # the same tuple as asdlens.evaluate.scores.AGGREGATES (checked in tests)
MODEL_NAMES = tuple(MODEL_FAMILY)
#: The same tuple as :data:`asdlens.models.encoders.clip_policy.MODES` (checked in tests; that module is torch's).
CLIP_MODES = ("whole", "fixed", "windows")
#: Where the official BEATs checkpoints are published (the missing-checkpoint error says it; nothing downloads).
BEATS_CHECKPOINTS = (
    "https://github.com/microsoft/unilm/tree/master/beats (its README, table 'Pre-Trained and Fine-Tuned Tokenizers and "
    "Models': BEATs_iter1, BEATs_iter2, BEATs_iter3, BEATs_iter3+ (AS20K) and BEATs_iter3+ (AS2M), pre-trained "
    "and fine-tuned)"
)


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
    framework : {"keras", "torch"}
        The implementation (:data:`asdlens.models.frameworks.IMPLEMENTATIONS`): Keras 3 or PyTorch.
    layer : int, "last" or None
        Frozen encoders (``beats``): the transformer layer whose output is embedded (1-based; ``last`` is what
        the official ``extract_features`` returns, with the final layer norm of a pre-LN model).
    clip : {"whole", "fixed", "windows"} or None
        Frozen encoders: how a clip reaches the encoder (:class:`asdlens.models.encoders.ClipPolicy`): in one
        pass, tiled/cut to ``clip_seconds`` (ASDKit), or in windows of ``clip_seconds``.
    clip_seconds : float or None
        The length of ``fixed`` / ``windows``.
    pooling : str or None
        Frozen encoders: the temporal pooling of the frame embeddings into one clip vector
        (:func:`asdlens.models.pooling.parse_pooling`: ``mean``, ``gem(p=3)``, ``rdp_gem(gamma=16,p=3)``,
        ``mean+max``, ...), stored in its canonical spelling.
    checkpoint : str or None
        ``beats``: the official BEATs checkpoint file (a dict of ``cfg`` and ``model``), required; its content
        (SHA-256) keys the embeddings. Other torch models: a state dict file (``torch.save(model.state_dict())``, the official DCASE 2023-2026 baseline's
        ``.pth``) loaded strictly before training; with ``training.epochs: 0`` the fit only scores with it.
        Its content (SHA-256) is part of the model's key.
    init, batchnorm_momentum, batchnorm_eps, batchnorm_variance : str, float or None
        Framework defaults as settings (:mod:`asdlens.models.frameworks`); null takes the framework's.
        ``batchnorm_momentum`` is the weight of the *new* batch in the running averages (torch's convention:
        Keras's ``momentum=0.99`` is 0.01).
    builder : str or None
        ``FILE.py:NAME`` or ``module:NAME`` of a function ``build(input_dim)`` returning the network the family
        trains instead of its own: a Keras model or a torch module of ``model.framework``
        (:mod:`asdlens.models.user_builder`; the autoencoder family). Its source file's SHA-256 is part of the
        model's key.
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
    layer: int | str | None = None
    clip: str | None = None
    clip_seconds: float | None = None
    pooling: str | None = None
    framework: str = "keras"
    checkpoint: str | None = None
    init: str | None = None
    batchnorm_momentum: float | None = None
    batchnorm_eps: float | None = None
    batchnorm_variance: str | None = None
    builder: str | None = None

    def __post_init__(self) -> None:
        choice("model.name", self.name, MODEL_NAMES)
        choice("model.framework", self.framework, FRAMEWORKS)
        try:
            check_framework(self.name, self.framework)
        except ValueError as exc:
            raise ValueError(str(exc)) from None
        self._check_framework_settings()
        choice("model.per", self.per, MODEL_UNITS)
        for key in ("width", "margin", "scale", "mixup"):
            object.__setattr__(self, key, number(getattr(self, key)))
        if self.hop is not None:
            integer("model.hop", self.hop, minimum=1)
        if self.embedding_dim is not None:
            integer("model.embedding_dim", self.embedding_dim, minimum=2)
        if self.subclusters is not None:
            integer("model.subclusters", self.subclusters, minimum=1)
        if self.loss is not None:
            choice("model.loss", self.loss, MARGIN_LOSSES)
        self._check_encoder_params()
        for key, low, high, closed in (("width", 0.0, None, False), ("scale", 0.0, None, False),
                                       ("margin", 0.0, 1.5, True), ("mixup", 0.0, 1.0, True)):  # fmt: skip
            value = getattr(self, key)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                fail(f"model.{key}", value, "must be a number or null")
            ok = (value >= low if closed else value > low) and (high is None or value <= high)
            if not ok:
                span = f"in [{low}, {high}]" if high is not None else f"> {low}"
                fail(f"model.{key}", value, f"must be a number {span} or null")
            object.__setattr__(self, key, float(value))
        family = MODEL_FAMILY[self.name]
        self._check_builder(family)
        own = FAMILY_DEFAULTS[family]
        for key in MODEL_PARAMS:
            if getattr(self, key) is not None and key not in own:
                fail(
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
                        fail(
                            f"model.{key}",
                            getattr(self, key),
                            f"is a {other} parameter; model.loss is {loss!r}",
                        )

    def _check_encoder_params(self) -> None:
        """The frozen-encoder parameters (values only; which family may set them is checked with the rest)."""
        if self.layer is not None and self.layer != "last":
            integer("model.layer", self.layer, minimum=1)
        if self.clip is not None:
            choice("model.clip", self.clip, CLIP_MODES)
        object.__setattr__(self, "clip_seconds", number(self.clip_seconds))
        seconds = self.clip_seconds
        if seconds is not None:
            if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not seconds > 0:
                fail("model.clip_seconds", seconds, "must be a positive number of seconds or null")
            object.__setattr__(self, "clip_seconds", float(seconds))
        if (self.clip or "whole") == "whole" and seconds is not None and MODEL_FAMILY[self.name] == "encoder":
            fail("model.clip_seconds", seconds, "is only used with model.clip fixed or windows")
        if self.clip in ("fixed", "windows") and seconds is None:
            fail("model.clip", self.clip, "needs model.clip_seconds (the length in seconds)")
        if MODEL_FAMILY[self.name] == "encoder":  # stored resolved: one setting, one spelling (keys, explain)
            for key in ("layer", "clip", "pooling"):
                if getattr(self, key) is None:
                    object.__setattr__(self, key, FAMILY_DEFAULTS["encoder"][key])
        if self.pooling is not None:
            from ..models.pooling import parse_pooling

            object.__setattr__(self, "pooling", str(parse_pooling(self.pooling, key="model.pooling")))
        if MODEL_FAMILY[self.name] == "encoder" and self.checkpoint is None:
            fail(
                "model.checkpoint",
                None,
                f"is required for model.name={self.name!r} (a frozen pretrained encoder; asdlens never "
                "downloads weights): give the official checkpoint file you have on disk, e.g. --set "
                f"model.checkpoint=/path/to/BEATs_iter3.pt; the official BEATs checkpoints are "
                f"published at {BEATS_CHECKPOINTS}",
            )

    def _check_builder(self, family: str) -> None:
        """``model.builder``: a ``FILE.py:NAME`` or ``module:NAME`` target, for a family that takes one."""
        from ..models.user_builder import BUILDER_FAMILIES
        from ..user_code import split_target

        if self.builder is None:
            return
        try:
            split_target(self.builder)
        except ValueError:
            fail("model.builder", self.builder, "must look like FILE.py:NAME or module:NAME")
        if family not in BUILDER_FAMILIES:
            fail("model.builder", self.builder, f"replaces the network of the {list(BUILDER_FAMILIES)} "
                 f"family; model.name={self.name!r} is a {family} model")  # fmt: skip

    def _check_framework_settings(self) -> None:
        if self.checkpoint is not None:
            if not isinstance(self.checkpoint, str) or not self.checkpoint.strip():
                fail("model.checkpoint", self.checkpoint, "must be a path to a checkpoint file or null")
            if self.framework != "torch":
                fail(
                    "model.checkpoint",
                    self.checkpoint,
                    "is a torch state dict: it needs model.framework: torch",
                )
        for key, allowed in (("init", INITS), ("batchnorm_variance", BATCHNORM_VARIANCES)):
            if getattr(self, key) is not None:
                choice(f"model.{key}", getattr(self, key), allowed)
        for key, high in (("batchnorm_momentum", 1.0), ("batchnorm_eps", None)):
            object.__setattr__(self, key, positive(f"model.{key}", getattr(self, key), high=high))

    def params(self) -> dict[str, Any]:
        """The family's parameters with null replaced by the family default."""
        return resolved_params(dataclasses.asdict(self))


@dataclass(frozen=True)
class ScoringConfig:
    """How a trained model's outputs become a clip's anomaly score: the back-end and its parameters.

    Changing this section reuses the trained model (the model's cache key does not cover it), which is how
    ``explain`` prices a back-end on its own.

    Attributes
    ----------
    backend : {"default", "mahalanobis", "cosine", "knn", "gmm", "confidence"}
        The scorer (:mod:`asdlens.models.scorers`; the field keeps the name ``backend`` so that users' YAML
        files and cached models stay valid). ``default``: the family's own score (autoencoders: the windows' mean squared reconstruction error;
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
    density_k : int
        ``ldn`` / ``varmin``: ``K``, the neighbours of each memory entry averaged into its local scale (1: the
        DCASE 2025 training-free state of the art).
    density_r : float or None
        ``ldn``: the GWRP decay in [0, 1] of the local scale instead of ``K`` (MERL's GWRP variant).
    space : {"linear", "log"}
        ``varmin``: rescale distances (Matsumoto et al.) or their logs (Wilkinghoff, Yadav, Tan).
    n_components : int or float
        ``pca``: principal components kept, or the explained-variance fraction in (0, 1) that picks them.
    fusion : str
        ``zmin``: the back-ends fused, joined by ``+`` (each with this section's parameters).
    domains : {"joint", "separate"}
        Frozen encoders: one memory of the ID's source and target training clips, or one per domain (the
        smaller anomaly score wins; :class:`asdlens.models.domains.SeparateDomains`).

    ``ldn``, ``varmin``, ``pca`` and ``zmin`` (:mod:`asdlens.models.density_knn`, :mod:`asdlens.models.pca_residual`,
    :mod:`asdlens.models.fusion`) score the pooled embeddings of a frozen encoder (``model.name: beats``).
    """

    aggregate: str = "mean"
    backend: str = "default"
    k: int = 1
    components: int = 1
    covariance: str = "full"
    reg_covar: float = 1e-3
    density_k: int = 1
    density_r: float | None = None
    space: str = "linear"
    n_components: int | float = 0.9
    fusion: str = "knn+mahalanobis+ldn+pca"
    domains: str = "joint"

    def __post_init__(self) -> None:
        choice("scoring.aggregate", self.aggregate, AGGREGATES)
        choice("scoring.backend", self.backend, SCORERS)
        integer("scoring.k", self.k, minimum=1)
        integer("scoring.components", self.components, minimum=1)
        choice("scoring.covariance", self.covariance, GMM_COVARIANCES)
        object.__setattr__(self, "reg_covar", number(self.reg_covar))
        value = self.reg_covar
        if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
            fail("scoring.reg_covar", value, "must be a number >= 0")
        object.__setattr__(self, "reg_covar", float(value))
        self._check_training_free()

    def _check_training_free(self) -> None:
        integer("scoring.density_k", self.density_k, minimum=1)
        r = number(self.density_r)
        if r is not None and (isinstance(r, bool) or not isinstance(r, int | float) or not 0 <= r <= 1):
            fail("scoring.density_r", r, "must be a number in [0, 1] (GWRP's decay) or null (density_k)")
        object.__setattr__(self, "density_r", None if r is None else float(r))
        choice("scoring.space", self.space, VARMIN_SPACES)
        q = number(self.n_components)
        whole = isinstance(q, int) and not isinstance(q, bool) and q >= 1
        if not whole and (isinstance(q, bool) or not isinstance(q, float) or not 0 < q < 1):
            fail("scoring.n_components", q, "must be an integer >= 1 or a fraction in (0, 1)")
        object.__setattr__(self, "n_components", q)
        members = [m.strip() for m in str(self.fusion).split("+")] if isinstance(self.fusion, str) else []
        bad = [m for m in members if m not in FUSION_MEMBERS]
        if len(members) < 2 or bad or len(set(members)) != len(members):
            fail("scoring.fusion", self.fusion, f"must join two or more different back-ends of "
                 f"{list(FUSION_MEMBERS)} with '+' (e.g. knn+mahalanobis+ldn+pca)")  # fmt: skip
        object.__setattr__(self, "fusion", "+".join(members))
        choice("scoring.domains", self.domains, DOMAIN_MEMORIES)


def positive(key: str, value: Any, *, high: float | None = None, zero: bool = False) -> float | None:
    """None, or ``value`` as a float in ``(0, high]`` (``[0, high]`` with ``zero``); ``ValueError`` naming ``key``."""
    value = number(value)
    if value is None:
        return None
    span = f"in [0, {high}]" if zero and high else f"in (0, {high}]" if high else ">= 0" if zero else "> 0"
    if isinstance(value, bool) or not isinstance(value, int | float):
        fail(key, value, f"must be a number {span} or null")
    if not ((value >= 0 if zero else value > 0) and (high is None or value <= high)):
        fail(key, value, f"must be a number {span} or null")
    return float(value)


def check_model_and_scoring(model: ModelConfig, scoring: ScoringConfig) -> None:
    """The combinations of family, unit and back-end that cannot work, named before anything runs."""
    family = MODEL_FAMILY[model.name]
    if scoring.backend == "confidence" and family == "autoencoder":
        fail(
            "scoring.backend",
            scoring.backend,
            f"needs a model with classes; model.name={model.name!r} is an autoencoder (use default, "
            "mahalanobis, cosine, knn or gmm)",
        )
    encoder_only = scoring.backend in ENCODER_SCORERS or scoring.domains != "joint"
    if encoder_only and family != "encoder":
        key, value = ("scoring.backend", scoring.backend) if scoring.backend in ENCODER_SCORERS else (
            "scoring.domains", scoring.domains)  # fmt: skip
        fail(key, value, f"scores the pooled embeddings of a frozen encoder (model.name: beats); "
             f"model.name={model.name!r} takes default, mahalanobis, cosine, knn or gmm")  # fmt: skip
    if family == "encoder" and scoring.backend == "confidence":
        fail("scoring.backend", scoring.backend, f"needs a model with classes; model.name={model.name!r} is a "
             "frozen encoder (use default, knn, cosine, gmm, mahalanobis, ldn, varmin, pca or zmin)")  # fmt: skip
    if model.per == "id" and family != "autoencoder":
        fail(
            "model.per",
            model.per,
            f"gives each {model.name} one class to tell apart; use type or all",
        )
