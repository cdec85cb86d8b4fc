"""The frozen-encoder family (``model.name: beats``): nothing is trained; a clip is its pooled frame embeddings,
scored by a training-free back-end fitted on its ID's training clips.

The run feeds this detector a :class:`~asdlens.models.samples.ClipSet` whose rows are the encoder's *frame
embeddings* (``[n_frames, dim]`` per clip, computed once per clip and cached by the embeddings job,
:mod:`asdlens.experiment.clip_embeddings`), not log-mel frames. Then

- ``fit``: pools each training clip's frames (``model.pooling``, :mod:`asdlens.models.pooling`) and keeps the
  pooled vectors with each clip's class (machine type and ID / section) and domain. No back-end is fitted here:
  the model entry's key leaves ``scoring`` out, so every ``scoring.backend`` scores from the same entry and an
  ``explain`` step that changes only the back-end reuses it;
- ``score``: the back-end of ``scoring.backend`` (:func:`encoder_scorer`) is fitted on the pooled training
  vectors of the clip's class, with their domains (``scoring.domains: separate``), and scores the clip's pooled
  vector. Fitting a memory of 1,000 clips takes milliseconds; one back-end per class is fitted once per scoring
  job and each clip is scored on its own, so its score does not depend on the clips scored with it.

Pooled vectors are not scaled to unit length here: every cosine back-end normalises its rows itself, and the
Mahalanobis / PCA back-ends are defined on the raw pooled vectors (as Zhou and Wang's back-end study uses them).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .base import TrainingEmbeddings, clip_classes
from .domains import SeparateDomains, fit_backend
from .families import model_family, resolved_params
from .pooling import parse_pooling
from .samples import ClipSet
from .scorers import KNearestCosine, Scorer, embedding_scorer

DOMAINS_FILE = "train_domains.json"


def _member(name: str, scoring: dict[str, Any], seed: int) -> Scorer:
    """One single-memory back-end named ``name`` with the parameters of ``scoring``."""
    from .density_knn import LocalDensityKNN, VarianceMinimisedKNN
    from .pca_residual import PCAResidual

    if name in ("default", "knn"):
        return KNearestCosine(scoring["k"])
    if name == "ldn":
        r = scoring.get("density_r")
        return LocalDensityKNN(density_k=None if r is not None else scoring["density_k"], density_r=r,
                               k=scoring["k"])  # fmt: skip
    if name == "varmin":
        return VarianceMinimisedKNN(density_k=scoring["density_k"], space=scoring["space"])
    if name == "pca":
        return PCAResidual(scoring["n_components"])
    return embedding_scorer(scoring | {"backend": name}, seed=seed)


def encoder_scorer(scoring: dict[str, Any], *, seed: int = 0) -> Scorer:
    """The unfitted back-end of a ``scoring`` section (a dict) for pooled encoder embeddings.

    ``default`` and ``knn`` are :class:`~asdlens.models.scorers.KNearestCosine`; ``ldn``
    :class:`~asdlens.models.density_knn.LocalDensityKNN` (``density_k``, or GWRP with ``density_r``); ``varmin``
    :class:`~asdlens.models.density_knn.VarianceMinimisedKNN` (``density_k``, ``space``); ``pca``
    :class:`~asdlens.models.pca_residual.PCAResidual` (``n_components``); ``cosine``, ``gmm``, ``mahalanobis`` as
    for every embedding family; ``zmin`` :class:`~asdlens.models.fusion.ZMinFusion` of the ``fusion`` members.
    With ``domains: separate`` each single-memory back-end (each fusion member) keeps one memory per domain
    (:class:`~asdlens.models.domains.SeparateDomains`).
    """
    separate = scoring.get("domains", "joint") == "separate"

    def single(name: str) -> Scorer:
        backend = _member(name, scoring, seed)
        return SeparateDomains(backend) if separate else backend

    if scoring["backend"] == "zmin":
        from .fusion import ZMinFusion

        return ZMinFusion([single(name) for name in scoring["fusion"].split("+")])
    return single(scoring["backend"])


class EncoderDetector:
    """A frozen encoder's pooled embeddings and a training-free back-end (see the module docstring).

    Parameters
    ----------
    settings : dict
        The run's ``model``, ``training``, ``scoring`` sections (``model.name`` of the encoder family).
    reference : TrainingEmbeddings or None
        The pooled training vectors (a fitted detector).
    domains : list of str or None
        Each training clip's domain (``"source"`` / ``"target"``; None where the layout has none).
    """

    family = "encoder"

    def __init__(self, settings: dict[str, Any], reference: TrainingEmbeddings | None = None,
                 domains: list[str | None] | None = None):  # fmt: skip
        name = settings["model"]["name"]
        if model_family(name) != self.family:
            raise ValueError(f"model.name={name!r} is not a frozen encoder")
        self.settings = settings
        self.pooling = parse_pooling(resolved_params(settings["model"])["pooling"], key="model.pooling")
        self.scoring = settings["scoring"]
        self.seed = int(settings["training"]["seed"])
        self.reference = reference
        self.domains = domains
        self._backends: dict[str, Scorer] = {}

    def embed(self, clips: ClipSet) -> np.ndarray:
        """Pooled clip vectors ``[n_clips, pooled_dim]`` (float64) from the clips' frame embeddings."""
        return np.stack([self.pooling(clips.clip(i)) for i in range(clips.n_clips)])

    def fit(self, train: ClipSet, *, seed: int, on_epoch_end: Callable | None = None) -> dict:
        """Pool and keep the training clips (nothing is trained; ``seed`` and ``on_epoch_end`` are unused)."""
        self.reference = TrainingEmbeddings(self.embed(train), clip_classes(train))
        self.domains = [m.get("domain") for m in train.meta]
        self._backends = {}
        return {
            "n_clips": train.n_clips,
            "n_frames": int(train.frames.shape[0]),
            "frame_dim": int(train.frames.shape[1]),
            "pooling": str(self.pooling),
            "pooled_dim": int(self.reference.vectors.shape[1]),
        }

    def backend_for(self, key: str) -> Scorer:
        """The back-end fitted on the pooled training vectors of class ``key`` (once per detector)."""
        if key not in self._backends:
            if self.reference is None:
                raise ValueError("this detector kept no training clips: fit it (or load a fitted one) first")
            rows = [i for i, k in enumerate(self.reference.keys) if k == key]
            X = self.reference.of(key)
            domains = [self.domains[i] for i in rows] if self.domains is not None else None
            self._backends[key] = fit_backend(encoder_scorer(self.scoring, seed=self.seed), X, domains)
        return self._backends[key]

    def score(self, clips: ClipSet) -> np.ndarray:
        """One anomaly score per clip (higher = more anomalous), each from that clip's pooled vector alone."""
        keys = clip_classes(clips)
        return np.array([
            float(self.backend_for(k).anomaly_score(self.pooling(clips.clip(i))[None])[0])
            for i, k in enumerate(keys)
        ])  # fmt: skip

    def score_training(self, clips: ClipSet) -> np.ndarray:
        """The unit's own training clips, each left out of its back-end's memory (the decision threshold's
        scores; :func:`asdlens.models.domains.training_clip_scores`)."""
        from .domains import training_clip_scores

        return training_clip_scores(self.reference, self.backend_for, self.embed(clips), clip_classes(clips))

    def save(self, folder: Path) -> None:
        self.reference.save(folder)
        (Path(folder) / DOMAINS_FILE).write_text(json.dumps(self.domains))

    @classmethod
    def load(cls, folder: Path, settings: dict[str, Any]) -> EncoderDetector:
        folder = Path(folder)
        try:
            domains = json.loads((folder / DOMAINS_FILE).read_text())
        except (OSError, ValueError) as exc:
            raise ValueError(f"{folder}: cannot read the training clips' domains ({exc})") from None
        return cls(settings, TrainingEmbeddings.load(folder), domains)
