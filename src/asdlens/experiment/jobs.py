"""The three kinds of jobs a run is made of (:class:`asdlens.engine.JobKind` objects), and their payloads.

Each is a pure function of content-keyed inputs that writes content-keyed cache entries:

- ``features`` (:data:`FEATURES`): a shard of clips -> one log-mel entry per clip (or a ``.bad.json`` entry
  naming why the clip cannot be used);
- ``embeddings`` (:data:`EMBEDDINGS`): the same for a frozen encoder: a shard of clips -> one frame-embedding
  entry per clip, read from the waveform (:mod:`asdlens.experiment.clip_features`'s role for the log-mel,
  :mod:`asdlens.experiment.clip_embeddings` here); its payload is a :class:`FeaturesPayload` whose ``spec`` is
  the :class:`~asdlens.experiment.clip_embeddings.EncoderInput`, so the runner counts its entries as it counts
  features;
- ``transfer`` (:data:`TRANSFER`): the training clips of one machine type and section -> the fitted far-to-near
  transfer of a two-channel subtraction (``channels.transfer: fitted``), which that setup's feature jobs read;
- ``fit`` (:data:`FIT`): one unit's training clips and one seed -> one model entry (the detector's files and a
  manifest);
- ``score`` (:data:`SCORE`): one test group's clips and a model -> one score entry.

A job's payload is a frozen dataclass here and plain data on the way (``to_dict`` / ``from_dict``), so it travels
to any process or node; the cache root and the job's key are the :class:`asdlens.engine.Job`'s own. A job
names its kind by the import path :attr:`JobKind.path`, which workers resolve.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..engine import Job, JobKind, MissingEntry, RunCache, Summary, note_progress


@dataclass(frozen=True)
class FeaturesPayload:
    """A shard of clips: the spec (``MelSpec.to_dict()``), the channel (an index, or a channel stage's
    ``ChannelSpec.to_dict()``), per clip (audio, entry) paths, and an opaque feature function
    (``FunctionFrontend.payload()``) when the user's function computes the features instead of the spec."""

    spec: dict[str, Any]
    channel: int | dict[str, Any]
    clips: tuple[tuple[str, str], ...]
    expect_channels: int | None = None  # a strict layout's channel count (DCASE 2026: 2), checked on reading
    function: dict[str, Any] | None = (
        None  # a user's opaque feature function (asdlens.experiment.function_frontend)
    )
    transfer: str | None = (
        None  # the fitted transfer's entry (a TRANSFER job's), for channels.transfer: fitted
    )

    def to_dict(self) -> dict[str, Any]:
        out = {"spec": self.spec, "channel": self.channel, "clips": [list(pair) for pair in self.clips],
               "expect_channels": self.expect_channels}  # fmt: skip
        extra = {"function": self.function, "transfer": self.transfer}
        return {**out, **{k: v for k, v in extra.items() if v is not None}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeaturesPayload:
        clips = tuple((audio, feat) for audio, feat in data["clips"])
        return cls(data["spec"], data["channel"], clips, data.get("expect_channels"), data.get("function"),
                   data.get("transfer"))  # fmt: skip

    @property
    def entries(self) -> tuple[str, ...]:
        """The feature entries the shard writes."""
        return tuple(feat for _, feat in self.clips)


@dataclass(frozen=True)
class TransferPayload:
    """A fitted transfer: the spec, the channel stage (``ChannelSpec.to_dict()``), the training clips it is
    estimated from (two channels each) and its entry."""

    spec: dict[str, Any]
    channels: dict[str, Any]
    clips: tuple[str, ...]
    entry: str

    def to_dict(self) -> dict[str, Any]:
        return {"spec": self.spec, "channels": self.channels, "clips": list(self.clips), "entry": self.entry}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TransferPayload:
        return cls(data["spec"], data["channels"], tuple(data["clips"]), data["entry"])


@dataclass(frozen=True)
class FitPayload:
    """One unit's fit: the detector's settings, the seed, its training clips' entries and labels (``meta``)."""

    settings: dict[str, Any]
    seed: int
    features: tuple[str, ...]
    meta: tuple[dict[str, Any], ...]

    def to_dict(self) -> dict[str, Any]:
        return {"settings": self.settings, "seed": self.seed, "features": list(self.features),
                "meta": list(self.meta)}  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FitPayload:
        return cls(data["settings"], data["seed"], tuple(data["features"]), tuple(data["meta"]))


@dataclass(frozen=True)
class ScorePayload:
    """One test group's scoring: the model's key, the settings, the clips' entries, labels and file names."""

    model_key: str
    settings: dict[str, Any]
    features: tuple[str, ...]
    meta: tuple[dict[str, Any], ...]
    files: tuple[str, ...]
    own_training: bool = False  # the model's own training clips (the decision threshold's scores)

    def to_dict(self) -> dict[str, Any]:
        return {"model_key": self.model_key, "settings": self.settings, "features": list(self.features),
                "meta": list(self.meta), "files": list(self.files), "own_training": self.own_training}  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScorePayload:
        return cls(data["model_key"], data["settings"], tuple(data["features"]), tuple(data["meta"]),
                   tuple(data["files"]), bool(data.get("own_training", False)))  # fmt: skip


class FeaturesKind(JobKind):
    """Log-mel entries of a shard of clips; a clip that cannot be used gets a ``.bad.json`` entry instead."""

    name = "features"
    path = "asdlens.experiment.jobs:FEATURES"

    def cached(self, cache: RunCache, job: Job) -> Summary | None:
        entries = FeaturesPayload.from_dict(job.payload).entries
        if all(cache.feature_state(Path(feat)) is not None for feat in entries):
            return {"computed": [], "bad": 0}
        return None

    def compute(self, cache: RunCache, job: Job) -> Summary:
        from ..features import resolve_spec
        from .clip_features import file_logmels

        p = FeaturesPayload.from_dict(job.payload)
        spec = resolve_spec(p.spec)
        todo = [(audio, Path(feat)) for audio, feat in p.clips if cache.feature_state(Path(feat)) is None]
        bad = 0
        paths = [a for a, _ in todo]
        if p.function is not None:
            from .function_frontend import FunctionFrontend, function_features

            made = function_features(paths, FunctionFrontend.from_payload(p.function), channel=p.channel)
        else:
            transfer = None if p.transfer is None or not todo else _read_transfer(cache, Path(p.transfer))
            made = file_logmels(
                paths, spec, channel=p.channel, expect_channels=p.expect_channels, transfer=transfer
            )
        for i, logmel, problem in made:
            target = todo[i][1]
            if problem is not None:
                cache.write_bad(target, problem)
                bad += 1
            else:
                cache.write_feature(target, logmel)
        return {"computed": [str(feat) for _, feat in todo], "bad": bad}


class EmbeddingsKind(FeaturesKind):
    """A frozen encoder's frame embeddings of a shard of clips; a clip that cannot be used gets a ``.bad.json``."""

    name = "embeddings"
    path = "asdlens.experiment.jobs:EMBEDDINGS"

    def compute(self, cache: RunCache, job: Job) -> Summary:
        from .clip_embeddings import EncoderInput, file_embeddings

        p = FeaturesPayload.from_dict(job.payload)
        todo = [(audio, Path(entry)) for audio, entry in p.clips if cache.feature_state(Path(entry)) is None]
        bad = 0
        spec = EncoderInput.from_dict(p.spec)
        for i, frames, problem in file_embeddings([a for a, _ in todo], spec, channel=int(p.channel)):
            if problem is not None:
                cache.write_bad(todo[i][1], problem)
                bad += 1
            else:
                cache.write_feature(todo[i][1], frames)
        return {"computed": [str(entry) for _, entry in todo], "bad": bad}


def _read_transfer(cache: RunCache, entry: Path):
    """A fitted transfer entry; damaged or missing, the engine runs its transfer job again first."""
    from ..features.transfer import Transfer

    try:
        return Transfer(cache.read_feature(entry))
    except FileNotFoundError:
        raise MissingEntry([entry], f"{entry}: transfer entry missing") from None


class TransferKind(JobKind):
    """The far-to-near transfer of one machine type and section, least squares over its training clips'
    STFTs (:func:`asdlens.features.transfer.fit_transfer`); an unreadable clip is left out (its feature job
    reports it) and named in the summary."""

    name = "transfer"
    path = "asdlens.experiment.jobs:TRANSFER"

    def cached(self, cache: RunCache, job: Job) -> Summary | None:
        entry = Path(TransferPayload.from_dict(job.payload).entry)
        return {"transfer": str(entry)} if cache.feature_frames(entry) is not None else None

    def compute(self, cache: RunCache, job: Job) -> Summary:
        from ..data import AudioError, read_audio
        from ..features import resolve_spec
        from ..features.channels import ChannelSpec
        from ..features.transfer import fit_transfer

        p = TransferPayload.from_dict(job.payload)
        spec, skipped = resolve_spec(p.spec), []

        def clips():
            for path in p.clips:
                try:
                    yield read_audio(path, channel=None, expect_sr=spec.sample_rate, expect_channels=2)
                except AudioError as exc:
                    skipped.append(str(exc))

        try:
            transfer = fit_transfer(clips(), spec, ChannelSpec.from_dict(p.channels))
        except ValueError as exc:
            reason = f": {skipped[0]}" if skipped else ""
            raise ValueError(f"channels.transfer=fitted: {exc}{reason}") from None
        cache.write_feature(Path(p.entry), transfer.gain)
        return {"transfer": p.entry, "skipped": skipped}


class FitKind(JobKind):
    """One detector trained on one unit's training clips, saved as a model entry (files + manifest)."""

    name = "fit"
    path = "asdlens.experiment.jobs:FIT"

    def cached(self, cache: RunCache, job: Job) -> Summary | None:
        manifest = cache.model_manifest(job.key)
        return None if manifest is None else {"info": manifest["info"]}

    def compute(self, cache: RunCache, job: Job) -> Summary:
        from ..models.detectors import make_detector
        from .store import load_clipset

        p = FitPayload.from_dict(job.payload)
        clips = load_clipset(cache, p.features, p.meta)
        detector = make_detector(p.settings)
        epochs = p.settings["training"]["epochs"]

        def on_epoch_end(epoch: int, logs: dict) -> None:
            note_progress(
                job.cache, job.key, kind=self.name, epoch=epoch + 1, epochs=epochs, loss=logs.get("loss")
            )

        info = detector.fit(clips, seed=p.seed, on_epoch_end=on_epoch_end)
        staging = cache.staging_dir(job.key)
        detector.save(staging)
        cache.commit_model(job.key, staging, info)
        return {"info": info}


class ScoreKind(JobKind):
    """The scores of one test group's clips by one model, as one score entry."""

    name = "score"
    path = "asdlens.experiment.jobs:SCORE"

    def cached(self, cache: RunCache, job: Job) -> Summary | None:
        body = cache.read_json(cache.score_path(job.key), missing_ok=True)
        if body is None or body.get("files") != list(ScorePayload.from_dict(job.payload).files):
            return None
        return {"scores": body["scores"]}

    def compute(self, cache: RunCache, job: Job) -> Summary:
        from ..models.detectors import load_detector
        from .store import load_clipset

        p = ScorePayload.from_dict(job.payload)
        folder = cache.verified_model_dir(p.model_key)
        detector = load_detector(folder, p.settings)
        clips = load_clipset(cache, p.features, p.meta)
        own = p.own_training and hasattr(detector, "score_training")
        scores = [float(s) for s in (detector.score_training(clips) if own else detector.score(clips))]
        cache.write_json(cache.score_path(job.key), {"files": list(p.files), "scores": scores})
        return {"scores": scores}


FEATURES = FeaturesKind()
TRANSFER = TransferKind()
EMBEDDINGS = EmbeddingsKind()
FIT = FitKind()
SCORE = ScoreKind()
