"""``asdlens.features.torch.LogMel``: an nn.Module equal to the NumPy backend, with buffers and clear errors."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from asdlens.features import MelSpec, get_preset, melspectrogram
from signals import SIGNALS, make_signal

torch = pytest.importorskip("torch")
from asdlens.features.torch import LogMel  # noqa: E402


@pytest.mark.parametrize("preset", ["librosa", "dcase2020", "tf.signal", "keras", "torchaudio"])
def test_module_equals_numpy_backend(preset):
    batch = np.stack([make_signal(kind) for kind in SIGNALS])
    ours = LogMel(preset)(torch.from_numpy(batch))
    ref = melspectrogram(batch, preset)
    assert isinstance(ours, torch.Tensor) and ours.dtype == torch.float32
    ours = ours.numpy()
    assert ours.shape == ref.shape
    if get_preset(preset).log is None:
        keep = ref >= ref.max(axis=(-2, -1), keepdims=True) * 1e-10  # within 100 dB of each clip's peak
        assert (np.abs(ours - ref)[keep] / ref[keep]).max() < 1e-5
    else:
        assert np.abs(ours - ref).max() < 1e-3  # dB
    # And bit for bit what the torch backend of melspectrogram gives.
    np.testing.assert_array_equal(ours, melspectrogram(batch, preset, backend="torch").numpy())


def test_float64_spec_on_float64_audio_is_numpy_to_rounding():
    spec = dataclasses.replace(get_preset("librosa-0.8"), dtype="float64")
    y = make_signal("hum").astype(np.float64)
    ours = LogMel(spec)(torch.from_numpy(y))
    assert ours.dtype == torch.float64 and ours.dim() == 2
    np.testing.assert_allclose(ours.numpy(), melspectrogram(y, spec), rtol=1e-12)


def test_int16_pcm_is_scaled_like_numpy():
    pcm = np.round(make_signal("chirp") * 30000).astype(np.int16)
    ours = LogMel("dcase2020")(torch.from_numpy(pcm)).numpy()
    assert np.abs(ours - melspectrogram(pcm, "dcase2020")).max() < 1e-3


def test_buffers_are_the_shared_float64_constants():
    module = LogMel("dcase2020")
    assert set(dict(module.named_buffers())) == {"window", "mel_basis"}
    assert module.window.dtype == torch.float64 and module.window.shape == (1024,)
    assert module.mel_basis.shape == (513, 128)
    fast = LogMel("dcase2020", fast=True)
    assert fast.window.dtype == torch.float32
    y = torch.from_numpy(make_signal("noise"))
    assert (fast(y) - module(y)).abs().max() < 1e-2  # float32 FFT: close, not exact


def test_module_works_in_a_network_and_under_no_grad():
    net = torch.nn.Sequential(LogMel("mimii"), torch.nn.Flatten(), torch.nn.LazyLinear(2))
    with torch.no_grad():
        out = net(torch.from_numpy(np.stack([make_signal("hum"), make_signal("noise")])))
    assert out.shape == (2, 2) and torch.isfinite(out).all()


@pytest.mark.parametrize(
    "y, message",
    [
        (torch.zeros(2, 3, 4000), "3-D tensor"),
        (torch.zeros(4000, dtype=torch.int32), "dtype torch.int32"),
        (torch.zeros(0), "empty"),
        (torch.tensor([0.0, float("nan")] * 2000), "1 non-finite|2000 non-finite"),
        (np.zeros(4000, np.float32), "torch.Tensor"),
    ],
)
def test_bad_input_names_the_problem(y, message):
    with pytest.raises(ValueError, match=message):
        LogMel("librosa")(y)


def test_short_clip_without_centring():
    with pytest.raises(ValueError, match="shorter than one frame"):
        LogMel(MelSpec(n_fft=2048, center=False))(torch.zeros(1000))
