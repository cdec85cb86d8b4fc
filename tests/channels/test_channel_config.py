"""The channel stage as a pipeline setting: ``channels:`` in a config, its cache entries, the feature job reading
both channels of real two-channel WAV files, and ``explain``'s channel groups."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import soundfile as sf

from asdlens.engine import FileIdentity, RunCache
from asdlens.experiment import Experiment, load_experiment
from asdlens.experiment.clip_features import file_logmels
from asdlens.explain import compose, differing_groups
from asdlens.features import ChannelSpec, melspectrogram


def _stereo(path, seed: int, n: int = 16000) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n) / 16000
    near = 0.3 * np.sin(2 * np.pi * 440 * t) + 0.01 * rng.standard_normal(n)
    far = 0.2 * np.sin(2 * np.pi * 440 * t + 0.3) + 0.1 * rng.standard_normal(n)
    audio = np.stack([near, far], axis=1)
    sf.write(path, audio, 16000, subtype="PCM_16")
    data, _ = sf.read(path, dtype="int16", always_2d=True)
    return (data.T / 32768.0).astype(np.float32)  # [2, n] as read_audio returns it


def test_the_default_stage_leaves_configs_and_keys_as_they_were():
    exp = load_experiment("dcase2023-ae-mse")
    assert "channels" not in exp.to_dict() and "channels:" not in exp.to_yaml()
    assert exp.feature_channel == 0 and exp.channels == ChannelSpec()
    far = exp.with_overrides(["channels.policy=far"])
    assert far.feature_channel == 1 and far.to_dict()["channels"]["policy"] == "far"
    sub = exp.with_overrides(["channels.policy=complex_subtraction"])
    assert sub.feature_channel == f"cs{ChannelSpec('complex_subtraction').key()}"
    assert Experiment.from_dict(sub.to_dict()) == sub
    path = RunCache("/c").feature_path("abc", sub.feature_channel, FileIdentity("/x.wav", 1, 2))
    assert path.parent.name == f"abc-{sub.feature_channel}"
    assert RunCache("/c").feature_path("abc", 0, FileIdentity("/x.wav", 1, 2)).parent.name == "abc-ch0"


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        (["channels.policy=mean", "dataset.channel=1"], "dataset.channel"),
        (["channels.polcy=mean"], "unknown field 'polcy' of channels"),
        (["channels.policy=loud"], "channels: ChannelSpec.policy='loud'"),
    ],
)
def test_settings_a_run_cannot_use_are_named(sets, message):
    with pytest.raises(ValueError, match=message):
        load_experiment("dcase2023-ae-mse", sets)


def test_two_planes_go_to_the_autoencoders_only():
    both = load_experiment("dcase2026-ae-mse", ["channels.policy=both"])
    assert both.feature_bands == 2 * both.spec.n_mels and both.input_dim == 2 * 128 * 5
    with pytest.raises(
        ValueError, match="channels.policy.*two feature planes; model.name='margin_cnn' takes one"
    ):
        load_experiment("arcface-knn", ["channels.policy=both"])


@pytest.mark.parametrize("policy", ["near", "far", "mean", "magnitude_subtraction", "complex_subtraction"])
def test_the_feature_job_reads_both_channels_through_the_stage(tmp_path, policy):
    clips = [_stereo(tmp_path / f"c{i}.wav", i) for i in range(3)]
    exp = load_experiment("dcase2023-ae-mse", [f"channels.policy={policy}"])
    channel = exp.feature_channel if isinstance(exp.feature_channel, int) else exp.channels.to_dict()
    got = list(file_logmels([tmp_path / f"c{i}.wav" for i in range(3)], exp.spec, channel=channel))
    for (_, logmel, problem), y in zip(got, clips, strict=True):
        assert problem is None
        expected = melspectrogram(y, exp.spec, backend="numpy", channels=ChannelSpec(policy))
        np.testing.assert_allclose(logmel, expected, rtol=1e-5, atol=1e-4)
    if policy == "near":  # the mono path of every earlier run: channel 0 itself
        np.testing.assert_array_equal(got[0][1], melspectrogram(clips[0][0], exp.spec, backend="numpy"))


def test_a_mono_file_under_a_two_channel_stage_is_named(tmp_path):
    sf.write(tmp_path / "mono.wav", np.zeros(16000), 16000, subtype="PCM_16")
    exp = load_experiment("dcase2023-ae-mse", ["channels.policy=complex_subtraction"])
    ((_, logmel, problem),) = file_logmels([tmp_path / "mono.wav"], exp.spec, channel=exp.channels.to_dict())
    assert logmel is None and "mono.wav" in problem and "2" in problem


def test_explain_walks_the_channel_policy_first_and_composes_it():
    ref = load_experiment("dcase2023-ae-mse")
    mine = ref.with_overrides(
        ["channels.policy=magnitude_subtraction", "channels.floor=0.2", "frontend.n_mels=64"]
    )
    groups = differing_groups(ref, mine)
    assert [g.name for g in groups][:3] == ["channel_policy", "subtraction", "n_mels"] or [
        g.name for g in groups
    ][:2] == ["channel_policy", "subtraction"]
    first = compose(ref, mine, groups[:1])
    assert first.channels == ChannelSpec("magnitude_subtraction") and first.spec == ref.spec
    assert compose(ref, mine, groups).channels == mine.channels
    # floor 0.2 on "near" changes no number: the subtraction step taken alone is inert
    alone = differing_groups(ref, ref.with_overrides(["channels.floor=0.2"]))
    assert [(g.name, g.inert) for g in alone] == [("subtraction", True)]


def test_a_mono_file_in_a_two_channel_layout_is_named_under_near_too(tmp_path):
    from asdlens.data import Clip
    from asdlens.experiment.graph import _strict_channels

    sf.write(tmp_path / "mono.wav", np.zeros(16000), 16000, subtype="PCM_16")
    _stereo(tmp_path / "two.wav", 1)
    exp = load_experiment("dcase2026-ae-mse")
    assert isinstance(exp.feature_channel, int)  # near: one channel read, as the official loader
    paths = [tmp_path / "mono.wav", tmp_path / "two.wav"]
    (_, mono, problem), (_, two, ok) = file_logmels(paths, exp.spec, channel=0, expect_channels=2)
    assert mono is None and "mono.wav" in problem and "2" in problem and two is not None and ok is None
    clip = Clip(tmp_path / "two.wav", "dcase2026", "fan", "00", "train", 0, None, 0)
    assert _strict_channels([clip]) == 2
    assert _strict_channels([dataclasses.replace(clip, layout="dcase2023")]) is None


def test_transfer_none_from_yaml_or_set_is_no_transfer_not_the_default():
    none = load_experiment("dcase2026-ae-subtraction", ["channels.transfer=none"])
    assert none.channels.transfer == "none" and none.channels.transfer_method == "none"
    default = load_experiment("dcase2026-ae-subtraction", ["channels.transfer=null"])
    assert default.channels.transfer_method == "clip"  # complex subtraction's default
    assert none.feature_channel != default.feature_channel
    assert (
        ChannelSpec.from_dict({"policy": "complex_subtraction", "transfer": "None"}).transfer_method == "none"
    )
