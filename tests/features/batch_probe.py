"""Run by test_batch_invariance.py in a subprocess (its environment sets the BLAS kernel and the threads).

Prints one JSON object: per backend and mode, whether every clip of a batch equals the clip computed alone and
at other positions of other batches, and a digest of the single-clip outputs.
"""

from __future__ import annotations

import hashlib
import json
import sys

import numpy as np

from asdlens.features import MelSpec, melspectrogram
from signals import make_signal

KINDS = ("noise", "chirp", "hum", "noise", "chirp")


def clips() -> np.ndarray:
    return np.stack([make_signal(k, 1.5, seed=i) for i, k in enumerate(KINDS)]).astype(np.float32)


def as_numpy(x) -> np.ndarray:
    return np.asarray(x.numpy() if hasattr(x, "numpy") else x)


def probe(backend: str, spec, fast: bool) -> dict:
    y = clips()

    def mel(batch):
        return as_numpy(melspectrogram(batch, spec, backend=backend, fast=fast))

    single = [mel(y[i]) for i in range(len(y))]
    batch = mel(y)
    reversed_batch = mel(y[::-1])[::-1]
    repeated = mel(np.stack([y[3], y[1], y[0]]))  # clip 0 at the last position of a batch of 3
    equal = all(np.array_equal(batch[i], single[i]) for i in range(len(y)))
    equal &= all(np.array_equal(reversed_batch[i], single[i]) for i in range(len(y)))
    equal &= np.array_equal(repeated[2], single[0]) and np.array_equal(repeated[0], single[3])
    digest = hashlib.sha256(b"".join(s.tobytes() for s in single)).hexdigest()[:16]
    return {"batch_equals_single": bool(equal), "digest": digest}


def main(backends: list[str]) -> None:
    cases = {
        "exact": ("dcase2020", False),
        "fast": ("dcase2020", True),
        "power": ("librosa", False),
        "float64": (MelSpec(n_fft=1024, hop_length=512, dtype="float64"), False),
    }
    out = {}
    for backend in backends:
        for name, (spec, fast) in cases.items():
            if backend != "numpy" and name == "float64":
                continue
            out[f"{backend}/{name}"] = probe(backend, spec, fast)
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:] or ["numpy"])
