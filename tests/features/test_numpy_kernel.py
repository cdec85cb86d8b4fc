"""The NumPy backend's per-clip kernel (reused buffers) gives the generic pipeline's bits."""

from __future__ import annotations

import numpy as np
import pytest

from asdlens.features import MelSpec, melspectrogram
from signals import make_signal

SPECS = [
    "dcase2020",
    "librosa",
    "tf.signal",
    "keras",
    "torchaudio",
    "mimii",
    MelSpec(n_fft=1024, hop_length=256, power=1.0, log="db"),
    MelSpec(
        n_fft=512, win_length=400, window_position="left", center=False, pad_end=True, log="ln", power=0.5
    ),
    MelSpec(n_fft=1024, hop_length=512, pad_mode="constant", power=3.0),
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s if isinstance(s, str) else repr(s)[:40])
@pytest.mark.parametrize("fast", [False, True])
def test_kernel_equals_the_generic_pipeline(spec, fast):
    y = np.stack([make_signal(k, 1.2, seed=i) for i, k in enumerate(("noise", "chirp", "hum"))])
    kernel = melspectrogram(y, spec, fast=fast)  # float32 without stages: the kernel
    generic = melspectrogram(y, spec, fast=fast, stages=True)["log"]  # stages: the generic operations
    np.testing.assert_array_equal(kernel, generic)
    again = melspectrogram(y[::-1], spec, fast=fast)[::-1]  # buffers reused by other clips change nothing
    np.testing.assert_array_equal(again, kernel)


def test_short_clip_reflect_padding_longer_than_the_clip_falls_back_to_numpy_pad():
    spec = MelSpec(n_fft=64, hop_length=16, n_mels=8)
    y = make_signal("noise", 0.004)[None, :40]  # 40 samples, reflect pad of 32 on each side
    np.testing.assert_array_equal(melspectrogram(y, spec), melspectrogram(y, spec, stages=True)["log"])
