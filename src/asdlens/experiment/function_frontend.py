"""A user's own feature function as the frontend: ``frontend: {function: my_features.py:get_mel}``.

When a config names a function, :func:`resolve_function` runs :func:`asdlens.diff.identify` on it first:

- if a :class:`~asdlens.features.MelSpec` reproduces it within float32 noise (``identify``'s tolerance), the run
  uses that spec: its features, cache entries and models are the spec's, and ``explain`` walks its fields;
- otherwise the function itself is the frontend (*opaque*): each clip's features are the function's output,
  cached under :meth:`FunctionFrontend.key` (its source file's SHA-256, its name, its arguments and the
  calling convention), and ``explain`` changes it in one ``frontend`` step. The closest spec's residual is
  reported.

The calling convention is read from the function or stated:

- ``call``: ``array`` (``fn(samples, **arguments)``) or ``item`` (``fn({"audio": samples}, **arguments)``, a
  tfds item as the seed notebook's ``get_mel`` takes it; a returned mapping's ``"audio"`` is the output);
  ``auto`` tries an array first;
- ``input_scale``: ``unit`` (float32 in [-1, 1], as :func:`asdlens.data.read_audio` reads a WAV) or ``int16``
  (float32 PCM counts, ``samples * 32768``: the values tfds gives as int16; integer-valued for 16-bit files);
  ``auto`` identifies the function under both and keeps the one a spec reproduces (or the smaller residual);
- ``layout``: ``mels_frames`` or ``frames_mels``; ``auto`` reads it from two input lengths (the axis that
  grows with the input is the frames' axis).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..features import MelSpec
from ..keys import stable_key
from ..user_code import absolute_target, load_function, source_digest, split_target
from .checks import choice as _choice
from .checks import fail as _fail
from .checks import integer as _int

CALLS = ("auto", "array", "item")
INPUT_SCALES = ("auto", "unit", "int16")
OUTPUT_LAYOUTS = ("auto", "mels_frames", "frames_mels")
#: The fields a ``frontend`` section with ``function`` takes; ``identified`` is written by asdlens (what
#: identify found) and recomputed on load.
SECTION_FIELDS = ("function", "arguments", "call", "input_scale", "layout", "sample_rate", "identified")
INT16_SCALE = 32768.0  # one PCM count of 16-bit audio is 1 / 32768 in [-1, 1] (read_audio's scaling)


@dataclass(frozen=True)
class FunctionFrontend:
    """A feature function and how it is called, with what :func:`asdlens.diff.identify` found.

    Attributes
    ----------
    function : str
        ``/abs/path/file.py:NAME`` or ``module:NAME``.
    arguments : str
        Keyword arguments passed on every call, as canonical JSON (``kwargs`` gives the mapping).
    call, input_scale, layout : str
        The calling convention (module docstring), resolved (never ``auto``).
    sample_rate : int
        Hz of the audio the function is given.
    digest : str
        SHA-256 of the function's source file.
    n_mels : int
        Rows of the output (bands or feature dimensions).
    reproduced : bool
        A MelSpec reproduces the function: the run uses that spec.
    residual_db, max_residual_db : float or None
        The closest spec's residual (None when no spec could be fitted).
    message : str
        identify's verdict, or why no spec could be fitted.
    """

    function: str
    arguments: str = "{}"
    call: str = "array"
    input_scale: str = "unit"
    layout: str = "mels_frames"
    sample_rate: int = 16000
    digest: str = ""
    n_mels: int = 0
    reproduced: bool = False
    residual_db: float | None = None
    max_residual_db: float | None = None
    message: str = ""

    @property
    def kwargs(self) -> dict[str, Any]:
        return json.loads(self.arguments)

    @property
    def opaque(self) -> bool:
        """True when the function itself computes the features (no spec reproduces it)."""
        return not self.reproduced

    def key(self) -> str:
        """Cache key of the function's features: source hash, name, arguments and calling convention (not the
        file's location)."""
        _, name = split_target(self.function)
        return "fn" + stable_key(
            "function-frontend", self.digest, name, self.kwargs, self.call, self.input_scale, self.layout,
            self.sample_rate,
        )[:10]  # fmt: skip

    def section(self) -> dict[str, Any]:
        """The ``frontend`` section that loads this function again (the resolved convention stated)."""
        out = {"function": self.function}
        if self.kwargs:
            out["arguments"] = self.kwargs
        out.update(
            call=self.call, input_scale=self.input_scale, layout=self.layout, sample_rate=self.sample_rate
        )
        return out

    def identified(self, spec: MelSpec) -> dict[str, Any]:
        """What identify found, for ``config.yaml`` and ``results.json``."""
        return {
            "reproduced": self.reproduced,
            "uses": "spec" if self.reproduced else "function",
            "convention": {"call": self.call, "input_scale": self.input_scale, "layout": self.layout},
            "residual_db": self.residual_db,
            "max_residual_db": self.max_residual_db,
            "spec": spec.resolved().to_dict() if self.residual_db is not None else None,
            "features": spec.key() if self.reproduced else self.key(),
            "message": self.message,
        }

    def summary(self) -> str:
        """One line a run prints: which frontend it uses and why."""
        conv = f"{self.call} input, {self.input_scale} scale, {self.layout} output"
        if self.reproduced:
            return f"frontend {self.function}: reproduced by a MelSpec ({self.message}); the run uses that spec [{conv}]"
        residual = (
            "no MelSpec fits" if self.residual_db is None else f"closest MelSpec {self.residual_db:.3g} dB"
        )
        return f"frontend {self.function}: not a MelSpec ({residual}); the function computes the features [{conv}]"

    def payload(self) -> dict[str, Any]:
        """What a feature job needs to call the function in any process."""
        return asdict(self)

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> FunctionFrontend:
        return cls(**data)


def to_numpy(out: Any) -> np.ndarray:
    """A NumPy, TensorFlow or torch result as a NumPy array."""
    if hasattr(out, "numpy") and not isinstance(out, np.ndarray):
        out = out.detach().cpu().numpy() if hasattr(out, "detach") else out.numpy()
    return np.asarray(out)


def _raw_call(fn: Callable, call: str, kwargs: dict, x: np.ndarray, target: str):
    if call == "array":
        return fn(x, **kwargs)
    out = fn({"audio": x}, **kwargs)
    if isinstance(out, dict):
        if "audio" not in out:
            raise ValueError(f"{target} returned a mapping without an 'audio' entry (keys {sorted(out)})")
        return out["audio"]
    return out


def caller(fn: Callable, ff: FunctionFrontend) -> Callable[[np.ndarray], np.ndarray]:
    """``y`` (float32 ``[samples]`` in [-1, 1]) -> the function's output as ``[n_mels, frames]`` (float array)."""
    scale = INT16_SCALE if ff.input_scale == "int16" else 1.0
    kwargs = ff.kwargs

    def run(y: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(y, dtype=np.float32)
        out = to_numpy(
            _raw_call(fn, ff.call, kwargs, x * np.float32(scale) if scale != 1.0 else x, ff.function)
        )
        while out.ndim > 2 and out.shape[0] == 1:
            out = out[0]
        if out.ndim != 2:
            raise ValueError(f"{ff.function} returned shape {out.shape} for {x.size} samples; a frontend must "
                             "return a 2-D array [n_mels, frames] or [frames, n_mels]")  # fmt: skip
        return out.T if ff.layout == "frames_mels" else out

    return run


def _detect_call(fn: Callable, target: str, kwargs: dict, call: str, probe: np.ndarray) -> str:
    """The calling convention that works on a probe clip (``call`` if stated)."""
    if call != "auto":
        return call
    errors = []
    for kind in ("array", "item"):
        try:
            out = _raw_call(fn, kind, kwargs, probe, target)
            if kind == "array" and isinstance(out, dict):
                raise TypeError("returned a mapping")
            to_numpy(out)
            return kind
        except Exception as exc:  # noqa: BLE001 - user code: every failure is reported below
            errors.append(
                f"as {'fn(samples)' if kind == 'array' else 'fn({audio: samples})'}: {type(exc).__name__}: {exc}"
            )
    raise ValueError(f"{target} fails on a 1 s float32 clip {errors[0]}; {errors[1]}")


def _detect_layout(run: Callable, ff: FunctionFrontend, sr: int) -> tuple[str, int]:
    """The output layout (``ff.layout`` if stated) and the feature count, read from 1 s and 2 s inputs."""
    rng = np.random.default_rng(0)
    short, long = (run((0.1 * rng.standard_normal(n * sr)).astype(np.float32)) for n in (1, 2))
    rows_grow, cols_grow = long.shape[0] != short.shape[0], long.shape[1] != short.shape[1]
    if ff.layout != "auto":
        layout = ff.layout
    elif rows_grow == cols_grow:
        raise ValueError(
            f"{ff.function}: cannot tell the frames' axis (outputs {short.shape} for 1 s and {long.shape} for 2 s); "
            "state frontend.layout: mels_frames or frames_mels"
        )
    else:
        layout = "frames_mels" if rows_grow else "mels_frames"
    n_mels = short.shape[1] if layout == "frames_mels" else short.shape[0]
    if not np.issubdtype(short.dtype, np.floating) or not np.isfinite(short).all():
        raise ValueError(f"{ff.function} must return finite floating-point values (got {short.dtype})")
    return layout, int(n_mels)


def _identify_under(fn: Callable, ff: FunctionFrontend):
    """identify's result for ``ff``'s convention, or the ValueError message when no spec can be fitted."""
    from ..diff import identify

    try:
        return identify(caller(fn, ff), sample_rate=ff.sample_rate, name=ff.function)
    except ValueError as exc:
        return str(exc)


def _pick(found: dict[str, Any]) -> str:
    """The input scale to keep: one a spec reproduces, else the smallest residual (``unit`` on a tie)."""
    fitted = {s: r for s, r in found.items() if not isinstance(r, str)}
    if not fitted:
        return next(iter(found))
    reproduced = [s for s, r in fitted.items() if r.reproduced]
    if reproduced:
        return reproduced[0]
    return min(fitted, key=lambda s: (fitted[s].residual_db, s != "unit"))


_RESOLVED: dict[tuple, tuple[FunctionFrontend, MelSpec]] = {}  # identify once per function per process


def resolve_function(section: dict[str, Any]) -> tuple[FunctionFrontend, MelSpec]:
    """A ``frontend`` section with ``function`` -> the resolved function and the spec the run uses.

    The spec is the identified one when it reproduces the function; for an opaque function it is the closest
    spec (or a default one with the function's band count and sample rate) and only its ``n_mels`` and
    ``sample_rate`` matter.

    Raises
    ------
    ValueError
        Naming ``frontend.<field>`` (an unknown field, a bad value) or the function's file (missing, failing
        to import, no such name, failing on a clip, a result that is not a 2-D array).
    """
    bad = sorted(set(section) - set(SECTION_FIELDS))
    if bad:
        _fail(f"frontend.{bad[0]}", section[bad[0]], f"cannot be set with frontend.function; allowed: "
              f"{list(SECTION_FIELDS[:-1])} (the function replaces every MelSpec field)")  # fmt: skip
    target = section["function"]
    try:
        target = absolute_target(target)
    except ValueError:
        _fail("frontend.function", target, "must look like FILE.py:NAME or module:NAME")
    arguments = section.get("arguments") or {}
    if not isinstance(arguments, dict) or not all(isinstance(k, str) for k in arguments):
        _fail("frontend.arguments", arguments, "must be a mapping of keyword arguments")
    for key, allowed in (("call", CALLS), ("input_scale", INPUT_SCALES), ("layout", OUTPUT_LAYOUTS)):
        _choice(f"frontend.{key}", section.get(key, "auto"), allowed)
    sample_rate = section.get("sample_rate", 16000)
    _int("frontend.sample_rate", sample_rate, minimum=1)
    try:
        digest = source_digest(target)
    except ValueError as exc:
        raise ValueError(f"frontend.function: {exc}") from None
    stated = FunctionFrontend(target, json.dumps(arguments, sort_keys=True), section.get("call", "auto"),
                              section.get("input_scale", "auto"), section.get("layout", "auto"), sample_rate,
                              digest)  # fmt: skip
    memo = (
        stated.function,
        stated.arguments,
        stated.call,
        stated.input_scale,
        stated.layout,
        sample_rate,
        digest,
    )
    if memo not in _RESOLVED:
        try:
            fn = load_function(target)
        except ValueError as exc:
            raise ValueError(f"frontend.function: {exc}") from None
        _RESOLVED[memo] = _resolve(fn, stated)
    return _RESOLVED[memo]


def _resolve(fn: Callable, ff: FunctionFrontend) -> tuple[FunctionFrontend, MelSpec]:
    probe = (0.1 * np.random.default_rng(0).standard_normal(ff.sample_rate)).astype(np.float32)
    scale = "unit" if ff.input_scale == "auto" else ff.input_scale
    call = _detect_call(
        fn, ff.function, ff.kwargs, ff.call, probe * (INT16_SCALE if scale == "int16" else 1.0)
    )
    raw = replace(ff, call=call, input_scale=scale, layout="mels_frames")
    try:
        layout, n_mels = _detect_layout(caller(fn, raw), replace(raw, layout=ff.layout), ff.sample_rate)
    except ValueError:
        raise
    except Exception as exc:  # noqa: BLE001 - user code failing on a probe clip
        raise ValueError(f"{ff.function} raised {type(exc).__name__}: {exc} (on a probe clip)") from None
    scales = ("unit", "int16") if ff.input_scale == "auto" else (ff.input_scale,)
    found: dict[str, Any] = {}
    for s in scales:  # a scale a spec reproduces ends the search
        found[s] = _identify_under(fn, replace(ff, call=call, input_scale=s, layout=layout))
        if not isinstance(found[s], str) and found[s].reproduced:
            break
    scale = _pick(found)
    result = found[scale]
    ff = replace(ff, call=call, input_scale=scale, layout=layout, n_mels=n_mels)
    if isinstance(result, str):
        spec = MelSpec(sample_rate=ff.sample_rate, n_mels=n_mels).resolved()
        return replace(ff, message=f"no MelSpec could be fitted: {result}"), spec
    spec = result.melspec.resolved()
    if spec.n_mels != n_mels:
        spec = replace(spec, n_mels=n_mels)
    return replace(ff, reproduced=result.reproduced, residual_db=result.residual_db,
                   max_residual_db=result.max_residual_db, message=result.message), spec  # fmt: skip


def function_features(
    paths: Sequence[str | Path], ff: FunctionFrontend, *, channel: int = 0
) -> Iterator[tuple[int, np.ndarray | None, str | None]]:
    """The function's features of each file: ``(index, [n_mels, frames] float32, None)`` or ``(index, None,
    problem)`` for a file that cannot be read (the :class:`asdlens.data.AudioError` message).

    Raises
    ------
    ValueError
        The function's file changed since the run was planned, the function fails on a clip, or its output is
        not ``[n_mels, frames]`` with finite values (the message names the function and the clip).
    """
    from ..data import AudioError, read_audio

    if source_digest(ff.function) != ff.digest:
        raise ValueError(f"{ff.function}: the source file changed after the run was planned; run again")
    run = caller(load_function(ff.function), ff)
    for i, path in enumerate(paths):
        try:
            y = read_audio(path, channel=channel, expect_sr=ff.sample_rate)
        except AudioError as exc:
            yield i, None, str(exc)
            continue
        try:
            out = run(y)
        except ValueError as exc:
            raise ValueError(f"{exc} (clip {path})") from None
        except Exception as exc:  # noqa: BLE001 - user code failing on a clip names both
            raise ValueError(f"{ff.function} raised {type(exc).__name__}: {exc} on clip {path}") from None
        if out.shape[0] != ff.n_mels or out.shape[1] < 1 or not np.isfinite(out).all():
            raise ValueError(f"{ff.function} returned {out.shape} (layout {ff.layout}) with finite values: "
                             f"{bool(np.isfinite(out).all())} for clip {path}; expected [{ff.n_mels}, frames] "
                             "with finite values")  # fmt: skip
        yield i, np.ascontiguousarray(out, dtype=np.float32), None
