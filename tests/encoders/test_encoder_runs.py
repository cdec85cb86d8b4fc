"""The frozen-encoder family run end to end on a generated DCASE 2023 tree with a random-weight checkpoint in the
official format: the official files, embedding entries that are the encoder's output on the WAVs, and an
``explain beats-knn beats-rdp-ldn`` whose pooling and back-end steps recompute no embedding."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from asdlens.data import read_audio  # noqa: E402
from asdlens.data.synth import generate  # noqa: E402
from asdlens.engine import EngineOptions, RunCache  # noqa: E402
from asdlens.experiment import load_experiment, run_experiment  # noqa: E402
from asdlens.experiment.clip_embeddings import encoder_input, file_embeddings  # noqa: E402
from asdlens.explain import explain  # noqa: E402
from asdlens.models.encoders import embed_clips, load_beats, write_random_checkpoint  # noqa: E402

N_TRAIN, N_TARGET, N_NORMAL, N_ANOMALY = 12, 2, 4, 4  # per section and domain as the generator counts them
N_CLIPS = N_TRAIN + N_TARGET + 2 * 2 * N_NORMAL  # train (source + target) + test (2 domains x normal/anomaly)


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("beats")
    data = generate(root / "data", layout="dcase2023", types=["valve"], n_train=N_TRAIN, n_train_target=N_TARGET,
                    n_test_normal=N_NORMAL, n_test_anomaly=N_ANOMALY, duration=1.0, seed=1)  # fmt: skip
    checkpoint = root / "BEATs_tiny_random.pt"
    write_random_checkpoint(checkpoint, "tiny", seed=0)
    return data / "dev_data", checkpoint


def _set(checkpoint: Path) -> list[str]:
    return [f"model.checkpoint={checkpoint}"]


def test_a_clip_too_short_for_one_patch_row_is_that_clips_problem(tree, tmp_path):
    _, checkpoint = tree
    short, fine = tmp_path / "short.wav", tmp_path / "fine.wav"
    import soundfile

    soundfile.write(short, np.zeros(2000), 16000, subtype="PCM_16")  # 0.125 s: fewer than 16 fbank frames
    soundfile.write(fine, 0.1 * np.random.default_rng(0).standard_normal(16000), 16000, subtype="PCM_16")
    spec = encoder_input(load_experiment("beats-knn", _set(checkpoint)).to_dict()["model"])
    out = {i: (frames, problem) for i, frames, problem in file_embeddings([short, fine], spec)}
    assert out[0][0] is None and str(short) in out[0][1] and "at least" in out[0][1]
    assert out[1][1] is None and out[1][0].shape == (32, 6)  # tiny: 32 values per 160 ms, 1 s = 6 patch rows


@pytest.mark.slow
def test_a_run_writes_the_official_files_from_the_encoders_embeddings(tree, tmp_path):
    data, checkpoint = tree
    exp = load_experiment("beats-knn", _set(checkpoint))
    result = run_experiment(exp, data_root=data, out_dir=tmp_path / "out", cache_dir=tmp_path / "cache",
                            engine=EngineOptions(executor="inline", progress=False))  # fmt: skip
    assert result.counters["features_computed"] == N_CLIPS and result.counters["models_trained"] == 1
    out = tmp_path / "out"
    with open(out / "anomaly_score_valve_section_00_test.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert len(rows) == 2 * 2 * N_NORMAL and all(np.isfinite(float(score)) for _, score in rows)
    assert (out / "decision_result_valve_section_00_test.csv").is_file() and (out / "results.json").is_file()
    assert "BEATs' own fbank (BEATs_tiny_random.pt)" in (out / "report.md").read_text()

    entries = sorted((tmp_path / "cache" / "embeddings").glob("*/*.npy"))
    assert len(entries) == N_CLIPS and not list((tmp_path / "cache" / "features").glob("**/*.npy"))
    # an entry is the encoder's last layer on that WAV, [dim, n_frames]
    wav = sorted((data / "valve" / "train").glob("*.wav"))[0]
    builder_entry = next(e for e in entries if e.stem == _clip_key(wav))
    expected = embed_clips(load_beats(checkpoint), [read_audio(wav)])[0].T
    np.testing.assert_allclose(RunCache.read_feature(builder_entry), expected, rtol=1e-5, atol=1e-6)


def _clip_key(path: Path) -> str:
    from asdlens.engine import FileIdentity

    return FileIdentity.of(path).key()


@pytest.mark.slow
@pytest.mark.ci
def test_explain_beats_knn_to_beats_rdp_ldn_recomputes_no_embedding(tree, tmp_path):
    data, checkpoint = tree
    result = explain("beats-knn", "beats-rdp-ldn", data_root=data, out_dir=tmp_path, overrides=_set(checkpoint),
                     engine=EngineOptions(progress=False), announce=lambda _: None)  # fmt: skip
    steps = {s.name: s for s in result.steps}
    assert list(steps) == ["REF", "model", "scoring"]
    assert steps["model"].group.fields == ("model.pooling",)
    assert set(steps["scoring"].group.fields) == {"scoring.backend", "scoring.space"}
    computed = [s.outcome.counters["features_computed"] for s in result.steps]
    cached = [s.outcome.counters["features_cached"] for s in result.steps]
    assert computed == [N_CLIPS, 0, 0] and cached == [0, N_CLIPS, N_CLIPS]
    # the pooling step pools again (a new model entry, nothing trained); the back-end step reuses it
    assert [s.outcome.counters["models_trained"] for s in result.steps] == [1, 1, 0]
    entries = sorted((tmp_path / "cache" / "embeddings").glob("*/*.npy"))
    assert len(entries) == N_CLIPS
    written = {e: e.stat().st_mtime_ns for e in entries}

    # the same ladder from the CLI: every embedding, model and score from the cache
    proc = subprocess.run(
        [sys.executable, "-m", "asdlens", "explain", "beats-knn", "beats-rdp-ldn", "--data", str(data),
         "--out", str(tmp_path), "--set", f"model.checkpoint={checkpoint}"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert {
        e: e.stat().st_mtime_ns for e in sorted((tmp_path / "cache" / "embeddings").glob("*/*.npy"))
    } == written


@pytest.mark.slow
def test_the_cli_refuses_a_run_without_a_checkpoint(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "asdlens", "run", "beats-rdp-ldn", "--data", str(tmp_path), "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "model.checkpoint" in proc.stderr and "github.com/microsoft/unilm/tree/master/beats" in proc.stderr
