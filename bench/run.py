"""``make bench``: time the log-mel backends against librosa and the seed's tf.signal code, then the protocol.

Usage: ``python bench/run.py [--out bench/results.json] [--clips 100] [--seconds 10] [--repeats 5]
[--protocol-epochs 100 | --no-protocol]``. The frontend part is the same run as ``asdlens bench`` (see
:mod:`asdlens.benchmark`); the protocol part adds the DCASE 2020 autoencoder's training throughput and the wall
time of the ``dcase2020`` experiment on a generated set of 2 types x 4 IDs x 200 clips (about 15 minutes with
the shipped 100 epochs on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from asdlens.cli.bench import DEFAULT_OUT, run_and_report


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault(
        "TF_CPP_MIN_LOG_LEVEL", "3"
    )  # as the asdlens command: TF's C++ notes drown the tables
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON file for the results")
    parser.add_argument("--clips", type=int, default=100, help="clips in the batch")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds per clip (16 kHz)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per implementation")
    parser.add_argument("--protocol-epochs", type=int, default=100, help="epochs of the dcase2020 experiment")
    parser.add_argument("--no-protocol", action="store_true", help="skip the training/experiment timings")
    args = parser.parse_args(argv)
    if args.clips < 1 or args.seconds <= 0 or args.repeats < 1:
        parser.error("--clips and --repeats must be >= 1 and --seconds > 0")
    run_and_report(clips=args.clips, seconds=args.seconds, repeats=args.repeats, out=args.out)
    if not args.no_protocol:
        from asdlens.benchmark import protocol_benchmark

        print(
            f"protocol: dcase2020 on 2 types x 4 IDs x 200 generated clips, {args.protocol_epochs} epochs ..."
        )
        with tempfile.TemporaryDirectory() as work:
            protocol = protocol_benchmark(work, epochs=args.protocol_epochs)
        report = json.loads(args.out.read_text())
        report["protocol"] = protocol
        args.out.write_text(json.dumps(report, indent=2) + "\n")
        t = protocol["training"]
        e = protocol["dcase2020_experiment"]
        print(f"DCASE AE training: {t['vectors_per_s']:.0f} vectors/s; dcase2020 experiment: "
              f"{e['timings_s']['total']:.0f} s ({e['epochs']} epochs), mean AUC {e['mean_auc']:.3f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
