"""The parts every run page shares, and the one entry that writes a run's report.

Each protocol builds its own page (:meth:`asdlens.experiment.protocols.EvaluationProtocol.report`) from these
parts: the opening paragraph, the sentence on the detector, how the run differs from the shipped experiment the
published numbers were made with, and the closing sections on training, left-out clips, counters and config.
"""

from __future__ import annotations

from pathlib import Path

from ..models.families import DEFAULT_SCORE, EMBEDDING_SCORERS, model_family
from ..report import Report
from ..report.figures import loss_figure
from ..report.numbers import fmt
from .config import Experiment, load_experiment

#: Config keys a shipped experiment may differ in without changing the protocol it reproduces.
_NOT_PROTOCOL = ("name", "description", "frontend.preset")


def describe_detector(exp: Experiment) -> str:
    """One sentence on the model and how its clips are scored (for the report's first paragraph)."""
    family = model_family(exp.model.name)
    params = ", ".join(f"{k} {v}" for k, v in exp.model.params().items())
    s = exp.scoring
    if s.backend == "default":
        score = DEFAULT_SCORE[family].replace("aggregated", f"{s.aggregate} over the clip's windows")
    elif s.backend == "mahalanobis" and family == "autoencoder":
        score = (
            "selective Mahalanobis distance (the smaller of the source and target values) of the clip's mean "
            "reconstruction residual (DCASE 2023 baseline)"
        )
    elif s.backend == "confidence":
        score = f"-log p(clip's ID) per window, {s.aggregate} over the clip"
    else:
        what = {
            "cosine": "cosine distance to the ID's centre",
            "knn": f"mean cosine distance to the ID's {s.k} nearest training embedding(s)",
            "gmm": f"negative log-likelihood under a {s.components}-component {s.covariance} GMM of the ID's "
            "training embeddings",
            "mahalanobis": "Mahalanobis distance to the ID's training embeddings (Ledoit-Wolf)",
            "ldn": "nearest-neighbour cosine distance over the neighbour's local scale (LDN, "
            + (f"GWRP r {s.density_r})" if s.density_r is not None else f"K {s.density_k})"),
            "varmin": f"variance-minimised nearest-neighbour cosine distance ({s.space} space, K {s.density_k})",
            "pca": f"PCA-subspace residual ({s.n_components} components)",
            "zmin": f"z-min fusion of {s.fusion.replace('+', ', ')}",
        }[s.backend]
        if family == "encoder" and s.domains == "separate":
            what += ", one memory per domain"
        on_embedding = s.backend in EMBEDDING_SCORERS or family != "autoencoder"
        score = f"{what}, on the clip embedding" if on_embedding else what
    unit = {"type": "machine type", "id": "machine ID", "all": "run (all machine types)"}[exp.model.per]
    t = exp.training
    if family == "encoder":
        score = score.replace("the clip embedding", "the pooled clip")
        return f"model {exp.model.name} (frozen encoder; {params}), nothing trained; score = {score}"
    return (
        f"model {exp.model.name} ({family}; {params}), one per {unit}; {t.epochs} epochs, batch {t.batch_size}, "
        f"seed {t.seed}; score = {score}"
    )


def opening(result, *, scored_with: str = "", extra: str = "") -> str:
    """The page's first paragraph: the experiment, its data and layout, the frontend and the detector."""
    exp = result.config
    frontend = (
        f"Frontend: preset {exp.preset or '(none)'} (spec {exp.spec.key()}), windows of {exp.frames} frames x "
        f"{exp.spec.n_mels} mels"
    )
    if model_family(exp.model.name) == "encoder":  # the encoder reads the waveform, not the log-mel
        frontend = f"Input: the 16 kHz waveform, BEATs' own fbank ({Path(exp.model.checkpoint).name})"
    return (
        f"{exp.description or exp.name}. Data: {Path(exp.dataset.root)} ({result.layout} layout{scored_with}). "
        f"{frontend}; {describe_detector(exp)}{extra}."
    )


def protocol_differences(exp: Experiment, shipped: str | None) -> list[str]:
    """Dotted keys (besides the dataset section) where ``exp`` differs from the shipped experiment called
    ``shipped``: the published numbers were made with the shipped settings. [] when there is none to compare."""
    if shipped is None:
        return []
    try:
        reference = load_experiment(shipped).flat()
    except ValueError:
        return []
    ours = exp.flat()
    return [
        k
        for k in reference
        if not k.startswith("dataset.") and k not in _NOT_PROTOCOL and ours.get(k) != reference[k]
    ]


def _last(info: dict, key: str) -> float | None:
    values = (info.get("history") or {}).get(key) or []
    return float(values[-1]) if values else None


def training_and_run_sections(rep: Report, result) -> None:
    """The report's closing sections, the same for every protocol: training per model (any family: the samples
    are vectors, patches or windows), the loss curves, the clips left out, the counters and the config."""
    rep.heading("Training")
    rep.table(
        ["model", "clips", "samples", "epochs", "final loss", "final val_loss"],
        [
            [
                name,
                info.get("n_clips"),
                info.get("n_vectors"),
                len((info.get("history") or {}).get("loss", [])),
                _last(info, "loss"),
                _last(info, "val_loss"),
            ]
            for name, info in result.models.items()
        ],
    )
    rep.figure(loss_figure(result.models), "training_loss", caption="loss per epoch (dashed: validation)")
    if result.bad_files:
        rep.heading("Clips left out (--skip-bad)")
        rep.table(["file", "problem"], [[p, why] for p, why in result.bad_files])
    rep.heading("Run")
    rep.table(["counter", "value"], [[k, v] for k, v in result.counters.items()])
    rep.preformatted(result.config.to_yaml())


def cell(value: float | None, signed: bool = False) -> str | None:
    """A number for a report table (4 decimals; None stays empty)."""
    return fmt(value, signed=signed, missing=None)


def build_run_report(result) -> Report:
    """The :class:`asdlens.report.Report` of a :class:`~asdlens.experiment.RunResult`: its protocol's page."""
    return result.protocol.report(result)


def write_run_report(result) -> Path:
    """Write ``report.html``, ``report.md`` and the PNGs into ``result.out_dir``; return the HTML path."""
    return build_run_report(result).write(result.out_dir)
