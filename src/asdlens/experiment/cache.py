"""The run cache: log-mel features per clip, trained models and clip scores, each under a key that names every
input that can change it. Equal settings give equal keys, so runs with different configs share what they can.

Layout under ``cache_dir``::

    features/<spec key>-ch<channel>/<clip key>.npy     log-mel [n_mels, n_frames] in the spec's dtype
    models/<model key>.keras, <model key>.json         trained model; its history and what it was trained on
    scores/<score key>.json                            clip scores of one machine ID (type x ID [x SNR])

A clip is identified by its absolute path, size and modification time (``st_mtime_ns``), as ``make`` does:
touching or rewriting a file invalidates its entries; reading every file to hash it would cost as much as
decoding it. The features are stored before frame stacking (stacking is exact and cheap), so experiments that
differ only in ``frames`` share them; ``frames`` is part of the model and score keys.

Every entry is written to a temporary file and renamed into place (:mod:`asdlens.evaluate.atomic`): a run killed
at any point leaves complete entries or none, and the next run recomputes only what is missing.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..evaluate.atomic import atomic_write_bytes, atomic_write_json
from .config import stable_key


@dataclass(frozen=True)
class FileIdentity:
    """What identifies a clip's content without reading it: absolute path, size (bytes), mtime (ns)."""

    path: str
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: str | os.PathLike) -> FileIdentity:
        path = Path(path).absolute()
        st = path.stat()
        return cls(str(path), int(st.st_size), int(st.st_mtime_ns))

    def key(self) -> str:
        return stable_key(self.path, self.size, self.mtime_ns)


class RunCache:
    """Paths and atomic reads/writes of the cache under ``root``."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    # -- features ---------------------------------------------------------------------------------------------
    def feature_path(self, spec_key: str, channel: int, identity: FileIdentity) -> Path:
        return self.root / "features" / f"{spec_key}-ch{channel}" / f"{identity.key()}.npy"

    @staticmethod
    def save_array(path: Path, array: np.ndarray) -> None:
        buf = io.BytesIO()
        np.save(buf, np.ascontiguousarray(array), allow_pickle=False)
        atomic_write_bytes(path, buf.getvalue())

    @staticmethod
    def load_array(path: Path) -> np.ndarray | None:
        """The array at ``path``, or None if it is missing or unreadable (then it is recomputed)."""
        try:
            return np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError):
            return None

    # -- models -----------------------------------------------------------------------------------------------
    def model_path(self, model_key: str) -> Path:
        return self.root / "models" / f"{model_key}.keras"

    def model_info_path(self, model_key: str) -> Path:
        return self.root / "models" / f"{model_key}.json"

    def has_model(self, model_key: str) -> bool:
        """A model entry is complete when its info file exists: it is written after the model file."""
        return (
            self.model_path(model_key).is_file()
            and self.read_json(self.model_info_path(model_key)) is not None
        )

    # -- scores -----------------------------------------------------------------------------------------------
    def score_path(self, score_key: str) -> Path:
        return self.root / "scores" / f"{score_key}.json"

    # -- JSON -------------------------------------------------------------------------------------------------
    @staticmethod
    def write_json(path: Path, data) -> None:
        atomic_write_json(path, data)

    @staticmethod
    def read_json(path: Path):
        """Parsed JSON at ``path``, or None if missing or unreadable."""
        try:
            return json.loads(Path(path).read_text())
        except (OSError, ValueError):
            return None
