"""Bad audio input: a ValueError naming the problem, never a silent wrong answer."""

from __future__ import annotations

import numpy as np
import pytest

from asdlens.features import MelSpec, melspectrogram
from signals import make_signal


@pytest.mark.parametrize(
    "y, message",
    [
        (np.zeros(0, np.float32), "empty"),
        (np.zeros((2, 0), np.float32), "empty"),
        (np.zeros((2, 3, 4000), np.float32), "3-D array of shape"),
        (np.float32(1.0), "0-D array"),
        (np.zeros(4000, np.int32), "dtype int32"),
        (np.zeros(4000, np.complex64), "dtype complex64"),
        (np.zeros(4000, np.float16), "dtype float16"),
    ],
)
def test_bad_arrays(y, message):
    with pytest.raises(ValueError, match=message):
        melspectrogram(y, "librosa")


def test_non_finite_samples_are_located():
    y = np.zeros((2, 4000), np.float32)
    y[1, 1234] = np.nan
    y[1, 2000] = np.inf
    with pytest.raises(ValueError, match="2 non-finite value.*clip 1, sample 1234"):
        melspectrogram(y, "librosa")


def test_short_clip_without_centring():
    with pytest.raises(ValueError, match="shorter than one frame"):
        melspectrogram(np.zeros(1000, np.float32), MelSpec(n_fft=2048, center=False))
    # tf.signal-style end padding gives one frame instead.
    assert melspectrogram(np.ones(1000, np.float32), "tf.signal").shape == (128, 2)


def test_reflect_needs_more_than_half_a_frame():
    with pytest.raises(ValueError, match="too short for reflect padding"):
        melspectrogram(np.ones(512, np.float32), "dcase2020")


def test_unknown_backend():
    with pytest.raises(ValueError, match="unknown backend 'jax'"):
        melspectrogram(np.ones(4000, np.float32), "librosa", backend="jax")


def test_int16_is_scaled_like_librosa():
    y = make_signal("hum")
    pcm = np.round(y * 32767).astype(np.int16)
    a = melspectrogram(pcm, "dcase2020")
    b = melspectrogram(pcm.astype(np.float32) / 32768, "dcase2020", backend="librosa")
    assert np.abs(a - b).max() < 1e-3


def test_batch_equals_single_clips_and_shapes():
    batch = np.stack([make_signal(k) for k in ("noise", "hum")])
    out = melspectrogram(batch, "dcase2020")
    assert out.shape == (2, 128, 63) and out.dtype == np.float32 and out.flags.c_contiguous
    np.testing.assert_array_equal(out[1], melspectrogram(batch[1], "dcase2020"))
