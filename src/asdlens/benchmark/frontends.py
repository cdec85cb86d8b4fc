"""Speed and parity of the log-mel backends on one batch, next to librosa and the seed's tf.signal code.

Functional core of ``make bench`` / ``asdlens bench``: builds a seeded batch of clips, times every implementation
on it in the same process, and measures each one's error against its reference. Returns plain dicts (JSON-ready).

What is timed: the whole call from a NumPy ``[clips, samples]`` float32 batch to an array on the host
(``.numpy()`` for TF and torch), after untimed warm-up calls (two clips, then the whole batch twice: imports,
tracing, caches, and the TF backend's XLA compile of a batch shape it sees again); the best of ``repeats`` runs is reported (the least disturbed by other processes), with the median beside it.

References: presets librosa can compute ("librosa", "dcase2020") are checked against librosa called clip by clip
(itself timed: "librosa per-clip"). The "tf.signal" preset is checked against the seed's tf.signal code run in
float64, and the seed's code as written (float32) is timed on the same batch. Errors are the largest relative
error on mel bins within 100 dB of each clip's peak; for log presets also the largest error in dB (and the
relative error it implies, ``10 ** (dB / 10) - 1``).
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..features import get_preset, melspectrogram
from ..features.backends.librosa import reflect_tail_frames
from ..features.spec import MelSpec

BACKENDS = ("numpy", "tensorflow", "torch")
PRESETS = ("librosa", "dcase2020")
SEED_IMPL = "seed tf.signal"
LIBROSA_IMPL = "librosa per-clip"
WITHIN_DB = 100.0


def make_batch(
    n_clips: int = 100, *, seconds: float = 10.0, sample_rate: int = 16000, seed: int = 0
) -> np.ndarray:
    """A seeded batch of machine-like clips, ``[n_clips, seconds * sample_rate]`` float32.

    Each clip is a hum (a random fundamental of 40-120 Hz and 8 decaying harmonics), broadband noise at a random
    level (-40 to -20 dB re the hum), and a few clicks: a wide dynamic range, as in machine recordings.
    """
    if n_clips < 1:
        raise ValueError(f"n_clips={n_clips} must be at least 1")
    n = int(round(seconds * sample_rate))
    if n < 1:
        raise ValueError(f"seconds={seconds} gives no samples at {sample_rate} Hz")
    rng = np.random.default_rng(seed)
    t = np.arange(n) / sample_rate
    click = np.exp(-np.arange(256) / 32)
    out = np.empty((n_clips, n), np.float32)
    for i in range(n_clips):
        f0 = rng.uniform(40, 120)
        hum = sum(np.sin(2 * np.pi * f0 * k * t + rng.uniform(0, 2 * np.pi)) / k for k in range(1, 9))
        y = 0.1 * hum + 10 ** (rng.uniform(-40, -20) / 20) * rng.standard_normal(n)
        for start in rng.integers(0, n, size=5):
            length = min(click.size, n - start)
            y[start : start + length] += 0.3 * click[:length] * rng.standard_normal(length)
        out[i] = y
    return out


@dataclass(frozen=True)
class Task:
    """One timed measurement: an implementation of a preset."""

    preset: str
    impl: str  # a backend name, LIBROSA_IMPL or SEED_IMPL
    fast: bool = False

    @property
    def label(self) -> str:
        return f"{self.impl}{' (fast)' if self.fast else ''} / {self.preset}"


def benchmark_tasks(
    *, backends: tuple[str, ...] = BACKENDS, presets: tuple[str, ...] = PRESETS, seed_code: bool = True
) -> list[Task]:
    """The measurements :func:`run_benchmark` makes, in order (librosa first: it is every backend's reference).

    Parameters
    ----------
    backends, presets : tuple of str
        Backends to time, and the librosa-compatible presets to time them on (unknown names: ``ValueError``).
    seed_code : bool
        Also time the seed's tf.signal code, and every backend on the "tf.signal" preset.
    """
    for name in presets:
        get_preset(name)  # unknown preset: ValueError now, not after minutes of timing
    unknown = sorted(set(backends) - set(BACKENDS))
    if unknown:
        raise ValueError(f"unknown backend(s) {unknown}; choose from {list(BACKENDS)}")
    tasks = []
    for preset in presets:
        tasks.append(Task(preset, LIBROSA_IMPL))
        tasks.extend(Task(preset, b) for b in backends)
    if seed_code:
        tasks.append(Task("tf.signal", SEED_IMPL))
        tasks.extend(Task("tf.signal", b) for b in backends)
        if "tensorflow" in backends:
            tasks.append(Task("tf.signal", "tensorflow", fast=True))
    return tasks


def seed_tf_signal(batch, *, dtype: str = "float32", matrix=None):
    """The seed notebook's TensorFlow code (cell 14) on a batch, ``[clips, frames, 128]`` as a tf.Tensor.

    ``tf.signal.stft(y, frame_length=1024, frame_step=512, pad_end=True)``, ``tf.abs``, then
    ``tf.tensordot(tf.square(.), A, axes=1)`` with ``A = tf.signal.linear_to_mel_weight_matrix(num_mel_bins=128,
    num_spectrogram_bins=513, sample_rate=16000)``. ``dtype="float64"`` runs it in float64 (the peer reference).
    """
    import tensorflow as tf

    dt = tf.as_dtype(dtype)
    if matrix is None:
        matrix = tf.signal.linear_to_mel_weight_matrix(
            num_mel_bins=128, num_spectrogram_bins=512 + 1, sample_rate=16_000, dtype=dt
        )
    audio = tf.cast(tf.convert_to_tensor(batch), dt)
    audio = tf.abs(tf.signal.stft(audio, frame_length=1024, frame_step=512, pad_end=True))
    return tf.tensordot(tf.square(audio), matrix, axes=1)


def _implementation(task: Task) -> Callable[[np.ndarray], np.ndarray]:
    """A function batch -> NumPy ``[clips, n_mels, frames]`` for ``task`` (imports happen here, untimed)."""
    if task.impl == SEED_IMPL:
        import tensorflow as tf

        matrix = tf.signal.linear_to_mel_weight_matrix(
            num_mel_bins=128, num_spectrogram_bins=512 + 1, sample_rate=16_000, dtype=tf.float32
        )
        # The seed's layout is [frames, mels]; the swap to ours is outside the timed call.
        return lambda batch: seed_tf_signal(batch, matrix=matrix).numpy()
    backend = "librosa" if task.impl == LIBROSA_IMPL else task.impl
    if backend != "numpy":
        import importlib

        importlib.import_module(f"asdlens.features.backends.{backend}")  # ImportError if it is not installed
    return lambda batch: np.asarray(melspectrogram(batch, task.preset, backend=backend, fast=task.fast))


def _to_ours(task: Task, out: np.ndarray) -> np.ndarray:
    return np.swapaxes(out, -1, -2) if task.impl == SEED_IMPL else out


def _time(fn: Callable[[], np.ndarray], repeats: int) -> tuple[list[float], np.ndarray]:
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return times, out


def errors(ours: np.ndarray, ref: np.ndarray, spec: MelSpec, *, n_samples: int | None = None) -> dict:
    """Error figures of ``ours`` against ``ref`` (both ``[clips, n_mels, frames]``).

    ``max_rel_error``: largest relative error of the mel on bins within 100 dB of each clip's peak (for a log
    spec, the one implied by ``max_db_error``, the largest log error in dB). Frames where librosa >= 0.10 reflects a short tail on its own are left out and counted
    in ``skipped_frames`` (see :func:`asdlens.features.backends.librosa.reflect_tail_frames`).
    """
    ours, ref = np.asarray(ours, np.float64), np.asarray(ref, np.float64)
    if ours.shape != ref.shape:
        raise ValueError(f"shapes differ: {ours.shape} vs reference {ref.shape}")
    skip = reflect_tail_frames(spec, n_samples) if n_samples else 0
    if skip:
        ours, ref = ours[..., :-skip], ref[..., :-skip]
    out = {"max_rel_error": None, "max_db_error": None, "skipped_frames": skip}
    if spec.log is None:
        peak = ref.max(axis=(-2, -1), keepdims=True)
        keep = ref >= peak * 10 ** (-WITHIN_DB / 10)
        out["max_rel_error"] = float((np.abs(ours - ref)[keep] / ref[keep]).max())
        return out
    # Log values: "dcase" is 20 / power * log10(mel) and "db" 10 * log10(mel), both in dB; "ln" is in nepers.
    to_db = 10 / np.log(10) if spec.log == "ln" else 1.0
    ref_db = ref * to_db
    keep = ref_db >= ref_db.max(axis=(-2, -1), keepdims=True) - WITHIN_DB
    delta = float(np.abs(ours - ref)[keep].max())
    out["max_db_error"] = delta * to_db
    # The relative error of the mel that this log error implies.
    exponent = {"dcase": delta * spec.power / 20 * np.log(10), "db": delta / 10 * np.log(10), "ln": delta}
    out["max_rel_error"] = float(np.expm1(exponent[spec.log]))
    return out


def _gap_db(ours: np.ndarray, ref: np.ndarray) -> float:
    """Mean absolute difference in dB between two mel power arrays (floored at 1e-10, as power_to_db does)."""
    a = 10 * np.log10(np.maximum(np.asarray(ours, np.float64), 1e-10))
    b = 10 * np.log10(np.maximum(np.asarray(ref, np.float64), 1e-10))
    return float(np.abs(a - b).mean())


def run_benchmark(
    *,
    n_clips: int = 100,
    seconds: float = 10.0,
    repeats: int = 5,
    seed: int = 0,
    tasks: Sequence[Task] | None = None,
    on_step: Callable[[Task], None] | None = None,
    on_result: Callable[[dict], None] | None = None,
) -> dict:
    """Time and check every implementation on one batch; a JSON-ready dict.

    Parameters
    ----------
    n_clips, seconds, seed : int, float, int
        The batch (:func:`make_batch`): ``n_clips`` clips of ``seconds`` s at 16 kHz.
    repeats : int
        Timed runs per implementation (the best is reported, the median beside it).
    tasks : sequence of Task, optional
        What to time, in order; default :func:`benchmark_tasks` (every backend and preset, and the seed's code).
    on_step, on_result : callable, optional
        Called with each :class:`Task` before it runs, and with the dict so far after each result (so a caller can
        save finished work as it goes).

    Returns
    -------
    dict
        ``config`` (batch, versions, machine), ``results`` (one entry per task: ``clips_per_s``, ``seconds``,
        error figures, ``reference``; or ``error`` if the backend is unavailable) and ``ratios``.
    """
    if repeats < 1:
        raise ValueError(f"repeats={repeats} must be at least 1")
    tasks = benchmark_tasks() if tasks is None else list(tasks)
    batch = make_batch(n_clips, seconds=seconds, seed=seed)
    report = {"config": _config(n_clips, seconds, repeats, seed), "results": [], "ratios": {}}
    references: dict[str, np.ndarray] = {}
    for task in tasks:
        if on_step:
            on_step(task)
        entry = {"preset": task.preset, "impl": task.impl, "fast": task.fast}
        try:
            fn = _implementation(task)
            fn(batch[:2])  # warm-up: imports, traces, caches
            for _ in range(2):  # then the timed shape itself: the TF backend compiles a shape it sees again
                fn(batch)
        except ImportError as exc:
            entry["error"] = f"not available: {exc}"
            report["results"].append(entry)
            if on_result:
                on_result(report)
            continue
        times, out = _time(lambda fn=fn: fn(batch), repeats)
        out = _to_ours(task, out)
        best = min(times)
        entry.update(seconds=best, seconds_median=statistics.median(times), clips_per_s=n_clips / best)
        entry.update(_check(task, out, batch, references))
        report["results"].append(entry)
        report["ratios"] = ratios(report["results"])
        if on_result:
            on_result(report)
    return report


def _check(task: Task, out: np.ndarray, batch: np.ndarray, references: dict) -> dict:
    spec = get_preset(task.preset)
    if task.impl == LIBROSA_IMPL:
        references[task.preset] = out
        return {"reference": LIBROSA_IMPL, **errors(out, out, spec)}
    if task.preset == "tf.signal":
        if "tf.signal" not in references:
            references["tf.signal"] = seed_tf_signal(batch, dtype="float64").numpy().swapaxes(-1, -2)
        result = {"reference": "seed tf.signal in float64", **errors(out, references["tf.signal"], spec)}
        if task.impl == SEED_IMPL:
            # What the seed's user saw: its numbers next to librosa's call in the notebook (n_fft 1024, hop 512).
            librosa_like = MelSpec(n_fft=1024, hop_length=512)
            ref = np.asarray(
                melspectrogram(batch, librosa_like)
            )  # equals librosa (tests/features/test_parity.py)
            result["mean_db_gap_vs_librosa"] = _gap_db(out, ref)
        return result
    return {
        "reference": LIBROSA_IMPL,
        **errors(out, references[task.preset], spec, n_samples=batch.shape[-1]),
    }


def ratios(results: list[dict]) -> dict:
    """Speed ratios (>1: faster): each backend vs librosa per-clip, and exact TF vs the seed's tf.signal code."""
    timed = {(r["preset"], r["impl"], r["fast"]): r["seconds"] for r in results if "seconds" in r}
    out = {}
    for (preset, impl, fast), seconds in timed.items():
        librosa = timed.get((preset, LIBROSA_IMPL, False))
        if librosa and impl in BACKENDS and not fast:
            out[f"{impl} vs {LIBROSA_IMPL} ({preset})"] = librosa / seconds
        seed = timed.get(("tf.signal", SEED_IMPL, False))
        if seed and preset == "tf.signal" and impl in BACKENDS:
            out[f"{impl}{' fast' if fast else ' exact'} vs {SEED_IMPL} (tf.signal)"] = seed / seconds
    return out


def _config(n_clips: int, seconds: float, repeats: int, seed: int) -> dict:
    from ..runtime import versions as installed

    versions = installed(
        ("numpy", "scipy", "librosa", "tensorflow", "keras", "torch"), missing=None, python=False
    )
    return {
        "n_clips": n_clips,
        "seconds": seconds,
        "sample_rate": 16000,
        "repeats": repeats,
        "seed": seed,
        "versions": versions,
        "machine": {
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "timed": "best of `repeats` calls from a NumPy float32 batch to a host array, after a warm-up call",
    }
