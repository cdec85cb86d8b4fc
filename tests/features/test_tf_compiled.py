"""The TensorFlow backend's compiled path (each clip through one XLA-compiled function of one clip)."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from asdlens.features import melspectrogram
from signals import make_signal

# the frontends' criterion: 1e-5 relative on power values, 1e-3 dB after a log (here far tighter is seen)
CHECKS = {"librosa": dict(rtol=1e-5, atol=1e-9), "dcase2020": dict(rtol=0, atol=1e-4)}


def _batch(n, seconds=1.0, seed=0):
    return np.stack([make_signal(("noise", "chirp", "hum")[i % 3], seconds, seed=seed + i) for i in range(n)])


@pytest.mark.parametrize("preset", sorted(CHECKS))
@pytest.mark.parametrize("n", [2, 3, 5])  # even, odd (a short last block), more blocks
def test_repeated_shapes_compile_and_match_numpy(preset, n):
    expected = melspectrogram(_batch(n), preset)
    for call in range(3):  # eager, then compiled, then the compiled function again
        out = melspectrogram(_batch(n), preset, backend="tensorflow").numpy()
        np.testing.assert_allclose(out, expected, **CHECKS[preset], err_msg=f"call {call}")
    other = _batch(n, seed=10)  # new data in a compiled shape
    np.testing.assert_allclose(
        melspectrogram(other, preset, backend="tensorflow").numpy(),
        melspectrogram(other, preset),
        **CHECKS[preset],
    )


def test_concurrent_calls_of_a_compiled_shape():
    batches = [_batch(3, seed=s) for s in range(4)]
    for _ in range(2):
        melspectrogram(batches[0], "dcase2020", backend="tensorflow")
    with ThreadPoolExecutor(4) as pool:
        outs = list(pool.map(lambda b: melspectrogram(b, "dcase2020", backend="tensorflow").numpy(), batches))
    for b, out in zip(batches, outs, strict=True):
        np.testing.assert_allclose(out, melspectrogram(b, "dcase2020"), rtol=0, atol=1e-4)


def test_float64_and_int16_inputs_through_the_compiled_path():
    y = _batch(2)
    for dtype, scale in (("float64", 1.0), ("int16", 32767.0)):
        x = (y * scale).astype(dtype)
        expected = melspectrogram(x, "librosa")
        for _ in range(3):
            out = melspectrogram(x, "librosa", backend="tensorflow").numpy()
        np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-9)
