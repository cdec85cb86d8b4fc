"""Run an exported graph with its own runtime: the LiteRT interpreter, TensorFlow's SavedModel loader, onnxruntime.

Each runtime is imported when an artifact of its format is opened. A :class:`Runtime` takes one input array
(the graph's single input) and returns its single output as NumPy.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .formats import FORMATS, check_choice, read_artifact_info


class Runtime:
    """A loaded artifact: ``runtime(x)`` runs the graph on one input and returns its output.

    Parameters
    ----------
    path : path
        The ``.tflite`` / ``.onnx`` file or SavedModel folder.
    fmt : {"savedmodel", "litert", "onnx"}
    threads : int
        Threads the runtime may use (LiteRT and onnxruntime take it per model; TensorFlow's pools are
        per process and are left as the process set them).
    """

    def __init__(self, path: str | Path, fmt: str, *, threads: int = 1):
        check_choice("format", fmt, FORMATS)
        self.path = Path(path)
        self.format = fmt
        self.threads = int(threads)
        try:
            self._run = getattr(self, f"_open_{fmt}")()
        except (ImportError, ModuleNotFoundError) as exc:
            raise ValueError(
                f"{self.path}: the {fmt} runtime is not installed ({exc}); pip install 'asdlens[deploy]'"
            ) from None

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self._run(np.ascontiguousarray(x, dtype=np.float32))

    def _open_litert(self):
        from ai_edge_litert.interpreter import Interpreter

        try:
            interpreter = Interpreter(model_path=str(self.path), num_threads=self.threads)
        except ValueError as exc:
            raise ValueError(f"{self.path}: not a LiteRT model the interpreter can load ({exc})") from None
        runner = interpreter.get_signature_runner("serving_default")
        (name,) = runner.get_input_details()
        (out,) = runner.get_output_details()
        return lambda x: np.asarray(runner(**{name: x})[out])

    def _open_savedmodel(self):
        import tensorflow as tf

        try:
            fn = tf.saved_model.load(str(self.path)).signatures["serving_default"]
        except (OSError, KeyError, ValueError) as exc:
            raise ValueError(
                f"{self.path}: not a SavedModel with a serving_default signature ({exc})"
            ) from None
        (name,) = fn.structured_input_signature[1]
        (out,) = fn.structured_outputs
        return lambda x: fn(**{name: tf.constant(x)})[out].numpy()

    def _open_onnx(self):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        try:
            session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph types
            raise ValueError(f"{self.path}: not an ONNX model onnxruntime can load ({exc})") from None
        (inp,) = session.get_inputs()
        (out,) = session.get_outputs()
        return lambda x: np.asarray(session.run([out.name], {inp.name: x})[0])


def open_artifact(path: str | Path, *, threads: int = 1):
    """An exported artifact and its runtime: ``(ArtifactInfo, Runtime)``.

    ``path`` is the sidecar JSON, the model file or the SavedModel folder.
    """
    info, artifact = read_artifact_info(path)
    return info, Runtime(artifact, info.format, threads=threads)
