"""The exported scoring graph: raw audio -> log-mel -> stacked vectors -> network -> per-vector scores -> clip score.

One ``tf.function`` of a fixed-length float32 clip (``[n_samples]``, or ``[2, n_samples]`` near and far when the
run's channel policy reads both), in TensorFlow ops that LiteRT has as builtins (no Select TF ops: the pip
LiteRT runtimes no longer run them). The frontend (:mod:`asdlens.deploy.frontend_graph`) is the TensorFlow
backend's graph-safe log-mel, with the channel stage in front for a two-channel run, in float32 (``fast=True``):
LiteRT's RFFT2D has a float32 kernel only and LiteRT has no float64 arithmetic, so frames, window and FFT are
float32 where the exact backends use float64. On the generated machine sounds that stays within 1e-5 relative
of the NumPy backend (their bins lie within ~55 dB of the peak); bins 80-100 dB below a frame's peak lose
relative precision.

Two more graphs share the pieces, for deploy-check: ``logmel`` (the frontend alone, to measure it) and
``score_logmel`` (everything after the frontend, fed the exact log-mel, to tell the frontend's share of a
score change from the network's).
"""

from __future__ import annotations

from collections.abc import Callable

from ..features import MelSpec, framing
from .families import Family
from .frontend_graph import MAGNITUDES, FrontendGraph, graph_spec

__all__ = [
    "GRAPHS", "MAGNITUDES", "FrontendGraph", "aggregate_scores", "check_exportable", "graph_spec", "n_frames",
    "scoring_function", "stack_vectors",
]  # fmt: skip

#: What an exported graph takes and returns.
GRAPHS = ("score", "score_logmel", "logmel")


def n_frames(spec: MelSpec, n_samples: int) -> int:
    """Log-mel frames of a clip of ``n_samples`` samples."""
    return framing(spec, n_samples).n_frames


def check_exportable(spec: MelSpec, frames: int, n_samples: int, fmt: str) -> None:
    """Raise a ValueError when the run's frontend or clip length cannot become this format's graph."""
    if n_frames(spec, n_samples) < frames:
        raise ValueError(
            f"a clip of {n_samples} samples gives {n_frames(spec, n_samples)} log-mel frames, fewer than "
            f"frames={frames}; export with a longer --samples"
        )
    if fmt == "litert" and spec.n_fft & (spec.n_fft - 1):
        raise ValueError(
            f"frontend n_fft={spec.n_fft} is not a power of two; LiteRT's builtin RFFT2D only takes "
            "power-of-two FFT lengths (use format savedmodel or onnx)"
        )


def stack_vectors(logmel, frames: int):
    """``[n_mels, T]`` -> ``[T - frames + 1, n_mels * frames]``, the layout of
    :func:`asdlens.features.stacking.stack_frames` (all mels of frame ``v`` first), in slices and a concat."""
    import tensorflow as tf

    t = logmel.shape[-1]
    by_frame = tf.transpose(logmel)  # [T, n_mels]
    count = t - frames + 1
    return tf.concat([by_frame[i : i + count] for i in range(frames)], axis=1)


def aggregate_scores(scores, aggregate: str, count: int):
    """The clip score from ``[count]`` per-vector scores: mean, max, or median (numpy's: mean of the two middle
    values for an even count) through top-k, which LiteRT and ONNX have as builtins (a sort is not)."""
    import tensorflow as tf

    if aggregate == "mean":
        return tf.reduce_mean(scores)
    if aggregate == "max":
        return tf.reduce_max(scores)
    if aggregate == "median":
        top = tf.math.top_k(scores, k=count // 2 + 1).values  # descending
        return 0.5 * (top[(count - 1) // 2] + top[count // 2])
    raise ValueError(f"scoring.aggregate={aggregate!r} cannot be exported; choose mean, median or max")


def scoring_function(
    frontend: FrontendGraph,
    *,
    frames: int,
    aggregate: str,
    network: Callable,
    family: Family,
    graph: str = "score",
):
    """The ``tf.function`` of one exported graph, with its input signature.

    Parameters
    ----------
    frontend : FrontendGraph
        The run's frontend, its input (one channel or two) and the format's ops.
    frames : int
        Frames per stacked vector.
    aggregate : {"mean", "median", "max"}
    network : callable
        From :func:`asdlens.deploy.fold.network_function`.
    family : Family
        Turns the network's output into per-vector scores.
    graph : {"score", "score_logmel", "logmel"}
        ``score``: ``audio`` -> ``{"score": []}``; ``score_logmel``: ``logmel [n_mels, T]`` -> ``{"score": []}``;
        ``logmel``: ``audio`` -> ``{"logmel": [n_mels, T]}``. ``audio`` is ``[n_samples]``, or ``[2,
        n_samples]`` (near, far) with a two-channel frontend (:attr:`FrontendGraph.input_shape`).

    Returns
    -------
    tf.types.experimental.PolymorphicFunction
        With one input signature, ready for ``tf.saved_model.save`` or tf2onnx.
    """
    import tensorflow as tf

    if graph not in GRAPHS:
        raise ValueError(f"graph={graph!r}; choose one of {list(GRAPHS)}")
    spec = frontend.spec
    to_logmel = frontend.build()
    t = n_frames(spec, frontend.n_samples)
    count = t - frames + 1

    def from_logmel(logmel):
        vectors = stack_vectors(logmel, frames)
        per_vector = family.vector_scores(vectors, network(vectors))
        return {"score": aggregate_scores(per_vector, aggregate, count)}

    audio_sig = [tf.TensorSpec(frontend.input_shape, tf.float32, name="audio")]
    if graph == "score":
        return tf.function(lambda audio: from_logmel(to_logmel(audio)), input_signature=audio_sig)
    if graph == "logmel":
        return tf.function(lambda audio: {"logmel": to_logmel(audio)}, input_signature=audio_sig)
    logmel_sig = [tf.TensorSpec([spec.n_mels, t], tf.float32, name="logmel")]
    return tf.function(from_logmel, input_signature=logmel_sig)
