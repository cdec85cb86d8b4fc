"""The bench's detector timings: each family's training rate through its own ``fit``, and experiments timed end to
end. No timed assertion: the numbers depend on the machine; what is checked is what they count."""

from __future__ import annotations

import pytest
from detector_fixtures import settings

from asdlens.benchmark.detectors import estimated_training_s, time_experiments
from asdlens.data.synth import generate
from asdlens.engine import EngineOptions
from asdlens.models.samples import windows
from asdlens.models.throughput import detector_throughput, random_clips

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("sets", "per_clip"),
    [
        (["training.batch_size=256"], 313 - 5 + 1),  # every 5-frame vector
        (["model.name=margin_cnn", "model.per=all", "frames=16", "model.hop=4", "model.width=0.25",
          "training.validation_split=0"], (313 - 16) // 4 + 1),
    ],
)  # fmt: skip
def test_detector_throughput_counts_the_training_samples(sets, per_clip):
    result = detector_throughput(settings(sets), n_clips=8, epochs=1)
    split = settings(sets)["training"]["validation_split"]
    assert result["n_samples"] == int(8 * per_clip * (1 - split))
    assert result["samples_per_s"] > 0 and result["seconds"] > 0 and result["epochs"] == 1
    assert estimated_training_s(result, result["n_samples"], 1) == pytest.approx(result["seconds"])
    assert len(windows(random_clips(8, 313, 128), result["frames"], result["hop"])) == 8 * per_clip


def test_time_experiments_runs_each_in_its_own_cache(tmp_path):
    data = generate(tmp_path / "data", types=["pump"], ids=["00", "02"], n_train=4, n_test_normal=2,
                    n_test_anomaly=2, duration=2.0)  # fmt: skip
    out = time_experiments(data, tmp_path / "work", ("dcase2020", "dcase2020-ae-mahalanobis"),
                           overrides=["training.epochs=1"], engine=EngineOptions("inline", progress=False))  # fmt: skip
    assert list(out) == ["dcase2020", "dcase2020-ae-mahalanobis"]
    for name, timed in out.items():
        assert timed["models"] == 1, name  # no shared cache: the Mahalanobis run trains its own model
        assert timed["wall_s"] >= timed["timings_s"]["models_and_scores"] > 0
        assert 0 <= timed["mean_auc"] <= 1


def test_the_frameworks_part_counts_what_it_says_in_a_child_with_its_threads():
    from asdlens.benchmark.frameworks import in_child

    pair = in_child(1, "torch_pair", n_vectors=2000, rounds=1, epochs=1)
    assert pair["threads"] == 1
    (bare,), (fit,) = pair["bare_torch_loop"], pair["torch_fit"]
    assert bare["n_samples"] == 2000 and bare["batch_size"] == fit["batch_size"] == 512
    # the streamed fit trains on random 313-frame clips holding at least as many vectors, 90 % of them
    assert fit["framework"] == "torch" and fit["n_samples"] == int(7 * 309 * 0.9)
    assert fit["seconds"] >= fit["first_epoch_s"] > 0 and fit["process_setup_s"] >= 0
