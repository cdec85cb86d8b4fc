"""Scorers: estimators fitted on one machine ID's training embeddings, scoring new ones (``scoring.backend``
in an experiment config names the scorer; the field keeps its name for users' YAML and cache keys).

They are scikit-learn-shaped, validated on construction: unlike scikit-learn, whose ``__init__`` only stores
its arguments and checks them in ``fit``, a scorer's constructor checks its parameters (errors name the parameter
and the allowed values), so a bad config fails before any training. Otherwise they follow scikit-learn's
interface: ``fit(X)`` returns the estimator, fitted attributes end in ``_``, and ``score_samples(X)`` is higher
for *more normal* samples, as scikit-learn's density and novelty estimators (``GaussianMixture.score_samples``,
``LocalOutlierFactor.score_samples``). :meth:`Scorer.anomaly_score` is its negative, the anomaly score the
DCASE files hold.

- :class:`CosineCentre`: cosine distance to the ID's centre, the mean of its unit-length training embeddings;
- :class:`KNearestCosine`: mean cosine distance to the ``k`` nearest training embeddings (dcase-asd-toolkit's
  ``Knn`` with ``n_neighbors=k``; 1 is the field's usual choice);
- :class:`GaussianMixtureScorer`: ``sklearn.mixture.GaussianMixture`` log-likelihood (sub-cluster AdaCos and
  STgram-MFN score with a GMM per ID);
- :class:`MahalanobisScorer`: squared Mahalanobis distance to the training mean under a Ledoit-Wolf covariance
  (a shrunk estimate stays invertible when an ID has fewer clips than embedding dimensions);
- :class:`ClassConfidence`: the log-probability of the clip's own class, from a classifier's outputs.

Distances are in float64; ``X`` is ``[n_samples, n_features]``.
"""

from __future__ import annotations

import numpy as np

from .families import GMM_COVARIANCES


def _matrix(X, what: str, n_features: int | None = None) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"{what} must be a non-empty [n_samples, n_features] array; got shape {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{what} holds NaN or infinite values")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"{what} has {X.shape[1]} features; the back-end was fitted on {n_features}")
    return X


def unit_rows(X: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm (a zero row stays zero)."""
    X = np.asarray(X, dtype=np.float64)
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(norms > 0, norms, 1.0)


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name}={value!r} must be an integer >= 1")
    return int(value)


class Scorer:
    """Common interface: ``fit(X) -> self``, ``score_samples(X)`` (higher = more normal),
    ``anomaly_score(X) = -score_samples(X)``."""

    n_features_in_: int

    def fit(self, X) -> Scorer:
        raise NotImplementedError

    def score_samples(self, X) -> np.ndarray:
        raise NotImplementedError

    def anomaly_score(self, X) -> np.ndarray:
        """Anomaly scores ``[n_samples]`` (higher = more anomalous)."""
        return -self.score_samples(X)

    def _check_fitted(self) -> None:
        if not hasattr(self, "n_features_in_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted: call fit(X) first")

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"

    def get_params(self) -> dict:
        return {}


class CosineCentre(Scorer):
    """Cosine similarity to the centre minus one: ``cos(x, c) - 1`` (minus the cosine distance), where ``c`` is
    the mean of the unit-length training embeddings."""

    def fit(self, X) -> CosineCentre:
        X = _matrix(X, "X")
        self.centre_ = unit_rows(X).mean(axis=0)
        self.n_features_in_ = X.shape[1]
        return self

    def score_samples(self, X) -> np.ndarray:
        self._check_fitted()
        X = _matrix(X, "X", self.n_features_in_)
        centre = self.centre_ / max(float(np.linalg.norm(self.centre_)), 1e-300)
        return unit_rows(X) @ centre - 1.0


class KNearestCosine(Scorer):
    """Minus the mean cosine distance (``1 - cos``) to the ``k`` nearest training embeddings.

    Parameters
    ----------
    k : int
        Neighbours (>= 1; at most the number of training embeddings).
    """

    def __init__(self, k: int = 1):
        self.k = _positive_int("k", k)

    def get_params(self) -> dict:
        return {"k": self.k}

    def fit(self, X) -> KNearestCosine:
        X = _matrix(X, "X")
        if X.shape[0] < self.k:
            raise ValueError(f"k={self.k} neighbours but only {X.shape[0]} training embeddings")
        self.train_ = unit_rows(X)
        self.n_features_in_ = X.shape[1]
        return self

    def score_samples(self, X) -> np.ndarray:
        self._check_fitted()
        X = _matrix(X, "X", self.n_features_in_)
        distance = 1.0 - unit_rows(X) @ self.train_.T  # [n, n_train]
        nearest = np.partition(distance, self.k - 1, axis=1)[:, : self.k]
        return -nearest.mean(axis=1)


class GaussianMixtureScorer(Scorer):
    """Log-likelihood under ``sklearn.mixture.GaussianMixture`` fitted to the training embeddings.

    Parameters
    ----------
    n_components : int
    covariance_type : {"full", "diag", "tied", "spherical"}
    reg_covar : float
        Added to the covariances' diagonal (>= 0).
    random_state : int
        Seeds the k-means initialisation.
    """

    def __init__(self, n_components: int = 1, covariance_type: str = "full", reg_covar: float = 1e-3,
                 random_state: int = 0):  # fmt: skip
        self.n_components = _positive_int("n_components", n_components)
        if covariance_type not in GMM_COVARIANCES:
            raise ValueError(
                f"covariance_type={covariance_type!r} is not allowed; choose one of {list(GMM_COVARIANCES)}"
            )
        self.covariance_type = covariance_type
        if isinstance(reg_covar, bool) or not isinstance(reg_covar, int | float) or not reg_covar >= 0:
            raise ValueError(f"reg_covar={reg_covar!r} must be a number >= 0")
        self.reg_covar = float(reg_covar)
        self.random_state = int(random_state)

    def get_params(self) -> dict:
        return {"n_components": self.n_components, "covariance_type": self.covariance_type,
                "reg_covar": self.reg_covar, "random_state": self.random_state}  # fmt: skip

    def fit(self, X) -> GaussianMixtureScorer:
        from sklearn.mixture import GaussianMixture

        X = _matrix(X, "X")
        if X.shape[0] < self.n_components:
            raise ValueError(f"n_components={self.n_components} but only {X.shape[0]} training embeddings")
        self.mixture_ = GaussianMixture(
            n_components=self.n_components,
            covariance_type=self.covariance_type,
            reg_covar=self.reg_covar,
            random_state=self.random_state,
        ).fit(X)
        self.n_features_in_ = X.shape[1]
        return self

    def score_samples(self, X) -> np.ndarray:
        self._check_fitted()
        return self.mixture_.score_samples(_matrix(X, "X", self.n_features_in_))


class MahalanobisScorer(Scorer):
    """Minus the squared Mahalanobis distance to the training mean, under the Ledoit-Wolf covariance
    (``sklearn.covariance.LedoitWolf``)."""

    def fit(self, X) -> MahalanobisScorer:
        from sklearn.covariance import LedoitWolf

        X = _matrix(X, "X")
        if X.shape[0] < 2:
            raise ValueError(f"a covariance needs at least 2 training embeddings; got {X.shape[0]}")
        estimate = LedoitWolf().fit(X)
        self.location_ = estimate.location_
        self.precision_ = estimate.precision_
        self.n_features_in_ = X.shape[1]
        return self

    def score_samples(self, X) -> np.ndarray:
        self._check_fitted()
        delta = _matrix(X, "X", self.n_features_in_) - self.location_
        return -np.einsum("ij,jk,ik->i", delta, self.precision_, delta)


class ClassConfidence(Scorer):
    """The log-probability of class ``class_index`` (the clip's own ID) from ``[n_samples, n_classes]``
    log-probabilities; ``anomaly_score`` is ``-log p(ID)``. Nothing is learned: ``fit`` checks the shape.

    Parameters
    ----------
    class_index : int
    """

    def __init__(self, class_index: int):
        if isinstance(class_index, bool) or not isinstance(class_index, int | np.integer) or class_index < 0:
            raise ValueError(f"class_index={class_index!r} must be an integer >= 0")
        self.class_index = int(class_index)

    def get_params(self) -> dict:
        return {"class_index": self.class_index}

    def fit(self, X) -> ClassConfidence:
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] <= self.class_index:
            raise ValueError(
                f"class_index={self.class_index} is out of range for log-probabilities {X.shape}"
            )
        self.n_features_in_ = X.shape[1]
        return self

    def score_samples(self, X) -> np.ndarray:
        self._check_fitted()
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(f"log-probabilities of shape {X.shape}; expected [n, {self.n_features_in_}]")
        return X[:, self.class_index]


def embedding_scorer(scoring: dict, *, seed: int = 0) -> Scorer:
    """The back-end of a ``scoring`` section (a dict) that scores clip embeddings."""
    name = scoring["backend"]
    if name == "cosine":
        return CosineCentre()
    if name == "knn":
        return KNearestCosine(scoring["k"])
    if name == "gmm":
        return GaussianMixtureScorer(
            scoring["components"], scoring["covariance"], scoring["reg_covar"], random_state=seed
        )
    if name == "mahalanobis":
        return MahalanobisScorer()
    raise ValueError(f"scoring.backend={name!r} does not score embeddings")
