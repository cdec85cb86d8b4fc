""":func:`generate`: the one skeleton every generated tree goes through.

Validate the options once (:class:`~asdlens.data.synth.SynthOptions`), prepare the output folder, list the
family's recordings, render and write them (in this process or a process pool, reporting progress), write the
family's side files, then ``manifest.csv``. The families (:mod:`asdlens.data.synth.families`) only say what
differs.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from ..layouts import manifest_path
from .families import TreeFamily, family_of
from .files import prepare_out, write_wav
from .manifest import ManifestRow, write_manifest
from .options import SynthOptions

_FIELDS = tuple(f.name for f in dataclasses.fields(SynthOptions))


def generate(
    out: str | os.PathLike,
    options: SynthOptions | None = None,
    *,
    workers: int = 1,
    overwrite: bool = False,
    progress: Callable[[int, int], None] | None = None,
    **fields,
) -> Path:
    """Write a synthetic dataset tree in the real layout, plus ``.asdlens/manifest.csv`` (where the official scripts
    do not look: :func:`asdlens.data.layouts.manifest_path`).

    Parameters
    ----------
    out : path
        Root folder to create. It must be empty or absent unless ``overwrite``.
    options : SynthOptions or None
        What to write (layout, types, counts, seed, ...); None: ``SynthOptions(**fields)``.
    workers : int
        Processes to render with (1: in this process). The files do not depend on it.
    overwrite : bool
        Allow writing into a non-empty folder (files of the same name are replaced).
    progress : callable or None
        Called as ``progress(done, total)`` after each recording.
    **fields
        Fields of :class:`SynthOptions` (``layout=``, ``types=``, ``n_train=``, ...), replacing those of
        ``options``.

    Returns
    -------
    pathlib.Path
        ``out``.

    Raises
    ------
    ValueError
        An option that is not allowed (naming it), or ``out`` not empty.
    """
    options = _options(options, fields)
    family = family_of(options.layout)
    root = prepare_out(Path(out), overwrite)
    recordings = family.recordings(options)
    rows = write_recordings([Task(family, rec, options, root) for rec in recordings], workers, progress)
    family.side_files(root, options, recordings)
    write_manifest(manifest_path(root), rows, family.manifest_fields)
    return root


def _options(options: SynthOptions | None, fields: dict) -> SynthOptions:
    unknown = sorted(set(fields) - set(_FIELDS))
    if unknown:
        raise TypeError(f"generate() got unknown option(s) {unknown}; the options are {list(_FIELDS)}")
    if options is None:
        return SynthOptions(**fields)
    if not isinstance(options, SynthOptions):
        raise TypeError(f"options must be a SynthOptions; got {type(options).__name__}")
    return dataclasses.replace(options, **fields) if fields else options


class Task(NamedTuple):
    """What a worker needs to write one recording (sent to worker processes by pickling)."""

    family: TreeFamily
    recording: Any
    options: SynthOptions
    root: Path


def write_recordings(
    tasks: list[Task], workers: int, progress: Callable[[int, int], None] | None
) -> list[ManifestRow]:
    """Render and write every recording, in order; their manifest rows. ``progress(done, total)`` after each."""
    rows: list[ManifestRow] = []
    for done, result in enumerate(_results(tasks, workers), 1):
        rows += result
        if progress:
            progress(done, len(tasks))
    return rows


def _results(tasks: list[Task], workers: int) -> Iterator[list[ManifestRow]]:
    if workers > 1 and len(tasks) > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers) as pool:
            yield from pool.map(write_recording, tasks, chunksize=8)
    else:
        yield from map(write_recording, tasks)


def write_recording(task: Task) -> list[ManifestRow]:
    """Render one recording with its family and write its clips, as they come (any channel count)."""
    rows = []
    for clip in task.family.render(task.recording, task.options):
        write_wav(task.root / clip.path, clip.audio, task.options.sample_rate)
        rows.append(clip.row)
    return rows
