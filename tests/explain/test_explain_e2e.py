"""``asdlens explain dcase2020 seed-tf`` end to end on generated data, with real training (a few epochs)."""

import json
import subprocess
import sys

import pytest

from asdlens.data.synth import generate
from asdlens.engine import EngineOptions
from asdlens.experiment import load_experiment, run_experiment
from asdlens.explain import explain
from asdlens.report import check_html

QUIET = EngineOptions(progress=False)  # every run of these tests without the live display

pytestmark = [pytest.mark.slow, pytest.mark.ci]

QUICK = ["training.epochs=2"]


@pytest.fixture(scope="module")
def explained(tmp_path_factory):
    root = tmp_path_factory.mktemp("explain")
    data = generate(
        root / "data", types=["pump"], ids=["00", "02"], n_train=12, n_test_normal=6, n_test_anomaly=6
    )
    result = explain(
        "dcase2020",
        "seed-tf",
        data_root=data,
        out_dir=root / "out",
        overrides=QUICK,
        engine=QUIET,
        announce=lambda _: None,
    )
    return root, data, result


def test_one_step_per_differing_group_and_the_steps_add_up(explained):
    root, data, result = explained
    names = [s.name for s in result.steps]
    assert names == [
        "REF",
        "framing",
        "window",
        "mel_scale",
        "frequency_range",
        "filter_norm",
        "triangle_domain",
    ]
    for metric in ("auc", "pauc"):
        steps = sum(s.change[metric] for s in result.steps[1:])
        assert steps == pytest.approx(result.total[metric], abs=1e-12)
    # the last step is MINE itself: the same numbers as running seed-tf on its own (from the shared cache)
    mine = run_experiment(
        load_experiment("seed-tf", QUICK),
        data_root=data,
        out_dir=root / "mine",
        cache_dir=root / "out" / "cache",
        engine=QUIET,
        report=False,
    )
    assert result.steps[-1].outcome.value["auc"] == pytest.approx(mine.mean_auc, abs=1e-12)
    assert mine.counters["models_trained"] == 0
    ref = result.steps[0].outcome.value["auc"]
    assert result.total["auc"] == pytest.approx(mine.mean_auc - ref, abs=1e-12)


def test_inert_step_is_zero_without_retraining(explained):
    _, _, result = explained
    window = next(s for s in result.steps if s.name == "window")
    assert window.group.inert
    assert window.change == {"auc": 0.0, "pauc": 0.0}
    assert (
        window.outcome.counters["models_trained"] == 0 and window.outcome.counters["features_computed"] == 0
    )
    assert window.outcome.counters["models_cached"] == 1
    for step in result.steps[1:]:
        if not step.group.inert:  # every real frontend change recomputes features and retrains
            assert (
                step.outcome.counters["features_computed"] > 0
                and step.outcome.counters["models_trained"] == 1
            )


def test_outputs_json_and_report(explained, chromium_images):
    root, _, result = explained
    saved = json.loads((root / "out" / "explain.json").read_text())
    assert [s["name"] for s in saved["steps"]] == [s.name for s in result.steps]
    assert saved["total"]["auc"] == pytest.approx(result.total["auc"])
    report = root / "out" / "report.html"
    assert len(check_html(report)) == 2
    loaded, total = chromium_images(report)
    assert loaded == total == 2


def test_cli_reuses_everything_and_prints_the_ladder(explained):
    root, data, result = explained
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "asdlens",
            "explain",
            "dcase2020",
            "seed-tf",
            "--data",
            str(data),
            "--out",
            str(root / "out"),
            "--set",
            "training.epochs=2",
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        env={"COLUMNS": "160", "PATH": "/usr/bin:/bin"},
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert "frequency_range" in proc.stdout and "the sum of the step changes" in proc.stdout
    again = json.loads((root / "out" / "explain.json").read_text())
    assert [s["counters"]["models_trained"] for s in again["steps"]] == [0] * 7  # all from the cache
    assert again["total"] == result.total


def test_cli_errors_exit_2(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "asdlens",
            "explain",
            "dcase2020",
            "no-such-experiment",
            "--data",
            str(tmp_path),
            "--out",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2 and "unknown experiment 'no-such-experiment'" in proc.stderr
