"""deploy-check's terminal tables at 80 columns and in a pipe: every number of ``deploy.json`` whole.

The report is made as deploy-check makes it, without exporting anything: measured steps written by hand (sizes,
latencies, score changes, AUCs of every ID) and then :func:`asdlens.deploy.verdict.annotate`, the command's own
arithmetic for the changes, summaries and flags.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from rich.console import Console

from asdlens.deploy.check import BESIDE, LADDER, step_name
from asdlens.deploy.render import id_rows, print_check, step_cells
from asdlens.deploy.verdict import annotate
from asdlens.runtime import machine_info

NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?(?:e[+-]\d+)?")

CASES = {
    # long type names, six IDs each (DCASE 2020), and MIMII's SNRs in the labels
    "dcase2020": ([("ToyConveyor", None), ("pump", None)], ["01", "02", "03", "04", "05", "06"]),
    "mimii": ([("slider", -6), ("valve", 6)], ["00", "02", "04", "06"]),
}


def _ids(units, ids, rng, shift: float = 0.0) -> list[dict]:
    return [
        {"machine_type": t, "machine_id": m, "snr": snr, "auc": float(np.clip(rng.uniform(0.5, 1) + shift,
         0, 1)), "pauc": float(rng.uniform(0.4, 0.9)), "n_normal": 100, "n_anomaly": 60, "message": None}
        for t, snr in units
        for m in ids
    ]  # fmt: skip


def _report(case: str) -> dict:
    """A deploy-check report as ``deploy.json`` holds it: the ladder and ONNX, two units, every ID."""
    units, ids = CASES[case]
    rng = np.random.default_rng(7)
    names = [t if snr is None else f"{t}_{snr}dB" for t, snr in units]
    keras_ids = _ids(units, ids, rng)
    keras = {"name": "keras", "format": "keras", "quantization": "none", "ids": keras_ids,
             "units": {n: {"size_bytes": 6729728, "latency_ms": 27.31} for n in names}}  # fmt: skip
    steps = [keras]
    for k, (fmt, q) in enumerate((*LADDER, *BESIDE)):
        moved = q not in ("none",)
        step_ids = []
        for r in keras_ids:
            d = float(rng.normal(0, 0.02)) if moved else 0.0
            step_ids.append({**r, "auc": r["auc"] + d, "pauc": r["pauc"] + d / 2,
                             "auc_exact_frontend": r["auc"] + d / 3, "pauc_exact_frontend": r["pauc"]})  # fmt: skip
        rel = 2.2e-3 if moved else 3.0e-7 * (k + 1)
        unit = {
            "artifact": f"artifacts/{fmt}/x", "size_bytes": int(10605568 / (k + 1)), "float_parts": [],
            "quantized_parts": [], "latency_ms": 5.64 + k * 3.3,
            "score": {"max_rel": rel, "mean_rel": rel / 7, "max_abs": rel},
            "score_exact_frontend": {"max_rel": rel / 2, "mean_rel": rel / 9, "max_abs": rel},
        }  # fmt: skip
        if q != "int8":
            unit["frontend"] = {"max_rel_power": 1.234e-6 * (k + 1), "max_db": 1e-5, "within_db": 100.0,
                                "clips": 20}  # fmt: skip
        steps.append({"name": step_name(fmt, q), "format": fmt, "quantization": q, "ids": step_ids,
                      "units": {n: dict(unit) for n in names}})  # fmt: skip
    report = {
        "run_dir": "/home/someone/experiments/asdlens/runs/dcase2020-5-epochs-2026-01-17", "experiment": case,
        "units": names, "batchnorm": "fold", "machine": machine_info(), "tf_intra_op_threads": 1,
        "spread": {"given": 0.01}, "steps": steps,
    }  # fmt: skip
    annotate(report, 0.01)
    return report


def _numbers(report: dict) -> list[str]:
    """Every number of the tables, as deploy-check writes it (the report's cells)."""
    keys = ("kb", "ms", "max_rel", "mean_rel", "auc", "d_auc", "pauc", "d_pauc", "worst_d_auc", "frontend")
    out = [c[k] for c in step_cells(report) for k in keys if NUMBER.fullmatch(c[k])]
    _, rows = id_rows(report)
    out += [cell.removesuffix(" *") for row in rows for cell in row[1:]]
    return out


@pytest.mark.parametrize("case", list(CASES))
def test_deploy_check_tables_fit_80_columns_with_every_number_whole(case):
    report = _report(case)
    console = Console(width=80, record=True, file=io.StringIO())  # not a terminal: as in a pipe
    print_check(report, console)
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= 80, text
    tokens = set(NUMBER.findall(text))
    numbers = _numbers(report)
    assert len(numbers) > 100
    missing = [n for n in numbers if n not in tokens]
    assert not missing, (missing, text)
    assert "…" not in text, text  # nothing cut
    assert report["flags"] and all(f"{f['d_auc']:+.4f}" in text for f in report["flags"])  # the flags too
    assert "ΔAUC per ID against Keras (1/2)" in text  # six steps do not fit beside each other in 80 columns


def test_a_wide_console_keeps_the_per_id_table_whole():
    console = Console(width=200, record=True, file=io.StringIO())
    print_check(_report("mimii"), console)
    text = console.export_text()
    assert text.count("ΔAUC per ID against Keras") == 1 and "(1/2)" not in text
