"""The DCASE 2021-2025 experiment settings: the shipped baselines, the new fields, and what they leave unchanged."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, fields
from importlib import resources
from pathlib import Path

import librosa
import numpy as np
import pytest

from asdlens.data import Clip
from asdlens.data.synth import machine_clip
from asdlens.engine.cache import FileIdentity, RunCache
from asdlens.experiment import load_experiment, shipped_experiments
from asdlens.experiment import plan as plan_module
from asdlens.experiment.config import ADDED_FIELDS
from asdlens.experiment.graph import FIT_KEEPS, JobBuilder, library_versions
from asdlens.explain import differing_groups
from asdlens.features import melspectrogram
from asdlens.keys import stable_key

YEARS = ("dcase2021-ae", "dcase2022-ae", "dcase2023-ae-mse", "dcase2023-ae-mahalanobis")


def test_the_year_baselines_are_shipped_and_cite_their_sources():
    assert set(YEARS) <= set(shipped_experiments())
    folder = resources.files("asdlens.experiment").joinpath("configs")
    for name in YEARS:
        text = folder.joinpath(f"{name}.yaml").read_text()
        header = "\n".join(line for line in text.splitlines() if line.startswith("#"))
        repo = {"dcase2021-ae": "y-kawagu/dcase2021_task2_baseline_ae @ 7d7f5cc",
                "dcase2022-ae": "Kota-Dohi/dcase2022_task2_baseline_ae @ 8ab52e1"}.get(name, "nttcslab/")  # fmt: skip
        assert repo in header, name
        assert load_experiment(name).name == name


def test_the_baselines_settings():
    e21, e22 = load_experiment("dcase2021-ae"), load_experiment("dcase2022-ae")
    mse, mahala = load_experiment("dcase2023-ae-mse"), load_experiment("dcase2023-ae-mahalanobis")
    # 2021 and 2022 are one model; the only difference is librosa 0.9's zero padding (and the layout)
    assert e21.spec.pad_mode == "reflect" and e22.spec.pad_mode == "constant"
    groups = differing_groups(e21, e22)
    assert [(g.name, g.fields) for g in groups] == [("framing", ("frontend.pad_mode",)),
                                                     ("dataset", ("dataset.layout",))]  # fmt: skip
    assert (e21.training.batch_size, e21.training.validation_from, e21.model.per) == (512, "tail", "type")
    # 2023-2025: batch 256, the random validation draw with the baseline's seed, the layout detected
    for exp in (mse, mahala):
        t = exp.training
        assert (t.batch_size, t.epochs, t.validation_split, t.validation_from, t.seed) == (
            256,
            100,
            0.1,
            "random",
            13711,
        )
        assert exp.dataset.layout == "auto" and exp.spec.pad_mode == "constant"
    assert (mse.scoring.backend, mahala.scoring.backend) == ("default", "mahalanobis")
    assert [g.name for g in differing_groups(mse, mahala)] == ["scoring"]


def test_the_2021_plus_log_is_the_baselines_log_of_librosas_mel():
    """``20 / power * log10(maximum(mel, eps))`` (the 2021-2025 baselines' file_to_vectors) on librosa's mel."""
    y = machine_clip("pump", "00", duration=2.0)
    for name, pad in (
        ("dcase2021-ae", "reflect"),
        ("dcase2022-ae", "constant"),
        ("dcase2023-ae-mse", "constant"),
    ):
        ours = np.asarray(melspectrogram(y, load_experiment(name).spec))
        mel = librosa.feature.melspectrogram(y=y, sr=16000, n_fft=1024, hop_length=512, n_mels=128, power=2.0,
                                             pad_mode=pad)  # fmt: skip
        theirs = 20.0 / 2.0 * np.log10(np.maximum(mel, sys.float_info.epsilon))
        assert ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, atol=1e-4)  # dB


def test_new_fields_are_validated_with_their_names():
    cases = [
        (["training.validation_from=head"], r"training.validation_from='head' is not allowed; choose one of \['tail', 'random'\]"),
        (["scoring.backend=mse"], r"scoring.backend='mse' is not allowed; choose one of \['default', 'mahalanobis', "),
        (["dataset.ground_truth=3"], r"dataset.ground_truth=3 must be a path"),
        (["dataset.layout=dcase2019"], r"dataset.layout='dcase2019' is not allowed"),
    ]  # fmt: skip
    for items, pattern in cases:
        with pytest.raises(ValueError, match=pattern):
            load_experiment("dcase2020", items)
    for layout in ("dcase2021", "dcase2022", "dcase2023", "dcase2024", "dcase2025", "auto"):
        assert load_experiment("dcase2020", [f"dataset.layout={layout}"]).dataset.layout == layout


def _old_model_key(builder, exp, unit):
    """The model key as graph.py computed it before the added fields existed, with what fits keep (which changed
    every model key once, when every fit started to keep what each back-end needs)."""

    def old(section):
        return {k: v for k, v in asdict(section).items() if k not in ADDED_FIELDS.get(_name(section), {})}

    return stable_key(
        "model",
        {"spec": exp.spec.key(), "channel": exp.dataset.channel, "frames": exp.frames},
        [builder.identity(c.path).key() for c in unit.train],
        old(exp.model),
        old(exp.training),
        exp.input_dim,
        library_versions(),
        FIT_KEEPS,
    )


def _name(section) -> str:
    names = {
        "DatasetConfig": "dataset",
        "ModelConfig": "model",
        "TrainingConfig": "training",
        "ScoringConfig": "scoring",
    }
    return names.get(type(section).__name__, "")


def test_configs_and_cache_keys_of_experiments_without_the_new_fields_keep_their_bytes(tmp_path):
    clip = Clip(
        Path("/data/pump/train/normal_id_00_00000000.wav"), "dcase2020", "pump", "00", "train", 0, None, 0
    )
    for name in ("dcase2020", "mimii", "seed-tf"):
        exp = load_experiment(name)
        data = exp.to_dict()
        # the resolved config lists exactly the fields it listed before
        for section, added in ADDED_FIELDS.items():
            before = [f.name for f in fields(type(getattr(exp, section))) if f.name not in added]
            assert list(data[section]) == before
        assert {k: exp.to_dict(complete=True)["scoring"][k] for k in ("aggregate", "backend")} == {
            "aggregate": "mean",
            "backend": "default",
        }
        builder = JobBuilder(RunCache(tmp_path / name))
        builder.identities[clip.path] = FileIdentity(str(clip.path), 1234, 5678)
        unit = plan_module.Unit("pump", None, None, (clip,))
        fit = builder.fit_job(exp, unit, [])
        assert fit.key == _old_model_key(builder, exp, unit)
        score = builder.score_job(exp, plan_module.TestGroup("pump", None, "00", "pump", (clip,)), fit, [])
        old_scoring = {"aggregate": exp.scoring.aggregate}
        assert score.key == stable_key("scores", fit.key, old_scoring, [builder.identity(clip.path).key()])
    # a field set to another value is written out, keyed, and read back
    exp = load_experiment("dcase2020", ["scoring.backend=mahalanobis", "training.validation_from=random"])
    again = load_experiment("dcase2020", [])
    assert exp.to_dict()["scoring"]["backend"] == "mahalanobis"
    assert json.loads(json.dumps(exp.to_dict())) == exp.to_dict()
    assert type(exp).from_dict(exp.to_dict()) == exp != again


def test_every_backend_shares_the_trained_model(tmp_path):
    """Every fit keeps the residual covariances and the training embeddings, so MSE, Mahalanobis and the
    embedding back-ends score from one model entry, with domains (2021+) or without (2020)."""
    sectioned = Clip(Path("/d/fan/train/section_00_source_train_normal_0000_a.wav"), "dcase2023", "fan", "00",
                     "train", 0, None, 0, domain="source")  # fmt: skip
    plain = Clip(
        Path("/d/fan/train/normal_id_00_00000000.wav"), "dcase2020", "fan", "00", "train", 0, None, 0
    )
    mse, mahala = load_experiment("dcase2023-ae-mse"), load_experiment("dcase2023-ae-mahalanobis")
    builder = JobBuilder(RunCache(tmp_path))
    for clip in (sectioned, plain):
        builder.identities[clip.path] = FileIdentity(str(clip.path), 1, 2)
    keys = {
        (kind, backend): builder.fit_job(exp, plan_module.Unit("fan", None, None, (clip,)), []).key
        for kind, clip in (("sections", sectioned), ("ids", plain))
        for backend, exp in (("mse", mse), ("mahalanobis", mahala))
    }
    assert keys["sections", "mse"] == keys["sections", "mahalanobis"]
    assert keys["ids", "mse"] == keys["ids", "mahalanobis"]
    assert keys["ids", "mse"] != keys["sections", "mse"]
