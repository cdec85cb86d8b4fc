"""`ChannelSpec`: how a two-microphone clip becomes the one (or two) signals the log-mel frontend sees.

DCASE 2026 Task 2 clips have two channels recorded at once: channel 0 (left) the microphone near the machine,
channel 1 (right) a far one with "relatively stronger environmental noise" (task paper, arXiv 2606.01578). The
official baseline (nttcslab/dcase2023_task2_baseline_ae v5.x, ``datasets/loader_common.py:file_load``, HEAD
9b64dc4) asserts a multi-channel file and uses channel 0 only; that is :data:`DEFAULT`, ``policy="near"``.

The policies and where each definition comes from (formulas in :mod:`asdlens.features.channel_stage`):

- ``near``, ``far``, ``mean``: channel 0, channel 1, their average, in the time domain (the ``first``,
  ``second`` and ``mean`` options of kasahart/dcase-asd-toolkit ``asdkit/datasets/torch_dataset.py`` @ 4ea549b).
- ``both``: each channel through the frontend, two feature planes ``[2, n_mels, frames]``.
- ``magnitude_subtraction``: on the STFT magnitudes, ``|Y| = |C| - a g |F|`` where that is positive, else
  ``floor * |C|`` (Qian_65_t2 Section 2.1 as kasahart/asd-experiments reads it, ``src/asd_min/waveform.py`` @
  0c24fec, "SS": a = 1, floor = 0.1, g = 1).
- ``complex_subtraction``: ``Y = C - a H F`` on the complex STFT, ``H`` a per-bin least-squares transfer from
  the far to the near channel (kasahart/asd-experiments ``waveform.py`` "W1", after Ozeki_101_t2: ``H`` from
  every frame of the clip itself, eps 1e-12, a = 1, no floor).

Both subtractions run on the STFT of the frontend's own :class:`~asdlens.features.MelSpec` (its framing, window
and FFT size) and feed its magnitude, mel and log stages directly; the published systems resynthesised a
waveform (with their own STFT) for a frozen encoder instead.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, fields
from typing import Any

from ..keys import stable_hash

POLICIES = ("near", "far", "mean", "both", "magnitude_subtraction", "complex_subtraction")
TIME_POLICIES = ("near", "far", "mean")  # applied to the samples, before framing
ONE_CHANNEL_POLICIES = ("near", "far")  # read one channel's samples unchanged (its own cache entries)
SUBTRACTION_POLICIES = ("magnitude_subtraction", "complex_subtraction")  # applied to both channels' STFTs
TRANSFERS = ("none", "clip", "fitted")

#: The published settings each subtraction starts from (see the module notes): floor and transfer.
POLICY_DEFAULTS: dict[str, dict[str, Any]] = {
    "magnitude_subtraction": {"floor": 0.1, "transfer": "none"},
    "complex_subtraction": {"floor": 0.0, "transfer": "clip"},
}

#: Field groups of the channel stage, in pipeline order; they come before the frontend's
#: :data:`asdlens.features.spec.FIELD_GROUPS`. The differ and ``explain`` walk these.
CHANNEL_FIELD_GROUPS: dict[str, tuple[str, ...]] = {
    "channel_policy": ("policy",),
    "subtraction": ("over_subtraction", "floor"),
    "transfer": ("transfer", "transfer_eps"),
}

_FLOAT_FIELDS = ("over_subtraction", "floor", "transfer_eps")


def _fail(name: str, value: Any, problem: str) -> None:
    raise ValueError(f"ChannelSpec.{name}={value!r} {problem}")


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        _fail(name, value, "must be a finite number")
    return float(value)


@dataclass(frozen=True)
class ChannelSpec:
    """Every setting of the channel stage, validated at construction.

    Parameters
    ----------
    policy : {"near", "far", "mean", "both", "magnitude_subtraction", "complex_subtraction"}
        What the frontend sees: channel 0 (near microphone; the official baseline), channel 1 (far), their
        mean, both channels as two feature planes, or the far channel subtracted from the near one on the STFT
        (magnitudes only, or complex: amplitude and phase).
    over_subtraction : float
        Subtraction factor ``a > 0`` on the (transferred) far channel; 1 subtracts it once, more over-subtracts
        (Berouti et al. 1979). Used by the subtraction policies.
    floor : float or None
        Spectral floor ``0 <= floor <= 1`` as a fraction of the near channel's magnitude: the magnitude left in
        a bin the subtraction empties. None: the policy's published value (0.1 for magnitude, 0 for complex).
    transfer : {"none", "clip", "fitted"} or None
        How the far-to-near transfer per frequency bin is estimated: "none" (gain 1), "clip" (least squares
        over the frames of the clip itself), "fitted" (least squares over training clips, passed in as a
        :class:`~asdlens.features.transfer.Transfer`). Complex subtraction uses a complex gain, magnitude
        subtraction a real magnitude gain. None: the policy's published choice ("clip" for complex, "none" for
        magnitude).
    transfer_eps : float
        ``eps > 0`` added to the far channel's energy in the least-squares denominator (1e-12 as in the W1
        code), so that a silent far channel gives gain 0 instead of 0 / 0.

    Notes
    -----
    Audio given with a channel spec is channel-first: ``[channels, samples]`` for a clip and ``[batch,
    channels, samples]`` for a batch, channel 0 the near and channel 1 the far microphone. ``near`` also takes a
    mono clip (``[samples]`` or one channel); every other policy needs exactly two channels.
    """

    policy: str = "near"
    over_subtraction: float = 1.0
    floor: float | None = None
    transfer: str | None = None
    transfer_eps: float = 1e-12

    def __post_init__(self) -> None:
        # Numbers are stored as floats, so that 2 and 2.0 are one spec with one key.
        for name in _FLOAT_FIELDS:
            value = getattr(self, name)
            if isinstance(value, int) and not isinstance(value, bool):
                object.__setattr__(self, name, float(value))
        if self.policy not in POLICIES:
            _fail("policy", self.policy, f"is not allowed; choose one of {list(POLICIES)}")
        if _number("over_subtraction", self.over_subtraction) <= 0:
            _fail("over_subtraction", self.over_subtraction, "must be > 0 (1 subtracts the far channel once)")
        if self.floor is not None and not 0 <= _number("floor", self.floor) <= 1:
            _fail("floor", self.floor, "must be between 0 and 1 (a fraction of the near magnitude) or None")
        if self.transfer is not None and self.transfer not in TRANSFERS:
            _fail("transfer", self.transfer, f"is not allowed; choose one of {list(TRANSFERS)} or None")
        if _number("transfer_eps", self.transfer_eps) <= 0:
            _fail("transfer_eps", self.transfer_eps, "must be > 0 (it keeps a silent far channel finite)")

    # Resolved values: the policy's published defaults, in one place.
    @property
    def subtracts(self) -> bool:
        """True for the policies that work on both channels' STFTs."""
        return self.policy in SUBTRACTION_POLICIES

    @property
    def floor_value(self) -> float:
        """The spectral floor in use (``floor`` or the policy's default; 0 for policies without one)."""
        if self.floor is not None:
            return float(self.floor)
        return float(POLICY_DEFAULTS.get(self.policy, {}).get("floor", 0.0))

    @property
    def transfer_method(self) -> str:
        """The transfer estimate in use (``transfer`` or the policy's default; "none" without subtraction)."""
        if self.transfer is not None:
            return self.transfer if self.subtracts else "none"
        return POLICY_DEFAULTS.get(self.policy, {}).get("transfer", "none")

    @property
    def transfer_kind(self) -> str | None:
        """ "complex" or "magnitude": the kind of gain the policy's transfer is; None without subtraction."""
        if not self.subtracts:
            return None
        return "complex" if self.policy == "complex_subtraction" else "magnitude"

    @property
    def needs_transfer(self) -> bool:
        """True when a fitted :class:`~asdlens.features.transfer.Transfer` must be passed in."""
        return self.subtracts and self.transfer_method == "fitted"

    @property
    def n_channels(self) -> int:
        """Channels the input must have: 2, or 1 for ``near`` (which also takes two)."""
        return 1 if self.policy == "near" else 2

    @property
    def planes(self) -> int:
        """Feature planes in the output: 2 for ``both``, else 1 (and then no plane axis)."""
        return 2 if self.policy == "both" else 1

    def resolved(self) -> ChannelSpec:
        """The same spec with the policy's defaults written out (``floor``, ``transfer``) for subtraction."""
        if not self.subtracts:
            return self
        return dataclasses.replace(self, floor=self.floor_value, transfer=self.transfer_method)

    def canonical(self) -> ChannelSpec:
        """:meth:`resolved`, with every setting that cannot change a number set to its default.

        The subtraction and transfer fields of ``near``, ``far``, ``mean`` and ``both``, and ``transfer_eps``
        when no least-squares gain is estimated. :meth:`key` hashes this form.
        """
        default = ChannelSpec()
        if not self.subtracts:
            return ChannelSpec(policy=self.policy)
        spec = self.resolved()
        if spec.transfer == "none":
            spec = dataclasses.replace(spec, transfer_eps=default.transfer_eps)
        return spec

    def key(self) -> str:
        """Short stable hash of the settings that change a number (:meth:`canonical`), for caches."""
        return stable_hash(self.canonical().to_dict(), length=12)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChannelSpec:
        """Build from a mapping (YAML, JSON, ``--set``), naming unknown keys instead of a bare TypeError."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown ChannelSpec field(s) {unknown}; known fields: {sorted(known)}")
        return cls(**_coerce(data))

    def diff_fields(self, other: ChannelSpec) -> list[str]:
        """Names of the fields whose resolved values differ."""
        a, b = self.resolved().to_dict(), other.resolved().to_dict()
        return [name for name in a if a[name] != b[name]]

    def differing_groups(self, other: ChannelSpec) -> list[str]:
        """The :data:`CHANNEL_FIELD_GROUPS` (pipeline order) holding a field whose resolved value differs."""
        diff = set(self.diff_fields(other))
        return [g for g, names in CHANNEL_FIELD_GROUPS.items() if diff & set(names)]

    def check_channels(self, n_channels: int, *, shape: tuple | None = None, name: str = "y") -> None:
        """Raise a ``ValueError`` unless audio with ``n_channels`` channels suits this policy."""
        where = f" (shape {tuple(shape)})" if shape is not None else ""
        if n_channels == 2 or (n_channels == 1 and self.n_channels == 1):
            return
        if n_channels == 1:
            raise ValueError(
                f"ChannelSpec(policy={self.policy!r}) needs two channels [near, far]; {name} has 1 channel"
                f"{where}. Pass [channels, samples] or [batch, channels, samples] with channel 0 the near and "
                "channel 1 the far microphone"
            )
        raise ValueError(
            f"{name} has {n_channels} channels{where}; the channel stage takes 1 (policy 'near' only) or 2 "
            "[near, far], laid out [channels, samples] or [batch, channels, samples]"
        )


DEFAULT = ChannelSpec()


def resolve_channels(channels: ChannelSpec | str | dict) -> ChannelSpec:
    """A :class:`ChannelSpec` from a spec, a policy name or a mapping of fields."""
    if isinstance(channels, ChannelSpec):
        return channels
    if isinstance(channels, str):
        return ChannelSpec(policy=channels)
    if isinstance(channels, dict):
        return ChannelSpec.from_dict(channels)
    raise ValueError(
        f"channels must be a ChannelSpec, a policy name or a mapping; got {type(channels).__name__}"
    )


def _coerce(data: dict[str, Any]) -> dict[str, Any]:
    """Text values (from YAML, JSON or ``--set field=value``) to the field types."""
    out = dict(data)
    for name, value in data.items():
        text = value.strip().lower() if isinstance(value, str) else None
        # "none" is one of transfer's own values (no transfer), not its default: only "null" is the default there
        if text == "null" or (text == "none" and name != "transfer"):
            out[name] = None
        elif text == "none":
            out[name] = "none"
        elif isinstance(value, str) and name in _FLOAT_FIELDS:
            try:
                out[name] = float(value)
            except ValueError:
                raise ValueError(f"ChannelSpec.{name}={value!r} must be a number") from None
        elif name in _FLOAT_FIELDS and isinstance(value, int) and not isinstance(value, bool):
            out[name] = float(value)
    return out
