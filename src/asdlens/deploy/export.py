"""``export_run``: one artifact per unit of a finished run; ``write_graph``: one graph in one format.

Paths (all through a SavedModel, the converters' recommended input):

- ``savedmodel``: ``tf.saved_model.save`` of the scoring function (``serving_default``).
- ``litert``: ``tf.lite.TFLiteConverter.from_saved_model`` with builtin ops only (the pip LiteRT runtimes no
  longer run Select TF ops). float16 and dynamic are the converter's modes over the whole graph: every constant
  weight matrix of 1024 values or more is stored as float16 or int8, the network's and the mel filterbank's
  band blocks alike. int8 is limited to the network: calibrated on a representative set of the run's training
  clips, then quantized with every node outside the network's name scope denylisted (the TF Lite quantization
  debugger's selective quantization), so the FFT (RFFT2D has no int8 kernel), the mel product and log (a power
  spectrum spans 10+ decades, which an 8-bit scale cannot hold) and the per-vector error and aggregate (an
  anomalous clip's large error must not clip at the calibrated range) stay float32.
- ``onnx``: ``tf2onnx.convert.from_function`` (tf2onnx 1.17 on TF 2.21, checked by the tests), opset 17, with
  the magnitude as ComplexAbs squared (tf2onnx converts RFFT and ComplexAbs, not Real/Imag); a two-channel
  frontend takes the STFT's real and imaginary parts from a real DFT instead
  (:mod:`asdlens.deploy.frontend_graph`).
"""

from __future__ import annotations

import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from .families import family_for
from .fold import NETWORK_SCOPE, network_function
from .formats import (
    RUNTIMES,
    SUFFIX,
    ArtifactInfo,
    artifact_stem,
    check_format_quantization,
    path_size,
)
from .frontend_graph import FrontendGraph, magnitude_for
from .options import ExportOptions
from .scoring_graph import check_exportable, graph_spec, scoring_function

ONNX_OPSET = 17


def write_graph(
    fn,
    fmt: str,
    quantize: str,
    path: str | Path,
    *,
    representative: Callable[[], Iterable[np.ndarray]] | None = None,
) -> Path:
    """Write the ``tf.function`` ``fn`` (one input signature) as a ``fmt`` artifact at ``path``.

    Parameters
    ----------
    fn : tf.function
        From :func:`asdlens.deploy.scoring_graph.scoring_function`.
    fmt : {"savedmodel", "litert", "onnx"}
    quantize : {"none", "float16", "dynamic", "int8"}
        Only LiteRT takes a mode other than "none".
    path : path
        The file (``.tflite``, ``.onnx``) or folder (SavedModel) to write; replaced if present.
    representative : callable, optional
        Returns an iterable of input arrays (int8 calibration); required for int8.

    Returns
    -------
    pathlib.Path
    """
    check_format_quantization(fmt, quantize)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "onnx":
        return _write_onnx(fn, path)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".export-") as tmp:
        saved = Path(tmp) / "savedmodel"
        _save_savedmodel(fn, saved)
        if fmt == "savedmodel":
            staged = Path(tmp) / "staged"
            shutil.move(saved, staged)
            if path.exists():
                shutil.rmtree(path)
            shutil.move(staged, path)
            return path
        flat = _convert_litert(saved, quantize, representative)
    from ..atomic import atomic_write_bytes

    return atomic_write_bytes(path, flat)


def _save_savedmodel(fn, path: Path) -> None:
    import tensorflow as tf

    module = tf.Module()
    module.score = fn  # tracked, so the function is saved with the module
    tf.saved_model.save(module, str(path), signatures={"serving_default": fn})


def _convert_litert(saved: Path, quantize: str, representative) -> bytes:
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_saved_model(str(saved))
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if quantize == "none":
        return converter.convert()
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantize == "float16":
        converter.target_spec.supported_types = [tf.float16]
        return converter.convert()
    if quantize == "dynamic":
        return converter.convert()
    if representative is None:
        raise ValueError("int8 quantization needs a representative set of inputs")
    converter.representative_dataset = lambda: ([x] for x in representative())
    with warnings.catch_warnings():
        # The debugger opens its models with tf.lite.Interpreter, which warns that it is deprecated.
        warnings.simplefilter("ignore", UserWarning)
        debugger = tf.lite.experimental.QuantizationDebugger(
            converter=converter, debug_dataset=lambda: ([x] for x in representative())
        )
    outside = [name for name in _node_names(debugger.calibrated_model) if not _in_network(name)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        debugger.options = tf.lite.experimental.QuantizationDebugOptions(denylisted_nodes=outside)
        return debugger.get_nondebug_quantized_model()


def _in_network(name: str) -> bool:
    # Fused ops carry every fused node's name, "network/dense/MatMul;network/activation/Relu;...".
    return all(part.startswith(f"{NETWORK_SCOPE}/") for part in name.split(";"))


def _node_names(flat: bytes) -> list[str]:
    """Output tensor names of every op of a LiteRT flatbuffer (the names the quantizer denylists by)."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=flat)
    names = {d["index"]: d["name"] for d in interpreter.get_tensor_details()}
    # _get_ops_details is what TF's own quantization debugger reads op outputs from.
    return [names[i] for op in interpreter._get_ops_details() for i in op["outputs"] if i in names]


def _write_onnx(fn, path: Path) -> Path:
    import tf2onnx

    from ..atomic import atomic_write_bytes

    proto, _ = tf2onnx.convert.from_function(fn, input_signature=fn.input_signature, opset=ONNX_OPSET)
    return atomic_write_bytes(path, proto.SerializeToString())


def versions() -> dict[str, str]:
    """Versions of the libraries that build or run artifacts (absent ones left out)."""
    from ..runtime import versions as installed

    return installed(
        ("tensorflow", "keras", "ai-edge-litert", "tf2onnx", "onnx", "onnxruntime"), python=False
    )


def parts(path: Path, fmt: str, quantize: str, *, channel_stage: bool = False) -> tuple[list[str], list[str]]:
    """(float parts, quantized parts) of an artifact, read from the LiteRT file's tensor types where quantized."""
    frontend = "frontend: frames, window, FFT, |X|^2, mel, log"
    if channel_stage:
        frontend = "frontend: frames, window, FFT, channel stage, mel, log"
    rest = ["frame stacking", "per-vector score and clip aggregate"]
    if quantize == "none":
        return [f"{frontend} (float32)", "network (float32)", *[f"{r} (float32)" for r in rest]], []
    from ai_edge_litert.interpreter import Interpreter

    kinds = {"float16": np.float16, "dynamic": np.int8, "int8": np.int8}
    low = [
        d["name"]
        for d in Interpreter(model_path=str(path)).get_tensor_details()
        if d["dtype"] == kinds[quantize]
    ]
    inside = sum(_in_network(n) for n in low)
    outside = [n for n in low if not _in_network(n) and not n.startswith("tfl.quantize")]
    kind = {
        "float16": "float16 weights (computed in float32)",
        "dynamic": "int8 weights, activations quantized at run time",
        "int8": "int8 weights (per channel) and activations (per tensor), calibrated",
    }[quantize]
    quantized = [f"network: {kind} ({inside} tensors)"]
    floats = [*rest]
    if outside:
        quantized.append(
            f"frontend constants stored as {quantize} ({len(outside)} tensors: mel filterbank blocks, window, log constants)"
        )
    else:
        floats.insert(0, frontend)
    return [f"{f} (float32)" for f in floats], quantized


def export_unit(
    source,
    unit: str,
    fmt: str,
    quantize: str,
    out_dir: str | Path,
    *,
    options: ExportOptions | None = None,
    model=None,
) -> ArtifactInfo:
    """Export one unit of a run; write the artifact and its sidecar into ``out_dir``.

    Parameters
    ----------
    source : asdlens.deploy.source.RunSource
        From :func:`asdlens.deploy.source.open_run`.
    unit : str
        A unit name of the run (``pump``).
    fmt, quantize : str
        See :mod:`asdlens.deploy.formats`.
    out_dir : path
    options : ExportOptions, optional
        Clip length, BatchNorm mode, int8 calibration clips (default ``ExportOptions()``).
    model : keras.Model, optional
        The unit's trained model if already loaded.

    Returns
    -------
    ArtifactInfo
        Also written as ``<stem>.json`` beside the artifact.
    """
    check_format_quantization(fmt, quantize)
    options = options or ExportOptions()
    batchnorm = options.batchnorm
    exp = source.experiment
    if exp.frontend_key != exp.spec.key():
        raise ValueError(f"frontend.function={exp.function.function!r} is a function no MelSpec reproduces; an "
                         "export builds its frontend from a MelSpec, so only runs with a spec frontend export")  # fmt: skip
    u = source.unit(unit)
    n_samples = options.n_samples if options.n_samples is not None else source.clip_length(unit)
    check_exportable(exp.spec, exp.frames, n_samples, fmt)
    family = family_for(exp.model.name, exp.scoring.backend)
    model = model if model is not None else source.load_model(unit)
    frontend = FrontendGraph(exp.spec, n_samples, source.channel_stage, magnitude_for(fmt))
    fn = scoring_function(
        frontend, frames=exp.frames, aggregate=exp.scoring.aggregate,
        network=network_function(model, batchnorm=batchnorm), family=family, graph="score",
    )  # fmt: skip
    clips = source.calibration_clips(unit, options.calibration_clips) if quantize == "int8" else []
    representative = (lambda: (_fit(source.read(c), n_samples, c.path) for c in clips)) if clips else None
    stem = artifact_stem(unit, quantize)
    path = write_graph(
        fn, fmt, quantize, Path(out_dir) / f"{stem}{SUFFIX[fmt]}", representative=representative
    )
    floats, quantized = parts(path, fmt, quantize, channel_stage=frontend.channels is not None)
    info = ArtifactInfo(
        file=path.name, format=fmt, quantization=quantize, runtime=RUNTIMES[fmt], batchnorm=batchnorm,
        size_bytes=path_size(path), unit=unit, machine_type=u.machine_type, snr=u.snr,
        machine_id=u.machine_id, n_samples=n_samples, sample_rate=exp.spec.sample_rate,
        spec=graph_spec(exp.spec).to_dict(), spec_key=exp.spec.key(), frames=exp.frames,
        aggregate=exp.scoring.aggregate, family=family.name, model_key=source.model_key(unit),
        model_sha256=source.model_sha256(unit),
        frontend=describe(frontend), float_parts=floats, quantized_parts=quantized, experiment=exp.to_dict(),
        run_dir=str(source.run_dir.absolute()), versions=versions(), calibration_clips=len(clips),
        **_two_channel_fields(frontend),
    )  # fmt: skip
    info.write(Path(out_dir) / f"{stem}.json")
    return info


def describe(frontend: FrontendGraph) -> str:
    """The sidecar's ``frontend``: what computes the log-mel inside the artifact."""
    if frontend.channels is None:
        magnitude = "|X| (ComplexAbs) squared" if frontend.magnitude == "abs" else "re^2 + im^2"
        return f"asdlens TF backend log-mel, float32 frames/window/FFT (fast=True), magnitude {magnitude}"
    spectrum = "a real DFT (MatMul)" if frontend.magnitude == "abs" else "RFFT with REAL/IMAG"
    return (
        f"asdlens channel stage ({frontend.channels.policy}) and TF backend log-mel, float32 "
        f"frames/window/STFT (fast=True), the STFT's parts from {spectrum}"
    )


def _two_channel_fields(frontend: FrontendGraph) -> dict:
    if frontend.channels is None:
        return {}
    return {"input_shape": frontend.input_shape, "channels": frontend.channels.resolved().to_dict()}


def _fit(y: np.ndarray, n_samples: int, path) -> np.ndarray:
    if y.shape[-1] != n_samples:
        raise ValueError(f"{path}: {y.shape[-1]} samples; the artifact takes exactly {n_samples}")
    return y


def export_run(
    run_dir: str | Path,
    fmt: str,
    out_dir: str | Path,
    *,
    quantize: str = "none",
    units: Sequence[str] | None = None,
    data_root: str | Path | None = None,
    options: ExportOptions | None = None,
) -> list[ArtifactInfo]:
    """Export every unit (or ``units``) of a finished run: see :func:`export_unit`.

    >>> export_run("run", "litert", "artifacts", quantize="int8",
    ...            options=ExportOptions(calibration_clips=20))  # doctest: +SKIP

    Raises
    ------
    ValueError
        Naming the run folder or option: not a run, unknown unit, format/mode that do not combine, a frontend
        the format cannot hold.
    """
    from .source import open_run

    check_format_quantization(fmt, quantize)
    options = options or ExportOptions()
    source = open_run(run_dir, data_root)
    names = list(units) if units else source.unit_names
    for name in names:
        source.unit(name)  # every name checked before the first export
    return [export_unit(source, name, fmt, quantize, out_dir, options=options) for name in names]
