"""Label-free z-min fusion of several back-ends.

Zhou and Wang, "Scoring backends matter more than pooling: a systematic study of training-free anomalous sound
detection under domain shift", arXiv 2606.19269 (2026), abstract: "a label-free score fusion that z-normalizes
each backend with its training-bank self-scores and takes the minimum" (63.3 % harmonic-mean target AUC on
DCASE 2023 dev, against 64.4 % for the per-machine oracle choice of back-end). Only the abstract is readable
here; the details below are a **plausible reading**:

    z_b(x) = (a_b(x) - m_b) / s_b,    a(x) = min_b z_b(x)

with ``a_b`` back-end ``b``'s anomaly score and ``m_b``, ``s_b`` the mean and (population) standard deviation of
its *self-scores*: the anomaly scores of the training bank itself, each clip scored leave-one-out where the
back-end is a memory (a memory scores its own entries 0, which says nothing about the spread), and in-sample
where it is a fitted model (Mahalanobis, PCA, GMM, the cosine centre). :func:`self_scores` is the one place
that decides which. The minimum makes a clip as normal as the back-end that finds it most normal.

Because each ``z_b`` is standardised on that back-end's own training scores, the fusion does not change when a
back-end's scores are replaced by ``c a_b + e`` (``c > 0``): only the back-ends' rankings and spreads matter.

Source and target: the members see the same training clips; a member wrapped in
:class:`asdlens.models.domains.SeparateDomains` gets their domains. The statistics are per fitted unit (section).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .domains import clone, fit_backend, self_scores
from .scorers import Scorer, _matrix


class ZMinFusion(Scorer):
    """The minimum over back-ends of their anomaly scores, each standardised on its training self-scores.

    Parameters
    ----------
    backends : sequence of Scorer
        Two or more unfitted back-ends (copied at fit; they all receive the same ``X``).

    Attributes
    ----------
    estimators_ : list of Scorer
        The fitted copies.
    location_, scale_ : ndarray ``[n_backends]``
        Mean and standard deviation of each back-end's self-scores.
    """

    uses_domains = True

    def __init__(self, backends: Sequence[Scorer]):
        if isinstance(backends, Scorer) or not isinstance(backends, Sequence) or len(backends) < 2:
            raise ValueError(f"backends={backends!r} must be a sequence of two or more back-ends")
        bad = [b for b in backends if not isinstance(b, Scorer)]
        if bad:
            raise ValueError(f"backends: {bad[0]!r} is not a Scorer (fit / score_samples)")
        self.backends = list(backends)

    def get_params(self) -> dict:
        return {"backends": self.backends}

    def fit(self, X, domains: Sequence[str | None] | None = None) -> ZMinFusion:
        """Fit every back-end on ``X`` (``domains`` go to the domain-aware ones) and standardise on their
        self-scores."""
        self.__dict__.pop("n_features_in_", None)
        self.estimators_ = [fit_backend(clone(b), X, domains) for b in self.backends]
        scores = np.stack([self_scores(est, X) for est in self.estimators_], axis=1)  # [n, n_backends]
        self.location_ = scores.mean(axis=0)
        self.scale_ = scores.std(axis=0)
        for est, loc, scale in zip(self.estimators_, self.location_, self.scale_, strict=True):
            if not (np.isfinite(loc) and np.isfinite(scale) and scale > 0):
                raise ValueError(
                    f"the self-scores of {est!r} have mean {loc:g} and standard deviation {scale:g}; a z-score "
                    "needs a finite, non-zero spread (more training clips, or another back-end)"
                )
        self._train_z = (scores - self.location_) / self.scale_
        self.n_features_in_ = self.estimators_[0].n_features_in_
        return self

    def z_scores(self, X) -> np.ndarray:
        """``[n_samples, n_backends]`` standardised anomaly scores (before the minimum)."""
        self._check_fitted()
        X = np.asarray(X, dtype=np.float64)
        if X.ndim == 2:
            _matrix(X, "X", X.shape[1])  # finite, non-empty; each back-end checks its own shape
        raw = np.stack([est.anomaly_score(X) for est in self.estimators_], axis=1)
        return (raw - self.location_) / self.scale_

    def score_samples(self, X) -> np.ndarray:
        return -self.z_scores(X).min(axis=1)

    def training_anomaly_scores(self) -> np.ndarray:
        """The fused self-scores of the training clips."""
        self._check_fitted()
        return self._train_z.min(axis=1)
