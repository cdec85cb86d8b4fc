"""The benchmark core and ``asdlens bench`` on a tiny batch: structure and parity figures, never timings."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from asdlens.benchmark import LIBROSA_IMPL, SEED_IMPL, benchmark_tasks, errors, make_batch, run_benchmark
from asdlens.cli import app
from asdlens.features import MelSpec


def test_make_batch_is_seeded_float32_and_validated():
    a = make_batch(3, seconds=0.5, seed=1)
    assert a.shape == (3, 8000) and a.dtype == np.float32
    np.testing.assert_array_equal(a, make_batch(3, seconds=0.5, seed=1))
    assert not np.array_equal(a, make_batch(3, seconds=0.5, seed=2))
    assert np.isfinite(a).all() and 0.05 < np.abs(a).max() < 5
    with pytest.raises(ValueError, match="n_clips"):
        make_batch(0)


def test_errors_relative_and_in_db():
    ref = np.full((1, 4, 5), 2.0)
    ours = ref * (1 + 1e-3)
    assert errors(ours, ref, MelSpec())["max_rel_error"] == pytest.approx(1e-3)
    db = errors(ref + 0.01, ref, MelSpec(log="dcase"))
    assert db["max_db_error"] == pytest.approx(0.01)
    assert db["max_rel_error"] == pytest.approx(10 ** (0.01 / 10) - 1)  # power 2: dcase values are power dB
    with pytest.raises(ValueError, match="shapes differ"):
        errors(ref[..., :3], ref, MelSpec())


def test_run_benchmark_on_a_tiny_batch():
    steps, saved = [], []
    report = run_benchmark(
        n_clips=2,
        seconds=1.0,
        repeats=1,
        on_step=steps.append,
        on_result=lambda r: saved.append(len(r["results"])),
    )
    assert steps == benchmark_tasks()
    assert saved == list(range(1, len(steps) + 1))
    rows = {(r["preset"], r["impl"], r["fast"]): r for r in report["results"]}
    for (preset, impl, fast), r in rows.items():
        assert r["clips_per_s"] > 0 and r["seconds"] > 0, (preset, impl)
        if impl in ("numpy", "tensorflow", "torch") and not fast:
            assert r["max_rel_error"] < 1e-5, (preset, impl, r)
    assert rows[("librosa", LIBROSA_IMPL, False)]["max_rel_error"] == 0
    seed = rows[("tf.signal", SEED_IMPL, False)]
    assert seed["reference"] == "seed tf.signal in float64"
    assert seed["mean_db_gap_vs_librosa"] > 5  # the seed notebook's gap: filterbank and framing differ
    assert "tensorflow exact vs seed tf.signal (tf.signal)" in report["ratios"]
    assert "torch vs librosa per-clip (dcase2020)" in report["ratios"]
    json.dumps(report)  # JSON-ready


def test_run_benchmark_rejects_unknown_names():
    with pytest.raises(ValueError, match="unknown preset"):
        run_benchmark(n_clips=1, seconds=0.5, tasks=benchmark_tasks(presets=("nope",)))
    with pytest.raises(ValueError, match="unknown backend"):
        run_benchmark(n_clips=1, seconds=0.5, tasks=benchmark_tasks(backends=("jax",)))


def test_cli_bench_writes_json_and_rejects_bad_options(tmp_path):
    out = tmp_path / "bench" / "results.json"
    runner = CliRunner()
    result = runner.invoke(
        app, ["bench", "--clips", "2", "--seconds", "0.5", "--repeats", "1", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["config"]["n_clips"] == 2 and len(report["results"]) == len(benchmark_tasks())
    assert "clips/s" in result.output
    bad = runner.invoke(app, ["bench", "--clips", "0", "--out", str(tmp_path / "x.json")])
    assert bad.exit_code == 2 and "error:" in bad.output
    assert not (tmp_path / "x.json").exists()
