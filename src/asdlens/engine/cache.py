"""The run cache: log-mel features per clip, trained models and clip scores, each under a key that names every
input that can change it. Equal settings give equal keys, so runs (and the steps of ``explain``) share entries.

Layout under ``cache_dir``::

    features/<spec key>-ch<channel>/<clip key>.npy       log-mel [n_mels, n_frames], checksum footer
    features/<spec key>-ch<channel>/<clip key>.bad.json  the reason the clip cannot be used
    embeddings/<encoder key>-ch<channel>/<clip key>.npy  a frozen encoder's frame embeddings [dim, n_frames]
    models/<model key>/                                  the detector's files (e.g. model.keras)
    models/<model key>.json                              manifest: info + sha256 of every file (written last)
    scores/<score key>.json                              clip scores of one test group
    claims/, attempts/, running/                         job bookkeeping (:mod:`asdlens.engine.claims`)

A clip is identified by its absolute path, size and modification time (``st_mtime_ns``), as ``make`` does:
touching or rewriting a file invalidates its entries; reading every file to hash it would cost as much as
decoding it. Features are stored before frame stacking, so experiments that differ only in ``frames`` share them.

Integrity: every entry carries a checksum kept with it. A feature file ends with a 40-byte footer
(``ASDLSUM1`` + the SHA-256 of everything before it; ``numpy.load`` ignores it), a JSON entry holds the SHA-256
of its body, a model's manifest the SHA-256 of each file. Entries are written to a temporary name and renamed
into place (no fsync: a torn write after a power cut fails its checksum), so a reader sees a whole entry or
none. A reader that finds a checksum mismatch raises :class:`DamagedEntry`, one that finds no entry
:class:`MissingEntry`; the engine reports a damaged entry in one line, deletes it and recomputes it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..atomic import atomic_write_bytes
from ..keys import stable_key

_MAGIC = b"ASDLSUM1"
_FOOTER = len(_MAGIC) + 32


class DamagedEntry(Exception):
    """A cache entry exists but fails its checksum (truncated, corrupt, half-written).

    Attributes
    ----------
    paths : list of str
        The damaged entries (files or model folders).
    """

    def __init__(self, paths, reason: str):
        self.paths = [str(p) for p in paths]
        self.reason = reason
        super().__init__(f"damaged cache entry {', '.join(self.paths)}: {reason}")


class MissingEntry(FileNotFoundError):
    """An input entry a job needs is not in the cache (never written, or removed by a repair meanwhile).

    The engine treats it as it treats a damaged one: the job that makes the entry runs again first.

    Attributes
    ----------
    paths : list of str
        The missing entries.
    """

    def __init__(self, paths, message: str):
        self.paths = [str(p) for p in paths]
        super().__init__(message)


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


def _digest(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _json_body_digest(body) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def file_sha256(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def remove_entry(path: str | os.PathLike) -> None:
    """Delete a damaged entry (a file or a model folder with its manifest); missing is fine."""
    path = Path(path)
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
        path.with_suffix(".json").unlink(missing_ok=True)
    else:
        path.unlink(missing_ok=True)


class RunCache:
    """Paths and checked reads/writes of the cache under ``root``."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    # -- features ---------------------------------------------------------------------------------------------
    def feature_path(self, spec_key: str, channel: int | str, identity: FileIdentity) -> Path:
        """A clip's log-mel entry: ``features/<spec>-ch<N>/`` for one channel, ``features/<spec>-<stage>/``
        for a channel stage's key (both channels of a DCASE 2026 clip)."""
        where = f"ch{channel}" if isinstance(channel, int) else channel
        return self.root / "features" / f"{spec_key}-{where}" / f"{identity.key()}.npy"

    def embedding_path(self, encoder_key: str, channel: int, identity: FileIdentity) -> Path:
        """A clip's frame-embedding entry (a feature entry of another kind: the same format, checksum and
        ``.bad.json`` rule): ``embeddings/<encoder key>-ch<N>/``."""
        return self.root / "embeddings" / f"{encoder_key}-ch{channel}" / f"{identity.key()}.npy"

    def transfer_path(self, key: str) -> Path:
        """A fitted far-to-near transfer (a feature entry of another kind: ``[n_bins]`` gain, checksummed)."""
        return self.root / "transfers" / f"{key}.npy"

    @staticmethod
    def bad_path(feature_path: Path) -> Path:
        return feature_path.with_name(feature_path.stem + ".bad.json")

    @staticmethod
    def write_feature(path: Path, array: np.ndarray) -> None:
        """``array`` as a ``.npy`` file (the bytes ``numpy.save`` writes) plus the checksum footer, written
        from the array's own buffer (no copy of it)."""
        array = np.ascontiguousarray(array)
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(header, np.lib.format.header_data_from_array_1_0(array))
        head, body = header.getvalue(), memoryview(array).cast("B")
        digest = hashlib.sha256(head)
        digest.update(body)
        atomic_write_bytes(path, [head, body, _MAGIC + digest.digest()])

    @staticmethod
    def read_feature(path: Path) -> np.ndarray:
        """The log-mel at ``path``, checksum verified.

        Raises
        ------
        DamagedEntry
            Missing footer, checksum mismatch or an unreadable array.
        FileNotFoundError
            No entry.
        """
        data = Path(path).read_bytes()
        payload, footer = data[:-_FOOTER], data[-_FOOTER:]
        if len(data) < _FOOTER or footer[: len(_MAGIC)] != _MAGIC:
            raise DamagedEntry([path], "no checksum footer (truncated or not written by asdlens)")
        if _digest(payload) != footer[len(_MAGIC) :]:
            raise DamagedEntry([path], "checksum mismatch")
        try:
            return np.load(io.BytesIO(payload), allow_pickle=False)
        except (ValueError, EOFError, OSError) as exc:
            raise DamagedEntry([path], f"unreadable array ({exc})") from None

    @staticmethod
    def feature_frames(path: Path) -> int | None:
        """Frames of a feature entry from its header alone (cheap), or None if there is no readable header.

        The checksum is checked when the entry is read for training or scoring, not here.
        """
        try:
            with open(path, "rb") as f:
                version = np.lib.format.read_magic(f)
                if version == (1, 0):
                    shape, _, _ = np.lib.format.read_array_header_1_0(f)
                else:
                    shape, _, _ = np.lib.format.read_array_header_2_0(f)
            return int(shape[-1])
        except (OSError, ValueError, EOFError, IndexError):
            return None

    def write_bad(self, feature_path: Path, problem: str) -> None:
        self.write_json(self.bad_path(feature_path), {"problem": problem})

    def feature_state(self, feature_path: Path) -> tuple[str, int | str] | None:
        """``("ok", n_frames)``, ``("bad", problem)`` or None when the clip has no entry yet."""
        frames = self.feature_frames(feature_path)
        if frames is not None:
            return ("ok", frames)
        bad = self.bad_path(feature_path)
        if bad.exists():
            try:
                return ("bad", self.read_json(bad)["problem"])
            except DamagedEntry:
                remove_entry(bad)
        return None

    # -- models -----------------------------------------------------------------------------------------------
    def model_dir(self, model_key: str) -> Path:
        return self.root / "models" / model_key

    def model_manifest(self, model_key: str) -> dict | None:
        """The manifest of a complete model entry (``info``, ``files``), or None if there is none.

        Raises
        ------
        DamagedEntry
            The manifest fails its checksum.
        """
        return self.read_json(self.model_dir(model_key).with_suffix(".json"), missing_ok=True)

    def staging_dir(self, model_key: str) -> Path:
        """A fresh private folder to write a model into before :meth:`commit_model`."""
        path = self.root / "models" / f".tmp-{model_key}-{uuid.uuid4().hex[:8]}"
        path.mkdir(parents=True)
        return path

    def commit_model(self, model_key: str, staging: Path, info: dict) -> dict:
        """Move ``staging`` into place as the entry of ``model_key``; its manifest is written last.

        Another writer may have committed the same entry meanwhile (same inputs, same bytes): then its entry
        stays and ours is dropped.
        """
        target = self.model_dir(model_key)
        files = {p.name: file_sha256(p) for p in sorted(staging.iterdir()) if p.is_file()}
        if target.exists():
            shutil.rmtree(target, ignore_errors=True)  # a folder left without a manifest by a crash
        try:
            os.replace(staging, target)
        except OSError:  # another writer's folder is in place
            shutil.rmtree(staging, ignore_errors=True)
        manifest = {"info": info, "files": files}
        self.write_json(target.with_suffix(".json"), manifest)
        return manifest

    def verified_model_dir(self, model_key: str) -> Path:
        """The model's folder after checking every file against its manifest.

        Raises
        ------
        DamagedEntry
            A file is missing or differs from the manifest (the message names it).
        MissingEntry
            No complete entry (a ``FileNotFoundError``).
        """
        manifest = self.model_manifest(model_key)
        folder = self.model_dir(model_key)
        if manifest is None:
            raise MissingEntry([folder], f"{folder}: no model entry")
        for name, digest in manifest["files"].items():
            path = folder / name
            if not path.is_file():
                raise DamagedEntry([folder], f"{name} is missing")
            if file_sha256(path) != digest:
                raise DamagedEntry([folder], f"{name} fails its checksum")
        return folder

    # -- scores -----------------------------------------------------------------------------------------------
    def score_path(self, score_key: str) -> Path:
        return self.root / "scores" / f"{score_key}.json"

    # -- JSON -------------------------------------------------------------------------------------------------
    @staticmethod
    def write_json(path: Path, body) -> None:
        record = {"sha256": _json_body_digest(body), "body": body}
        atomic_write_bytes(path, (json.dumps(record, sort_keys=True) + "\n").encode())

    @staticmethod
    def read_json(path: Path, *, missing_ok: bool = False):
        """The body of a JSON entry, checksum verified; None if missing and ``missing_ok``.

        Raises
        ------
        DamagedEntry
            Not JSON, not an entry, or a checksum mismatch.
        FileNotFoundError
            Missing (unless ``missing_ok``).
        """
        try:
            text = Path(path).read_text()
        except FileNotFoundError:
            if missing_ok:
                return None
            raise
        try:
            record = json.loads(text)
            body, digest = record["body"], record["sha256"]
        except (ValueError, KeyError, TypeError):
            raise DamagedEntry([path], "not a JSON cache entry (truncated or corrupt)") from None
        if _json_body_digest(body) != digest:
            raise DamagedEntry([path], "checksum mismatch")
        return body
