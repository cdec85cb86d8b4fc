"""A hand-made DCASE 2020 tree, written without asdlens's generator (:mod:`asdlens.data.synth`), for the study of
where each detector family wins and loses (issue 23, item 8; ``bench/handmade.py``).

Every clip is a harmonic machine tone whose fundamental ``f0`` and amplitude-modulation rate belong to its machine
ID, under a background noise whose level and colour change from clip to clip. The two IDs of a type differ
strongly (``id_f0_ratio``, ``id_rate_ratio``); the anomalies keep the ID's fundamental and rate *on average* and
change something else, a third of them each:

- ``drift``: the fundamental wanders slowly, one sine period over the clip, ``± drift`` of ``f0`` (mean kept);
- ``timbre``: the harmonic balance tilts by ``timbre_db`` dB from the fundamental to the top harmonic
  (half down at one end, half up at the other; the sign drawn per clip), ``f0`` and envelope kept;
- ``jitter``: each modulation period is drawn with a relative spread ``jitter`` (normal clips: ``normal_jitter``),
  the mean rate kept.

So an ID classifier can tell the IDs apart by ``f0`` and rate alone, which no anomaly moves. The layout is the
DCASE 2020 development set's: ``<root>/<type>/train/normal_id_NN_NNNNNNNN.wav`` and
``<root>/<type>/test/{normal,anomaly}_id_NN_NNNNNNNN.wav``, 16 kHz 16-bit mono. The kind of each anomaly is in
``<root>/.handmade/clips.csv`` (a hidden folder: a scan does not see it) with the options in ``options.json``.
The WAV files are written by the project's one writer (:func:`asdlens.data.synth.files.write_wav`, 16-bit
PCM at the scale of :mod:`asdlens.pcm`); nothing else of the generator is used. Every clip comes from its own
random stream (seed, type, ID, split, index), so a tree is the same on every run.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..atomic import atomic_write_text
from ..data.synth.files import write_wav

SAMPLE_RATE = 16000
KINDS = ("drift", "timbre", "jitter")
MANIFEST_FOLDER = ".handmade"


@dataclass(frozen=True)
class MachineVoice:
    """One machine type's sound: the first ID's fundamental (Hz) and modulation rate (Hz), the harmonic tilt
    (dB per octave), the modulation envelope (``"sine"``, ``"pulse"``, ``"stroke"``) and its depth in [0, 1]."""

    f0: float
    rate: float
    tilt_db_per_octave: float
    envelope: str
    depth: float


#: The three machine types (named after DCASE 2020 types; the sounds are not theirs).
VOICES = {
    "fan": MachineVoice(f0=110.0, rate=3.0, tilt_db_per_octave=-6.0, envelope="sine", depth=0.6),
    "pump": MachineVoice(f0=80.0, rate=2.0, tilt_db_per_octave=-3.0, envelope="pulse", depth=0.8),
    "slider": MachineVoice(f0=190.0, rate=1.5, tilt_db_per_octave=-9.0, envelope="stroke", depth=0.85),
}


@dataclass(frozen=True)
class HandmadeOptions:
    """The knobs of :func:`write_handmade_2020` (frozen, so a study can vary one with ``dataclasses.replace``).

    Parameters
    ----------
    types, ids
        Machine types (keys of :data:`VOICES`) and the IDs of each (two digits); ID ``i`` of the list has
        ``f0 * id_f0_ratio**i`` and ``rate * id_rate_ratio**i``.
    n_train, n_test_normal, n_test_anomaly : int
        Clips per ID; the anomalies are split into the :data:`KINDS` in turn (21 = 7 of each).
    seconds : float
        Length of every clip.
    id_f0_ratio, id_rate_ratio : float
        How far apart the IDs of a type are (1.0: the IDs share fundamental and rate).
    drift : float
        Peak relative wander of the fundamental in a ``drift`` anomaly.
    timbre_db : float
        Change of harmonic balance of a ``timbre`` anomaly, dB from the fundamental to the top harmonic.
    jitter, normal_jitter : float
        Relative standard deviation of the modulation periods in a ``jitter`` anomaly and in every other clip.
    normal_f0_spread : float
        Relative spread (uniform, ±) of a clip's fundamental around its ID's, every clip.
    snr_db : (float, float)
        Range of the machine-to-background power ratio, dB, drawn per clip.
    colour : (float, float)
        Range of the background's spectral exponent ``beta`` (power ∝ f^-beta: 0 white, 1 pink, 2 brown), drawn
        per clip.
    """

    types: tuple[str, ...] = ("fan", "pump", "slider")
    ids: tuple[str, ...] = ("00", "02")
    n_train: int = 40
    n_test_normal: int = 20
    n_test_anomaly: int = 21
    seconds: float = 5.0
    id_f0_ratio: float = 1.6
    id_rate_ratio: float = 2.0
    drift: float = 0.015
    timbre_db: float = 4.0
    jitter: float = 0.6
    normal_jitter: float = 0.02
    normal_f0_spread: float = 0.005
    snr_db: tuple[float, float] = (10.0, 20.0)
    colour: tuple[float, float] = (0.5, 1.5)

    def __post_init__(self):
        unknown = sorted(set(self.types) - set(VOICES))
        if unknown or not self.types:
            raise ValueError(f"types={list(self.types)}: choose among {sorted(VOICES)}")
        if (
            not self.ids
            or any(len(i) != 2 or not i.isdigit() for i in self.ids)
            or len(set(self.ids)) < len(self.ids)
        ):
            raise ValueError(f"ids={list(self.ids)}: distinct two-digit strings such as '00'")
        if min(self.n_train, self.n_test_normal, self.n_test_anomaly) < 1 or self.seconds <= 0:
            raise ValueError("n_train, n_test_normal, n_test_anomaly must be >= 1 and seconds > 0")
        if min(self.id_f0_ratio, self.id_rate_ratio) <= 0 or min(self.jitter, self.normal_jitter) < 0:
            raise ValueError("id_f0_ratio, id_rate_ratio must be > 0 and jitter, normal_jitter >= 0")
        if self.snr_db[0] > self.snr_db[1] or self.colour[0] > self.colour[1]:
            raise ValueError(f"snr_db={self.snr_db}, colour={self.colour}: each a (low, high) range")


def _cycle_phase(n: int, rate: float, jitter: float, rng: np.random.Generator) -> np.ndarray:
    """Modulation phase in cycles ``[n]``: cycle ``k`` lasts ``(1 + jitter·z_k) / rate`` seconds (``z_k``
    standard normal, periods kept within 0.3-1.7 of the mean), the clip starting at a random point of a cycle."""
    mean = SAMPLE_RATE / rate
    n_cycles = int(n / mean / 0.3) + 3
    periods = mean * np.clip(1.0 + jitter * rng.standard_normal(n_cycles), 0.3, 1.7)
    edges = np.concatenate([[0.0], np.cumsum(periods)]) - rng.uniform(0, periods[0])
    t = np.arange(n)
    k = np.searchsorted(edges, t, side="right") - 1
    return k + (t - edges[k]) / periods[k]


def _envelope(phase: np.ndarray, voice: MachineVoice) -> np.ndarray:
    u = phase % 1.0
    if voice.envelope == "sine":
        shape = np.sin(np.pi * u) ** 2
    elif voice.envelope == "pulse":
        shape = np.exp(-(((u - 0.5) / 0.12) ** 2))
    else:  # stroke: fast attack, slow decay
        shape = np.exp(-u / 0.25)
    return 1.0 - voice.depth + voice.depth * shape


def _background(n: int, beta: float, rng: np.random.Generator) -> np.ndarray:
    """Unit-power noise whose power spectrum falls as ``f^-beta`` (from 20 Hz down flat)."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.maximum(np.fft.rfftfreq(n, 1.0 / SAMPLE_RATE), 20.0)
    noise = np.fft.irfft(spectrum * f ** (-beta / 2.0), n)
    return noise / np.sqrt(np.mean(noise**2))


def render_clip(
    voice: MachineVoice, id_index: int, kind: str | None, options: HandmadeOptions, rng
) -> np.ndarray:
    """One clip ``[samples]`` in [-1, 1]: ID ``id_index``'s tone of ``voice`` with anomaly ``kind`` (None for a
    normal clip; one of :data:`KINDS`) and its background, drawn from ``rng``."""
    n = int(round(options.seconds * SAMPLE_RATE))
    t = np.arange(n) / SAMPLE_RATE
    f0 = voice.f0 * options.id_f0_ratio**id_index * (1 + rng.uniform(-1, 1) * options.normal_f0_spread)
    rate = voice.rate * options.id_rate_ratio**id_index
    f_inst = np.full(n, f0)
    if kind == "drift":
        f_inst = f0 * (
            1.0 + options.drift * np.sin(2 * np.pi * t / options.seconds + rng.uniform(0, 2 * np.pi))
        )
    phase = 2 * np.pi * np.cumsum(f_inst) / SAMPLE_RATE
    n_harm = max(1, int(6000.0 / (f0 * (1 + options.drift))))
    h = np.arange(1, n_harm + 1)
    level_db = voice.tilt_db_per_octave * np.log2(h) + rng.normal(0, 0.5, n_harm)
    if kind == "timbre":
        position = np.log2(h) / max(np.log2(n_harm), 1.0) - 0.5  # -0.5 at the fundamental, +0.5 at the top
        level_db = level_db + rng.choice([-1.0, 1.0]) * options.timbre_db * position
    offsets = rng.uniform(0, 2 * np.pi, n_harm)
    tone = (10 ** (level_db / 20)[:, None] * np.sin(h[:, None] * phase[None, :] + offsets[:, None])).sum(
        axis=0
    )
    jitter = options.jitter if kind == "jitter" else options.normal_jitter
    machine = tone * _envelope(_cycle_phase(n, rate, jitter, rng), voice)
    machine = 0.1 * machine / np.sqrt(np.mean(machine**2))  # every clip at the same machine level (-20 dBFS)
    snr = rng.uniform(*options.snr_db)
    noise = _background(n, rng.uniform(*options.colour), rng) * 0.1 * 10 ** (-snr / 20)
    return np.clip(machine + noise, -1.0, 1.0)


def _plan(options: HandmadeOptions) -> list[tuple[str, int, str, str, int, str | None]]:
    """Every clip: (type, ID index, split, file name, index in the stream, anomaly kind or None)."""
    rows = []
    for machine_type in options.types:
        for i, machine_id in enumerate(options.ids):
            for k in range(options.n_train):
                rows.append((machine_type, i, "train", f"normal_id_{machine_id}_{k:08d}.wav", k, None))
            for k in range(options.n_test_normal):
                rows.append(
                    (machine_type, i, "test", f"normal_id_{machine_id}_{k:08d}.wav", 10_000 + k, None)
                )
            for k in range(options.n_test_anomaly):
                kind = KINDS[k % len(KINDS)]
                rows.append(
                    (machine_type, i, "test", f"anomaly_id_{machine_id}_{k:08d}.wav", 20_000 + k, kind)
                )
    return rows


def write_handmade_2020(root: str | Path, *, seed: int = 0, options: HandmadeOptions | None = None) -> Path:
    """Write the hand-made DCASE 2020 tree (see the module docstring) under ``root``; return ``root``.

    Files already there are overwritten; the same ``seed`` and ``options`` give the same bytes.
    """
    options = options or HandmadeOptions()
    root = Path(root)
    manifest = [("path", "machine_type", "machine_id", "split", "label", "kind")]
    for machine_type, i, split, name, index, kind in _plan(options):
        stream = [seed, list(VOICES).index(machine_type), i, index]
        audio = render_clip(VOICES[machine_type], i, kind, options, np.random.default_rng(stream))
        write_wav(root / machine_type / split / name, audio[None], SAMPLE_RATE)
        label = 1 if kind else 0
        manifest.append(
            (f"{machine_type}/{split}/{name}", machine_type, options.ids[i], split, label, kind or "")
        )
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(manifest)
    atomic_write_text(root / MANIFEST_FOLDER / "clips.csv", text.getvalue())
    record = {"seed": seed, **dataclasses.asdict(options)}
    atomic_write_text(root / MANIFEST_FOLDER / "options.json", json.dumps(record, indent=2) + "\n")
    return root


def read_kinds(root: str | Path) -> dict[str, str]:
    """The anomaly kind of every test anomaly of a hand-made tree: ``{"<type>/test/<name>": kind}``."""
    with open(Path(root) / MANIFEST_FOLDER / "clips.csv", newline="") as f:
        return {row["path"]: row["kind"] for row in csv.DictReader(f) if row["kind"]}
