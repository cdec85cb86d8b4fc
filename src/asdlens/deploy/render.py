"""deploy-check's tables: the terminal (rich) and the report section (:mod:`asdlens.report`), from one row builder."""

from __future__ import annotations

from ..report.numbers import fmt


def _f(value, spec: str = ".4f", signed: bool = False) -> str:
    return fmt(value, spec, signed=signed)


STEP_HEADERS = ["step", "size", "ms/clip", "max rel Δscore", "mean rel Δscore", "AUC", "ΔAUC", "pAUC", "ΔpAUC",
                "worst ID ΔAUC", "frontend max rel"]  # fmt: skip

#: The terminal's two step tables (each fits 80 columns; :data:`STEP_NOTES` say what the short headers mean):
#: header -> the cell of :func:`step_cells`.
SIZE_COLUMNS = {"step": "step", "kB": "kb", "ms": "ms", "max rel": "max_rel", "mean rel": "mean_rel",
                "frontend": "frontend"}  # fmt: skip
AUC_COLUMNS = {"step": "step", "AUC": "auc", "ΔAUC": "d_auc", "pAUC": "pauc", "ΔpAUC": "d_pauc",
               "worst": "worst_d_auc", "worst ID": "worst_id"}  # fmt: skip
STEP_NOTES = [
    "kB: artifact size over the units; ms: median latency per clip on one thread (the slowest unit); max rel, "
    "mean rel: relative |Δ score| against the Keras run over the test clips; frontend: the exported frontend's "
    "largest relative mel-power difference against the NumPy backend (as f32: int8 keeps the float32 frontend)",
    "AUC, pAUC: mean over types of the mean over IDs; Δ: against Keras; worst: the largest AUC drop of an ID",
]

#: Short names of the steps in the terminal's tables (a note spells them out).
SHORT_STEP = {"keras (run)": "keras", "savedmodel": "saved", "litert f32": "f32", "litert float16": "f16",
              "litert dynamic": "dyn", "litert int8": "int8", "onnx": "onnx"}  # fmt: skip


def step_cells(report: dict) -> list[dict[str, str]]:
    """Per step its cells: size (``kb``), latency (``ms``), score changes against Keras, mean AUC/pAUC over types
    and their change, the worst ID (``worst_d_auc``, ``worst_id``) and the frontend's parity."""
    rows = []
    for step in report["steps"]:
        units = step["units"].values()
        size = sum(u["size_bytes"] for u in units)
        ms = [u["latency_ms"] for u in units if u.get("latency_ms") is not None]
        s = step.get("summary", {})
        cells = {"kb": f"{size / 1024:.0f}", "ms": _f(max(ms) if ms else None, ".1f"), "auc": _f(s.get("auc")),
                 "pauc": _f(s.get("pauc"))}  # fmt: skip
        if step["name"] == "keras":
            rows.append({**cells, "step": "keras (run)", "max_rel": "–", "mean_rel": "–", "d_auc": "",
                         "d_pauc": "", "worst_d_auc": "", "worst_id": "", "frontend": "exact"})  # fmt: skip
            continue
        worst = min(
            (r for r in step["ids"] if r["d_auc"] is not None), key=lambda r: r["d_auc"], default=None
        )
        fronts = [u["frontend"]["max_rel_power"] for u in units if "frontend" in u]
        rows.append({
            **cells, "step": step["name"], "max_rel": _f(s["max_rel"], ".1e"), "mean_rel": _f(s["mean_rel"], ".1e"),
            "d_auc": _f(s["d_auc"], signed=True), "d_pauc": _f(s["d_pauc"], signed=True),
            "worst_d_auc": "–" if worst is None else f"{worst['d_auc']:+.4f}",
            "worst_id": "" if worst is None else worst["label"],
            "frontend": _f(max(fronts), ".1e") if fronts else "as f32",
        })  # fmt: skip
    return rows


def step_rows(report: dict) -> list[list[str]]:
    """One row per step under :data:`STEP_HEADERS` (the report's table): size, latency, score changes against
    Keras, mean AUC/pAUC over types and their change, the worst ID, the frontend's parity."""
    rows = []
    for c in step_cells(report):
        worst = f"{c['worst_d_auc']} ({c['worst_id']})" if c["worst_id"] else c["worst_d_auc"]
        rows.append([c["step"], f"{c['kb']} kB", c["ms"], c["max_rel"], c["mean_rel"], c["auc"], c["d_auc"],
                     c["pauc"], c["d_pauc"], worst, c["frontend"]])  # fmt: skip
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


def _short(name: str) -> str:
    return SHORT_STEP.get(name, name)


def _cells_table(title: str, columns: dict[str, str], cells: list[dict[str, str]]):
    from ..report.terminal import table

    out = table(title, list(columns), left=("step", "worst ID"))
    for c in cells:
        out.add_row(*(_short(c["step"]) if key == "step" else c[key] for key in columns.values()))
    return out


def print_check(report: dict, console) -> None:
    """deploy-check's tables on a rich ``console``, each within its width (80 columns in a pipe): the steps'
    size, latency and score change, their AUC and pAUC, then ΔAUC per ID (in several tables when the steps do
    not fit beside each other); the short headers are spelled out in notes below."""
    from ..report.terminal import column_groups, notes, table
    from ..runtime import machine_summary

    console.print(
        f"[bold]deploy-check[/] {report['run_dir']} (units {', '.join(report['units'])})", highlight=False
    )
    cells = step_cells(report)
    console.print(_cells_table("size, latency and score change against Keras", SIZE_COLUMNS, cells))
    console.print(_cells_table("mean AUC and pAUC over types", AUC_COLUMNS, cells))
    named = [
        f"{_short(s['name'])}: {s['name']}" for s in report["steps"][1:] if _short(s["name"]) != s["name"]
    ]
    notes(console, [*STEP_NOTES, "; ".join(["keras: the run's own scores", *named])])
    headers, rows = id_rows(report)
    headers = ["ID", "keras", *(_short(s["name"]) for s in report["steps"][1:])]
    groups = column_groups(headers, rows, keep=2, width=console.width)
    for k, group in enumerate(groups):
        part = f" ({k + 1}/{len(groups)})" if len(groups) > 1 else ""
        ids = table(f"ΔAUC per ID against Keras{part}", [headers[i] for i in group], left=("ID",))
        for row in rows:
            ids.add_row(*(row[i] for i in group))
        console.print(ids)
    notes(console, ["keras: the run's AUC; the others: each step's change of it; * beyond the ID's spread"])
    console.print(spread_line(report), highlight=False)
    for line in flag_lines(report) or ["no step changes an ID's AUC beyond the spread; no conversion defect"]:
        console.print(line, highlight=False)
    console.print(f"machine: {machine_summary(report['machine'])}", highlight=False)


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
