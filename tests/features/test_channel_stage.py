"""The channel stage in every backend against direct NumPy references of its formulas; the mono identities."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from channel_reference import reference, stereo, stft, subtracted

from asdlens.features import ChannelSpec, MelSpec, fit_transfer, melspectrogram

SPEC = MelSpec(n_fft=512, hop_length=256, n_mels=40, pad_mode="reflect", log="dcase")
SPEC64 = dataclasses.replace(SPEC, dtype="float64")

CHANNEL_SPECS = [
    ChannelSpec("near"),
    ChannelSpec("far"),
    ChannelSpec("mean"),
    ChannelSpec("both"),
    ChannelSpec("magnitude_subtraction"),  # Qian's: a = 1, floor 0.1, no gain
    ChannelSpec("magnitude_subtraction", over_subtraction=1.5, floor=0.05, transfer="clip"),
    ChannelSpec("magnitude_subtraction", transfer="fitted"),
    ChannelSpec("complex_subtraction"),  # W1: the clip's own least-squares H, no floor
    ChannelSpec("complex_subtraction", transfer="none", floor=0.1),
    ChannelSpec("complex_subtraction", transfer="fitted", over_subtraction=0.8),
]


def _id(c: ChannelSpec) -> str:
    changed = {k: v for k, v in c.to_dict().items() if k != "policy" and v != getattr(ChannelSpec(), k)}
    return c.policy + "".join(f"-{k}={v}" for k, v in changed.items())


@pytest.fixture(scope="module")
def clips() -> np.ndarray:
    return stereo(0.5, seed=3)


def _transfer(channels: ChannelSpec, spec: MelSpec):
    if not channels.needs_transfer:
        return None
    return fit_transfer(list(stereo(0.5, seed=11, batch=3)), spec, channels)  # other clips: training data


def _backend(name: str, y, spec, channels, transfer):
    if name == "numpy":
        return melspectrogram(y, spec, channels=channels, transfer=transfer)
    if name in ("tensorflow", "torch"):
        pytest.importorskip(name)
        return melspectrogram(y, spec, backend=name, channels=channels, transfer=transfer).numpy()
    if name == "tf.function":
        tf = pytest.importorskip("tensorflow")
        from asdlens.features.backends.tensorflow import logmel

        fn = tf.function(
            lambda x: logmel(x, spec, channels=channels, transfer=transfer),
            input_signature=[
                tf.TensorSpec([None, None, None], tf.float32)
            ],  # batch, channels, length unknown
        )
        return fn(tf.constant(y)).numpy()
    if name == "keras":
        pytest.importorskip("tensorflow")
        from asdlens.features.keras import LogMel

        return np.asarray(LogMel(spec, channels=channels, transfer=transfer)(y))
    torch = pytest.importorskip("torch")
    from asdlens.features.torch import LogMel

    return LogMel(spec, channels=channels, transfer=transfer)(torch.from_numpy(y)).numpy()


BACKENDS = ["numpy", "tensorflow", "tf.function", "torch", "keras", "torch.module"]


@pytest.mark.parametrize("channels", CHANNEL_SPECS, ids=_id)
def test_every_backend_equals_the_formula(channels, clips):
    """Float32 features within float32 rounding (1e-3 dB) of the float64 reference, in every backend."""
    transfer = _transfer(channels, SPEC)
    ref = np.stack([reference(clip, SPEC, channels, transfer) for clip in clips])
    for name in BACKENDS:
        ours = _backend(name, clips, SPEC, channels, transfer)
        assert ours.shape == ref.shape and ours.dtype == np.float32, name
        np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-3, err_msg=name)


@pytest.mark.parametrize("channels", CHANNEL_SPECS, ids=_id)
def test_float64_numpy_is_the_formula_to_float64_rounding(channels, clips):
    transfer = _transfer(channels, SPEC64)
    ours = melspectrogram(clips, SPEC64, channels=channels, transfer=transfer)
    ref = np.stack([reference(clip, SPEC64, channels, transfer) for clip in clips])
    assert ours.dtype == np.float64
    np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-9)


def test_subtracted_spectrum_stage_is_the_formula(clips):
    """The ``spectrum`` stage (before the mel) is ``m ** power`` itself; both branches of the magnitude rule
    occur on these clips."""
    for channels in (ChannelSpec("magnitude_subtraction"), ChannelSpec("complex_subtraction", floor=0.2)):
        stages = melspectrogram(clips[0], SPEC64, channels=channels, stages=True)
        assert list(stages) == ["near_spectrum", "far_spectrum", "spectrum", "mel", "log"]
        c, f = (stft(ch, SPEC.n_fft, SPEC.hop) for ch in clips[0])
        from channel_reference import gain

        h = None if channels.transfer_method == "none" else gain(c, f, "complex", 1e-12)
        m = subtracted(c, f, channels, h)
        np.testing.assert_allclose(stages["spectrum"], (m**2).T, rtol=1e-10, atol=1e-18)
        np.testing.assert_allclose(stages["near_spectrum"], (np.abs(c) ** 2).T, rtol=1e-10, atol=1e-18)
        floored = np.isclose(m, channels.floor_value * np.abs(c), rtol=1e-12)
        assert 0 < floored.mean() < 1  # the floor and the subtraction both happen


@pytest.mark.parametrize("spec", [SPEC64, SPEC, MelSpec(n_fft=400, hop_length=160, center=False)])
def test_near_on_two_channels_is_the_mono_pipeline_on_channel_0_bit_for_bit(spec, clips):
    near = ChannelSpec("near")
    mono = melspectrogram(np.ascontiguousarray(clips[:, 0]), spec)
    np.testing.assert_array_equal(melspectrogram(clips, spec, channels=near), mono)
    np.testing.assert_array_equal(melspectrogram(clips[1], spec, channels=near), mono[1])  # one clip [2, n]
    # A mono clip with policy near is the mono pipeline: [samples] and one channel [1, samples].
    np.testing.assert_array_equal(melspectrogram(clips[1, 0], spec, channels=near), mono[1])
    np.testing.assert_array_equal(melspectrogram(clips[:, :1], spec, channels=near), mono)
    stages = melspectrogram(clips, spec, channels=near, stages=True)
    np.testing.assert_array_equal(stages["log"], mono)


def test_far_and_both_are_the_mono_pipeline_of_their_channels(clips):
    far = melspectrogram(np.ascontiguousarray(clips[:, 1]), SPEC64)
    np.testing.assert_array_equal(melspectrogram(clips, SPEC64, channels="far"), far)
    both = melspectrogram(clips, SPEC64, channels="both")
    assert both.shape == (2, 2, SPEC.n_mels, far.shape[-1])
    np.testing.assert_array_equal(both[:, 1], far)
    np.testing.assert_array_equal(both[:, 0], melspectrogram(np.ascontiguousarray(clips[:, 0]), SPEC64))
    assert melspectrogram(clips[0], SPEC64, channels="both").shape == (2, SPEC.n_mels, far.shape[-1])


def test_librosa_backend_takes_the_time_domain_policies_and_both(clips):
    for policy in ("near", "mean", "both"):
        ours = melspectrogram(clips, SPEC, channels=policy, backend="librosa")
        np.testing.assert_allclose(ours, melspectrogram(clips, SPEC, channels=policy), rtol=0, atol=1e-3)
    with pytest.raises(
        ValueError, match="librosa backend has no channel stage for policy 'complex_subtraction'"
    ):
        melspectrogram(clips, SPEC, channels="complex_subtraction", backend="librosa")


@pytest.mark.parametrize(
    "y, channels, message",
    [
        (
            np.zeros(4000, np.float32),
            "far",
            r"needs two channels \[near, far\]; y has 1 channel \(shape \(4000,\)\)",
        ),
        (np.zeros((3, 1, 4000), np.float32), "complex_subtraction", "needs two channels"),
        (np.zeros((3, 4000), np.float32), "near", r"y has 3 channels \(shape \(3, 4000\)\)"),
        (np.zeros((1, 2, 2, 4000), np.float32), "near", "got a 4-D array"),
        (np.zeros((2, 0), np.float32), "mean", "empty"),
        (np.zeros((2, 4000), np.int32), "near", "dtype int32"),
    ],
)
def test_bad_input_names_what_was_expected(y, channels, message):
    with pytest.raises(ValueError, match=message):
        melspectrogram(y, SPEC, channels=channels)


def test_transfer_errors_name_the_problem(clips):
    fitted = ChannelSpec("complex_subtraction", transfer="fitted")
    with pytest.raises(ValueError, match="transfer='fitted'\\) needs a Transfer"):
        melspectrogram(clips, SPEC, channels=fitted)
    transfer = fit_transfer(list(clips), SPEC, fitted)
    with pytest.raises(ValueError, match="uses no fitted Transfer, but one was given"):
        melspectrogram(clips, SPEC, channels="complex_subtraction", transfer=transfer)
    with pytest.raises(ValueError, match="without a channel spec"):
        melspectrogram(clips[:, 0], SPEC, transfer=transfer)
    magnitude = ChannelSpec("magnitude_subtraction", transfer="fitted")
    with pytest.raises(ValueError, match="a complex Transfer does not suit .*magnitude gain"):
        melspectrogram(clips, SPEC, channels=magnitude, transfer=transfer)
    with pytest.raises(ValueError, match="the Transfer has 257 bins; MelSpec.n_fft=1024 has 513"):
        melspectrogram(clips, MelSpec(n_fft=1024), channels=fitted, transfer=transfer)


def test_complex_subtraction_without_transfer_is_the_time_domain_difference(clips):
    """The STFT is linear: ``C - F`` is the spectrum of ``x0 - x1`` (the toolkits' ``diff`` channel option)."""
    diff = melspectrogram(clips[:, 0].astype(np.float64) - clips[:, 1], SPEC64)
    ours = melspectrogram(clips, SPEC64, channels=ChannelSpec("complex_subtraction", transfer="none"))
    np.testing.assert_allclose(ours, diff, rtol=1e-9, atol=1e-9)
