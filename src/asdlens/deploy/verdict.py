"""deploy-check's arithmetic on the measured steps: changes against Keras and the previous step, the frontend's
and the network's share, and the flags."""

from __future__ import annotations

from ..evaluate import mean_defined
from ..groups import GroupKey
from .check_constants import DEFECT_RELATIVE


def _mean_over_types(ids: list[dict], key: str) -> float | None:
    """Mean over machine types (x SNR) of the mean over their IDs, as the runs average."""
    by_type: dict = {}
    for r in ids:
        by_type.setdefault((r["machine_type"], r["snr"]), []).append(r[key])
    return mean_defined(mean_defined(v) for v in by_type.values())


def _sub(a, b):
    return None if a is None or b is None else a - b


def annotate(report: dict, spread: float | None) -> None:
    """Add per-ID changes, step summaries and ``flags`` to a deploy-check report, in place."""
    keras = report["steps"][0]
    ref = {r["label"] if "label" in r else _label(r): r for r in keras["ids"]}
    noise = report["spread"].get("per_id") if spread is None else None
    flags = []
    previous = keras
    keras["summary"] = {
        "auc": _mean_over_types(keras["ids"], "auc"),
        "pauc": _mean_over_types(keras["ids"], "pauc"),
    }
    for step in report["steps"][1:]:
        prev = {_label(r): r for r in previous["ids"]}
        for r in step["ids"]:
            label = _label(r)
            k = ref[label]
            r["label"] = label
            r["d_auc"] = _sub(r["auc"], k["auc"])
            r["d_pauc"] = _sub(r["pauc"], k["pauc"])
            r["d_auc_step"] = _sub(r["auc"], prev[label]["auc"])
            r["d_auc_network"] = _sub(r["auc_exact_frontend"], k["auc"])
            r["d_auc_frontend"] = _sub(r["d_auc"], r["d_auc_network"])
            limit = spread if spread is not None else noise.get(label, 0.0)
            r["spread"] = limit
            if r["d_auc"] is not None and abs(r["d_auc"]) > limit:
                stage = "frontend" if abs(r["d_auc_frontend"]) > abs(r["d_auc_network"]) else "network"
                flags.append({"step": step["name"], "id": label, "kind": "auc", "d_auc": r["d_auc"],
                              "spread": limit, "stage": stage})  # fmt: skip
        step["summary"] = {
            "auc": _mean_over_types(step["ids"], "auc"), "pauc": _mean_over_types(step["ids"], "pauc"),
            "size_bytes": sum(u["size_bytes"] for u in step["units"].values()),
            "max_rel": max(u["score"]["max_rel"] for u in step["units"].values()),
            "mean_rel": max(u["score"]["mean_rel"] for u in step["units"].values()),
            "max_rel_exact_frontend": max(u["score_exact_frontend"]["max_rel"] for u in step["units"].values()),
        }  # fmt: skip
        s = step["summary"]
        s["d_auc"] = _sub(s["auc"], keras["summary"]["auc"])
        s["d_pauc"] = _sub(s["pauc"], keras["summary"]["pauc"])
        if step["quantization"] == "none" and s["max_rel"] > DEFECT_RELATIVE:
            # The exact-frontend twin says whether the network graph or the exported frontend broke.
            stage = "network" if s["max_rel_exact_frontend"] > DEFECT_RELATIVE else "frontend"
            flags.append({"step": step["name"], "id": None, "kind": "conversion defect", "max_rel": s["max_rel"],
                          "stage": stage})  # fmt: skip
        if step["format"] != "onnx":  # ONNX sits beside the ladder
            previous = step
    report["flags"] = flags


def _label(r: dict) -> str:
    return GroupKey(r["machine_type"], r["snr"], r["machine_id"]).label
