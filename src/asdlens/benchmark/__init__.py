"""``make bench`` and ``asdlens bench``: speed measured in one run on this machine, never asserted in tests.

- :mod:`.frontends`: the log-mel backends against librosa and the seed's tf.signal code;
- :mod:`.protocol`: the DCASE 2020 autoencoder's training throughput and the ``dcase2020`` experiment;
- :mod:`.fullsize`: one machine type at real size: features (read + log-mel + cache write), 3 epochs, peak memory;
- :mod:`.detectors`: training throughput of each detector family and each shipped detector experiment's wall time;
- :mod:`.engine_speed`: ``explain`` on ``inline`` / ``local`` / ``ray``, scheduling overhead, a projection to
  clusters;
- :mod:`.channels`: two-channel DCASE 2026 feature throughput per channel policy;
- :mod:`.encoders`: BEATs embeddings per second, peak memory, the projected time of one DCASE 2025 type;
- :mod:`.encoder_backends`: every pooling x back-end of the frozen-encoder family from one set of embeddings;
- :mod:`.handmade2020` and :mod:`.handmade_study`: a DCASE 2020 tree written by hand (not by the generator) and
  every shipped detector on it with seeds, per anomaly kind (``bench/handmade.py``; accuracy, not speed).
"""

from .frontends import LIBROSA_IMPL, SEED_IMPL, benchmark_tasks, errors, make_batch, ratios, run_benchmark
from .protocol import protocol_benchmark

__all__ = [
    "LIBROSA_IMPL",
    "SEED_IMPL",
    "benchmark_tasks",
    "errors",
    "make_batch",
    "protocol_benchmark",
    "ratios",
    "run_benchmark",
]
