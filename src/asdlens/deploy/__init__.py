"""Deployment: export a run's detector with its frontend (SavedModel, LiteRT, ONNX; quantized), score with the
artifact's own runtime, and ``deploy_check``: what each step from Keras to int8 costs in score and AUC.

>>> from asdlens.deploy import export_run, open_artifact, score_artifact, deploy_check
>>> from asdlens.deploy import CheckOptions, ExportOptions  # the grouped options of export_run and deploy_check

Importing this package imports no framework; TensorFlow, ai-edge-litert and onnxruntime load when used.
"""

from .formats import BATCHNORM_MODES, FORMATS, QUANTIZATIONS, ArtifactInfo, read_artifact_info
from .options import CheckOptions, ExportOptions

__all__ = [
    "BATCHNORM_MODES",
    "FORMATS",
    "QUANTIZATIONS",
    "ArtifactInfo",
    "CheckOptions",
    "ExportOptions",
    "deploy_check",
    "export_run",
    "open_artifact",
    "read_artifact_info",
    "score_artifact",
]


def __getattr__(name: str):
    # The entry points import TensorFlow-dependent modules only when asked for.
    if name == "export_run":
        from .export import export_run

        return export_run
    if name == "open_artifact":
        from .runtimes import open_artifact

        return open_artifact
    if name == "score_artifact":
        from .scoring import score_artifact

        return score_artifact
    if name == "deploy_check":
        from .check import deploy_check

        return deploy_check
    raise AttributeError(f"module 'asdlens.deploy' has no attribute {name!r}")
