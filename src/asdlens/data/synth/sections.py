"""The DCASE 2021-2025 trees: sections with a real domain shift, a development and an evaluation part.

Each machine type x section gets one **domain-shift attribute** that changes the machine's sound
(:mod:`asdlens.data.synth.shift`: speed, load, background or microphone position). The source domain has two
values of its attribute (or one for ``mic``), the target one value outside their range, and the training set is
990 source + 10 target clips (2021: 1000 + 3) at full size. A detector trained on it mostly learns the source
sound, so normal target clips look unusual to it: the target domain is harder, as in the real data. Anomalies
(the same kinds and severities as the DCASE 2020 trees) are rendered on top of the clip's own domain.

What a tree holds::

    <out>/dev_data/<type>/...      the year's development layout (sections 00-02 for 2021/2022, 00 after)
    <out>/eval_data/<type>/...     additional training set + evaluation test files with hidden names
    <out>/ground_truth/...         the evaluators' ground-truth files for the evaluation test files
    <out>/.asdlens/manifest.csv    every clip: section, domain, attributes, label, anomaly kind, true name

The names are in :mod:`asdlens.data.synth.records`, the side files in :mod:`asdlens.data.synth.truth`.
Every clip has its own seed from (seed, type, section, role, index), so a clip does not depend on what else is
generated.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .. import dcase2021, dcase2022
from .clip import NORMAL, Take, draw_anomaly
from .files import Rendered
from .machines import stable_seed
from .manifest import ManifestRow
from .options import SynthOptions
from .records import Recording, full_name, relpath, true_name
from .shift import render_shifted, section_shift


@dataclass(frozen=True)
class Counts:
    """Clips per section: source and target training clips, test clips per domain x label, supplemental."""

    n_train: int
    n_train_target: int
    n_test_normal: int
    n_test_anomaly: int
    n_supplemental: int = 0

    @classmethod
    def of(cls, options: SynthOptions) -> Counts:
        """The counts of ``options``, the year's full size where none is given (990, 10, 50, 50; 2021: 1000, 3,
        100, 100)."""
        year = dcase2021 if options.layout == "dcase2021" else dcase2022
        (source, target), test = year.TRAIN_COUNTS, year.TEST_COUNT
        given = (options.n_train, options.n_train_target, options.n_test_normal, options.n_test_anomaly)
        full = (source, target, test, test)
        n = [f if g is None else g for g, f in zip(given, full, strict=True)]
        return cls(*n, n_supplemental=options.n_supplemental)


def default_sections(layout: str, part: str) -> tuple[str, ...]:
    """The year's sections of a part (2021/2022: 00-02 and 03-05; after: 00)."""
    if layout == "dcase2021":
        return dcase2021.DEV_SECTIONS if part == "dev" else dcase2021.EVAL_SECTIONS
    return dcase2022.SECTIONS[layout][0 if part == "dev" else 1]


def default_types(layout: str, part: str) -> tuple[str, ...]:
    """The year's machine types of a part."""
    if layout == "dcase2021":
        return dcase2021.TYPES
    return dcase2022.TYPES[layout][0 if part == "dev" else 1]


def part_types(options: SynthOptions, part: str) -> tuple[str, ...]:
    """The machine types of one part: given, or the year's."""
    if (
        part == "eval"
        and not options.eval_types
        and options.types
        and options.layout in ("dcase2021", "dcase2022")
    ):
        return options.types  # these years evaluate the development types on other sections
    given = options.types if part == "dev" else options.eval_types
    return given or default_types(options.layout, part)


def recordings(options: SynthOptions) -> list[Recording]:
    """Every recording of the tree, part by part (dev, then eval, as ``options.parts`` orders them)."""
    counts = Counts.of(options)
    out: list[Recording] = []
    for part in options.parts:
        given = options.sections if part == "dev" else options.eval_sections
        sections = given or default_sections(options.layout, part)
        out += part_recordings(
            options.layout, part, part_types(options, part), sections, counts, options.seed
        )
    return out


def part_recordings(
    layout: str, part: str, types: Sequence[str], sections: Sequence[str], counts: Counts, seed: int
) -> list[Recording]:
    """Every recording of one part (dev or eval): per type and section the training clips, the test clips
    (numbered in a seeded order in the evaluation part) and 2025's supplemental clips."""
    hidden_types = set(dcase2022.HIDDEN_ATTRIBUTE_TYPES.get(layout, ()))
    out: list[Recording] = []
    for machine_type in types:
        hidden = machine_type in hidden_types
        for section in sections:
            train, test = _section_recordings(part, machine_type, section, hidden, counts, seed)
            out += train + (_shuffle_eval(test, layout, seed) if part == "eval" else test)
            if layout == "dcase2025" and part == "eval":
                out += _supplemental(machine_type, section, counts.n_supplemental)
    return out


def _supplemental(machine_type: str, section: str, n: int) -> list[Recording]:
    """2025's clean machine recordings of an evaluation type (numbered from 1, in the source domain's sound)."""
    shift = section_shift(machine_type, section)
    attribute = (shift.key, shift.source[0])
    return [
        Recording("eval", machine_type, section, "supplemental", None, None, i + 1, attribute, False)
        for i in range(n)
    ]


def _section_recordings(
    part: str, machine_type: str, section: str, hidden: bool, counts: Counts, seed: int
) -> tuple[list[Recording], list[Recording]]:
    """The training and the test recordings of one type x section, each with an attribute value drawn from its
    domain's values."""
    shift = section_shift(machine_type, section)
    roles = [("train", "source", 0, counts.n_train), ("train", "target", 0, counts.n_train_target)]
    roles += [
        ("test", d, label, n)
        for d in ("source", "target")
        for label, n in ((0, counts.n_test_normal), (1, counts.n_test_anomaly))
    ]
    train: list[Recording] = []
    test: list[Recording] = []
    for split, domain, label, n in roles:
        values = shift.source if domain == "source" else shift.target
        for i in range(n):
            rng = np.random.default_rng(
                stable_seed("attribute", seed, machine_type, section, split, domain, label, i)
            )
            value = values[int(rng.integers(len(values)))]
            rec = Recording(part, machine_type, section, split, domain, label, i, (shift.key, value), hidden)
            (test if split == "test" else train).append(rec)
    return train, test


def _shuffle_eval(test: list[Recording], layout: str, seed: int) -> list[Recording]:
    """Number the evaluation test clips in a seeded random order (per domain in 2021, whose names show it)."""
    groups = (
        [[r for r in test if r.domain == d] for d in ("source", "target")]
        if layout == "dcase2021"
        else [test]
    )
    out = []
    for group in [g for g in groups if g]:
        first = group[0]
        domain = first.domain if layout == "dcase2021" else ""
        rng = np.random.default_rng(
            stable_seed("eval-order", seed, first.machine_type, first.section, domain)
        )
        order = rng.permutation(len(group))
        out += [dataclasses.replace(rec, eval_index=int(j)) for rec, j in zip(group, order, strict=True)]
    return out


def recording_take(rec: Recording, options: SynthOptions) -> Take:
    """The :class:`Take` of a section tree's recording: its anomaly and random streams drawn from the seed and
    the recording (the 2021-2026 families share them)."""
    stream = (options.seed, rec.machine_type, rec.section, rec.domain, rec.index)
    anomaly = draw_anomaly(rec.machine_type, options.severity, stream) if rec.label else NORMAL
    key = (options.seed, rec.machine_type, rec.section, rec.split, rec.domain, rec.label, rec.index)
    return Take(rec.machine_type, rec.section, key, options.n_samples, options.sample_rate, anomaly)


def rendered(rec: Recording, options: SynthOptions, take: Take, audio, name: str) -> list[Rendered]:
    """The recording's file (``audio``) with its manifest row; ``name`` is the row's true file name."""
    path = relpath(options.layout, rec)
    row = ManifestRow(
        path=path,
        layout=options.layout,
        machine_type=rec.machine_type,
        machine_id=rec.section,
        split=rec.split,
        label=rec.label,
        index=rec.index,
        anomaly=take.anomaly,
        domain=rec.domain,
        attributes=f"{rec.attribute[0]}={rec.attribute[1]}",
        part=rec.part,
        true_name=name,
    )
    return [Rendered(path, audio, row)]


def render(rec: Recording, options: SynthOptions) -> list[Rendered]:
    """The recording's clip (mono) with its attribute in effect, and its manifest row."""
    take = recording_take(rec, options)
    audio = render_shifted(take, rec.attribute, clean=rec.split == "supplemental")
    return rendered(
        rec, options, take, audio, full_name(rec) if rec.split != "supplemental" else true_name(rec)
    )
