"""The jobs of a run: feature shards, one fit per unit and seed, one scoring job per test group.

Keys are content keys (the inputs that can change the entry), so the same job asked for by two runs, two
``explain`` steps or two seeds that share it is one job. Feature jobs shard the clips of each unit and test
group (:data:`SHARD_CLIPS` clips each); a fit depends on its unit's shards, a scoring job on the fit and its
group's shards, so a damaged feature or model found late is recomputed by rerunning the job that made it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from ..data import Clip
from ..engine import FileIdentity, Job, JobKind, RunCache
from ..keys import stable_key
from ..models.families import MODEL_FAMILY, scores_embeddings
from ..models.frameworks import fit_dependencies
from ..runtime import versions
from .clip_embeddings import EncoderInput, encoder_input
from .config import Experiment
from .jobs import (
    EMBEDDINGS,
    FEATURES,
    FIT,
    SCORE,
    TRANSFER,
    FeaturesPayload,
    FitPayload,
    ScorePayload,
    TransferPayload,
)  # fmt: skip
from .plan import Plan, TestGroup, Unit, regroup

#: What a fit keeps beside the network, so that every ``scoring.backend`` scores from one model entry (the
#: model key leaves ``scoring`` out). Changing what fits keep changes this string, and so every model key.
FIT_KEEPS = "keeps: training clip embeddings, residual covariances (autoencoders)"

SHARD_CLIPS = 48  # clips per feature job: ~0.1 s of work on one core, small enough to spread over workers


def library_versions() -> dict[str, str]:
    """Versions that can change trained weights: part of every model key."""
    return versions(("keras", "tensorflow"), missing="absent", python=False)


def clip_meta(clip: Clip) -> dict:
    """What a detector may know of a clip: its labels, not where it lives."""
    skip = {"path", "layout", "index"}
    out = {f.name: getattr(clip, f.name) for f in fields(clip) if f.name not in skip}
    out["file_name"] = clip.file_name
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in out.items()}


def detector_settings(exp: Experiment) -> dict:
    """The plain settings a detector is built from (:func:`asdlens.models.detectors.make_detector`)."""
    return {
        "model": asdict(exp.model),
        "training": asdict(exp.training),
        "scoring": asdict(exp.scoring),
        "frames": exp.frames,
        "n_mels": exp.feature_bands,
    }


@dataclass
class RunJobs:
    """The jobs of one run, by role."""

    exp: Experiment
    plan: Plan
    features: list[Job] = field(default_factory=list)
    transfers: list[Job] = field(default_factory=list)  # channels.transfer: fitted, one per type and section
    fits: dict[str, Job] = field(default_factory=dict)  # unit name -> fit job
    scores: dict[str, Job] = field(default_factory=dict)  # test group label -> scoring job

    def all(self) -> dict[str, Job]:
        jobs = {j.key: j for j in [*self.transfers, *self.features]}
        jobs.update({j.key: j for j in self.fits.values()})
        jobs.update({j.key: j for j in self.scores.values()})
        return jobs


def _setup(clip: Clip) -> tuple[str, str]:
    """A clip's microphone setup, which a fitted transfer belongs to: its machine type's folder (the type
    within its data root) and its section."""
    return str(clip.path.parent.parent), str(clip.section)


def _by_setup(clips) -> dict[tuple[str, str], list[Clip]]:
    """``clips`` grouped by :func:`_setup`, in their order."""
    groups: dict[tuple[str, str], list[Clip]] = {}
    for clip in clips:
        groups.setdefault(_setup(clip), []).append(clip)
    return groups


def _strict_channels(clips) -> int | None:
    """The channel count every clip must have where its layout names its channels (DCASE 2026), else None."""
    from ..data import layout_spec

    spec = layout_spec(clips[0].layout) if clips else None
    return spec.channels if spec is not None and spec.channel_names else None


class JobBuilder:
    """Builds jobs against one cache; file identities are looked up once per clip (``stat``)."""

    def __init__(self, cache: RunCache, *, threads: int = 1):
        self.cache = cache
        self.threads = threads
        self.identities: dict[Path, FileIdentity] = {}
        self.encoders: dict[tuple, EncoderInput] = {}
        self.transfers: dict[tuple, Job] = {}  # (frontend, channel stage, type folder, section) -> its job

    def identity(self, path: Path) -> FileIdentity:
        if path not in self.identities:
            self.identities[path] = FileIdentity.of(path)
        return self.identities[path]

    def encoder(self, exp: Experiment) -> EncoderInput | None:
        """What a frozen encoder's clip entries depend on (None for the families that read log-mels)."""
        if MODEL_FAMILY[exp.model.name] != "encoder":
            return None
        model = asdict(exp.model)
        found = (tuple(sorted(model.items())), exp.training.gpus)
        if found not in self.encoders:
            self.encoders[found] = encoder_input(model, gpus=exp.training.gpus)
        return self.encoders[found]

    def feature_path(self, exp: Experiment, clip: Clip) -> Path:
        """The entry a fit or score job reads for ``clip``: its log-mel, or a frozen encoder's frame embeddings."""
        encoder = self.encoder(exp)
        if encoder is not None:
            return self.cache.embedding_path(encoder.key(), exp.feature_channel, self.identity(clip.path))
        return self.cache.feature_path(
            exp.frontend_key, self.entry_channel(exp, clip), self.identity(clip.path)
        )

    def entry_channel(self, exp: Experiment, clip: Clip) -> int | str:
        """The channel part of a clip's feature entry: the experiment's, plus the fitted transfer's key for
        ``channels.transfer: fitted`` (the features then depend on the training clips of the clip's setup)."""
        if not exp.channels.needs_transfer:
            return exp.feature_channel
        return f"{exp.feature_channel}-t{self.transfer_for(exp, clip).key[:12]}"

    def transfer_for(self, exp: Experiment, clip: Clip) -> Job:
        """The transfer job of ``clip``'s machine type and section (planned by :meth:`transfer_jobs`)."""
        job = self.transfers.get((exp.frontend_key, exp.feature_channel, *_setup(clip)))
        if job is None:
            raise ValueError(
                f"{clip.path}: channels.transfer=fitted, but its machine type {clip.machine_type} section "
                f"{clip.section} has no training clips to fit the far-to-near transfer from"
            )
        return job

    def transfer_jobs(self, exp: Experiment, plan: Plan) -> list[Job]:
        """One fitted far-to-near transfer per machine type and section of ``plan`` (a microphone setup), from
        its training clips, for ``channels.transfer: fitted``; none otherwise. Each is the dependency of that
        setup's feature jobs, training and test alike."""
        if not exp.channels.needs_transfer:
            return []
        jobs = []
        for setup, clips in sorted(_by_setup(c for unit in plan.units for c in unit.train).items()):
            clips = sorted(clips, key=lambda c: str(c.path))
            key = stable_key("transfer", exp.frontend_key, exp.channels.to_dict(),
                             [self.identity(c.path).key() for c in clips])  # fmt: skip
            payload = TransferPayload(exp.spec.to_dict(), exp.channels.to_dict(), tuple(str(c.path) for c in clips),
                                      str(self.cache.transfer_path(key)))  # fmt: skip
            label = f"transfer {clips[0].machine_type} section {clips[0].section}"
            job = self._job(TRANSFER, key, label, (), payload, len(clips))
            self.transfers[(exp.frontend_key, exp.feature_channel, *setup)] = job
            jobs.append(job)
        return jobs

    def feature_jobs(self, exp: Experiment, clips: tuple[Clip, ...], what: str) -> list[Job]:
        """Shards of ``clips``' entries: feature jobs, or embedding jobs for a frozen encoder."""
        if self.encoder(exp) is not None:
            return self.embedding_jobs(exp, clips, what)
        if not exp.channels.needs_transfer:
            return self._feature_shards(exp, clips, what, None)
        jobs = []
        for members in _by_setup(clips).values():  # a shard reads one setup's transfer
            jobs += self._feature_shards(exp, tuple(members), what, self.transfer_for(exp, members[0]))
        return jobs

    def _feature_shards(self, exp: Experiment, clips: tuple[Clip, ...], what: str, transfer: Job | None):
        """Feature jobs of ``clips`` (:data:`SHARD_CLIPS` each), reading ``transfer``'s gain if one is given."""
        spec_key = exp.frontend_key
        channel = exp.feature_channel if transfer is None else self.entry_channel(exp, clips[0])
        # A channel index is read as one channel; any other stage travels as its spec (read both channels).
        read = channel if isinstance(channel, int) else exp.channels.to_dict()
        jobs = []
        for start in range(0, len(clips), SHARD_CLIPS):
            shard = clips[start : start + SHARD_CLIPS]
            key = stable_key("features", spec_key, channel, [self.identity(c.path).key() for c in shard])
            payload = FeaturesPayload(
                exp.spec.to_dict(),
                read,
                tuple((str(c.path), str(self.feature_path(exp, c))) for c in shard),
                _strict_channels(shard),
                exp.function.payload() if exp.function is not None and exp.function.opaque else None,
                None if transfer is None else TransferPayload.from_dict(transfer.payload).entry,
            )
            label = f"features {what} {start // SHARD_CLIPS + 1}"
            deps = () if transfer is None else (transfer.key,)
            jobs.append(self._job(FEATURES, key, label, deps, payload, len(shard)))
        return jobs

    def embedding_jobs(self, exp: Experiment, clips: tuple[Clip, ...], what: str) -> list[Job]:
        """Embedding jobs of ``clips`` (:data:`SHARD_CLIPS` each), keyed by the encoder input and the clips."""
        encoder, channel = self.encoder(exp), exp.feature_channel
        jobs = []
        for start in range(0, len(clips), SHARD_CLIPS):
            shard = clips[start : start + SHARD_CLIPS]
            key = stable_key(
                "embeddings", encoder.key(), channel, [self.identity(c.path).key() for c in shard]
            )
            payload = FeaturesPayload(
                encoder.to_dict(),
                channel,
                tuple((str(c.path), str(self.feature_path(exp, c))) for c in shard),
            )
            label = f"embeddings {what} {start // SHARD_CLIPS + 1}"
            jobs.append(self._job(EMBEDDINGS, key, label, (), payload, len(shard), exp.training.gpus))
        return jobs

    def _job(self, kind: JobKind, key: str, label: str, deps, payload, size: int, gpus: float = 0.0) -> Job:
        """A job of ``kind`` on this builder's cache; its payload travels as plain data."""
        return Job(kind.path, key, label, str(self.cache.root), tuple(deps), payload.to_dict(), size=size,
                   threads=self.threads, gpus=gpus)  # fmt: skip

    def model_key(self, exp: Experiment, unit: Unit) -> str:
        return stable_key(
            "model",
            {"spec": exp.frontend_key, "channel": exp.feature_channel, "frames": exp.frames},
            [self.identity(c.path).key() for c in unit.train],
            exp.key_section("model"),
            exp.key_section("training"),
            exp.input_dim,
            fit_dependencies(asdict(exp.model), asdict(exp.training)),  # Keras: library_versions(), as before
            FIT_KEEPS,
        )

    def fit_job(self, exp: Experiment, unit: Unit, deps: list[Job]) -> Job:
        payload = FitPayload(
            detector_settings(exp),
            exp.training.seed,
            tuple(str(self.feature_path(exp, c)) for c in unit.train),
            tuple(clip_meta(c) for c in unit.train),
        )
        label = f"fit {unit.name} seed {exp.training.seed}"
        deps = [d.key for d in deps]
        return self._job(
            FIT, self.model_key(exp, unit), label, deps, payload, len(unit.train), exp.training.gpus
        )

    def score_job(
        self, exp: Experiment, group: TestGroup, fit: Job, deps: list[Job], *, own_training: bool = False
    ) -> Job:
        """The scores of ``group``'s clips by ``fit``'s model; ``own_training``: the clips are the model's own
        training clips (a memory back-end then leaves each out of its memory: the decision threshold's scores)."""
        parts = [
            "scores",
            fit.key,
            exp.key_section("scoring"),
            [self.identity(c.path).key() for c in group.clips],
        ]
        # Only a back-end with a memory of the training clips scores them differently as its own (the others'
        # keys stay those of every earlier run).
        left_out = own_training and scores_embeddings(exp.model.name, exp.scoring.backend)
        key = stable_key(*parts, "own training clips, left out") if left_out else stable_key(*parts)
        payload = ScorePayload(
            fit.key,
            detector_settings(exp),
            tuple(str(self.feature_path(exp, c)) for c in group.clips),
            tuple(clip_meta(c) for c in group.clips),
            tuple(c.file_name for c in group.clips),
            left_out,
        )
        label = f"score {group.label} seed {exp.training.seed}"
        return self._job(SCORE, key, label, (fit.key, *(d.key for d in deps)), payload, len(group.clips))

    def plan_features(self, exp: Experiment, plan: Plan) -> list[Job]:
        """The feature jobs of ``plan``: shards of each unit's training clips and of each test group."""
        plan = regroup(plan, exp.model.per)
        jobs = self.transfer_jobs(exp, plan)
        for unit in plan.units:
            jobs += self.feature_jobs(exp, unit.train, f"train {unit.name}")
        for group in plan.tests:
            jobs += self.feature_jobs(exp, group.clips, f"test {group.label}")
        return jobs

    def run_jobs(self, exp: Experiment, plan: Plan) -> RunJobs:
        """Every job of ``exp`` on ``plan`` (bad clips already left out of the plan), its clips grouped into
        units for ``exp.model.per`` (a runner may share one plan between experiments that differ there)."""
        plan = regroup(plan, exp.model.per)
        out = RunJobs(exp, plan, transfers=self.transfer_jobs(exp, plan))
        for unit in plan.units:
            shards = self.feature_jobs(exp, unit.train, f"train {unit.name}")
            out.features += shards
            out.fits[unit.name] = self.fit_job(exp, unit, shards)
        for group in plan.tests:
            shards = self.feature_jobs(exp, group.clips, f"test {group.label}")
            out.features += shards
            out.scores[group.label] = self.score_job(exp, group, out.fits[group.unit], shards)
        return out
