"""What every detector family shares: settings, classes from clip labels, clip embeddings kept from training,
and the routing of ``score`` to the configured back-end.

A family implements ``fit``, ``save`` / ``load``, and two per-clip hooks:

- ``_clip_embedding(clips, i) -> [d]``: the clip's embedding (unit length), from its windows at ``model.hop``;
- ``_window_scores(clips, i) -> [n_windows]``: the family's own per-window anomaly scores for
  ``scoring.backend`` ``default`` (and ``confidence`` for classifier families), aggregated by
  ``scoring.aggregate``.

At fit time a family stores the unit-length embeddings of its training clips with their machine type and ID
(:class:`TrainingEmbeddings`); at scoring time an embedding back-end (:mod:`asdlens.models.scorers`) is fitted
on the training embeddings of each test clip's ID and scores the clip's embedding. Nothing is retrained. Every
clip is scored on its own (one batch per clip, one back-end call per clip), so its score does not depend on the
clips scored with it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .families import model_family, resolved_params, scores_embeddings
from .frameworks import LayerSettings, OptimizerSettings, detector_framework
from .samples import ClipSet, Windows, clip_windows, validation_parts
from .scorers import Scorer, embedding_scorer, unit_rows

EMBEDDINGS_FILE = "train_embeddings.npy"
EMBEDDING_KEYS_FILE = "train_embeddings.json"


def class_key(meta: dict) -> str:
    """The class a clip belongs to: ``"<machine_type>/<machine_id>"`` (the ID, or the section in DCASE 2021+)."""
    try:
        return f"{meta['machine_type']}/{meta['machine_id']}"
    except KeyError:
        raise ValueError(
            f"clip {meta.get('file_name', '?')!r} has no machine_type / machine_id label: a detector "
            "needs them to pick its class and its ID's training embeddings"
        ) from None


def clip_classes(clips: ClipSet) -> list[str]:
    """Each clip's :func:`class_key`."""
    if len(clips.meta) != clips.n_clips:
        raise ValueError(f"{clips.n_clips} clips but {len(clips.meta)} label records")
    return [class_key(m) for m in clips.meta]


@dataclass
class TrainingEmbeddings:
    """Unit-length clip embeddings of a model's training clips and each clip's class key.

    Attributes
    ----------
    vectors : numpy.ndarray
        ``[n_clips, d]`` float64.
    keys : list of str
        :func:`class_key` per clip.
    """

    vectors: np.ndarray
    keys: list[str]

    def of(self, key: str) -> np.ndarray:
        """The embeddings of one class (``[n, d]``); raises ``ValueError`` naming the class if it has none."""
        rows = [i for i, k in enumerate(self.keys) if k == key]
        if not rows:
            known = sorted(set(self.keys))
            raise ValueError(
                f"no training clips of {key} to fit a back-end on; the model was trained on {known}"
            )
        return self.vectors[rows]

    def save(self, folder: Path) -> None:
        np.save(Path(folder) / EMBEDDINGS_FILE, self.vectors)
        (Path(folder) / EMBEDDING_KEYS_FILE).write_text(json.dumps(self.keys))

    @classmethod
    def load(cls, folder: Path) -> TrainingEmbeddings:
        folder = Path(folder)
        try:
            vectors = np.load(folder / EMBEDDINGS_FILE)
            keys = json.loads((folder / EMBEDDING_KEYS_FILE).read_text())
        except (OSError, ValueError) as exc:
            raise ValueError(f"{folder}: cannot read the training embeddings ({exc})") from None
        if len(keys) != len(vectors):
            raise ValueError(f"{folder}: {len(vectors)} training embeddings but {len(keys)} class keys")
        return cls(vectors, keys)


def training_parts(win: Windows, training: dict, seed: int, *, frames: int, what: str):
    """The training and validation sample numbers of ``win`` (:func:`~asdlens.models.samples.validation_parts`),
    with an error naming the problem when there is nothing to train on or ``validation_split`` empties a part."""
    if len(win) == 0:
        raise ValueError(f"no training {what}: every clip is shorter than frames={frames}")
    fit_part, val_part = validation_parts(win, training, seed)
    split = training["validation_split"]
    if split > 0 and (len(val_part) == 0 or len(fit_part) == 0):
        raise ValueError(
            f"validation_split={split} leaves {len(val_part)} of {len(win)} training {what} for validation; "
            "use more training clips or another split"
        )
    return fit_part, val_part


def class_targets(train: ClipSet, win: Windows, who: str) -> tuple[list[str], np.ndarray]:
    """The sorted classes of ``train``'s clips and each window's class number; ``who`` names the model in the
    error raised when there are fewer than two classes to tell apart."""
    keys = clip_classes(train)
    classes = sorted(set(keys))
    if len(classes) < 2:
        raise ValueError(
            f"{who} needs at least 2 machine IDs (sections) to tell apart; its training clips are all {classes}"
        )
    index = {k: j for j, k in enumerate(classes)}
    return classes, np.array([index[keys[c]] for c in win.clip_index], np.int64)


def aggregate_windows(values: np.ndarray, how: str) -> float:
    """A clip's score from its windows' scores (``mean``, ``median`` or ``max``)."""
    from ..evaluate.scores import clip_score

    return float(clip_score(np.asarray(values, dtype=np.float64), aggregate=how))


def mean_unit(vectors: np.ndarray) -> np.ndarray:
    """The unit-length mean of unit-length rows: a clip's embedding from its windows' embeddings ``[n, d]``."""
    mean = unit_rows(vectors).mean(axis=0, keepdims=True)
    return unit_rows(mean)[0]


class DetectorBase:
    """Shared state and scoring of the detector families (see the module docstring)."""

    family = ""

    def __init__(self, settings: dict[str, Any], model=None, reference: TrainingEmbeddings | None = None):
        self.settings = settings
        self.name = settings["model"]["name"]
        if model_family(self.name) != self.family:
            raise ValueError(f"model.name={self.name!r} is not a {self.family} model")
        self.params = resolved_params(settings["model"])
        self.frames = int(settings["frames"])
        self.n_mels = int(settings["n_mels"])
        self.training = settings["training"]
        self.scoring = settings["scoring"]
        self.framework = detector_framework(settings)  # resolved framework settings
        self.layer_settings = LayerSettings.of(self.framework)
        self.optimizer_settings = OptimizerSettings.of(self.framework, self.training.get("learning_rate"))
        self.model = model
        self.reference = reference
        self._backends: dict[str, Scorer] = {}

    def compile_options(self, loss: Any = "mean_squared_error"):
        """The :class:`~asdlens.models.training.CompileOptions` of this detector's Keras fit with ``loss``: the
        learning rate and the framework's optimizer and loss-reduction settings."""
        from .training import CompileOptions

        return CompileOptions(learning_rate=self.training["learning_rate"], loss=loss,
                              optimizer=self.optimizer_settings,
                              loss_reduction=self.framework["loss_reduction"])  # fmt: skip

    # -- hooks ----------------------------------------------------------------------------------------------
    def _clip_embedding(self, clips: ClipSet, i: int) -> np.ndarray:
        raise NotImplementedError

    def _window_scores(self, clips: ClipSet, i: int) -> np.ndarray:
        raise NotImplementedError

    # -- shared ---------------------------------------------------------------------------------------------
    def windows_of(self, clips: ClipSet, i: int, hop: int) -> np.ndarray:
        """Clip ``i``'s windows of ``frames`` frames every ``hop`` frames: ``[n, frames, n_mels]``."""
        x = clip_windows(clips, i, self.frames, hop)
        if not len(x):
            name = clips.meta[i].get("file_name", f"clip {i}") if i < len(clips.meta) else f"clip {i}"
            raise ValueError(
                f"{name} has {len(clips.clip(i))} frames, fewer than frames={self.frames}: it cannot be scored"
            )
        return x

    def embed(self, clips: ClipSet) -> np.ndarray:
        """Unit-length clip embeddings ``[n_clips, d]`` (float64), one clip at a time."""
        return np.stack([self._clip_embedding(clips, i) for i in range(clips.n_clips)])

    def training_embeddings(self, train: ClipSet) -> TrainingEmbeddings:
        return TrainingEmbeddings(self.embed(train), clip_classes(train))

    def uses_embeddings(self) -> bool:
        return scores_embeddings(self.settings["model"]["name"], self.scoring["backend"])

    def backend_for(self, key: str) -> Scorer:
        """The configured embedding back-end fitted on the training embeddings of class ``key`` (cached)."""
        if key not in self._backends:
            if self.reference is None:
                raise ValueError(
                    "this detector kept no training embeddings: fit it (or load a fitted one) first"
                )
            backend = embedding_scorer(self.scoring, seed=int(self.training["seed"]))
            self._backends[key] = backend.fit(self.reference.of(key))
        return self._backends[key]

    def score(self, clips: ClipSet) -> np.ndarray:
        """One anomaly score per clip (higher = more anomalous), each computed from that clip alone."""
        if self.uses_embeddings():
            keys = clip_classes(clips)
            return np.array(
                [
                    float(self.backend_for(k).anomaly_score(self._clip_embedding(clips, i)[None])[0])
                    for i, k in enumerate(keys)
                ]
            )
        return np.array([self._clip_score(clips, i) for i in range(clips.n_clips)])

    def score_training(self, clips: ClipSet) -> np.ndarray:
        """The scores of the unit's own training clips for its decision threshold: an embedding back-end leaves
        each clip out of its memory (:func:`asdlens.models.domains.training_clip_scores`); else :meth:`score`."""
        if not self.uses_embeddings():
            return self.score(clips)
        from .domains import training_clip_scores

        vectors = np.stack([self._clip_embedding(clips, i) for i in range(clips.n_clips)])
        return training_clip_scores(self.reference, self.backend_for, vectors, clip_classes(clips))

    def _clip_score(self, clips: ClipSet, i: int) -> float:
        """A window-level back-end's score of clip ``i``: its windows' scores aggregated."""
        return aggregate_windows(self._window_scores(clips, i), self.scoring["aggregate"])


CLASSES_FILE = "classes.json"


class ClassifierBase(DetectorBase):
    """A family whose network tells classes (machine IDs or sections) apart: the classes it was trained on are
    kept with the network (``classes.json``) and every scored clip must belong to one of them."""

    def __init__(
        self, settings: dict[str, Any], model=None, reference=None, classes: list[str] | None = None
    ):
        super().__init__(settings, model, reference)
        self.classes = classes

    def class_index(self, clips: ClipSet, i: int) -> int:
        """Clip ``i``'s class number; ``ValueError`` naming the clip when the model was not trained on it."""
        key = clip_classes(clips)[i]
        if key not in self.classes:
            raise ValueError(
                f"clip {clips.meta[i].get('file_name', i)!r} is of {key}, not one of the classes {self.classes}"
            )
        return self.classes.index(key)

    def save(self, folder: Path) -> None:
        from .training import save_model

        folder = Path(folder)
        save_model(self.model, folder / "model.keras")
        (folder / CLASSES_FILE).write_text(json.dumps(self.classes))
        self.reference.save(folder)

    @classmethod
    def load(cls, folder: Path, settings: dict[str, Any]):
        from . import margin_layers  # noqa: F401 - registers the margin heads and their loss with Keras
        from .training import load_model

        folder = Path(folder)
        classes = json.loads((folder / CLASSES_FILE).read_text())
        return cls(settings, load_model(folder / "model.keras"), TrainingEmbeddings.load(folder), classes)
