"""BEAM: a memory per frequency sub-band, each band matched to its own nearest neighbour, scores averaged.

Saengthong and Shinozaki, "Sub-band spectral matching with localized score aggregation for robust anomalous
sound detection", arXiv 2603.13749 (2026): "stores temporally pooled sub-band vectors in a memory bank, retrieves
neighbors per sub-band, and uniformly aggregates scores" (abstract). The band-level definition used here is the
one kasahart/dcase-asd-toolkit states as paper-defined (``docs/methods/beam_rdp_varmin.md`` at b4dec0c,
``asdkit/backends/beam.py`` at 615ee70)::

    s_f(x) = min_i D(x_f, y_i,f)          D = 1 - cos (theirs: 0.5 (1 - cos); rankings are the same)
    a(x)   = (1 / F) sum_f s_f(x)

so each band may pick a different memory clip. With ``varmin=True`` each band is rescaled before the mean as in
that reproduction (its stated assumptions: one ``alpha_f`` per band, leave-one-out calibration over all training
clips): ``s_f(x) = min_i [D(x_f, y_i,f) - alpha_f b_i,f]`` with ``b_i,f`` the mean distance from ``y_i,f`` to its
``K`` nearest other entries of band ``f`` (see :mod:`asdlens.models.density_knn`).

Input: band-level clip embeddings, each band pooled over time on its own (e.g. BEATs' 8 frequency patches of
768 values, :func:`asdlens.models.pooling.pool` with ``axis=0`` on ``[n_frames, 8, 768]``). Either
``[n_clips, n_bands, d]`` or the flattened ``[n_clips, n_bands * d]`` band-major layout (band 0's ``d`` values,
then band 1's, ...; MERL's 6144-value BEATs embeddings have this layout) with ``n_bands`` given. A band whose
vector is all zero has cosine 0 to everything (distance 1).

Source and target: one memory of all the unit's training clips, domains unused (the kasahart reproduction,
"Source and target normal samples share one memory"). The paper's parameter-free adaptive mean/max fusion
(AdaBEAM) is not defined in any source readable here and is not implemented.
"""

from __future__ import annotations

import numpy as np

from .density_knn import local_scales, pairwise_distances, variance_minimising_alpha, without_self
from .scorers import Scorer, _positive_int


class BEAM(Scorer):
    """Per-band nearest-neighbour cosine distance, averaged uniformly over the bands.

    Parameters
    ----------
    n_bands : int or None
        Bands of a flattened ``[n, n_bands * d]`` input; None when the input is ``[n, n_bands, d]``.
    varmin : bool
        Rescale each band by variance minimisation before the mean.
    density_k : int
        ``K`` of the local scales (only with ``varmin``; the reproduction's default 4).

    Attributes
    ----------
    memory_ : ndarray ``[n, n_bands, d]``
        The unit-length training band vectors.
    scales_ : ndarray ``[n, n_bands]`` and alpha_ : ndarray ``[n_bands]``
        Zero without ``varmin``.
    n_bands_ : int
    """

    def __init__(self, n_bands: int | None = None, varmin: bool = False, density_k: int = 4):
        self.n_bands = None if n_bands is None else _positive_int("n_bands", n_bands)
        self.varmin = bool(varmin)
        self.density_k = _positive_int("density_k", density_k)

    def get_params(self) -> dict:
        return {"n_bands": self.n_bands, "varmin": self.varmin, "density_k": self.density_k}

    def _bands(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim == 2 and self.n_bands is not None:
            if X.shape[1] % self.n_bands:
                raise ValueError(f"X has {X.shape[1]} features, not a multiple of n_bands={self.n_bands}")
            X = X.reshape(X.shape[0], self.n_bands, -1)
        if X.ndim != 3 or 0 in X.shape:
            expected = (
                "[n, n_bands * d]"
                if self.n_bands
                else "[n, n_bands, d] (or set n_bands for [n, n_bands * d])"
            )
            raise ValueError(f"X must be a non-empty {expected} array; got shape {X.shape}")
        if self.n_bands is not None and X.shape[1] != self.n_bands:
            raise ValueError(f"X has {X.shape[1]} bands; n_bands={self.n_bands}")
        if not np.all(np.isfinite(X)):
            raise ValueError("X holds NaN or infinite values")
        if hasattr(self, "memory_") and X.shape[1:] != self.memory_.shape[1:]:
            raise ValueError(
                f"X has bands of shape {X.shape[1:]}; the back-end was fitted on {self.memory_.shape[1:]}"
            )
        norms = np.linalg.norm(X, axis=2, keepdims=True)
        return X / np.where(norms > 0, norms, 1.0)

    def _band_distances(self, X: np.ndarray) -> np.ndarray:
        """``[len(X), n_memory, n_bands]`` cosine distances, band by band."""
        return np.stack(
            [pairwise_distances(X[:, f], self.memory_[:, f], "cosine") for f in range(X.shape[1])], axis=-1
        )

    def fit(self, X) -> BEAM:
        for attr in ("memory_", "n_features_in_"):
            self.__dict__.pop(attr, None)
        bands = self._bands(X)
        need = self.density_k + 1 if self.varmin else 1
        if bands.shape[0] < need:
            raise ValueError(f"BEAM(varmin=True, density_k={self.density_k}) needs at least {need} training clips; "
                             f"got {bands.shape[0]}")  # fmt: skip
        self.memory_ = bands
        n, n_bands, _ = bands.shape
        self.scales_ = np.zeros((n, n_bands))
        self.alpha_ = np.zeros(n_bands)
        D = self._band_distances(bands)
        if self.varmin:
            for f in range(n_bands):
                self.scales_[:, f] = local_scales(D[:, :, f], k=self.density_k)
                self.alpha_[f] = variance_minimising_alpha(D[:, :, f], self.scales_[:, f], "linear")
        self._D_memory = D
        self.n_bands_ = n_bands
        self.n_features_in_ = int(np.prod(bands.shape[1:]))
        return self

    def _aggregate(self, D: np.ndarray) -> np.ndarray:
        # [q, n_bands]: each band takes its own nearest neighbour
        return np.min(D - self.alpha_ * self.scales_, axis=1).mean(axis=1)

    def band_anomaly_scores(self, X) -> np.ndarray:
        """``[n_samples, n_bands]``: each band's (rescaled) nearest-neighbour distance, before the mean."""
        self._check_fitted()
        return np.min(self._band_distances(self._bands(X)) - self.alpha_ * self.scales_, axis=1)

    def score_samples(self, X) -> np.ndarray:
        self._check_fitted()
        return -self._aggregate(self._band_distances(self._bands(X)))

    def training_anomaly_scores(self) -> np.ndarray:
        """Leave-one-out anomaly scores of the training clips."""
        self._check_fitted()
        D = np.stack([without_self(self._D_memory[:, :, f]) for f in range(self.n_bands_)], axis=-1)
        return self._aggregate(D)
