"""deploy-check's tables: the terminal (rich) and the report section (:mod:`asdlens.report`), from one row builder."""

from __future__ import annotations

from ..report.numbers import fmt


def _f(value, spec: str = ".4f", signed: bool = False) -> str:
    return fmt(value, spec, signed=signed)


def _kb(n: int) -> str:
    return f"{n / 1024:.0f} kB"


STEP_HEADERS = ["step", "size", "ms/clip", "max rel Δscore", "mean rel Δscore", "AUC", "ΔAUC", "pAUC", "ΔpAUC",
                "worst ID ΔAUC", "frontend max rel"]  # fmt: skip


def step_rows(report: dict) -> list[list[str]]:
    """One row per step: size, latency, score changes against Keras, mean AUC/pAUC over types and their change."""
    rows = []
    for step in report["steps"]:
        units = step["units"].values()
        size = sum(u["size_bytes"] for u in units)
        ms = [u["latency_ms"] for u in units if u.get("latency_ms") is not None]
        s = step.get("summary", {})
        if step["name"] == "keras":
            rows.append(["keras (run)", _kb(size), _f(max(ms) if ms else None, ".1f"), "–", "–", _f(s.get("auc")),
                         "", _f(s.get("pauc")), "", "", "exact"])  # fmt: skip
            continue
        worst = min(
            (r for r in step["ids"] if r["d_auc"] is not None), key=lambda r: r["d_auc"], default=None
        )
        fronts = [u["frontend"]["max_rel_power"] for u in units if "frontend" in u]
        rows.append([
            step["name"], _kb(size), _f(max(ms) if ms else None, ".1f"), _f(s["max_rel"], ".1e"),
            _f(s["mean_rel"], ".1e"), _f(s["auc"]), _f(s["d_auc"], signed=True), _f(s["pauc"]),
            _f(s["d_pauc"], signed=True),
            "–" if worst is None else f"{worst['d_auc']:+.4f} ({worst['label']})",
            _f(max(fronts), ".1e") if fronts else "as f32",
        ])  # fmt: skip
    return rows


def id_rows(report: dict) -> tuple[list[str], list[list[str]]]:
    """Per ID: the Keras AUC, then each step's AUC change, and (frontend, network) for the flagged ones."""
    steps = report["steps"]
    headers = ["ID", "keras AUC", *[f"Δ {s['name']}" for s in steps[1:]]]
    rows = []
    for i, k in enumerate(steps[0]["ids"]):
        cells = [steps[1]["ids"][i]["label"] if len(steps) > 1 else k["machine_id"], _f(k["auc"])]
        for s in steps[1:]:
            r = s["ids"][i]
            mark = " *" if r["d_auc"] is not None and abs(r["d_auc"]) > r["spread"] else ""
            cells.append(_f(r["d_auc"], signed=True) + mark)
        rows.append(cells)
    return headers, rows


def flag_lines(report: dict) -> list[str]:
    lines = []
    for f in report["flags"]:
        if f["kind"] == "conversion defect":
            lines.append(
                f"{f['step']}: conversion defect: scores move by up to {f['max_rel']:.2g} (relative) at float32; "
                f"the {f['stage']} graph is the cause (compared with the exact frontend)"
            )
        else:
            lines.append(
                f"{f['step']}: {f['id']} AUC {f['d_auc']:+.4f}, beyond the Keras spread {f['spread']:.4f}; "
                f"mostly the {f['stage']}"
            )
    return lines


def spread_line(report: dict) -> str:
    sp = report["spread"]
    if "given" in sp:
        return f"AUC changes beyond {sp['given']:.4f} per ID are flagged (given)"
    values = list(sp["per_id"].values())
    return (
        f"Keras run-to-run spread from {len(sp['seeds'])} extra seed(s): {min(values):.4f} to {max(values):.4f} "
        "per ID; a change beyond its ID's spread is marked *"
    )


def print_check(report: dict, console) -> None:
    from rich.table import Table

    from ..runtime import machine_summary

    table = Table(title=f"deploy-check {report['run_dir']} (units {', '.join(report['units'])})")
    for h in STEP_HEADERS:
        table.add_column(h, justify="left" if h == "step" else "right")
    for row in step_rows(report):
        table.add_row(*row)
    console.print(table)
    headers, rows = id_rows(report)
    ids = Table(title="ΔAUC per ID against Keras")
    for h in headers:
        ids.add_column(h, justify="left" if h == "ID" else "right")
    for row in rows:
        ids.add_row(*row)
    console.print(ids)
    console.print(spread_line(report))
    for line in flag_lines(report) or ["no step changes an ID's AUC beyond the spread; no conversion defect"]:
        console.print(line)
    console.print(f"machine: {machine_summary(report['machine'])}")


def report_section(report: dict):
    """The deploy-check section as an :class:`asdlens.report.Report` (append it with ``extend``)."""
    from ..report import Report
    from ..runtime import machine_summary

    r = Report("Deployment parity")
    r.paragraph(
        f"Run {report['run_dir']}, units {', '.join(report['units'])}, BatchNorm {report['batchnorm']}. "
        "Each step's artifact scores the run's test clips with its own runtime; Δ are against the Keras run."
    )
    r.table(STEP_HEADERS, step_rows(report))
    headers, rows = id_rows(report)
    r.heading("ΔAUC per ID")
    r.table(headers, rows)
    r.paragraph(spread_line(report))
    for line in flag_lines(report):
        r.paragraph(line)
    r.paragraph(f"Machine: {machine_summary(report['machine'])}.")
    return r
