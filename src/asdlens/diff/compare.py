"""``compare``: both specs on the same audio, every named stage side by side."""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import asdict, dataclass

import numpy as np

from ..features import STAGES, MelSpec, melspectrogram
from .distance import DISTANCE_NAME, align_frames, best_offset, level_db, resample_bands
from .gap import Gap


@dataclass(frozen=True)
class StageDiff:
    """Errors of one stage, ``a`` against ``b``, after aligning frames by ``offset``.

    ``max_abs``/``mean_abs`` are in the stage's own units, ``relative`` is ``mean_abs / mean |b|``; ``mean_db`` and
    ``max_db`` (mel and log only) are level differences in dB (see :mod:`asdlens.diff.distance`). None where the
    stage was not compared (``note`` says why).
    """

    stage: str
    shape_a: list[int]
    shape_b: list[int]
    compared: bool
    note: str
    max_abs: float | None = None
    mean_abs: float | None = None
    relative: float | None = None
    mean_db: float | None = None
    max_db: float | None = None


@dataclass(frozen=True)
class Comparison:
    a: dict
    b: dict
    differing_fields: dict[str, list]  # field -> [a, b] (resolved values)
    frame_offset: int  # frames of a ahead of b (frame t + offset of a pairs with frame t of b)
    frames_a: int
    frames_b: int
    stages: list[StageDiff]
    clips: int
    distance: str = DISTANCE_NAME

    def to_dict(self) -> dict:
        return asdict(self)


def _shape_note(stage: str, a: MelSpec, b: MelSpec, xa: np.ndarray, xb: np.ndarray) -> tuple[bool, str]:
    rows_a, rows_b = xa.shape[0], xb.shape[0]
    notes = []
    if a.hop != b.hop:
        notes.append(f"hop {a.hop} vs {b.hop}: frames sit at different times, compared index by index")
    if xa.shape[-1] != xb.shape[-1]:
        notes.append(f"{xa.shape[-1]} vs {xb.shape[-1]} frames")
    if rows_a == rows_b:
        return True, "; ".join(notes)
    if stage in ("frames", "windowed"):
        notes.append(f"frame length {rows_a} vs {rows_b} samples: not compared")
        return False, "; ".join(notes)
    if stage == "spectrum":
        notes.append(f"n_fft {a.n_fft} vs {b.n_fft} ({rows_a} vs {rows_b} bins): not compared")
        return False, "; ".join(notes)
    notes.append(f"n_mels {rows_a} vs {rows_b}: a interpolated to b's bands")
    return True, "; ".join(notes)


def first_frame_centre(spec: MelSpec) -> float:
    """Where the window of frame 0 is centred, in samples of the unpadded clip (negative: in the padding)."""
    pad = spec.n_fft // 2 if spec.center else 0
    start = (spec.n_fft - spec.win) // 2 if spec.window_position == "center" else 0
    return -pad + start + spec.win / 2


def frame_offset(a: MelSpec, b: MelSpec) -> int | None:
    """The constant frame offset between two specs with the same hop, from where their frames sit: frame
    ``t + offset`` of ``a`` is centred where frame ``t`` of ``b`` is (``center`` against ``pad_end`` gives
    ``n_fft / 2 / hop``). None when the hops differ or the shift is not a whole number of frames."""
    if a.hop != b.hop:
        return None
    shift = (first_frame_centre(b) - first_frame_centre(a)) / a.hop
    return int(shift) if shift == int(shift) else None


def compare(a, b, audio, *, gap: Gap | None = None) -> Comparison:
    """Run ``a`` and ``b`` on the same audio with all stages and report per-stage errors.

    Frames are aligned first: a constant frame offset (``center`` against ``pad_end`` produces one) is found from
    where each spec centres its frames (or, when the hops differ or the shift is fractional, as the offset that
    best matches the mel levels), and every stage is compared on the frames both have after that shift.

    Parameters
    ----------
    a, b : MelSpec, str or dict
        Specs, preset names, spec files or mappings.
    audio : array_like or list of arrays
        Clips at the specs' sample rate (see :func:`asdlens.diff.ladder`).

    Returns
    -------
    Comparison
        Differing fields, the frame offset, and one :class:`StageDiff` per stage (frames, windowed, spectrum, mel,
        log); with several clips the errors are the mean of the means and the max of the maxima.
    """
    gap = gap or Gap(a, b, audio)
    a, b = gap.a, gap.b
    per_stage: dict[str, list[dict]] = {s: [] for s in STAGES}
    offsets = []
    shapes = {}
    for y in gap.clips:
        sa, sb = melspectrogram(y, a, stages=True), melspectrogram(y, b, stages=True)
        mel_a = level_db(sa["mel"], dataclasses.replace(a, log=None))
        mel_b = level_db(sb["mel"], dataclasses.replace(b, log=None))
        offset = frame_offset(a, b)
        if offset is None:
            offset = best_offset(mel_a, mel_b)
        offsets.append(offset)
        for stage in STAGES:
            xa, xb = np.asarray(sa[stage], np.float64), np.asarray(sb[stage], np.float64)
            shapes[stage] = (list(xa.shape), list(xb.shape))
            ok, note = _shape_note(stage, a, b, xa, xb)
            row: dict = {"note": note, "compared": ok}
            if ok:
                if stage in ("mel", "log"):
                    da = level_db(sa[stage], dataclasses.replace(a, log=None) if stage == "mel" else a)
                    db = level_db(sb[stage], dataclasses.replace(b, log=None) if stage == "mel" else b)
                    ua, ub = align_frames(resample_bands(da, db.shape[0]), db, offset)
                    row["mean_db"] = float(np.mean(np.abs(ua - ub)))
                    row["max_db"] = float(np.max(np.abs(ua - ub)))
                    xa = resample_bands(xa, xb.shape[0])
                ua, ub = align_frames(xa, xb, offset)
                err = np.abs(ua - ub)
                row["max_abs"] = float(err.max())
                row["mean_abs"] = float(err.mean())
                scale = float(np.mean(np.abs(ub)))
                row["relative"] = row["mean_abs"] / scale if scale > 0 else float("inf")
            per_stage[stage].append(row)
    stages = []
    for stage, rows in per_stage.items():
        merged: dict = {"note": rows[0]["note"], "compared": rows[0]["compared"]}
        for key in ("max_abs", "max_db"):
            if key in rows[0]:
                merged[key] = max(r[key] for r in rows)
        for key in ("mean_abs", "relative", "mean_db"):
            if key in rows[0]:
                merged[key] = float(np.mean([r[key] for r in rows]))
        stages.append(StageDiff(stage=stage, shape_a=shapes[stage][0], shape_b=shapes[stage][1], **merged))
    ra, rb = a.resolved().to_dict(), b.resolved().to_dict()
    return Comparison(
        a=a.to_dict(),
        b=b.to_dict(),
        differing_fields={f: [ra[f], rb[f]] for f in a.diff_fields(b)},
        frame_offset=Counter(offsets).most_common(1)[0][0],
        frames_a=shapes["log"][0][-1],
        frames_b=shapes["log"][1][-1],
        stages=stages,
        clips=len(gap.clips),
    )
