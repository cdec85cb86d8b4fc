"""``channels.transfer: fitted`` in a run: one transfer job per machine type and section, fitted on its training
clips, which every feature entry of that setup reads; against the library's own fit_transfer and melspectrogram."""

from __future__ import annotations

import numpy as np
import pytest

from asdlens.data import read_audio, scan
from asdlens.data.synth import generate
from asdlens.engine import EngineOptions, RunCache
from asdlens.experiment import load_experiment, run_experiment
from asdlens.features import ChannelSpec, fit_transfer, melspectrogram

QUIET = EngineOptions(executor="inline", progress=False)
FITTED = ["channels.transfer=fitted", "training.epochs=1"]


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = generate(
        tmp_path_factory.mktemp("fitted") / "d26", layout="dcase2026", types=["ToyCarEmu", "fan"], parts=["dev"],
        n_train=8, n_train_target=2, n_test_normal=3, n_test_anomaly=3, duration=1.0, seed=4,
    )  # fmt: skip
    return root / "dev_data"


@pytest.mark.slow
def test_a_fitted_transfer_run_fits_one_gain_per_setup_and_its_features_use_it(tree, tmp_path):
    exp = load_experiment("dcase2026-ae-subtraction", FITTED)
    run = run_experiment(
        exp, data_root=tree, out_dir=tmp_path / "run", cache_dir=tmp_path / "cache", engine=QUIET
    )
    assert run.evaluation.official.official_score is not None
    cache = RunCache(tmp_path / "cache")
    entries = sorted((tmp_path / "cache" / "transfers").glob("*.npy"))
    assert len(entries) == 2  # ToyCarEmu section 00 and fan section 00
    clips = scan(tree, "dcase2026").clips
    spec, channels = exp.spec, ChannelSpec.from_dict(exp.channels.to_dict())
    gains = []
    for machine_type in ("ToyCarEmu", "fan"):
        train = sorted((c for c in clips if c.machine_type == machine_type and c.split == "train"),
                       key=lambda c: str(c.path))  # fmt: skip
        audio = [read_audio(c.path, channel=None, expect_sr=spec.sample_rate) for c in train]
        expected = fit_transfer(audio, spec, channels)
        found = [cache.read_feature(e) for e in entries]
        (match,) = [g for g in found if np.allclose(g, expected.gain, rtol=1e-12, atol=0)]
        gains.append(match)
        # a test clip's cached log-mel is the stage with that type's gain
        test = next(c for c in clips if c.machine_type == machine_type and c.split == "test")
        y = read_audio(test.path, channel=None, expect_sr=spec.sample_rate)
        direct = np.asarray(
            melspectrogram(y[None], spec, backend="numpy", channels=channels, transfer=expected)
        )[0]
        entry = next(
            p for p in (tmp_path / "cache" / "features").rglob("*.npy")
            if "-t" in p.parent.name and p.stem == _identity_key(test.path)
        )  # fmt: skip
        np.testing.assert_allclose(cache.read_feature(entry), direct, rtol=1e-6, atol=1e-5)
    assert not np.allclose(gains[0], gains[1])  # two setups, two transfers
    again = run_experiment(exp, data_root=tree, out_dir=tmp_path / "again", cache_dir=tmp_path / "cache",
                           engine=QUIET)  # fmt: skip
    assert again.counters["features_computed"] == 0 and again.counters["models_trained"] == 0


@pytest.mark.slow
def test_a_damaged_transfer_is_refitted_and_its_features_recomputed(tree, tmp_path):
    exp = load_experiment("dcase2026-ae-subtraction", FITTED)
    run_experiment(exp, data_root=tree, out_dir=tmp_path / "a", cache_dir=tmp_path / "cache", engine=QUIET)
    entry = sorted((tmp_path / "cache" / "transfers").glob("*.npy"))[0]
    good = entry.read_bytes()
    entry.write_bytes(good[:-5] + b"xxxxx")  # a damaged checksum footer
    for feature in (tmp_path / "cache" / "features").rglob("*.npy"):
        feature.unlink()  # features must be computed again, and they read the damaged transfer
    run_experiment(exp, data_root=tree, out_dir=tmp_path / "b", cache_dir=tmp_path / "cache", engine=QUIET)
    assert entry.read_bytes() == good  # refitted to the same bytes


def test_setups_without_training_clips_are_named(tmp_path):
    from asdlens.data import Clip
    from asdlens.experiment.graph import JobBuilder

    exp = load_experiment("dcase2026-ae-subtraction", FITTED)
    clip = Clip(tmp_path / "fan" / "test" / "section_00_source_test_normal_0000_.wav", "dcase2026", "fan", "00",
                "test", 0, None, 0, domain="source")  # fmt: skip
    with pytest.raises(ValueError, match="fan section 00 has no training clips"):
        JobBuilder(RunCache(tmp_path / "cache")).transfer_for(exp, clip)


def _identity_key(path) -> str:
    from asdlens.engine import FileIdentity

    return FileIdentity.of(path).key()


@pytest.mark.slow
def test_both_channels_reach_the_autoencoder_as_one_log_mel_of_twice_the_bands(tree, tmp_path):
    exp = load_experiment("dcase2026-ae-mse", ["channels.policy=both", "training.epochs=1"])
    run = run_experiment(
        exp, data_root=tree, out_dir=tmp_path / "run", cache_dir=tmp_path / "cache", engine=QUIET
    )
    assert run.evaluation.official.official_score is not None
    clip = next(c for c in scan(tree, "dcase2026").clips if c.split == "test")
    (entry,) = [
        p for p in (tmp_path / "cache" / "features").rglob("*.npy") if p.stem == _identity_key(clip.path)
    ]
    y = read_audio(clip.path, channel=None, expect_sr=exp.spec.sample_rate)
    near, far = (np.asarray(melspectrogram(y[i], exp.spec, backend="numpy")) for i in (0, 1))
    np.testing.assert_array_equal(
        RunCache(tmp_path / "cache").read_feature(entry), np.concatenate([near, far])
    )
    torch = pytest.importorskip("torch")
    model = sorted((tmp_path / "run" / "models").glob("*.pt"))[0]
    state = torch.load(model, map_location="cpu", weights_only=True)
    assert state["encoder.0.weight"].shape[1] == 2 * 128 * 5  # the network takes both planes' stacked frames
