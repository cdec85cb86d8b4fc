"""Detector families that can be exported: how a network's output on a clip's vectors becomes per-vector scores.

A family plugs into :mod:`asdlens.deploy` by providing its Keras scoring graph: the trained Keras model (whose
weights become constants of the exported graph) and a :class:`Family` whose ``vector_scores`` turns the
network's output into one score per vector in TensorFlow ops that LiteRT and ONNX have as builtins. The clip
score (the run's ``scoring.aggregate`` over the vectors) and the frontend are the exporter's.

Only a family's own score (``scoring.backend: default``) is exported; every other back-end is refused with its
reason (:data:`NOT_EXPORTABLE`), so an artifact never computes another score than the run it came from: the
embedding back-ends are scikit-learn estimators over stored training embeddings, and the autoencoder's
Mahalanobis score is a clip-level quadratic form with per-domain covariances that the exporter's
per-vector-then-aggregate graph does not have. The classifier families (MobileNetV2, the margin-loss models)
score a clip by the probability of *its* machine ID or section, which an artifact taking audio alone does not
know; they have no export family yet.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Family:
    """How an exported network's output becomes per-vector anomaly scores.

    Attributes
    ----------
    name : str
        Recorded in the artifact's sidecar.
    description : str
        One line for the docs and the report.
    vector_scores : callable
        ``vector_scores(vectors, outputs) -> scores``: ``vectors`` ``[V, D]`` float32 (the network's input),
        ``outputs`` the network's output on them, ``scores`` ``[V]`` float32, higher is more anomalous.
    """

    name: str
    description: str
    vector_scores: Callable[[Any, Any], Any]


def _reconstruction_mse(vectors, outputs):
    import tensorflow as tf

    # The baselines' per-vector error: mean over the vector's values of the squared reconstruction error.
    return tf.reduce_mean(tf.square(vectors - outputs), axis=1)


RECONSTRUCTION_MSE = Family(
    "reconstruction_mse",
    "autoencoder: per-vector mean squared reconstruction error",
    _reconstruction_mse,
)

#: Families by the model name an experiment config uses (``model.name``).
FAMILIES: dict[str, Family] = {
    "dcase2020_autoencoder": RECONSTRUCTION_MSE,
    "mimii_autoencoder": RECONSTRUCTION_MSE,
}

#: Scoring back-ends that cannot be exported, and why (for messages and the docs).
NOT_EXPORTABLE = {
    "knn": "kNN scores an embedding by searching stored training embeddings (scikit-learn), not a network output",
    "gmm": "a GMM scores an embedding by a mixture's log-likelihood (scikit-learn), not a network output",
    "cosine": "the cosine back-end scores an embedding against its ID's stored training centre, not a network output",
    "mahalanobis": "the Mahalanobis score is a clip-level quadratic form of the mean residual with per-domain "
    "covariances, not a per-vector score the exported graph aggregates; export would score the MSE instead",
    "confidence": "the class confidence needs the clip's machine ID or section, which the artifact's input "
    "(audio alone) does not carry",
}


def register_family(model_name: str, family: Family) -> None:
    """Make models called ``model_name`` exportable with ``family`` (a detector family calls this)."""
    FAMILIES[model_name] = family


def family_for(model_name: str, backend: str | None = None) -> Family:
    """The family of a run's model.

    Raises
    ------
    ValueError
        For a scoring back-end that is not a network output, or a model no family is registered for.
    """
    if backend is not None and backend != "default":
        why = NOT_EXPORTABLE.get(backend, "only a family's own score (scoring.backend: default) is exported")
        raise ValueError(f"scoring.backend={backend!r} cannot be exported: {why}")
    if model_name not in FAMILIES:
        raise ValueError(
            f"model {model_name!r} has no export family; exportable models: {sorted(FAMILIES)} "
            "(a family registers with asdlens.deploy.families.register_family)"
        )
    return FAMILIES[model_name]
