"""``make bench``: every speed figure of asdlens, measured in one run on this machine (never asserted in tests).

Usage: ``python bench/run.py [--out bench/results.json] [--only frontends,protocol,detectors,frameworks,fullsize,engine,channels,encoders,backends]
[--clips 100] [--seconds 10] [--repeats 5] [--protocol-epochs 100] [--fullsize-data bench/data/fullsize]``.

Parts (see :mod:`asdlens.benchmark`): ``frontends`` (the log-mel backends against librosa and the seed's
tf.signal code: the same run as ``asdlens bench``), ``protocol`` (the DCASE 2020 autoencoder's training
throughput and the ``dcase2020`` experiment on 2 types x 4 IDs x 200 generated clips), ``detectors`` (each
detector family's training throughput and each shipped detector experiment's wall time on that set), ``frameworks``
(each family's fit in Keras and in PyTorch side by side at 1 thread and every CPU, the first epoch included, and the
torch autoencoder's streamed fit against a bare torch loop), ``fullsize`` (one type at real size: features, 3 epochs
in Keras and in torch, peak memory; its tree is generated once under ``--fullsize-data``),
``engine`` (``explain dcase2020 seed-tf`` on inline / local / a 2-node Ray cluster, scheduling overhead, and a
projection to clusters), ``channels`` (two-channel DCASE 2026 features per channel policy), ``encoders`` (BEATs base
embeddings per second and peak memory) and ``backends`` (every pooling x back-end of the frozen-encoder family
from one set of random-weight embeddings). Every part writes into the same JSON with the machine it ran on.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from asdlens.cli.bench import DEFAULT_OUT, run_and_report
from asdlens.runtime import machine_info, machine_summary, quiet_tensorflow_import

PARTS = (
    "frontends",
    "protocol",
    "detectors",
    "frameworks",
    "fullsize",
    "engine",
    "channels",
    "encoders",
    "backends",
)


def _save(out: Path, key: str, value) -> dict:
    report = json.loads(out.read_text()) if out.is_file() else {}
    report[key] = value
    out.write_text(json.dumps(report, indent=2) + "\n")
    return report


def _measure(out: Path, key: str, intro: str, compute, *, temp: bool = False):
    """Print ``intro``, run ``compute`` (given a fresh temporary folder when ``temp``), save its result under
    ``key`` in ``out`` and return it."""
    print(intro)
    if temp:
        with tempfile.TemporaryDirectory() as work:
            result = compute(work)
    else:
        result = compute()
    _save(out, key, result)
    return result


def main(argv: list[str] | None = None) -> int:
    quiet_tensorflow_import()  # as the asdlens command: TF's C++ notes drown the tables
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON file for the results")
    parser.add_argument("--only", default=",".join(PARTS), help=f"comma-separated parts of {list(PARTS)}")
    parser.add_argument("--clips", type=int, default=100, help="frontends: clips in the batch")
    parser.add_argument("--seconds", type=float, default=10.0, help="frontends: seconds per clip (16 kHz)")
    parser.add_argument("--repeats", type=int, default=5, help="frontends: timed runs per implementation")
    parser.add_argument("--protocol-epochs", type=int, default=100, help="protocol: epochs of dcase2020")
    parser.add_argument("--fullsize-data", type=Path, default=Path("bench/data/fullsize"),
                        help="fullsize: where its generated tree lives (reused)")  # fmt: skip
    args = parser.parse_args(argv)
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown or args.clips < 1 or args.seconds <= 0 or args.repeats < 1:
        parser.error(
            f"--only takes parts of {list(PARTS)} (got {unknown}); --clips/--repeats >= 1, --seconds > 0"
        )
    info = machine_info()
    print(f"machine: {machine_summary(info)}")
    if "frontends" in parts:
        run_and_report(clips=args.clips, seconds=args.seconds, repeats=args.repeats, out=args.out)
    _save(args.out, "machine", info)
    if "protocol" in parts:
        from asdlens.benchmark import protocol_benchmark

        intro = (
            f"protocol: dcase2020 on 2 types x 4 IDs x 200 generated clips, {args.protocol_epochs} epochs ..."
        )
        protocol = _measure(args.out, "protocol", intro, lambda w: protocol_benchmark(w, epochs=args.protocol_epochs),
                            temp=True)  # fmt: skip
        t, e = protocol["training"], protocol["dcase2020_experiment"]
        print(f"DCASE AE training: {t['vectors_per_s']:.0f} vectors/s; dcase2020 experiment: "
              f"{e['timings_s']['total']:.0f} s ({e['epochs']} epochs), mean AUC {e['mean_auc']:.3f}")  # fmt: skip
    if "detectors" in parts:
        from asdlens.benchmark.detectors import detectors_benchmark

        intro = "detectors: training throughput per family; shipped detector experiments on the protocol's set ..."
        det = _measure(args.out, "detectors", intro, detectors_benchmark, temp=True)
        print("training samples/s: " + ", ".join(
            f"{k} {v['samples_per_s']:.0f}" for k, v in det["throughput"].items()))  # fmt: skip
        print("wall time: " + ", ".join(
            f"{k} {v['wall_s']:.0f} s (AUC {v['mean_auc']:.3f})" for k, v in det["experiments"].items())
            + f"; arcface-knn-full training estimated {det['arcface_knn_full_estimated_training_s'] / 3600:.1f} h")  # fmt: skip
    if "frameworks" in parts:
        from asdlens.benchmark.frameworks import frameworks_benchmark

        intro = "frameworks: each family's fit in Keras and in torch, 3 epochs with the first, 1 thread and all ..."
        fw = _measure(args.out, "frameworks", intro, frameworks_benchmark)
        for threads, t in fw["threads"].items():
            fams = t["families"]
            print(f"{threads} thread(s): " + ", ".join(
                f"{fam} keras {r['keras']['samples_per_s']:.0f} / torch {r['torch']['samples_per_s']:.0f}"
                for fam, r in fams.items()) + f" samples/s; bare torch loop {t['bare_torch_loop']['samples_per_s']:.0f}"
                f" vectors/s; torch AE fit = {t['torch_fit_over_bare_loop']:.2f}x the bare loop, "
                f"{t['torch_fit_over_keras_fit']:.2f}x the Keras fit")  # fmt: skip
    if "fullsize" in parts:
        from asdlens.benchmark.fullsize import fullsize_benchmark

        intro = f"fullsize: one type at real size in {args.fullsize_data} (generated once) ..."
        full = _measure(args.out, "fullsize", intro, lambda: fullsize_benchmark(args.fullsize_data))
        f, r = full["features"], full["run"]
        print(f"features: {f['clips']} clips in {f['seconds']:.1f} s = {f['clips_per_s']:.0f} clips/s "
              f"({f['workers']} workers); 3 epochs: {r['train_vectors_per_s']:.0f} training vectors/s (the fit "
              f"loop alone: {full['fit_loop_ceiling']['vectors_per_s']:.0f}); peak RSS "
              f"{r['peak_rss_bytes'] / 2**30:.2f} GiB for {r['vector_bytes'] / 2**30:.2f} GiB of vectors")  # fmt: skip
        t = full["run_torch"]
        print(f"torch: 3 epochs {t['train_vectors_per_s']:.0f} training vectors/s = {full['torch_over_bare_loop']:.2f}x "
              f"the bare torch loop ({full['bare_torch_loop']['samples_per_s']:.0f}), {full['torch_over_keras']:.2f}x "
              f"Keras; peak RSS {t['peak_rss_bytes'] / 2**30:.2f} GiB")  # fmt: skip
    if "engine" in parts:
        from asdlens.benchmark.engine_speed import engine_benchmark

        intro = "engine: explain dcase2020 seed-tf on inline, local and a 2-node Ray cluster ..."
        engine = _measure(args.out, "engine", intro, engine_benchmark, temp=True)
        x = engine["explain"]
        print("explain wall time: " + ", ".join(f"{k} {x[k]['seconds']:.0f} s" for k in ("inline", "local", "ray"))
              + f"; local is {x['local_speedup_over_inline']:.2f}x inline")  # fmt: skip
        print(
            "overhead per job: "
            + ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in engine["overhead"]["seconds_per_job"].items())
        )
        p = engine["projection"]
        print(f"projection (not a measurement): explain dcase2020 seed-tf --repeats 3 on the full dev set: "
              f"{p['cpu_hours']:.0f} CPU hours, critical path {p['critical_path_hours']:.2f} h; "
              + ", ".join(f"{r['nodes']} nodes {r['hours']:.1f} h" for r in p["wall_time"]))  # fmt: skip
    if "channels" in parts:
        from asdlens.benchmark.channels import channels_benchmark

        intro = (
            "channels: features of 10 s two-channel DCASE 2026 clips per channel policy (local workers) ..."
        )
        ch = _measure(args.out, "channels", intro, channels_benchmark, temp=True)
        print("two-channel clips/s: " + ", ".join(
            f"{k} {v['clips_per_s']:.0f}" for k, v in ch["policies"].items()) + f" (goal {ch['goal_clips_per_s']})")  # fmt: skip
    if "encoders" in parts:
        from asdlens.benchmark.encoders import encoder_benchmark

        intro = "encoders: BEATs base (random weights) embeddings of 10 s clips on the CPU, one process ..."
        enc = _measure(args.out, "encoders", intro, lambda: encoder_benchmark(size="base"))
        print(f"BEATs base: {enc.get('clips_per_s', float('nan')):.2f} clips/s; peak RSS "
              f"{enc.get('peak_rss_bytes', 0) / 2**30:.2f} GiB")  # fmt: skip
    if "backends" in parts:
        from asdlens.benchmark.encoder_backends import backends_table, format_table

        intro = "backends: official score of each pooling x back-end, random tiny BEATs, one set of embeddings ..."
        table = _measure(args.out, "backends", intro, backends_table, temp=True)
        print("\n".join(format_table(table)) + f"\n({table['seconds']:.0f} s for all cells)")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
