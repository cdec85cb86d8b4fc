"""Every shipped detector on the hand-made DCASE 2020 tree (issue 23, item 8), several seeds: the table of
docs/detectors.md "When each family wins and loses".

Usage: ``python bench/handmade.py [--workdir bench/data/handmade] [--out bench/handmade.json] [--seeds 0,1,2]
[--only dcase2020,arcface-knn,...] [--tree id_f0_ratio=1.1 --tree timbre_db=3 ...] [--set model.mixup=0.0]
[--workers 1]``.

The tree (:mod:`asdlens.benchmark.handmade2020`) is written once under ``--workdir/tree``; runs share one cache
under ``--workdir``, so a rerun reuses every trained model. ``--tree`` sets a knob of
:class:`~asdlens.benchmark.handmade2020.HandmadeOptions` (a range as ``snr_db=0,15``); ``--set`` is applied to
every experiment of the run, as ``asdlens run --set``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

from asdlens.benchmark.handmade2020 import HandmadeOptions
from asdlens.benchmark.handmade_study import DETECTORS, run_study, study_table
from asdlens.engine import EngineOptions
from asdlens.runtime import machine_info, machine_summary, quiet_tensorflow_import


def tree_options(pairs: list[str]) -> HandmadeOptions:
    """:class:`HandmadeOptions` with ``knob=value`` pairs set (each value parsed like its default)."""
    defaults = HandmadeOptions()
    changes = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        if key not in {f.name for f in dataclasses.fields(HandmadeOptions)}:
            raise SystemExit(
                f"--tree {pair}: no knob {key!r}; knobs: {[f.name for f in dataclasses.fields(defaults)]}"
            )
        default = getattr(defaults, key)
        if isinstance(default, tuple):
            kind = type(default[0])
            changes[key] = tuple(kind(v) for v in value.split(","))
        else:
            changes[key] = type(default)(value)
    return dataclasses.replace(defaults, **changes)


def main(argv: list[str] | None = None) -> int:
    quiet_tensorflow_import()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("bench/data/handmade"))
    parser.add_argument("--out", type=Path, default=Path("bench/handmade.json"))
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--only", default=",".join(d.label for d in DETECTORS),
                        help="comma-separated labels of the table's detectors")  # fmt: skip
    parser.add_argument("--tree", action="append", default=[], help="knob=value of the tree (repeatable)")
    parser.add_argument(
        "--set", action="append", default=[], dest="sets", help="config override for every run"
    )
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    wanted = [w.strip() for w in args.only.split(",") if w.strip()]
    by_label = {d.experiment: d for d in DETECTORS if not d.overrides} | {d.label: d for d in DETECTORS}
    unknown = [w for w in wanted if w not in by_label]
    if unknown:
        parser.error(f"--only: unknown {unknown}; choose among {[d.label for d in DETECTORS]}")
    print(f"machine: {machine_summary(machine_info())}")
    args.out.parent.mkdir(parents=True, exist_ok=True)

    def save(study):
        args.out.write_text(json.dumps({**study, "machine": machine_info()}, indent=2) + "\n")

    def on_run(label, row, study):
        print(f"{label} seed {row['seed']}: AUC {row['mean_auc']:.3f} pAUC {row['mean_pauc']:.3f} "
              f"({row['wall_s']:.0f} s)", flush=True)  # fmt: skip
        save(study)

    study = run_study(
        args.workdir,
        seeds=tuple(int(s) for s in args.seeds.split(",")),
        detectors=tuple(by_label[w] for w in wanted),
        options=tree_options(args.tree),
        overrides=tuple(args.sets),
        engine=EngineOptions(progress=False, workers=args.workers, threads=args.threads),
        on_run=on_run,
    )
    save(study)
    print(study_table(study))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
