"""``identify``: the :class:`MelSpec` that reproduces an unknown mel-spectrogram function.

The problem has structure, so each setting is read from a probe made for it, not searched on a grid:

1. two input lengths give the orientation and ``n_mels``; bisecting the frame count gives the hop and the
   effective frame length (centred, ``pad_end`` or unpadded framing);
2. doubling the input gives the log kind and the power (a power spectrogram scales by ``2**power``, a log one
   shifts by a known number of dB);
3. isolated unit impulses have a flat spectrum, so each frame's output is ``window[k]**power`` times a constant
   per band: impulses at many sub-hop offsets trace the window, whose shape, length and position in the frame
   give the window type, ``win_length``, ``n_fft`` (where the position shows it) and ``window_position``;
4. a chirp locates each band's centre frequency; a straight line through them on the Slaney or HTK mel axis
   gives ``fmin``/``fmax``, refined (Nelder-Mead, then snapped to whole Hz) for each norm and triangle domain
   against a chirp + noise probe with the spectrum computed once;
5. silence gives the log's floor (``eps``, ``amin``, ``top_db``), the offset gives ``ref``;
6. the few remaining candidates (``pad_mode``, ``n_fft`` where the frames do not show it) are run on a test
   clip and the one with the smallest residual wins.

The residual is :func:`asdlens.diff.distance` of the spec's output against the function's, in dB.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from ..features import MelSpec, framing, melspectrogram
from .distance import DISTANCE_NAME, level_db
from .gap import one_blas_thread
from .identify_filterbank import _chirp_probe, _coarse_filterbanks, _FilterFit, _spectral_candidates
from .identify_log import _log_specs
from .identify_window import MAX_WIN, POLISHED, _trace_window
from .probes import Probe, frame_layout, log_candidates

#: A spec reproduces a function when the mean level difference on the test clip is at most this (dB).
TOLERANCE_DB = 1e-3


@dataclass(frozen=True)
class Identification:
    """The closest spec found for a function, and how close it is."""

    spec: dict  # MelSpec fields
    transposed: bool  # the function returns [frames, n_mels]
    residual_db: float  # mean |level difference| on the test clip, dB
    max_residual_db: float
    reproduced: bool  # residual_db <= TOLERANCE_DB
    message: str
    evidence: dict  # what each probe showed
    calls: int  # calls of the function
    seconds: float
    distance: str = DISTANCE_NAME

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def melspec(self) -> MelSpec:
        return MelSpec(**self.spec)


def _test_signal(sample_rate: int, seconds: float = 3.0, seed: int = 1) -> np.ndarray:
    """Hum with harmonics, clicks and noise: a machine-like clip with content in every band."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    y = sum(0.2 / k * np.sin(2 * np.pi * 60 * k * t + k) for k in range(1, 12))
    y = y * (1 + 0.3 * np.sin(2 * np.pi * 2 * t)) + 0.03 * rng.standard_normal(t.size)
    for c in rng.choice(t.size - 256, size=int(5 * seconds), replace=False):
        y[c : c + 256] += 0.4 * np.exp(-np.arange(256) / 40) * rng.standard_normal(256)
    return y.astype(np.float32)


def _structured(
    probe, logs, layout, evidence, x_fb, n_chirp, observed_fb, n_mels, sample_rate
) -> list[MelSpec]:
    """Steps 3-5 of the module docstring: window, framing, filterbank and log, read from the probes."""
    # Window per log reading; keep the readings whose window fits best.
    traced = []
    for cand in logs:
        windows = _trace_window(probe, cand, layout)
        traced.append((windows[0][0], cand, windows))
    traced.sort(key=lambda r: r[0])
    best_window_err = traced[0][0]
    traced = [t for t in traced if t[0] <= 3.0 * best_window_err + 1e-3]
    evidence["window"] = [
        {"window": w[1], "periodic": w[2], "win_length": w[3], "fit_db": w[0]} for w in traced[0][2][:3]
    ]
    rough = []
    fitted: list[_FilterFit] = []
    for _, cand, windows in traced:
        for spectral in _spectral_candidates(layout, windows, sample_rate)[:8]:
            if framing(spectral, x_fb.size).n_frames != observed_fb.shape[1]:
                continue
            fit = _FilterFit(spectral, cand, observed_fb, x_fb, n_mels)
            twin = next((f for f in fitted if f.same_problem(fit)), None)
            if twin is not None:
                # Same spectrum and levels as an earlier candidate (a periodic window equals a longer symmetric
                # one; dcase and power_to_db read alike): fit once, keep both log readings.
                twin.also.append(cand)
                continue
            fitted.append(fit)
            rough.extend(_coarse_filterbanks(fit, n_chirp, n_mels))
    rough.sort(key=lambda r: r[0])
    finalists: list[MelSpec] = []
    polished = []
    for _, fit, combo, start in rough:
        key = (combo, fit.cand.log, fit.cand.power)
        if key in polished:
            continue  # the same filterbank reading on a near-identical spectral candidate
        polished.append(key)
        if len(polished) > POLISHED:
            break
        _, fmin, fmax = fit.fit(start, *combo)
        bank = fit.filter_spec(fmin, fmax, *combo)
        for cand in [fit.cand, *fit.also]:
            for logged in _log_specs(bank, cand, x_fb, observed_fb):
                finalists.append(logged)
                if logged.center:
                    other = "reflect" if logged.pad_mode == "constant" else "constant"
                    finalists.append(dataclasses.replace(logged, pad_mode=other))
    return finalists


def _preset_distance(spec: MelSpec) -> int:
    """Fewest fields in which ``spec`` differs from a preset."""
    from ..features import get_preset, list_presets

    return min(len(get_preset(name).diff_fields(spec)) for name in list_presets())


def _preset_fallbacks(n_mels, hop, sample_rate, logs) -> list[MelSpec]:
    """Every preset with the function's band count, hop, sample rate and log reading: a safety net."""
    from ..features import get_preset, list_presets

    out = []
    for name in list_presets():
        for cand in logs:
            try:
                spec = get_preset(name)
                fmax = None if spec.fmax is None or spec.fmax > sample_rate / 2 else spec.fmax
                spec = dataclasses.replace(
                    spec,
                    sample_rate=sample_rate,
                    n_mels=n_mels,
                    hop_length=hop,
                    fmax=fmax,
                    log=cand.log,
                    power=cand.power,
                    ref="max" if cand.ref_max else spec.ref,
                )
            except ValueError:
                continue
            for center, pad_end in ((True, False), (False, True), (False, False)):
                out.append(dataclasses.replace(spec, center=center, pad_end=pad_end))
    return out


def residual(spec: MelSpec, reference: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Mean and max absolute level difference (dB) between ``spec`` on ``y`` and a reference output
    ``[n_mels, frames]`` (on the frames both have)."""
    ours = level_db(melspectrogram(y, spec), spec)
    theirs = level_db(reference, spec)
    frames = min(ours.shape[1], theirs.shape[1])  # a different frame count is compared on the common frames
    diff = np.abs(ours[:, :frames] - theirs[:, :frames])
    return float(diff.mean()), float(diff.max())


def identify(
    fn: Callable,
    audio=None,
    sample_rate: int = 16000,
    *,
    name: str = "function",
    tolerance_db: float = TOLERANCE_DB,
) -> Identification:
    """Find the :class:`MelSpec` that reproduces ``fn``.

    Parameters
    ----------
    fn : callable
        Takes a float32 ``[samples]`` array, returns a mel spectrogram ``[n_mels, frames]`` or
        ``[frames, n_mels]`` (NumPy, TensorFlow or torch), power or log.
    audio : array_like, optional
        Test clip ``[samples]`` at ``sample_rate`` for the final residual; default: a generated machine-like clip.
    sample_rate : int
        Hz.
    name : str
        How messages refer to ``fn``.
    tolerance_db : float
        Residual (mean absolute level difference, dB) up to which the spec counts as reproducing ``fn``.

    Returns
    -------
    Identification
        The closest spec, the residual on the test clip and whether it is within ``tolerance_db``.

    Raises
    ------
    ValueError
        If ``fn`` raises, returns something that is not a 2-D spectrogram, or its frames do not follow the input.
    """
    with one_blas_thread():
        return _identify(fn, audio, sample_rate, name=name, tolerance_db=tolerance_db)


def _identify(fn, audio, sample_rate, *, name, tolerance_db) -> Identification:
    started = time.perf_counter()
    probe = Probe(fn, name)
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, int) or sample_rate < 1:
        raise ValueError(f"sample_rate={sample_rate!r} must be a positive integer (Hz)")
    rng = np.random.default_rng(3)
    noise = (0.1 * rng.standard_normal(4 * sample_rate + 3 * MAX_WIN)).astype(np.float32)
    base = max(sample_rate, 2 * MAX_WIN)
    n_mels = probe.layout(noise[:base], noise[: base + 2 * sample_rate])
    layout = frame_layout(probe, noise, base)
    logs = log_candidates(probe, noise[: 2 * sample_rate])
    evidence: dict = {
        "n_mels": n_mels,
        "transposed": probe.transposed,
        "hop": layout.hop,
        "effective_frame_length": layout.l_eff,
        "log_readings": [dataclasses.asdict(c) for c in logs],
    }

    x_fb, n_chirp = _chirp_probe(sample_rate, 4.0, tail=4 * MAX_WIN // 2)
    observed_fb = probe(x_fb)
    test = _test_signal(sample_rate) if audio is None else np.asarray(audio, dtype=np.float32)
    reference = probe(test)
    try:
        finalists = _structured(
            probe, logs, layout, evidence, x_fb, n_chirp, observed_fb, n_mels, sample_rate
        )
    except ValueError as exc:
        # The function does something the probes cannot read (noise, an unknown window): fall back to the
        # nearest preset-shaped specs below and report the residual.
        evidence["structure_failed"] = str(exc)
        finalists = []
    finalists += _preset_fallbacks(n_mels, layout.hop, sample_rate, logs)
    scored = []
    for spec in dict.fromkeys(finalists):
        spec = dataclasses.replace(spec, dtype=probe.out_dtype)
        if spec.n_mels != reference.shape[0]:
            continue
        frames_match = framing(spec, test.size).n_frames == reference.shape[1]
        mean, peak = residual(spec, reference, test)
        scored.append((not frames_match, mean, peak, spec))
    if not scored:
        raise ValueError(f"{name}: no candidate spec gives the function's output shape {reference.shape}")
    scored.sort(key=lambda r: r[:3])
    frames_differ, best, _, _ = scored[0]
    # Specs that tie (e.g. "dcase" and power_to_db without a floor in reach read alike): prefer the one
    # closest to a known preset, the simpler story.
    tied = [r for r in scored if r[0] == frames_differ and r[1] <= best + 0.1 * tolerance_db]
    frames_differ, mean, peak, spec = min(tied, key=lambda r: (_preset_distance(r[3]), r[1]))
    evidence["candidates_tried"] = len(scored)
    reproduced = mean <= tolerance_db and not frames_differ
    if frames_differ:
        message = (
            f"NOT REPRODUCED: no spec gives {name}'s frame count ({reference.shape[1]} frames for {test.size} "
            f"samples); the closest spec leaves {mean:.3g} dB (max {peak:.3g} dB) on the common frames"
        )
    elif reproduced:
        message = f"{name} is reproduced by this spec: residual {mean:.2e} dB (max {peak:.2e} dB)"
    else:
        message = (
            f"NOT REPRODUCED: the closest spec leaves a residual of {mean:.3g} dB (max {peak:.3g} dB), above "
            f"{tolerance_db:g} dB; {name} does something no MelSpec describes (added noise, an unknown mel "
            "scale or window, a different log)"
        )
    return Identification(
        spec=spec.to_dict(),
        transposed=bool(probe.transposed),
        residual_db=mean,
        max_residual_db=peak,
        reproduced=reproduced,
        message=message,
        evidence=evidence,
        calls=probe.calls,
        seconds=time.perf_counter() - started,
    )
