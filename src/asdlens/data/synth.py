"""Synthetic machine sounds in the real DCASE 2020-2025 Task 2 and MIMII layouts.

:func:`machine_clip` makes one clip in memory; :func:`generate` writes a whole tree plus ``manifest.csv``.
The sound models live in :mod:`asdlens.data.machines`; the DCASE 2021-2025 layouts (sections, a domain shift,
attribute tables, evaluation trees with ground truth) in :mod:`asdlens.data.synth_domains`.

Determinism: every clip is drawn from its own random stream, seeded by ``(seed, machine type, machine ID, role,
index)``, so a clip's samples do not depend on how many other clips, IDs or types are generated. A MIMII clip is
one recording mixed with the same background at each SNR (as the MIMII data were made): only the noise gain
changes between ``-6_dB_pump/.../00000003.wav`` and ``6_dB_pump/.../00000003.wav``.

Mixing follows the MIMII paper: background noise is added at the requested SNR relative to the mean power of the
machine ID's normal sound (not per clip), so anomalies that change a machine's loudness keep that change.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .clips import LAYOUTS, layout_spec
from .layouts import DCASE2020_TYPES, MIMII_IDS, MIMII_SNRS, MIMII_TYPES
from .machines import (
    ANOMALY_KINDS,
    TYPE_ANOMALIES,
    background,
    machine_sound,
    mix,
    reference_power,
    signature,
    stable_seed,
)

__all__ = [
    "ANOMALY_KINDS",
    "DCASE2020_DEV_IDS",
    "MANIFEST_FIELDS",
    "TYPE_ANOMALIES",
    "default_ids",
    "generate",
    "machine_clip",
    "read_manifest",
]

#: Development-set machine IDs of DCASE 2020 Task 2 per type (the evaluation IDs are the odd/other ones).
DCASE2020_DEV_IDS: dict[str, tuple[str, ...]] = {
    "ToyCar": ("01", "02", "03", "04"),
    "ToyConveyor": ("01", "02", "03"),
    "fan": ("00", "02", "04", "06"),
    "pump": ("00", "02", "04", "06"),
    "slider": ("00", "02", "04", "06"),
    "valve": ("00", "02", "04", "06"),
}
MANIFEST_FIELDS = (
    "path",
    "layout",
    "machine_type",
    "machine_id",
    "split",
    "label",
    "snr",
    "index",
    "anomaly_kind",
    "severity",
)
DEFAULT_DCASE_SNR = 0  # dB: the DCASE 2020 clips are machine sounds mixed with factory noise, MIMII-like
INT16_SCALE = 32768.0
_SNR_DIR_STYLES = ("zenodo", "baseline")


def default_ids(layout: str, machine_type: str) -> tuple[str, ...]:
    """Machine IDs the generator uses when none are given: the real dev-set IDs of the type."""
    if layout == "mimii":
        return MIMII_IDS
    return DCASE2020_DEV_IDS.get(machine_type, ("00", "02", "04", "06"))


def _check_id(machine_id: str) -> str:
    machine_id = str(machine_id)
    if not (len(machine_id) == 2 and machine_id.isdigit()):
        raise ValueError(f"machine_id={machine_id!r} must be two digits, e.g. '00'")
    return machine_id


def _check_kind(machine_type: str, anomaly: str | None) -> None:
    if anomaly is None:
        return
    kinds = TYPE_ANOMALIES.get(machine_type, ANOMALY_KINDS[:4] + ("leak_hiss",))
    if anomaly not in kinds:
        raise ValueError(f"anomaly={anomaly!r} is not a {machine_type} anomaly; choose one of {list(kinds)}")


def quantize(y: np.ndarray) -> np.ndarray:
    """Round to 16-bit PCM and back: the float32 that reading the written file returns (int16 / 32768)."""
    return (to_int16(y).astype(np.float32) / np.float32(INT16_SCALE)).astype(np.float32)


def to_int16(y: np.ndarray) -> np.ndarray:
    return np.clip(np.round(y * INT16_SCALE), -32768, 32767).astype(np.int16)


def _render(
    machine_type: str,
    machine_id: str,
    key: tuple,
    *,
    anomaly: str | None,
    severity: float,
    snrs: Sequence[float | None],
    n: int,
    sr: int,
    channels: int,
) -> list[np.ndarray]:
    """One recording mixed at each of ``snrs``: a list of float32 ``[channels, n]``."""
    sig = signature(machine_type, machine_id)
    machine = machine_sound(
        sig, n, sr, np.random.default_rng(stable_seed("machine", *key)), anomaly=anomaly, severity=severity
    )
    noise = background(n, sr, np.random.default_rng(stable_seed("background", *key)), machine_type)
    ref = reference_power(machine_type, machine_id, sr)
    return [
        mix(
            machine,
            noise,
            snr=snr,
            ref_power=ref,
            channels=channels,
            sig=sig,
            rng=np.random.default_rng(stable_seed("mics", *key)),
        )
        for snr in snrs
    ]


def machine_clip(
    machine_type: str = "pump",
    machine_id: str = "00",
    *,
    anomaly: str | None = None,
    severity: float = 0.6,
    seed: int = 0,
    duration: float = 10.0,
    sample_rate: int = 16000,
    channels: int = 1,
    snr: float | None = 6.0,
    quantized: bool = True,
) -> np.ndarray:
    """One synthetic machine clip in memory.

    Parameters
    ----------
    machine_type : str
        "pump", "fan", "slider", "valve", "ToyCar", "ToyConveyor" (other names get a generic machine).
    machine_id : str
        Two digits; each ID has its own stable sound.
    anomaly : str or None
        None for a normal clip, or one of ``TYPE_ANOMALIES[machine_type]``.
    severity : float
        Anomaly strength in [0, 1].
    seed : int
        Picks the recording: the same seed gives the same samples.
    duration : float
        Seconds.
    sample_rate : int
        Hz.
    channels : int
        1, or 8 for a MIMII-like array (other counts repeat the array's delays and gains).
    snr : float or None
        Background noise at this SNR in dB (per-ID mean power); None for the machine alone.
    quantized : bool
        Round to the 16-bit grid, so the array equals what reading a written 16-bit file returns.

    Returns
    -------
    numpy.ndarray
        float32 in [-1, 1]: ``[samples]`` if ``channels == 1`` else ``[channels, samples]``.
    """
    machine_id = _check_id(machine_id)
    _check_kind(machine_type, anomaly)
    if not 0.0 <= float(severity) <= 1.0:
        raise ValueError(f"severity={severity!r} must be in [0, 1]")
    n = int(round(float(duration) * int(sample_rate)))
    if n < 1:
        raise ValueError(f"duration={duration!r} s gives no samples at {sample_rate} Hz")
    if int(channels) < 1:
        raise ValueError(f"channels={channels!r} must be >= 1")
    key = (seed, machine_type, machine_id, "clip", anomaly or "normal", 0)
    (y,) = _render(
        machine_type,
        machine_id,
        key,
        anomaly=anomaly,
        severity=float(severity) if anomaly else 0.0,
        snrs=[snr],
        n=n,
        sr=int(sample_rate),
        channels=int(channels),
    )
    y = quantize(y) if quantized else np.clip(y, -1.0, 1.0)
    return y[0] if channels == 1 else y


@dataclass(frozen=True)
class _Recording:
    """One recording to render; written once per SNR."""

    machine_type: str
    machine_id: str
    role: str  # dcase2020: train / test-normal / test-anomaly; mimii: normal / abnormal
    index: int
    label: int
    split: str | None


def _plan(layout, types, ids, n_train, n_test_normal, n_test_anomaly) -> list[_Recording]:
    plan = []
    for machine_type in types:
        for machine_id in ids or default_ids(layout, machine_type):
            machine_id = _check_id(machine_id)
            if layout == "dcase2020":
                roles = [("train", n_train, 0, "train"), ("test-normal", n_test_normal, 0, "test")]
                roles.append(("test-anomaly", n_test_anomaly, 1, "test"))
            else:
                roles = [("normal", n_train + n_test_normal, 0, None), ("abnormal", n_test_anomaly, 1, None)]
            for role, count, label, split in roles:
                plan += [_Recording(machine_type, machine_id, role, i, label, split) for i in range(count)]
    return plan


def _snr_dir(style: str, snr: int, machine_type: str) -> str:
    if style == "zenodo":
        return f"{snr}_dB_{machine_type}"
    return f"min{-snr}dB" if snr < 0 else f"{snr}dB"


def _relpath(layout: str, rec: _Recording, snr, snr_dirs: str) -> str:
    if layout == "dcase2020":
        kind = "anomaly" if rec.label else "normal"
        return f"{rec.machine_type}/{rec.split}/{kind}_id_{rec.machine_id}_{rec.index:08d}.wav"
    folder = "abnormal" if rec.label else "normal"
    return (
        f"{_snr_dir(snr_dirs, snr, rec.machine_type)}/{rec.machine_type}/id_{rec.machine_id}/"
        f"{folder}/{rec.index:08d}.wav"
    )


def _anomaly_of(rec: _Recording, seed: int, severity: tuple[float, float]) -> tuple[str | None, float]:
    if not rec.label:
        return None, 0.0
    rng = np.random.default_rng(
        stable_seed("anomaly", seed, rec.machine_type, rec.machine_id, rec.role, rec.index)
    )
    kinds = TYPE_ANOMALIES.get(rec.machine_type, ANOMALY_KINDS[:4] + ("leak_hiss",))
    kind = kinds[int(rng.integers(len(kinds)))]
    return kind, float(rng.uniform(*severity))


def _write_wav(path: Path, y: np.ndarray, sr: int) -> None:
    import soundfile as sf

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    data = to_int16(y.T if y.shape[0] > 1 else y[0])
    sf.write(str(tmp), data, sr, subtype="PCM_16", format="WAV")
    os.replace(tmp, path)  # a crash never leaves a half-written clip under its real name


def _render_recording(args) -> list[dict]:
    rec, layout, seed, severity, snrs, n, sr, channels, out, snr_dirs = args
    kind, sev = _anomaly_of(rec, seed, severity)
    key = (seed, rec.machine_type, rec.machine_id, rec.role, rec.index)
    mixes = _render(
        rec.machine_type,
        rec.machine_id,
        key,
        anomaly=kind,
        severity=sev,
        snrs=snrs,
        n=n,
        sr=sr,
        channels=channels,
    )
    rows = []
    for snr, y in zip(snrs, mixes, strict=True):
        rel = _relpath(layout, rec, snr, snr_dirs)
        _write_wav(out / rel, y, sr)
        rows.append(
            dict(
                path=rel,
                layout=layout,
                machine_type=rec.machine_type,
                machine_id=rec.machine_id,
                split=rec.split or "",
                label=rec.label,
                snr="" if layout == "dcase2020" else snr,
                index=rec.index,
                anomaly_kind=kind or "",
                severity=f"{sev:.4f}",
            )
        )
    return rows


def generate(
    out: str | os.PathLike,
    *,
    layout: str = "dcase2020",
    types: Sequence[str] | None = None,
    ids: Sequence[str] | None = None,
    n_train: int | None = None,
    n_test_normal: int | None = None,
    n_test_anomaly: int | None = None,
    snrs: Sequence[int] | None = None,
    seed: int = 0,
    duration: float = 10.0,
    sample_rate: int = 16000,
    severity: tuple[float, float] = (0.25, 1.0),
    snr_dirs: str = "zenodo",
    workers: int = 1,
    overwrite: bool = False,
    progress: Callable[[int, int], None] | None = None,
    sections: Sequence[str] | None = None,
    eval_types: Sequence[str] | None = None,
    eval_sections: Sequence[str] | None = None,
    parts: Sequence[str] = ("dev", "eval"),
    n_train_target: int | None = None,
    n_supplemental: int = 0,
) -> Path:
    """Write a synthetic dataset tree in the real layout, plus ``manifest.csv``.

    Parameters
    ----------
    out : path
        Root folder to create. It must be empty or absent unless ``overwrite``.
    layout : {"dcase2020", "mimii", "dcase2021", "dcase2022", "dcase2023", "dcase2024", "dcase2025"}
        dcase2020: ``<type>/{train,test}/{normal,anomaly}_id_NN_NNNNNNNN.wav``, mono.
        mimii: ``<snr>_dB_<type>/<type>/id_NN/{normal,abnormal}/NNNNNNNN.wav``, 8 channels.
        dcase2021 ... dcase2025: ``dev_data/`` and ``eval_data/`` in the year's naming with a domain shift per
        section, attribute tables, and ``ground_truth/`` for the evaluation test files
        (:mod:`asdlens.data.synth_domains`).
    types : sequence of str or None
        Machine types; default: all types of the layout (2021+: the development types).
    ids : sequence of str or None
        Machine IDs for every type (dcase2020, mimii); default: the real development IDs of each type.
    n_train, n_test_normal, n_test_anomaly : int or None
        Clips per machine ID (default 100, 50, 50). For mimii (no split on disk) ``n_train + n_test_normal``
        normal clips and ``n_test_anomaly`` abnormal clips are written per ID and SNR. DCASE 2021-2025: source
        training clips per section and test clips per domain x label; default the full size (990, 50, 50;
        2021: 1000, 100, 100).
    snrs : sequence of int or None
        SNRs in dB. mimii: default -6, 0, 6 (one tree per SNR); dcase2020: one value, default 0.
    seed : int
        Same seed, same files.
    duration : float
        Seconds per clip.
    sample_rate : int
        Hz.
    severity : (float, float)
        Range the anomaly severity of each anomalous clip is drawn from, within [0, 1].
    snr_dirs : {"zenodo", "baseline"}
        mimii SNR folder names: ``-6_dB_pump`` (zenodo archives) or ``min6dB`` (mimii_baseline).
    workers : int
        Processes to render with (1: in this process).
    overwrite : bool
        Allow writing into a non-empty folder (files of the same name are replaced).
    progress : callable or None
        Called as ``progress(done, total)`` after each recording.
    sections, eval_sections : sequence of str or None
        DCASE 2021-2025: sections of the development and evaluation parts (default: the year's, e.g. 00-02 and
        03-05 for 2021/2022, 00 after).
    eval_types : sequence of str or None
        DCASE 2021-2025: types of the evaluation part (default: the year's evaluation types for 2023+; for
        2021/2022, which evaluate the development types on sections 03-05, ``types``).
    parts : sequence of {"dev", "eval"}
        DCASE 2021-2025: which parts to write.
    n_train_target : int or None
        DCASE 2021-2025: target-domain training clips per section (default 10; 2021: 3).
    n_supplemental : int
        DCASE 2025: clean machine recordings per evaluation type in ``supplemental/``.

    Returns
    -------
    pathlib.Path
        ``out``.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout={layout!r} is not allowed; choose one of {list(LAYOUTS)}")
    for name, value in (
        ("n_train", n_train),
        ("n_test_normal", n_test_normal),
        ("n_test_anomaly", n_test_anomaly),
        ("n_train_target", n_train_target),
        ("n_supplemental", n_supplemental),
    ):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise ValueError(f"{name}={value!r} must be a non-negative integer")
    if layout_spec(layout).sections:
        from .synth_domains import generate_sections

        return generate_sections(**locals())
    n_train = 100 if n_train is None else n_train
    n_test_normal = 50 if n_test_normal is None else n_test_normal
    n_test_anomaly = 50 if n_test_anomaly is None else n_test_anomaly
    if snr_dirs not in _SNR_DIR_STYLES:
        raise ValueError(f"snr_dirs={snr_dirs!r} is not allowed; choose one of {list(_SNR_DIR_STYLES)}")
    lo, hi = (float(v) for v in severity)
    if not 0.0 <= lo <= hi <= 1.0:
        raise ValueError(f"severity={severity!r} must be a range (low, high) within [0, 1]")
    types = tuple(types) if types else (DCASE2020_TYPES if layout == "dcase2020" else MIMII_TYPES)
    bad = [t for t in types if not t or "/" in t or t.startswith(".")]
    if bad:
        raise ValueError(f"machine type {bad[0]!r} is not a folder name")
    if layout == "mimii":
        snrs = tuple(int(s) for s in (snrs if snrs else MIMII_SNRS))
        channels = 8
    else:
        snrs = tuple(int(s) for s in (snrs if snrs else (DEFAULT_DCASE_SNR,)))
        if len(snrs) != 1:
            raise ValueError(f"the dcase2020 layout has no SNR folders; give one SNR, not {list(snrs)}")
        channels = 1
    n = int(round(float(duration) * int(sample_rate)))
    if n < 1:
        raise ValueError(f"duration={duration!r} s gives no samples at {sample_rate} Hz")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise ValueError(
            f"{out}: folder is not empty; choose a new folder or pass overwrite=True (--overwrite)"
        )
    out.mkdir(parents=True, exist_ok=True)

    plan = _plan(layout, types, ids, n_train, n_test_normal, n_test_anomaly)
    jobs = [(rec, layout, seed, (lo, hi), snrs, n, int(sample_rate), channels, out, snr_dirs) for rec in plan]
    rows: list[dict] = []
    if workers > 1 and len(jobs) > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers) as pool:
            for done, result in enumerate(pool.map(_render_recording, jobs, chunksize=8), 1):
                rows += result
                if progress:
                    progress(done, len(jobs))
    else:
        for done, job in enumerate(jobs, 1):
            rows += _render_recording(job)
            if progress:
                progress(done, len(jobs))
    _write_manifest(out / "manifest.csv", sorted(rows, key=lambda r: r["path"]))
    return out


def _write_manifest(path: Path, rows: list[dict]) -> None:
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=MANIFEST_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)


def read_manifest(root: str | os.PathLike) -> list[dict]:
    """The rows of ``<root>/manifest.csv`` with ``label``, ``index``, ``snr`` as int (None if empty) and
    ``severity`` as float; ``path`` stays relative to ``root``. DCASE 2021-2025 manifests add ``domain``,
    ``attributes`` (``key=value``), ``part`` (dev/eval) and ``true_name`` (the labelled name of the clip)."""
    rows = []
    with open(Path(root) / "manifest.csv", newline="") as f:
        for row in csv.DictReader(f):
            row["label"] = int(row["label"]) if row["label"] != "" else None
            row["index"] = int(row["index"])
            row["snr"] = int(row["snr"]) if row["snr"] else None
            row["severity"] = float(row["severity"])
            row["split"] = row["split"] or None
            row["anomaly_kind"] = row["anomaly_kind"] or None
            rows.append(row)
    return rows
