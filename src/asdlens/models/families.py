"""Which detector family each model name belongs to, the parameters each family takes, and the scoring
back-ends: plain tables the experiment config validates against (nothing here imports Keras).

A model parameter left ``null`` in a config takes its family's default (:data:`FAMILY_DEFAULTS`), so switching
``model.name`` with ``--set`` picks up the new family's published settings; a parameter the family does not have
must stay ``null``. Back-end parameters always have a value and a back-end ignores the others' (one trained
model is usually scored with several back-ends in turn).
"""

from __future__ import annotations

#: Detector family of each ``model.name``.
MODEL_FAMILY: dict[str, str] = {
    "dcase2020_autoencoder": "autoencoder",
    "mimii_autoencoder": "autoencoder",
    "mobilenetv2": "classifier",
    "margin_cnn": "margin",
    "mobilefacenet": "margin",
    "beats": "encoder",
}

#: The families that take a two-channel run's two feature planes (``channels.policy: both``): as one log-mel
#: of ``2 * n_mels`` bands, the near channel's bands then the far channel's. A vector model (the autoencoders)
#: sees every band alike; the CNN families would convolve across the seam between the planes, so they are left
#: to one plane.
TWO_PLANE_FAMILIES = ("autoencoder",)

#: Per family, its parameters (``model.<name>``) and the value ``null`` stands for.
FAMILY_DEFAULTS: dict[str, dict[str, object]] = {
    # n_hop_frames 1: every window of ``frames`` frames (both baselines)
    "autoencoder": {"hop": 1},
    # DCASE 2021/2022 MobileNetV2 baseline: n_hop_frames 8, alpha 0.5 (baseline.yaml, keras_model.py)
    "classifier": {"hop": 8, "width": 0.5},
    "margin": {
        "hop": 16,
        "width": 1.0,
        "embedding_dim": 128,
        "loss": "arcface",
        "margin": 0.5,
        "scale": 30.0,
        "subclusters": 1,
        "mixup": 0.0,
    },
    # a frozen pretrained encoder (:mod:`asdlens.models.encoder_family`): which layer, how the clip reaches
    # it (:class:`asdlens.models.encoders.ClipPolicy`), how its frames are pooled (:mod:`asdlens.models.pooling`)
    "encoder": {"layer": "last", "clip": "whole", "clip_seconds": None, "pooling": "mean"},
}

#: Parameters that only some losses of the margin family use.
LOSS_PARAMS: dict[str, tuple[str, ...]] = {"arcface": ("margin", "scale"), "adacos": ("subclusters",)}
MARGIN_LOSSES = tuple(LOSS_PARAMS)

#: Every ``model`` parameter besides ``name`` and ``per``.
MODEL_PARAMS = ("hop", "width", "embedding_dim", "loss", "margin", "scale", "subclusters", "mixup",
                "layer", "clip", "clip_seconds", "pooling")  # fmt: skip
#: The model parameters that change a frozen encoder's frame embeddings (the others change only the fit).
ENCODER_INPUT_PARAMS = ("layer", "clip", "clip_seconds")

#: Scorers (``scoring.backend``: the config field keeps its name for users' YAML and cache keys; it names the
#: scorer, :mod:`asdlens.models.scorers`).
SCORERS = ("default", "mahalanobis", "cosine", "knn", "gmm", "confidence", "ldn", "varmin", "pca", "zmin")
#: Scorers that score a clip's embedding (the others score its windows).
EMBEDDING_SCORERS = ("cosine", "knn", "gmm")
#: The training-free back-ends of the frozen-encoder family (:func:`asdlens.models.encoder_family.encoder_scorer`):
#: local-density normalised kNN, variance-minimised kNN, PCA residual and z-min fusion.
ENCODER_SCORERS = ("ldn", "varmin", "pca", "zmin")
#: Members ``scoring.fusion`` may join with ``+`` (every embedding scorer but the fusion itself).
FUSION_MEMBERS = ("cosine", "knn", "gmm", "mahalanobis", "ldn", "varmin", "pca")
#: ``scoring.domains``: one memory of both domains, or one per domain (:class:`asdlens.models.domains.SeparateDomains`).
DOMAIN_MEMORIES = ("joint", "separate")
VARMIN_SPACES = ("linear", "log")
GMM_COVARIANCES = ("full", "diag", "tied", "spherical")

#: What ``scoring.backend: default`` is for each family.
DEFAULT_SCORE = {
    "autoencoder": "mean squared reconstruction error of each window, aggregated over the clip",
    "classifier": "log(1 - p) - log(p) of the clip's ID per window (DCASE 2022 baseline), aggregated",
    "margin": "class confidence -log p(clip's ID) per window, aggregated",
    "encoder": "mean cosine distance of the pooled clip embedding to its ID's k nearest training embeddings (knn)",
}


def model_family(name: str) -> str:
    """The family of ``model.name`` (raises ``ValueError`` listing the known names)."""
    if name not in MODEL_FAMILY:
        raise ValueError(f"model.name={name!r} is not allowed; choose one of {sorted(MODEL_FAMILY)}")
    return MODEL_FAMILY[name]


def scores_embeddings(name: str, backend: str) -> bool:
    """Whether ``model.name`` with ``scoring.backend`` scores clip embeddings with a back-end fitted on the
    training clips' (a frozen encoder always; a trained family with an embedding back-end), rather than a
    network's own output (an autoencoder's reconstruction error, a classifier's confidence)."""
    family = model_family(name)
    return (
        family == "encoder"
        or backend in EMBEDDING_SCORERS
        or (backend == "mahalanobis" and family != "autoencoder")
    )


def resolved_params(model: dict) -> dict:
    """The family parameters of a ``model`` section (a dict) with ``null`` replaced by the family default."""
    family = model_family(model["name"])
    out = {}
    for key, default in FAMILY_DEFAULTS[family].items():
        value = model.get(key)
        out[key] = default if value is None else value
    if family == "margin":  # the other loss's parameters are not used
        for loss, keys in LOSS_PARAMS.items():
            if loss != out["loss"]:
                for key in keys:
                    out.pop(key)
    return out
