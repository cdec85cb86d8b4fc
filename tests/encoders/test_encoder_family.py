"""The frozen-encoder family without a run: its config (the missing-checkpoint error, the added fields left out
of old keys), what keys its embedding entries, and its detector against the back-ends used directly."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from asdlens.data import Clip
from asdlens.engine import FileIdentity, RunCache
from asdlens.experiment import load_experiment
from asdlens.experiment.config import ADDED_FIELDS, Experiment
from asdlens.experiment.detector_config import CLIP_MODES
from asdlens.experiment.graph import JobBuilder, detector_settings
from asdlens.models.density_knn import LocalDensityKNN, VarianceMinimisedKNN
from asdlens.models.detectors import load_detector, make_detector
from asdlens.models.domains import SeparateDomains
from asdlens.models.fusion import ZMinFusion
from asdlens.models.pca_residual import PCAResidual
from asdlens.models.pooling import parse_pooling
from asdlens.models.samples import ClipSet
from asdlens.models.scorers import KNearestCosine, MahalanobisScorer

SHIPPED = ("beats-knn", "beats-rdp-ldn")
CHECKPOINT_PAGE = "https://github.com/microsoft/unilm/tree/master/beats"


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_encoder_experiments_fail_at_once_without_a_checkpoint(name):
    with pytest.raises(ValueError) as err:
        load_experiment(name)
    message = str(err.value)
    assert "model.checkpoint" in message and "required" in message and CHECKPOINT_PAGE in message
    assert "BEATs_iter3" in message


def test_a_checkpoint_that_is_not_there_is_named_before_any_job_runs(tmp_path):
    exp = load_experiment("beats-knn", [f"model.checkpoint={tmp_path / 'nope.pt'}"])
    clip = Clip(tmp_path / "a.wav", "dcase2023", "fan", "00", "train", 0, None, 0, domain="source")
    builder = JobBuilder(RunCache(tmp_path / "cache"))
    builder.identities[clip.path] = FileIdentity(str(clip.path), 1, 2)
    with pytest.raises(ValueError, match=r"model\.checkpoint=.*nope\.pt.*cannot read it"):
        builder.feature_jobs(exp, (clip,), "train")


def test_the_new_fields_stay_out_of_every_earlier_experiment_and_its_keys():
    for name in ("dcase2020", "dcase2023-ae-mse", "arcface-knn", "dcase2026-ae-subtraction"):
        exp = load_experiment(name)
        for section in ("model", "scoring"):
            new = {"layer", "clip", "clip_seconds", "pooling"} if section == "model" else {
                "density_k", "density_r", "space", "n_components", "fusion", "domains"}  # fmt: skip
            assert new <= set(ADDED_FIELDS[section]), section
            assert not new & set(exp.key_section(section)), (name, section)
            assert not new & set(exp.to_dict()[section]), (name, section)


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        (["model.layer=0"], "model.layer"),
        (["model.layer=first"], "model.layer"),
        (["model.pooling=median"], "model.pooling"),
        (["model.pooling=gem(p=-1)"], "model.pooling"),
        (["model.clip=fixed"], "model.clip"),
        (["model.clip_seconds=5"], "model.clip_seconds"),
        (["frames=5"], "frames"),
        (["channels.policy=mean"], "channels.policy"),
        (["scoring.backend=zmin", "scoring.fusion=knn"], "scoring.fusion"),
        (["scoring.density_r=2"], "scoring.density_r"),
        (["scoring.space=exp"], "scoring.space"),
        (["scoring.backend=confidence"], "scoring.backend"),
        (["model.init=torch"], "model.init"),
    ],
)
def test_bad_encoder_settings_name_their_key(overrides, key):
    with pytest.raises(ValueError, match=key.replace(".", r"\.")):
        load_experiment("beats-knn", ["model.checkpoint=/x.pt", *overrides])


def test_the_training_free_back_ends_belong_to_the_encoder_family():
    for change in ("scoring.backend=ldn", "scoring.domains=separate"):
        with pytest.raises(ValueError, match=r"frozen encoder"):
            load_experiment("arcface-knn", [change])
    with pytest.raises(ValueError, match=r"model\.pooling=.*not a parameter"):
        load_experiment("arcface-knn", ["model.pooling=mean"])


def test_encoder_settings_are_stored_resolved_so_equal_pipelines_are_equal_configs():
    written = load_experiment("beats-knn", ["model.checkpoint=/x.pt"])
    left_out = load_experiment("beats-knn", ["model.checkpoint=/x.pt", "model.layer=null", "model.clip=null",
                                             "model.pooling=null"])  # fmt: skip
    assert written == left_out and written.model.layer == "last" and written.model.pooling == "mean"
    spelled = load_experiment(
        "beats-rdp-ldn", ["model.checkpoint=/x.pt", "model.pooling= rdp_gem(p=3, gamma=16)"]
    )
    assert spelled == load_experiment("beats-rdp-ldn", ["model.checkpoint=/x.pt"])


def test_clip_modes_are_the_encoders_own():
    pytest.importorskip("torch")
    from asdlens.models.encoders.clip_policy import MODES

    assert CLIP_MODES == MODES


def _exp(checkpoint: Path, *overrides: str) -> Experiment:
    return load_experiment("beats-knn", [f"model.checkpoint={checkpoint}", *overrides])


def test_embedding_entries_are_keyed_by_checkpoint_content_layer_and_clip_policy_only(tmp_path):
    one, two, same = tmp_path / "one.pt", tmp_path / "two.pt", tmp_path / "same.pt"
    one.write_bytes(b"weights one")
    two.write_bytes(b"weights two")
    same.write_bytes(b"weights one")
    clip = Clip(tmp_path / "a.wav", "dcase2023", "fan", "00", "train", 0, None, 0, domain="source")
    builder = JobBuilder(RunCache(tmp_path / "cache"))
    builder.identities[clip.path] = FileIdentity(str(clip.path), 1, 2)

    def entry(checkpoint, *overrides):
        return builder.feature_path(_exp(checkpoint, *overrides), clip)

    base = entry(one)
    assert base.parent.parent == tmp_path / "cache" / "embeddings"
    # the back-end, the pooling and the checkpoint's path change no embedding
    for overrides in (["model.pooling=rdp_gem(gamma=16,p=3)"], ["scoring.backend=varmin", "scoring.space=log"],
                      ["scoring.backend=zmin"], ["model.per=all"]):  # fmt: skip
        assert entry(one, *overrides) == base, overrides
    assert entry(same) == base
    # the content, the layer, the clip policy and the device do
    changed = [entry(two), entry(one, "model.layer=1"), entry(one, "model.clip=fixed", "model.clip_seconds=2"),
               entry(one, "training.gpus=1")]  # fmt: skip
    assert len({base, *changed}) == 5
    # the model key follows the pooling (a refit that pools again), the score key the back-end
    unit_model = [builder.model_key(_exp(one, *o), _unit(clip)) for o in ([], ["model.pooling=max"])]
    assert unit_model[0] != unit_model[1]
    assert builder.model_key(_exp(one, "scoring.backend=pca"), _unit(clip)) == unit_model[0]


def _unit(clip):
    from asdlens.experiment import plan as plan_module

    return plan_module.Unit("fan", None, None, (clip,))


# -- the detector on fixed frame embeddings ----------------------------------------------------------------------


def _clips(rng, n_per_class, *, dim=6, shift=0.0):
    """Frame embeddings of clips of two sections, 3-7 frames each; a tenth of them target-domain."""
    lengths, meta, rows = [], [], []
    for section in ("00", "01"):
        for i in range(n_per_class):
            n = int(rng.integers(3, 8))
            rows.append(rng.normal(size=(n, dim)) + (1.0 if section == "01" else 0.0) + shift)
            lengths.append(n)
            meta.append({"machine_type": "fan", "machine_id": section, "file_name": f"{section}_{i}.wav",
                         "domain": "target" if i % 10 == 0 else "source"})  # fmt: skip
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    return ClipSet(np.concatenate(rows).astype(np.float32), offsets, meta)


def _settings(pooling: str, **scoring):
    exp = load_experiment("beats-knn", ["model.checkpoint=/x.pt", f"model.pooling={pooling}"]
                          + [f"scoring.{k}={v}" for k, v in scoring.items()])  # fmt: skip
    return detector_settings(exp)


REFERENCES = {
    "knn": (dict(backend="knn", k=2), lambda: KNearestCosine(2)),
    "ldn": (dict(backend="ldn", density_k=1), lambda: LocalDensityKNN(density_k=1)),
    "ldn-gwrp": (dict(backend="ldn", density_r=0.5), lambda: LocalDensityKNN(density_k=None, density_r=0.5)),
    "varmin": (dict(backend="varmin", density_k=1, space="log"),
               lambda: VarianceMinimisedKNN(density_k=1, space="log")),
    "pca": (dict(backend="pca", n_components=2), lambda: PCAResidual(2)),
    "mahalanobis": (dict(backend="mahalanobis"), MahalanobisScorer),
    "zmin": (dict(backend="zmin", fusion="knn+pca"), lambda: ZMinFusion([KNearestCosine(1), PCAResidual(0.9)])),
    "separate": (dict(backend="ldn", domains="separate"), lambda: SeparateDomains(LocalDensityKNN(density_k=1))),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(REFERENCES))
def test_the_detector_scores_as_its_back_end_on_the_pooled_clips(case, tmp_path):
    rng = np.random.default_rng(7)
    train, test = _clips(rng, 20), _clips(rng, 5, shift=0.3)
    scoring, reference = REFERENCES[case]
    pooling = "rdp_gem(gamma=16,p=3)" if case != "knn" else "mean+max"
    settings = _settings(pooling, **scoring)
    detector = make_detector(settings)
    info = detector.fit(train, seed=0)
    assert info["pooling"] == pooling and info["pooled_dim"] == 6 * len(pooling.split("+"))
    scores = detector.score(test)

    pool = parse_pooling(pooling)
    X = np.stack([pool(train.clip(i)) for i in range(train.n_clips)])
    Y = np.stack([pool(test.clip(i)) for i in range(test.n_clips)])
    expected = np.empty(test.n_clips)
    for section in ("00", "01"):
        rows = [i for i, m in enumerate(train.meta) if m["machine_id"] == section]
        mine = [i for i, m in enumerate(test.meta) if m["machine_id"] == section]
        backend = reference()
        if getattr(backend, "uses_domains", False):
            backend.fit(X[rows], [train.meta[i]["domain"] for i in rows])
        else:
            backend.fit(X[rows])
        expected[mine] = backend.anomaly_score(Y[mine])
    np.testing.assert_allclose(scores, expected, rtol=1e-12, atol=1e-12)

    detector.save(tmp_path)
    np.testing.assert_array_equal(load_detector(tmp_path, settings).score(test), scores)


def test_a_clip_scores_the_same_alone_or_with_others():
    rng = np.random.default_rng(3)
    train, test = _clips(rng, 12), _clips(rng, 4)
    detector = make_detector(_settings("gem(p=3)", backend="varmin", space="log"))
    detector.fit(train, seed=0)
    together = detector.score(test)
    one = ClipSet(test.clip(2).copy(), np.array([0, len(test.clip(2))]), [test.meta[2]])
    assert detector.score(one)[0] == together[2]


def test_the_settings_travel_as_the_runner_passes_them():
    exp = load_experiment("beats-rdp-ldn", ["model.checkpoint=/x.pt"])
    settings = detector_settings(exp)
    assert settings["model"] == asdict(exp.model) and settings["model"]["pooling"] == "rdp_gem(gamma=16,p=3)"
    assert type(make_detector(settings)).__name__ == "EncoderDetector"
