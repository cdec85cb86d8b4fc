"""Source and target memories (DCASE 2022+: 990 source and 10 target training clips per section).

The training-free papers differ in how the 10 target clips enter the memory:

- **joint** (one memory of all 1,000 clips; the default of every back-end here): MERL's local-density
  normalisation (merlresearch/anomaly-score-normalization ``utils.py`` ``get_scores`` at b9998bd: the reference set
  of a machine ID holds both domains, its densities computed over it; its optional ``source_K_means`` replaces
  the source clips by 16 k-means centres, not done here), dcase-asd-toolkit's ``KnnRescale`` (ed27d82), BEAM and
  VarMin as kasahart/dcase-asd-toolkit reproduces them ("Source and target normal samples share one memory"),
  and the pooling paper (arXiv 2603.04605 Sec. IV-C: "all available training samples are used as reference
  samples").
- **separate** (a memory per domain, the smaller anomaly score wins): dcase-asd-toolkit's ``Knn`` with
  ``n_neighbors_so`` / ``n_neighbors_ta`` (``asdkit/backends/knn.py`` at ed27d82: ``np.minimum(scores_so,
  scores_ta)``), and the DCASE 2023-2025 baseline's selective Mahalanobis (:mod:`asdlens.models.mahalanobis`).
  :class:`SeparateDomains` gives any back-end this protocol; a normalisation inside the back-end (LDN scales,
  VarMin's alpha, PCA subspaces) is then computed per domain.

Normalisation scope: a back-end is fitted on one unit's training clips (one section = machine ID), so its
scales, alphas and fusion statistics are per section; with :class:`SeparateDomains`, per section and domain.
MERL's optional "domain-wise standardization" uses the *test* clips' domain labels and statistics, which the pooling
paper calls a protocol violation (Table V footnote); it is not provided.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .mahalanobis import DOMAINS, _domain_names
from .scorers import KNearestCosine, Scorer


def clone(backend: Scorer) -> Scorer:
    """An unfitted copy with the same parameters (``type(backend)(**backend.get_params())``)."""
    return type(backend)(**backend.get_params())


def uses_domains(backend) -> bool:
    """Whether ``backend.fit`` takes the training clips' domains."""
    return bool(getattr(backend, "uses_domains", False))


def fit_backend(backend: Scorer, X, domains: Sequence[str | None] | None = None) -> Scorer:
    """``backend.fit(X, domains)`` for the domain-aware estimators, ``backend.fit(X)`` for the rest (which keep
    one memory of every domain)."""
    return backend.fit(X, domains) if uses_domains(backend) else backend.fit(X)


def self_scores(backend: Scorer, X) -> np.ndarray:
    """The training-bank self-scores of a fitted ``backend`` (fitted on ``X``): its own
    ``training_anomaly_scores()`` when it has one (the memories here: leave-one-out), leave-one-out for
    :class:`~asdlens.models.scorers.KNearestCosine`, else the in-sample ``anomaly_score(X)``."""
    if hasattr(backend, "training_anomaly_scores"):
        return np.asarray(backend.training_anomaly_scores(), dtype=np.float64)
    if isinstance(backend, KNearestCosine):
        train = backend.train_
        if len(train) <= backend.k:
            raise ValueError(f"leave-one-out scores of KNearestCosine(k={backend.k}) need more than {backend.k} "
                             f"training embeddings; got {len(train)}")  # fmt: skip
        distance = 1.0 - train @ train.T
        np.fill_diagonal(distance, np.inf)
        return np.partition(distance, backend.k - 1, axis=1)[:, : backend.k].mean(axis=1)
    return np.asarray(backend.anomaly_score(X), dtype=np.float64)


def training_clip_scores(reference, backend_for, vectors: np.ndarray, keys: Sequence[str]) -> np.ndarray:
    """Anomaly scores of a unit's own training clips, each left out of its back-end's memory.

    A memory back-end (k-NN and what builds on it) scores a clip that is in its memory at about 0, so the
    decision threshold fitted to the training clips' scores would be about 0 and almost every test clip decided
    anomalous. Each clip's vector is found among the kept training vectors of its class (``reference.of(key)``,
    equal to within float noise: both come from the same clip) and scored by :func:`self_scores` (leave-one-out
    for the memories, in-sample for the fitted models); a vector not in the memory is scored plainly.

    Parameters
    ----------
    reference : asdlens.models.base.TrainingEmbeddings
    backend_for : callable
        ``backend_for(key) -> Scorer`` fitted on ``reference.of(key)``.
    vectors : numpy.ndarray
        ``[n_clips, d]`` the clips' vectors (embeddings or pooled embeddings).
    keys : sequence of str
        Each clip's class (machine ID or section).
    """
    memories: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # key -> (its training vectors, their LOO scores)
    out = np.empty(len(vectors))
    for i, (v, key) in enumerate(zip(vectors, keys, strict=True)):
        if key not in memories:
            memory = reference.of(key)
            memories[key] = (memory, self_scores(backend_for(key), memory))
        memory, loo = memories[key]
        distance = np.sum((memory - v) ** 2, axis=1)
        j = int(np.argmin(distance))
        if distance[j] <= 1e-9 * (1.0 + float(v @ v)):
            out[i] = loo[j]
        else:
            out[i] = float(backend_for(key).anomaly_score(v[None])[0])
    return out


class SeparateDomains(Scorer):
    """One copy of ``backend`` per domain present in the training clips; a clip is as normal as the domain it
    fits best (``score_samples`` = the largest of the domains' ``score_samples``).

    Parameters
    ----------
    backend : Scorer
        The unfitted template (copied per domain with its parameters).

    Attributes
    ----------
    estimators_ : dict
        ``{"source": fitted, "target": fitted}`` (the domains with training clips).
    """

    uses_domains = True

    def __init__(self, backend: Scorer):
        if not isinstance(backend, Scorer) or uses_domains(backend):
            raise ValueError(f"backend={backend!r} must be a single-memory Scorer (not already domain-aware)")
        self.backend = backend

    def get_params(self) -> dict:
        return {"backend": self.backend}

    def fit(self, X, domains: Sequence[str | None] | None = None) -> SeparateDomains:
        """Fit one copy per domain. ``domains``: each training clip's ``"source"`` / ``"target"`` (None, or a
        None entry, counts as source, as the baseline's file-name test does)."""
        self.__dict__.pop("n_features_in_", None)
        X = np.asarray(X, dtype=np.float64)
        labels = _domain_names([None] * len(X) if domains is None else list(domains), len(X))
        self.estimators_ = {
            d: clone(self.backend).fit(X[labels == d]) for d in DOMAINS if np.any(labels == d)
        }
        self._labels, self._X = labels, X
        self.n_features_in_ = next(iter(self.estimators_.values())).n_features_in_
        return self

    def score_samples(self, X) -> np.ndarray:
        self._check_fitted()
        return np.max([est.score_samples(X) for est in self.estimators_.values()], axis=0)

    def training_anomaly_scores(self) -> np.ndarray:
        """Each training clip's anomaly score: leave-one-out in its own domain's memory (as that back-end
        defines it, see :func:`self_scores`), plain against the other domain's; the
        smaller."""
        self._check_fitted()
        X = self._X
        out = np.full(len(X), np.inf)
        for d, est in self.estimators_.items():
            own = self._labels == d
            out[own] = np.minimum(out[own], self_scores(est, X[own]))
            if np.any(~own):
                out[~own] = np.minimum(out[~own], est.anomaly_score(X[~own]))
        return out
