"""Export formats, quantization modes and the artifact's JSON sidecar. No framework is imported here.

An artifact is one file (LiteRT ``.tflite``, ONNX ``.onnx``) or folder (TF SavedModel) per unit of a run, plus
``<stem>.json`` beside it: what the artifact computes (spec, frames, aggregate, clip length), what it came from
(run, unit, model key) and what it needs to run (format, runtime package, quantization).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

#: Export formats, the file suffix of each ("" for a folder) and the runtime that scores it.
FORMATS = ("savedmodel", "litert", "onnx")
SUFFIX = {"savedmodel": "", "litert": ".tflite", "onnx": ".onnx"}
RUNTIMES = {
    "savedmodel": "tensorflow (tf.saved_model.load)",
    "litert": "ai-edge-litert (ai_edge_litert.interpreter.Interpreter)",
    "onnx": "onnxruntime (onnxruntime.InferenceSession)",
}

#: Post-training quantization modes (LiteRT only; the other formats take "none").
QUANTIZATIONS = ("none", "float16", "dynamic", "int8")

#: How BatchNormalization after a Dense layer is exported.
#: "fold": folded into the Dense (the default; what MLPerf Tiny does by hand).
#: "keep": left as its own ops in inference mode (TF 2.21's converter then folds it itself).
#: "batch-stats": normalised with the statistics of the clip's own vectors, as a network traced in training
#: mode does: a conversion defect kept so that deploy-check can be shown to catch one.
BATCHNORM_MODES = ("fold", "keep", "batch-stats")

ARTIFACT_VERSION = 1

#: Sidecar fields of an artifact whose graph holds the channel stage; absent from a one-channel sidecar.
TWO_CHANNEL_FIELDS = ("input_shape", "channels")


def check_choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    """``value`` if it is one of ``allowed``, else a ValueError naming the option and the choices."""
    if value not in allowed:
        raise ValueError(f"{name}={value!r} is not allowed; choose one of {list(allowed)}")
    return value


def check_format_quantization(fmt: str, quantize: str) -> None:
    """Raise a ValueError for an unknown format or mode, or a mode the format cannot carry."""
    check_choice("format", fmt, FORMATS)
    check_choice("quantize", quantize, QUANTIZATIONS)
    if quantize != "none" and fmt != "litert":
        raise ValueError(
            f"quantize={quantize!r} needs format='litert'; {fmt} artifacts are float32 only "
            "(post-training quantization is the LiteRT converter's)"
        )


def artifact_stem(unit: str, quantize: str) -> str:
    """``pump`` for float32, ``pump-int8`` for a quantized artifact (so the modes can share a folder)."""
    return unit if quantize == "none" else f"{unit}-{quantize}"


@dataclass
class ArtifactInfo:
    """The JSON sidecar of an exported artifact.

    Attributes
    ----------
    file : str
        The artifact's file or folder name, relative to the JSON file.
    format, quantization, runtime, batchnorm : str
        See :data:`FORMATS`, :data:`QUANTIZATIONS`, :data:`RUNTIMES`, :data:`BATCHNORM_MODES`.
    size_bytes : int
        Bytes of the file (of every file of a SavedModel folder).
    unit, machine_type : str
        The run's unit (``pump``, ``fan_6dB_id_00``) and its machine type.
    snr : int or None
    machine_id : str or None
        None when the unit's model covers every ID of its type.
    n_samples, sample_rate : int
        The input: exactly ``n_samples`` float32 samples in [-1, 1] at ``sample_rate`` Hz (per channel).
    spec : dict
        The frontend's :class:`asdlens.features.MelSpec` fields; ``spec_key`` its key.
    frames : int
        Log-mel frames stacked per vector.
    aggregate : str
        How per-vector scores become the clip score.
    family : str
        The scoring head (``reconstruction_mse`` for the autoencoders).
    model_key : str or None
        The run's key of the trained model; ``model_sha256`` the digest of ``models/<unit>.keras``.
    frontend : str
        What computes the log-mel inside the artifact.
    float_parts, quantized_parts : list of str
        Which stages run in float32 and which are quantized.
    experiment : dict
        The run's resolved config (``asdlens score`` plans the test clips from it).
    run_dir : str
    versions : dict
        Library versions at export.
    calibration_clips : int
        Training clips of the representative set (int8 only, else 0).
    input_shape : list of int or None
        ``[2, n_samples]`` (near, far) for an artifact with the channel stage in its graph; None (left out of
        the JSON): one channel, ``[n_samples]``.
    channels : dict or None
        That channel stage: the run's :class:`asdlens.features.ChannelSpec`, resolved (``policy``,
        ``over_subtraction``, ``floor``, ``transfer``, ``transfer_eps``); None (left out) for one channel.
    """

    file: str
    format: str
    quantization: str
    runtime: str
    batchnorm: str
    size_bytes: int
    unit: str
    machine_type: str
    snr: int | None
    machine_id: str | None
    n_samples: int
    sample_rate: int
    spec: dict
    spec_key: str
    frames: int
    aggregate: str
    family: str
    model_key: str | None
    model_sha256: str
    frontend: str
    float_parts: list[str]
    quantized_parts: list[str]
    experiment: dict
    run_dir: str
    versions: dict = field(default_factory=dict)
    calibration_clips: int = 0
    version: int = ARTIFACT_VERSION
    input_shape: list[int] | None = None
    channels: dict | None = None

    def to_dict(self) -> dict[str, Any]:
        """The sidecar's JSON; the two-channel fields only when set (a one-channel sidecar reads as before)."""
        data = asdict(self)
        return {k: v for k, v in data.items() if k not in TWO_CHANNEL_FIELDS or v is not None}

    def write(self, path: str | Path) -> Path:
        from ..atomic import atomic_write_json

        return atomic_write_json(Path(path), self.to_dict())


def read_artifact_info(path: str | Path) -> tuple[ArtifactInfo, Path]:
    """The sidecar of an artifact and the artifact's own path.

    ``path`` may be the JSON file, the ``.tflite``/``.onnx`` file or the SavedModel folder (its JSON is
    ``<stem>.json`` beside it).

    Raises
    ------
    ValueError
        Naming the path: no sidecar, not JSON, missing fields, or the artifact it names is absent.
    """
    path = Path(path)
    if path.suffix == ".json":
        sidecar = path
    else:
        stem = path.name[: -len(path.suffix)] if path.suffix in (".tflite", ".onnx") else path.name
        sidecar = path.with_name(f"{stem}.json")
    if not sidecar.is_file():
        raise ValueError(f"{path}: no artifact sidecar {sidecar.name} (written by `asdlens export`)")
    try:
        data = json.loads(sidecar.read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"{sidecar}: not a readable artifact sidecar ({exc})") from None
    if not isinstance(data, dict) or data.get("version") != ARTIFACT_VERSION:
        raise ValueError(f"{sidecar}: not an asdlens artifact sidecar of version {ARTIFACT_VERSION}")
    known = set(ArtifactInfo.__dataclass_fields__)
    missing = sorted(known - set(data) - {"versions", "calibration_clips", "version", *TWO_CHANNEL_FIELDS})
    if missing:
        raise ValueError(f"{sidecar}: artifact sidecar lacks {missing}")
    info = ArtifactInfo(**{k: v for k, v in data.items() if k in known})
    check_format_quantization(info.format, info.quantization)
    artifact = sidecar.parent / info.file
    if not artifact.exists():
        raise ValueError(f"{sidecar}: names {info.file}, which is not in {sidecar.parent}")
    return info, artifact


def path_size(path: str | Path) -> int:
    """Bytes of a file, or of every file under a folder."""
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
