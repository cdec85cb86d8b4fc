"""Same seed, same files: generate synthetic trees with two copies of asdlens and compare every file byte for byte.

A before/after check for changes to :mod:`asdlens.data.synth` (not part of ``make bench``). Each tree is written in
a fresh process whose ``PYTHONPATH`` starts with the given ``src`` folder, through the keyword form of
``generate`` that every version takes; then every file of the two copies (WAV clips, ``manifest.csv``, attribute
tables, ground truth) and the arrays ``machine_clip`` returns are compared::

    git archive 26c8301 src | tar -x -C /tmp/old
    python bench/synth_bytes.py --old /tmp/old/src --new src --out /tmp/synth-bytes

Exit status 0 when every tree is identical, 1 otherwise (the differing files are listed).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

#: One tree per layout: every naming rule, the SNR folders, hidden attributes, supplemental clips and the pool.
TREES = {
    "dcase2020": dict(types=["pump", "valve"], ids=["00", "02"], n_train=3, n_test_normal=2, n_test_anomaly=3),
    "mimii": dict(types=["fan"], ids=["00", "04"], n_train=2, n_test_normal=1, n_test_anomaly=2,
                  snrs=[-6, 6], snr_dirs="baseline", workers=2),
    "dcase2021": dict(types=["pump"], sections=["00"], eval_sections=["03"], n_train=2, n_train_target=1,
                      n_test_normal=1, n_test_anomaly=2),
    "dcase2022": dict(types=["fan"], sections=["01"], eval_sections=["04"], n_train=2, n_train_target=1,
                      n_test_normal=1, n_test_anomaly=2),
    "dcase2023": dict(types=["fan", "valve"], eval_types=["ToyTank"], n_train=2, n_train_target=1,
                      n_test_normal=2, n_test_anomaly=2, workers=2),
    "dcase2024": dict(types=["gearbox"], eval_types=["ToothBrush", "HoveringDrone"], n_train=2,
                      n_train_target=1, n_test_normal=1, n_test_anomaly=2),
    "dcase2025": dict(types=["bearing"], eval_types=["AutoTrash"], n_train=2, n_train_target=1,
                      n_test_normal=1, n_test_anomaly=2, n_supplemental=2),
    "dcase2026": dict(types=["fan", "valveEmu"], eval_types=["Sander"], n_train=2, n_train_target=1,
                      n_test_normal=1, n_test_anomaly=2),
}  # fmt: skip
#: ``machine_clip`` in memory: anomalies, an 8-channel array, no background, unquantized.
CLIPS = {
    "pump-00-normal": dict(machine_type="pump", machine_id="00"),
    "valve-02-missing": dict(machine_type="valve", machine_id="02", anomaly="missing_events", severity=0.9),
    "slider-06-8ch": dict(machine_type="slider", machine_id="06", anomaly="rubbing", channels=8, snr=-6.0),
    "fan-04-clean": dict(machine_type="fan", machine_id="04", snr=None, quantized=False, seed=7),
    "other-00": dict(machine_type="compressor", machine_id="00", anomaly="leak_hiss"),
}
_WRITE = """
import json, os, sys
import numpy as np
from asdlens.data.synth import generate, machine_clip
trees, clips = json.loads(sys.argv[2]), json.loads(sys.argv[3])
for layout, kw in trees.items():
    generate(f"{sys.argv[1]}/{layout}", layout=layout, seed=3, duration=0.25, **kw)
os.makedirs(f"{sys.argv[1]}/machine_clip")
for name, kw in clips.items():
    np.save(f"{sys.argv[1]}/machine_clip/{name}.npy", machine_clip(duration=0.5, **kw))
"""


def write_trees(src: Path, out: Path) -> None:
    """Every tree of :data:`TREES` and the arrays of :data:`CLIPS` under ``out``, by the asdlens in ``src``."""
    env = {**os.environ, "PYTHONPATH": f"{src.resolve()}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    args = [sys.executable, "-c", _WRITE, str(out), json.dumps(TREES), json.dumps(CLIPS)]
    subprocess.run(args, env=env, check=True)


def digests(root: Path) -> dict[str, str]:
    """``relative path -> sha256`` of every file under ``root``."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old", type=Path, required=True, help="src folder of the reference asdlens")
    parser.add_argument("--new", type=Path, required=True, help="src folder of the asdlens to check")
    parser.add_argument("--out", type=Path, required=True, help="empty or absent folder for both copies")
    args = parser.parse_args()
    for name, src in (("old", args.old), ("new", args.new)):
        write_trees(src, args.out / name)
    bad = 0
    for layout in (*TREES, "machine_clip"):
        old, new = digests(args.out / "old" / layout), digests(args.out / "new" / layout)
        differ = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
        wavs = sum(k.endswith(".wav") for k in old)
        print(f"{layout:12s} {len(old):4d} files ({wavs} WAV, {len(old) - wavs} other): "
              + ("identical" if not differ else f"{len(differ)} differ: {differ[:5]}"))  # fmt: skip
        bad += bool(differ)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
