"""Validate a whole dataset tree: every file, every problem, one report (``asdlens data check``)."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .clips import LAYOUT_SPECS, Clip, DataWarning, ScanResult
from .layout_audio import layout_channel_problem
from .layouts import NoClipsError, is_wav, scan
from .wavfile import inspect_wav

#: Channels each layout's files must have (:attr:`asdlens.data.clips.LayoutSpec.channels`).
LAYOUT_CHANNELS = {name: spec.channels for name, spec in LAYOUT_SPECS.items()}
#: Count-table columns, in display order.
COLUMNS = (
    "train",
    "test normal",
    "test anomaly",
    "test unlabeled",
    "normal",
    "abnormal",
    "train source",
    "train target",
    "test source normal",
    "test source anomaly",
    "test target normal",
    "test target anomaly",
    "test source unlabeled",
    "test target unlabeled",
    "test unknown domain",
    "supplemental",
)
DURATION_TOLERANCE = 0.1  # s: clips further than this from their type's usual length are reported


@dataclass(frozen=True)
class CheckReport:
    """The outcome of :func:`check_tree`.

    Attributes
    ----------
    scan : ScanResult
    counts : dict
        ``(machine_type, snr, machine_id, column) -> number of clips``; column is "train", "test normal",
        "test anomaly", "test unlabeled" (dcase2020), "normal", "abnormal" (mimii), or for DCASE 2021-2025
        (``machine_id`` is the section) "train source", "train target", "test source normal" ... "test target
        anomaly", "test source unlabeled", "test unknown domain" (evaluation names without ground truth),
        "supplemental".
    bad_clips : dict
        ``(machine_type, snr, machine_id) -> number of clips with at least one problem``.
    problems : list of (pathlib.Path, str)
        Every problem found, in path order; a file can appear more than once.
    ignored : list of pathlib.Path
        Files that are not WAV files (``manifest.csv``, notes ...): listed, not problems.
    durations : dict
        ``machine_type -> usual clip length in seconds`` (the most common one).
    warnings : list of DataWarning
        The scan's warnings (known defects of published files and the like): read and handled, so they do not
        make the report fail.
    """

    scan: ScanResult
    counts: dict[tuple[str, int | None, str, str], int]
    bad_clips: dict[tuple[str, int | None, str], int] = field(default_factory=dict)
    problems: list[tuple[Path, str]] = field(default_factory=list)
    ignored: list[Path] = field(default_factory=list)
    durations: dict[str, float] = field(default_factory=dict)
    warnings: list[DataWarning] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def columns(self) -> list[str]:
        present = {k[3] for k in self.counts}
        return [c for c in COLUMNS if c in present]


def column_of(clip: Clip) -> str:
    """The count-table column of a clip (see :attr:`CheckReport.counts`)."""
    if clip.layout == "mimii":
        return "abnormal" if clip.label else "normal"
    if LAYOUT_SPECS[clip.layout].sections:
        if clip.split == "supplemental":
            return "supplemental"
        if clip.domain is None:
            return "train" if clip.split == "train" else "test unknown domain"
        if clip.split == "train":
            return f"train {clip.domain}"
        return f"test {clip.domain} " + {0: "normal", 1: "anomaly", None: "unlabeled"}[clip.label]
    if clip.split == "train":
        return "train"
    return {0: "test normal", 1: "test anomaly", None: "test unlabeled"}[clip.label]


def check_tree(
    root: str | os.PathLike,
    layout: str = "auto",
    *,
    expect_sr: int = 16000,
    expect_channels: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    ground_truth=None,
) -> CheckReport:
    """Scan ``root`` and validate every WAV file; never stops at the first problem.

    Parameters
    ----------
    root : path
    layout : {"auto", "dcase2020", "mimii", "dcase2021", "dcase2022", ..., "dcase2025", "dcase2026"}
    expect_sr : int
        Required sample rate (Hz).
    expect_channels : int or None
        Required channel count; default from the layout (1 for DCASE 2020-2025, 8 for mimii, 2 for dcase2026:
        a 2026 file with another count is reported with the channels expected, ``[0 near, 1 far]``).
    progress : callable or None
        ``progress(done, total)`` after each file.
    ground_truth : path, sequence of paths, or None
        Published ground truth for evaluation test files (see :func:`asdlens.data.scan`).

    Returns
    -------
    CheckReport

    Raises
    ------
    ValueError
        If ``root`` is not a folder or ``layout`` is unknown. A tree with no clips is a problem in the report.
    """
    try:
        result = scan(root, layout, ground_truth=ground_truth)
    except NoClipsError as exc:
        fallback = scan(root, "dcase2020")
        problems = [(p, r) for p, r in fallback.skipped if is_wav(p) or p.is_dir() or not p.exists()]
        problems.insert(0, (fallback.root, str(exc)))
        ignored = [p for p, _ in fallback.skipped if (p, _) not in problems]
        return CheckReport(scan=fallback, counts={}, problems=problems, ignored=ignored)

    channels = expect_channels if expect_channels is not None else LAYOUT_CHANNELS[result.layout]
    # A layout that names its channels (2026: near, far) says so in its message; the others keep theirs.
    by_layout = expect_channels is None and LAYOUT_SPECS[result.layout].strict_channels
    problems: list[tuple[Path, str]] = []
    ignored: list[Path] = []
    for path, reason in result.skipped:
        if path.is_file() and not is_wav(path):
            ignored.append(path)
        else:
            problems.append((path, reason))

    frames: dict[Path, tuple[int, int]] = {}
    total = len(result.clips)
    for done, clip in enumerate(result.clips, 1):
        info, found = inspect_wav(
            clip.path, expect_sr=expect_sr, expect_channels=None if by_layout else channels
        )
        wrong = layout_channel_problem(info.channels, result.layout) if by_layout and info else None
        found += [wrong] if wrong else []
        problems += [(clip.path, p) for p in found]
        if info is not None and info.frames:
            frames[clip.path] = (info.frames, info.sample_rate)
        if progress:
            progress(done, total)

    durations = _usual_durations(result.clips, frames)
    for clip in result.clips:
        if clip.path not in frames or clip.machine_type not in durations:
            continue
        n, sr = frames[clip.path]
        usual = durations[clip.machine_type]
        if abs(n / sr - usual) > DURATION_TOLERANCE:
            problems.append(
                (clip.path, f"lasts {n / sr:.2f} s while most {clip.machine_type} clips last {usual:.2f} s")
            )

    if not result.clips:
        problems.append((result.root, f"no {result.layout} clips found"))
    counts = Counter((c.machine_type, c.snr, c.machine_id, column_of(c)) for c in result.clips)
    with_problems = {p for p, _ in problems}
    bad_clips = Counter(c.group for c in result.clips if c.path in with_problems)
    order = {p: i for i, p in enumerate(sorted({p for p, _ in problems}))}
    problems.sort(key=lambda item: order[item[0]])  # stable: a file's problems stay in the order found
    return CheckReport(
        scan=result,
        counts=dict(counts),
        bad_clips=dict(bad_clips),
        problems=problems,
        ignored=sorted(ignored),
        durations=durations,
        warnings=list(result.warnings),
    )


def _usual_durations(clips: list[Clip], frames: dict[Path, tuple[int, int]]) -> dict[str, float]:
    by_type: dict[str, Counter] = {}
    for clip in clips:
        if clip.path in frames:
            n, sr = frames[clip.path]
            by_type.setdefault(clip.machine_type, Counter())[round(n / sr, 2)] += 1
    return {t: c.most_common(1)[0][0] for t, c in by_type.items()}
