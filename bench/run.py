"""``make bench``: time the log-mel backends against librosa and the seed's tf.signal code.

Usage: ``python bench/run.py [--out bench/results.json] [--clips 100] [--seconds 10] [--repeats 5]``.
The same run as ``asdkit bench``; see :mod:`asdkit.benchmark` for what is measured.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from asdkit.cli.bench import DEFAULT_OUT, run_and_report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON file for the results")
    parser.add_argument("--clips", type=int, default=100, help="clips in the batch")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds per clip (16 kHz)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per implementation")
    args = parser.parse_args(argv)
    if args.clips < 1 or args.seconds <= 0 or args.repeats < 1:
        parser.error("--clips and --repeats must be >= 1 and --seconds > 0")
    run_and_report(clips=args.clips, seconds=args.seconds, repeats=args.repeats, out=args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
