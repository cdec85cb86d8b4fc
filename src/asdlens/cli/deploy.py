"""``asdlens export``, ``asdlens score`` and ``asdlens deploy-check``."""

from __future__ import annotations

from pathlib import Path

import typer

from .errors import user_errors


def _names(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def export_command(
    run_dir: Path = typer.Argument(..., help="A finished `asdlens run` folder."),
    fmt: str = typer.Option(..., "--format", "-f", help="litert | savedmodel | onnx"),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for the artifacts and their JSON sidecars."),
    quantize: str = typer.Option("none", "--quantize", "-q", help="none | float16 | dynamic | int8 (LiteRT)"),
    unit: str = typer.Option(None, "--unit", help="Unit(s) to export, comma-separated (default: all)."),
    data: Path = typer.Option(None, "--data", help="The run's data root, if it moved."),
    samples: int = typer.Option(None, "--samples", help="Input clip length (default: the training clips')."),
    batchnorm: str = typer.Option(
        "fold", "--batchnorm", help="fold | keep | batch-stats (a defect, for tests)"
    ),
    calibration: int = typer.Option(50, "--calibration-clips", help="Training clips for int8 calibration."),
) -> None:
    """Export each unit of a run as one artifact: raw audio in, the clip's anomaly score out."""
    from ..deploy.export import export_run
    from ..deploy.options import ExportOptions

    with user_errors():
        options = ExportOptions(n_samples=samples, batchnorm=batchnorm, calibration_clips=calibration)
        infos = export_run(
            run_dir, fmt, out, quantize=quantize, units=_names(unit), data_root=data, options=options
        )
    for info in infos:
        typer.echo(
            f"{out / info.file}: {info.format} {info.quantization}, {info.size_bytes} bytes, "
            f"{info.n_samples} samples at {info.sample_rate} Hz in, score out; needs {info.runtime}"
        )


def score_command(
    artifact: Path = typer.Argument(..., help="An exported artifact (file, SavedModel folder or its .json)."),
    data: Path = typer.Option(..., "--data", help="Dataset root in the run's layout."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for the official CSVs and results.json."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
) -> None:
    """Score test clips with the artifact's own runtime; write the official CSVs and AUC/pAUC."""
    from ..deploy.scoring import score_artifact

    with user_errors():
        result = score_artifact(artifact, data, out, progress=progress)
    for r in result.results:
        auc = "undefined" if r.auc is None else f"{r.auc:.4f}"
        pauc = "–" if r.pauc is None else f"{r.pauc:.4f}"
        typer.echo(f"{r.label}: AUC {auc}, pAUC {pauc} ({r.n} clips)")
    typer.echo(f"wrote {out}/result.csv and the anomaly_score_*.csv files")


def deploy_check_command(
    run_dir: Path = typer.Argument(..., help="A finished `asdlens run` folder."),
    out: Path = typer.Option(
        None,
        "--out",
        "-o",
        help="Folder for deploy.json, the report and the artifacts (default: deploy/ inside run_dir).",
    ),
    formats: str = typer.Option("savedmodel,litert,onnx", "--formats", help="Comma-separated formats."),
    quantize: str = typer.Option(
        "none,float16,dynamic,int8", "--quantize", help="LiteRT modes of the ladder."
    ),
    unit: str = typer.Option(None, "--unit", help="Unit(s) to check, comma-separated (default: all)."),
    data: Path = typer.Option(None, "--data", help="The run's data root, if it moved."),
    spread: float = typer.Option(
        None, "--spread", help="AUC change per ID that counts as noise (skips --seeds)."
    ),
    seeds: int = typer.Option(2, "--seeds", help="Extra training seeds that measure the Keras spread."),
    batchnorm: str = typer.Option(
        "fold", "--batchnorm", help="fold | keep | batch-stats (a defect, for tests)"
    ),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show progress bars."),
) -> None:
    """The ladder Keras -> SavedModel -> LiteRT f32 -> float16 -> dynamic -> int8 (ONNX beside): score and AUC
    changes per step and ID, sizes, single-thread latency, flags with the stage that causes them."""
    from rich.console import Console

    from ..runtime import set_thread_budget

    # Latency is per clip on one thread: fix TensorFlow's pools before it starts (LiteRT and onnxruntime
    # take their thread count per model).
    set_thread_budget(1)
    from ..deploy.check import deploy_check
    from ..deploy.options import CheckOptions, ExportOptions, default_out
    from ..deploy.render import print_check, report_section

    out = out if out is not None else default_out(run_dir)
    with user_errors():
        check = CheckOptions(formats=_names(formats) or (), quantizations=_names(quantize) or (), spread=spread,
                             seeds=seeds)  # fmt: skip
        report = deploy_check(run_dir, out, units=_names(unit), data_root=data, check=check,
                              export=ExportOptions(batchnorm=batchnorm), progress=progress)  # fmt: skip
    console = Console()
    print_check(report, console)
    report_section(report).write(out)
    console.print(f"wrote {out / 'deploy.json'} and {out / 'report.html'}")


def register(app: typer.Typer) -> None:
    app.command("export")(export_command)
    app.command("score")(score_command)
    app.command("deploy-check")(deploy_check_command)
