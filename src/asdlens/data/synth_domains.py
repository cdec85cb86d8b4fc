"""Synthetic DCASE 2021-2025 trees with a real domain shift, their attribute tables and ground truth.

Each machine type x section gets one **domain-shift attribute** that changes the machine's sound
(:mod:`asdlens.data.synth_shift`: speed, load, background or microphone position). The source domain has two values of its attribute (or one for ``mic``), the target one value outside their range,
and the training set is 990 source + 10 target clips (2021: 1000 + 3) at full size. A detector trained on it
mostly learns the source sound, so normal target clips look unusual to it: the target domain is harder, as in
the real data. Anomalies (the same kinds and severities as :mod:`asdlens.data.synth`) are rendered on top of the
clip's own domain.

Output of :func:`generate_domains`::

    <out>/dev_data/<type>/...      the year's development layout (sections 00-02 for 2021/2022, 00 after)
    <out>/eval_data/<type>/...     additional training set + evaluation test files with hidden names
    <out>/ground_truth/...         the evaluators' ground-truth files for the evaluation test files
    <out>/manifest.csv             every clip: section, domain, attributes, label, anomaly kind, true name

Determinism: as for :mod:`asdlens.data.synth`, every clip has its own seed from (seed, type, section, role,
index), so a clip does not depend on what else is generated.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import dcase2021, dcase2022
from .machines import ANOMALY_KINDS, TYPE_ANOMALIES, stable_seed
from .sections import HIDDEN_ATTRIBUTES
from .synth_shift import render_clip, section_shift

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
    "domain",
    "attributes",
    "part",
    "true_name",
)


@dataclass(frozen=True)
class Recording:
    """One clip to render and where it goes."""

    part: str  # "dev" or "eval"
    machine_type: str
    section: str
    split: str  # train / test / supplemental
    domain: str | None
    label: int | None
    index: int  # in the true name
    attribute: tuple[str, str]
    hidden: bool  # noAttribute names (2024/2025 hidden-attribute types)
    eval_index: int | None = None  # the number in the evaluation test name


def true_name(rec: Recording) -> str:
    """The labelled file name (what the ground truth calls the clip)."""
    if rec.split == "supplemental":
        return f"section_{rec.section}_machine_{rec.index:04d}_.wav"
    kind = "anomaly" if rec.label else "normal"
    suffix = HIDDEN_ATTRIBUTES if rec.hidden else f"{rec.attribute[0]}_{rec.attribute[1]}"
    return f"section_{rec.section}_{rec.domain}_{rec.split}_{kind}_{rec.index:04d}_{suffix}.wav"


def full_name(rec: Recording) -> str:
    """The labelled name with the attributes even where the tree hides them."""
    return true_name(dataclasses.replace(rec, hidden=False))


def relpath(layout: str, rec: Recording) -> str:
    """Where the clip is written, relative to the output root."""
    top = f"{rec.part}_data/{rec.machine_type}"
    if rec.split == "supplemental":
        return f"{top}/supplemental/{true_name(rec)}"
    if rec.split == "train":
        return f"{top}/train/{true_name(rec)}"
    folder = f"{rec.domain}_test" if layout == "dcase2021" else "test"
    if rec.part == "dev":
        name = true_name(rec)
        if layout == "dcase2021":  # 2021 test names carry no attributes
            name = f"section_{rec.section}_{rec.domain}_test_{'anomaly' if rec.label else 'normal'}_{rec.index:04d}.wav"
        return f"{top}/{folder}/{name}"
    if layout == "dcase2021":
        return f"{top}/{folder}/section_{rec.section}_{rec.domain}_test_{rec.eval_index:04d}.wav"
    return f"{top}/{folder}/section_{rec.section}_{rec.eval_index:04d}.wav"


def year_defaults(layout: str) -> dict:
    """Full-size counts of a layout: ``n_train``, ``n_train_target``, ``n_test`` (per domain x label)."""
    if layout == "dcase2021":
        return dict(
            n_train=dcase2021.TRAIN_COUNTS[0],
            n_train_target=dcase2021.TRAIN_COUNTS[1],
            n_test=dcase2021.TEST_COUNT,
        )
    return dict(
        n_train=dcase2022.TRAIN_COUNTS[0],
        n_train_target=dcase2022.TRAIN_COUNTS[1],
        n_test=dcase2022.TEST_COUNT,
    )


def default_sections(layout: str, part: str) -> tuple[str, ...]:
    if layout == "dcase2021":
        return dcase2021.DEV_SECTIONS if part == "dev" else dcase2021.EVAL_SECTIONS
    return dcase2022.SECTIONS[layout][0 if part == "dev" else 1]


def default_types(layout: str, part: str) -> tuple[str, ...]:
    if layout == "dcase2021":
        return dcase2021.TYPES
    return dcase2022.TYPES[layout][0 if part == "dev" else 1]


def plan(
    layout: str,
    part: str,
    types: Sequence[str],
    sections: Sequence[str],
    *,
    n_train: int,
    n_train_target: int,
    n_test_normal: int,
    n_test_anomaly: int,
    n_supplemental: int,
    seed: int,
) -> list[Recording]:
    """Every recording of one part (dev or eval) of a tree."""
    hidden_types = set(dcase2022.HIDDEN_ATTRIBUTE_TYPES.get(layout, ()))
    out: list[Recording] = []
    for machine_type in types:
        hidden = machine_type in hidden_types
        for section in sections:
            shift = section_shift(machine_type, section)
            roles = [("train", "source", 0, n_train), ("train", "target", 0, n_train_target)]
            roles += [
                ("test", d, label, n)
                for d in ("source", "target")
                for label, n in ((0, n_test_normal), (1, n_test_anomaly))
            ]
            test: list[Recording] = []
            for split, domain, label, count in roles:
                values = shift.source if domain == "source" else shift.target
                for i in range(count):
                    rng = np.random.default_rng(
                        stable_seed("attribute", seed, machine_type, section, split, domain, label, i)
                    )
                    value = values[int(rng.integers(len(values)))]
                    rec = Recording(
                        part, machine_type, section, split, domain, label, i, (shift.key, value), hidden
                    )
                    (test if split == "test" else out).append(rec)
            if part == "eval":
                test = _shuffle_eval(test, layout, seed)
            out += test
            if layout == "dcase2025" and part == "eval":
                out += [
                    Recording(
                        part,
                        machine_type,
                        section,
                        "supplemental",
                        None,
                        None,
                        i + 1,
                        (shift.key, shift.source[0]),
                        False,
                    )
                    for i in range(n_supplemental)
                ]
    return out


def _shuffle_eval(test: list[Recording], layout: str, seed: int) -> list[Recording]:
    """Number the evaluation test clips in a seeded random order (per domain in 2021, whose names show it)."""
    groups = (
        [[r for r in test if r.domain == d] for d in ("source", "target")]
        if layout == "dcase2021"
        else [test]
    )
    out = []
    for group in groups:
        if not group:
            continue
        first = group[0]
        rng = np.random.default_rng(
            stable_seed(
                "eval-order",
                seed,
                first.machine_type,
                first.section,
                first.domain if layout == "dcase2021" else "",
            )
        )
        order = rng.permutation(len(group))
        out += [dataclasses.replace(rec, eval_index=int(j)) for rec, j in zip(group, order, strict=True)]
    return out


def _anomaly(rec: Recording, seed: int, severity: tuple[float, float]) -> tuple[str | None, float]:
    if not rec.label:
        return None, 0.0
    rng = np.random.default_rng(
        stable_seed("anomaly", seed, rec.machine_type, rec.section, rec.domain, rec.index)
    )
    kinds = TYPE_ANOMALIES.get(rec.machine_type, ANOMALY_KINDS[:4] + ("leak_hiss",))
    return kinds[int(rng.integers(len(kinds)))], float(rng.uniform(*severity))


def render_recording(args) -> dict:
    """Render and write one recording; its manifest row."""
    from .synth import _write_wav

    rec, layout, seed, severity, n, sr, out = args
    kind, sev = _anomaly(rec, seed, severity)
    key = (seed, rec.machine_type, rec.section, rec.split, rec.domain, rec.label, rec.index)
    y = render_clip(
        rec.machine_type,
        rec.section,
        rec.attribute,
        key,
        anomaly=kind,
        severity=sev,
        n=n,
        sr=sr,
        clean=rec.split == "supplemental",
    )
    rel = relpath(layout, rec)
    _write_wav(out / rel, y[None, :], sr)
    return dict(
        path=rel,
        layout=layout,
        machine_type=rec.machine_type,
        machine_id=rec.section,
        split=rec.split,
        label="" if rec.label is None else rec.label,
        snr="",
        index=rec.index,
        anomaly_kind=kind or "",
        severity=f"{sev:.4f}",
        domain=rec.domain or "",
        attributes=f"{rec.attribute[0]}={rec.attribute[1]}",
        part=rec.part,
        true_name=full_name(rec) if rec.split != "supplemental" else true_name(rec),
    )


def generate_domains(
    out: Path,
    *,
    layout: str,
    types: Sequence[str] | None,
    eval_types: Sequence[str] | None,
    sections: Sequence[str] | None,
    eval_sections: Sequence[str] | None,
    parts: Sequence[str],
    n_train: int | None,
    n_train_target: int | None,
    n_test_normal: int | None,
    n_test_anomaly: int | None,
    n_supplemental: int,
    seed: int,
    n: int,
    sample_rate: int,
    severity: tuple[float, float],
    workers: int,
    progress: Callable[[int, int], None] | None,
) -> Path:
    """Write a DCASE 2021-2025 tree (see the module docstring); called by :func:`asdlens.data.synth.generate`."""
    from .synth_truth import write_attribute_tables, write_ground_truth, write_manifest

    full = year_defaults(layout)
    counts = dict(
        n_train=full["n_train"] if n_train is None else n_train,
        n_train_target=full["n_train_target"] if n_train_target is None else n_train_target,
        n_test_normal=full["n_test"] if n_test_normal is None else n_test_normal,
        n_test_anomaly=full["n_test"] if n_test_anomaly is None else n_test_anomaly,
    )
    recordings: list[Recording] = []
    for part in parts:
        part_types = (types if part == "dev" else eval_types) or default_types(layout, part)
        if part == "eval" and not eval_types and types and layout in ("dcase2021", "dcase2022"):
            part_types = types  # these years evaluate the development types on other sections
        part_sections = (sections if part == "dev" else eval_sections) or default_sections(layout, part)
        for s in part_sections:
            if not (len(str(s)) == 2 and str(s).isdigit()):
                raise ValueError(f"section {s!r} must be two digits, e.g. '00'")
        recordings += plan(
            layout, part, part_types, part_sections, **counts, n_supplemental=n_supplemental, seed=seed
        )
    jobs = [(rec, layout, seed, severity, n, sample_rate, out) for rec in recordings]
    rows: list[dict] = []
    if workers > 1 and len(jobs) > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers) as pool:
            for done, row in enumerate(pool.map(render_recording, jobs, chunksize=8), 1):
                rows.append(row)
                if progress:
                    progress(done, len(jobs))
    else:
        for done, job in enumerate(jobs, 1):
            rows.append(render_recording(job))
            if progress:
                progress(done, len(jobs))
    write_attribute_tables(out, layout, recordings)
    write_ground_truth(out, layout, recordings)
    write_manifest(out / "manifest.csv", sorted(rows, key=lambda r: r["path"]))
    return out


def generate_sections(**kw) -> Path:
    """The DCASE 2021-2025 branch of :func:`asdlens.data.synth.generate` (its keyword arguments): validate,
    prepare ``out``, write."""

    if kw["ids"] is not None:
        raise ValueError(
            f"{kw['layout']} has sections, not machine IDs: pass sections= (--sections), not ids="
        )
    if kw["snrs"]:
        raise ValueError(
            f"{kw['layout']} sets its backgrounds per section (the 'noise' shift); snrs= is not used"
        )
    parts = tuple(kw["parts"])
    if not parts or any(p not in ("dev", "eval") for p in parts):
        raise ValueError(f"parts={kw['parts']!r} must name 'dev' and/or 'eval'")
    lo, hi = (float(v) for v in kw["severity"])
    if not 0.0 <= lo <= hi <= 1.0:
        raise ValueError(f"severity={kw['severity']!r} must be a range (low, high) within [0, 1]")
    for t in (*(kw["types"] or ()), *(kw["eval_types"] or ())):
        if not t or "/" in t or t.startswith("."):
            raise ValueError(f"machine type {t!r} is not a folder name")
    n = int(round(float(kw["duration"]) * int(kw["sample_rate"])))
    if n < 1:
        raise ValueError(f"duration={kw['duration']!r} s gives no samples at {kw['sample_rate']} Hz")
    out = _prepare_out(Path(kw["out"]), kw["overwrite"])
    return generate_domains(
        out,
        layout=kw["layout"],
        types=kw["types"],
        eval_types=kw["eval_types"],
        sections=kw["sections"],
        eval_sections=kw["eval_sections"],
        parts=parts,
        n_train=kw["n_train"],
        n_train_target=kw["n_train_target"],
        n_test_normal=kw["n_test_normal"],
        n_test_anomaly=kw["n_test_anomaly"],
        n_supplemental=kw["n_supplemental"],
        seed=kw["seed"],
        n=n,
        sample_rate=int(kw["sample_rate"]),
        severity=(lo, hi),
        workers=kw["workers"],
        progress=kw["progress"],
    )


def _prepare_out(out: Path, overwrite: bool) -> Path:
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise ValueError(
            f"{out}: folder is not empty; choose a new folder or pass overwrite=True (--overwrite)"
        )
    out.mkdir(parents=True, exist_ok=True)
    return out
