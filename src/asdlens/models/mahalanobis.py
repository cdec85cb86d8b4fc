"""Selective Mahalanobis scoring of autoencoder residuals: the DCASE 2023-2025 baseline's ``MAHALA`` mode.

What ``nttcslab/dcase2023_task2_baseline_ae`` computes (``networks/criterion/mahala.py`` and
``networks/dcase2023t2_ae/dcase2023t2_ae.py``, read at v4.3.0 = e3cc62e; shared by the 2023, 2024 and 2025
branches):

- **Blocks.** A residual vector ``x - reconstruction`` of ``frames * n_mels`` values is cut into ``frames``
  blocks of ``n_mels`` values (one per stacked frame; ``block_size = n_mels``, 128).
- **Covariances, one per domain.** After training, one more pass over the training part of the vectors (the
  shuffled training batches, the model in inference mode): in each batch the blocks of the source vectors are
  centred on *their batch mean* and ``centred.T @ centred`` is added to the source sum; the same for the target
  vectors when the batch has any. A batch of one vector is skipped, as the baseline's loop skips it. At the end
  each sum is divided by (number of that domain's *vectors* - 1) -- vectors, not blocks, as the code counts.
  Without target training vectors the target covariance is the source one.
- **Score of a clip.** With ``d`` the clip's residual blocks (every block of every vector) and ``P`` a domain's
  inverse covariance, the code takes the mean over all pairs ``(i, j)`` of ``d_i P d_j``; that equals
  ``m @ P @ m`` with ``m`` the mean block, which is what is computed here. The score is the smaller of the
  source and target values ("selective": a clip is as normal as the domain it fits best).

Differences from the official code, all in the last bits: it runs in float32 on torch (``torch.inverse`` of the
float32 covariance); here every sum, the inverse and the score are float64. The official decision threshold of
this mode is a gamma fit to per-*batch* Mahalanobis scores of the training and validation vectors; asdlens fits
the gamma to the training clips' scores, as for every other detector (the AUCs do not depend on it).

The back-end is pure NumPy (scikit-learn style: parameters validated in the constructor, ``partial_fit`` /
``fit`` / ``score_samples``); :class:`asdlens.models.detectors.Autoencoder` feeds it residuals when
``scoring.backend: mahalanobis``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

DOMAINS = ("source", "target")


def _domain_names(domains: Sequence[str | None], n: int) -> np.ndarray:
    """The domains as an array; None (a layout without domains) counts as source, as the baseline's
    ``"target" in file_name`` test does."""
    out = np.array(["source" if d is None else d for d in domains], dtype=object)
    if out.shape != (n,):
        raise ValueError(f"{n} residual vectors but {len(out)} domains")
    bad = sorted({str(d) for d in out if d not in DOMAINS})
    if bad:
        raise ValueError(f"domains must be 'source' or 'target' (or None for source); got {bad}")
    return out


class ResidualMahalanobis:
    """Per-domain covariance of reconstruction-residual blocks, and the selective Mahalanobis score.

    Parameters
    ----------
    block_size : int
        Values per block: ``n_mels`` (128 in the baseline). A residual vector's length must be a multiple.

    Attributes
    ----------
    counts_ : dict
        Training vectors seen per domain.
    covariances_, precisions_ : dict
        ``{"source": [block, block], "target": [block, block]}`` float64, after :meth:`finalize` (which
        :meth:`fit` and the first score call run).
    """

    def __init__(self, block_size: int = 128):
        if isinstance(block_size, bool) or not isinstance(block_size, int | np.integer) or block_size < 1:
            raise ValueError(f"block_size={block_size!r} must be a positive integer (n_mels)")
        self.block_size = int(block_size)
        self.reset()

    def reset(self) -> ResidualMahalanobis:
        """Forget everything fit so far."""
        self._scatter = {d: np.zeros((self.block_size, self.block_size)) for d in DOMAINS}
        self._given: dict[str, np.ndarray] | None = None  # covariances given (from_covariances), not fitted
        self.counts_ = dict.fromkeys(DOMAINS, 0)
        self.covariances_: dict[str, np.ndarray] | None = None
        self.precisions_: dict[str, np.ndarray] | None = None
        return self

    def _blocks(self, residuals: np.ndarray) -> np.ndarray:
        r = np.asarray(residuals, dtype=np.float64)
        if r.ndim != 2 or r.shape[1] % self.block_size:
            raise ValueError(
                f"residuals must be [n_vectors, k * {self.block_size}] (block_size={self.block_size}); "
                f"got shape {r.shape}"
            )
        if not np.all(np.isfinite(r)):
            raise ValueError("residuals must be finite")
        return r.reshape(r.shape[0], -1, self.block_size)

    def partial_fit(self, residuals: np.ndarray, domains: Sequence[str | None]) -> ResidualMahalanobis:
        """Add one training batch.

        Parameters
        ----------
        residuals : numpy.ndarray
            ``[n_vectors, k * block_size]``: ``x - reconstruction`` of the batch's vectors.
        domains : sequence of {"source", "target", None}
            Each vector's domain (its clip's).
        """
        blocks = self._blocks(residuals)
        dom = _domain_names(domains, blocks.shape[0])
        if blocks.shape[0] <= 1:  # the baseline skips a batch of one vector
            return self
        self.covariances_ = self.precisions_ = None
        for d in DOMAINS:
            own = blocks[dom == d].reshape(-1, self.block_size)
            if not own.shape[0]:
                continue  # (the baseline would take the mean of nothing here; a guard, not a choice)
            centred = own - own.mean(axis=0)
            self._scatter[d] += centred.T @ centred
            self.counts_[d] += int(np.sum(dom == d))
        return self

    def fit(
        self, residuals: np.ndarray, domains: Sequence[str | None], *, batch_size: int | None = None
    ) -> ResidualMahalanobis:
        """Fit from all training residuals at once, in batches of ``batch_size`` rows in the given order (None:
        one batch), then :meth:`finalize`."""
        self.reset()
        residuals = np.asarray(residuals)
        domains = list(domains)
        step = len(residuals) if batch_size is None else int(batch_size)
        if step < 1:
            raise ValueError(f"batch_size={batch_size!r} must be a positive integer or None")
        for start in range(0, len(residuals), step):
            self.partial_fit(residuals[start : start + step], domains[start : start + step])
        return self.finalize()

    @classmethod
    def from_covariances(cls, source: np.ndarray, target: np.ndarray) -> ResidualMahalanobis:
        """A back-end with given covariances ``[block, block]`` (a checkpoint's ``cov_source`` / ``cov_target``,
        as the official baseline's ``test()`` inverts them); ``counts_`` are then 0."""
        source, target = (np.array(c, dtype=np.float64) for c in (source, target))
        if source.ndim != 2 or source.shape[0] != source.shape[1] or target.shape != source.shape:
            raise ValueError(
                f"covariances must be two equal square matrices; got {source.shape}, {target.shape}"
            )
        out = cls(int(source.shape[0]))
        out._given = {"source": source, "target": target}
        return out.finalize()

    def finalize(self) -> ResidualMahalanobis:
        """Covariances (sum / (vectors - 1)) and their inverses.

        Raises
        ------
        ValueError
            Fewer than two source training vectors, or a covariance that cannot be inverted (too few blocks
            for ``block_size`` dimensions); the message says which.
        """
        if self._given is not None:
            return self._invert(dict(self._given))
        if self.counts_["source"] < 2:
            raise ValueError(
                f"the Mahalanobis back-end needs at least 2 source training vectors; got {self.counts_['source']}"
            )
        cov = {"source": self._scatter["source"] / (self.counts_["source"] - 1)}
        if self.counts_["target"] < 2:
            cov["target"] = cov["source"].copy()  # the baseline: no target vectors -> the source covariance
        else:
            cov["target"] = self._scatter["target"] / (self.counts_["target"] - 1)
        return self._invert(cov)

    def _invert(self, cov: dict[str, np.ndarray]) -> ResidualMahalanobis:
        precisions = {}
        for d in DOMAINS:
            try:
                precisions[d] = np.linalg.inv(cov[d])
            except np.linalg.LinAlgError:
                raise ValueError(
                    f"the {d} residual covariance ({self.block_size} x {self.block_size}, from "
                    f"{self.counts_[d]} vectors) is singular; more training clips are needed"
                ) from None
        self.covariances_, self.precisions_ = cov, precisions
        return self

    def distances(self, residuals: np.ndarray) -> dict[str, float]:
        """Both domains' Mahalanobis values ``m @ P_d @ m`` of one clip (``m``: the mean residual block)."""
        if self.precisions_ is None:
            self.finalize()
        blocks = self._blocks(residuals).reshape(-1, self.block_size)
        if not blocks.shape[0]:
            raise ValueError("a clip with no residual vectors cannot be scored")
        m = blocks.mean(axis=0)
        return {d: float(m @ self.precisions_[d] @ m) for d in DOMAINS}

    def score(self, residuals: np.ndarray) -> float:
        """The selective score of one clip: the smaller of its source and target values."""
        return min(self.distances(residuals).values())

    def score_samples(self, clips: Iterable[np.ndarray]) -> np.ndarray:
        """One score per clip, each given as its ``[n_vectors, k * block_size]`` residuals."""
        return np.array([self.score(r) for r in clips], dtype=np.float64)

    # -- files ----------------------------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the fitted state (sums, counts, covariances) as an ``.npz`` file."""
        if self.covariances_ is None:
            self.finalize()
        path = Path(path)
        given = {} if self._given is None else {f"covariance_{d}": self._given[d] for d in DOMAINS}
        with open(path, "wb") as f:  # a file object: numpy would append ".npz" to a name without it
            np.savez(
                f,
                block_size=np.int64(self.block_size),
                counts=np.array([self.counts_[d] for d in DOMAINS], np.int64),
                **{f"scatter_{d}": self._scatter[d] for d in DOMAINS},
                **given,
            )
        return path

    @classmethod
    def load(cls, path: str | Path) -> ResidualMahalanobis:
        """The back-end :meth:`save` wrote."""
        with np.load(Path(path)) as data:
            out = cls(int(data["block_size"]))
            out.counts_ = dict(zip(DOMAINS, (int(c) for c in data["counts"]), strict=True))
            out._scatter = {d: np.array(data[f"scatter_{d}"], dtype=np.float64) for d in DOMAINS}
            if "covariance_source" in data:
                out._given = {d: np.array(data[f"covariance_{d}"], dtype=np.float64) for d in DOMAINS}
        return out.finalize()
