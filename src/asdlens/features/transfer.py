"""The far-to-near transfer as data: a per-bin least-squares gain estimated from training clips.

A :class:`Transfer` is an array ``[n_fft // 2 + 1]`` (complex128 for complex subtraction, float64 for magnitude
subtraction) with a content key, so a run's cache can key features by it: features of a
``ChannelSpec(transfer="fitted")`` depend on the spec keys and on :meth:`Transfer.key`. The estimate is a pure
function of the clips' STFTs (:func:`estimate_transfer`); :func:`fit_transfer` computes those STFTs with the
frontend's own framing, window and FFT (:func:`asdlens.features.pipeline.stft`), in float64. The formula is
written once, in :mod:`asdlens.features.channel_stage` (``ls_sums``, ``ls_gain``), and used here with NumPy.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from ..keys import stable_hash
from . import channel_stage as stage_math
from .channel_stage import ChannelStage
from .channels import ChannelSpec
from .spec import MelSpec

KINDS = ("complex", "magnitude")


@dataclass(frozen=True, eq=False)
class Transfer:
    """A per-bin far-to-near gain ``[n_bins]``: complex (``kind="complex"``) or real (``"magnitude"``).

    Parameters
    ----------
    gain : array_like
        ``[n_fft // 2 + 1]`` finite values. A complex array is a complex gain ``H[f]``; a real one a magnitude
        gain ``g[f]``. Stored as a read-only float64/complex128 copy.
    clips : int
        How many clips it was estimated from (a note; not part of the key).
    """

    gain: np.ndarray
    clips: int = 0

    def __post_init__(self) -> None:
        arr = np.asarray(self.gain)
        if arr.ndim != 1 or arr.size == 0:
            raise ValueError(f"Transfer.gain must be a 1-D array [n_bins]; got shape {arr.shape}")
        if not (np.issubdtype(arr.dtype, np.number) and not np.issubdtype(arr.dtype, np.bool_)):
            raise ValueError(f"Transfer.gain has dtype {arr.dtype}; use a real or complex float array")
        dtype = np.complex128 if np.iscomplexobj(arr) else np.float64
        arr = np.array(arr, dtype=dtype)  # a copy: the caller's array may change, the key must not
        if not np.isfinite(arr).all():
            raise ValueError(f"Transfer.gain has {int((~np.isfinite(arr)).sum())} non-finite value(s)")
        arr.setflags(write=False)
        object.__setattr__(self, "gain", arr)

    @property
    def kind(self) -> str:
        """ "complex" or "magnitude"."""
        return "complex" if np.iscomplexobj(self.gain) else "magnitude"

    @property
    def n_bins(self) -> int:
        return int(self.gain.shape[0])

    def parts(self) -> tuple[np.ndarray, np.ndarray | None]:
        """``(re, im)`` float64 arrays as the pipeline takes them (``im`` None for a magnitude gain)."""
        if self.kind == "magnitude":
            return self.gain, None
        return np.ascontiguousarray(self.gain.real), np.ascontiguousarray(self.gain.imag)

    @classmethod
    def from_parts(cls, re, im=None, *, clips: int = 0) -> Transfer:
        """From the parts :meth:`parts` gives: a magnitude gain if ``im`` is None, else a complex one.

        The parts are set one by one (``re + 1j * im`` could flip the sign of a zero, and so the key).
        """
        re = np.asarray(re, dtype=np.float64)
        if im is None:
            return cls(re, clips=clips)
        gain = np.empty(re.shape, np.complex128)
        gain.real, gain.imag = re, np.asarray(im, dtype=np.float64)
        return cls(gain, clips=clips)

    def key(self) -> str:
        """Stable content key (12 hex digits): the kind, the size and the bytes of the gain (little-endian)."""
        data = np.ascontiguousarray(self.gain, dtype=self.gain.dtype.newbyteorder("<"))
        digest = hashlib.sha256(data.tobytes()).hexdigest()
        return stable_hash({"kind": self.kind, "n_bins": self.n_bins, "sha256": digest}, length=12)

    def check(self, channels: ChannelSpec, spec: MelSpec) -> None:
        """Raise a ``ValueError`` unless this transfer suits ``channels`` and ``spec``'s FFT size."""
        if self.kind != channels.transfer_kind:
            raise ValueError(
                f"a {self.kind} Transfer does not suit ChannelSpec(policy={channels.policy!r}), which takes a "
                f"{channels.transfer_kind} gain"
            )
        if self.n_bins != spec.n_freqs:
            raise ValueError(
                f"the Transfer has {self.n_bins} bins; MelSpec.n_fft={spec.n_fft} has {spec.n_freqs} "
                "(estimate it with the frontend's own spec)"
            )


def stage_for(channels: ChannelSpec, transfer: Transfer | None, spec: MelSpec) -> ChannelStage:
    """The ``channels`` argument of :func:`asdlens.features.pipeline.run`: the spec with its checked gain."""
    return ChannelStage(channels, transfer_gain(channels, transfer, spec))


def transfer_gain(channels: ChannelSpec, transfer: Transfer | None, spec: MelSpec) -> tuple | None:
    """A fitted transfer's checked ``(re, im)`` (:meth:`Transfer.parts`), or None when the spec needs none.

    Raises
    ------
    ValueError
        A fitted transfer missing, one given to a spec that does not use it, or one of the wrong kind or size.
    """
    if not channels.needs_transfer:
        if transfer is not None:
            raise ValueError(
                f"ChannelSpec(policy={channels.policy!r}, transfer={channels.transfer_method!r}) uses no fitted "
                "Transfer, but one was given; set transfer='fitted' or drop it"
            )
        return None
    if not isinstance(transfer, Transfer):
        raise ValueError(
            f"ChannelSpec(policy={channels.policy!r}, transfer='fitted') needs a Transfer (estimate one with "
            f"asdlens.features.fit_transfer); got {type(transfer).__name__}"
        )
    transfer.check(channels, spec)
    return transfer.parts()


def estimate_transfer(spectra: Iterable, *, kind: str, eps: float = 1e-12) -> Transfer:
    """The per-bin least-squares far-to-near gain over every frame of every clip, in float64.

    Parameters
    ----------
    spectra : iterable of array_like
        One complex STFT per clip, ``[2, n_bins, frames]`` (librosa layout; channel 0 near, 1 far). Clips may
        have different frame counts; they are consumed one at a time.
    kind : {"complex", "magnitude"}
        Complex ``H[f] = sum C conj(F) / (sum |F|^2 + eps)`` or magnitude
        ``g[f] = sum |C||F| / (sum |F|^2 + eps)``, sums over all frames of all clips
        (:mod:`asdlens.features.channel_stage`).
    eps : float
        Added to the denominator (``ChannelSpec.transfer_eps``).

    Returns
    -------
    Transfer
    """
    from .backends.numpy import OPS

    if kind not in KINDS:
        raise ValueError(f"kind={kind!r} is not allowed; choose one of {list(KINDS)}")
    total: list | None = None
    clips = 0
    for i, spectrum in enumerate(spectra):
        s = np.asarray(spectrum)
        if s.ndim != 3 or s.shape[0] != 2 or not np.iscomplexobj(s):
            raise ValueError(
                f"spectra[{i}] must be a complex STFT [2, n_bins, frames] (near, far); got {s.dtype} {s.shape}"
            )
        if total is not None and s.shape[1] != total[2].shape[-1]:
            raise ValueError(
                f"spectra[{i}] has {s.shape[1]} bins; the clips before it had {total[2].shape[-1]}"
            )
        s = np.swapaxes(s.astype(np.complex128, copy=False), -1, -2)  # [2, frames, bins]
        sums = stage_math.ls_sums(OPS, stage_math.parts(OPS, s[0]), stage_math.parts(OPS, s[1]), kind)
        total = (
            list(sums)
            if total is None
            else [t if x is None else t + x for t, x in zip(total, sums, strict=True)]
        )
        clips += 1
    if total is None:
        raise ValueError("estimate_transfer needs at least one clip")
    re, im = stage_math.ls_gain(*total, eps)
    return Transfer.from_parts(re[0], None if im is None else im[0], clips=clips)


def fit_transfer(clips: Iterable, spec: MelSpec, channels: ChannelSpec) -> Transfer:
    """:func:`estimate_transfer` of training clips, with ``spec``'s STFT and ``channels``' kind and eps.

    Parameters
    ----------
    clips : iterable of array_like
        ``[2, samples]`` per clip (channel 0 near, 1 far), float32/float64 or int16 PCM; lengths may differ.
    spec : MelSpec
        The frontend the features will use (its padding, framing, window and FFT size).
    channels : ChannelSpec
        A subtraction policy: complex gain for ``complex_subtraction``, magnitude gain for
        ``magnitude_subtraction``; ``transfer_eps`` in the denominator.
    """
    from .audio import as_channels
    from .backends.numpy import OPS
    from .pipeline import stft

    if not channels.subtracts:
        raise ValueError(f"ChannelSpec(policy={channels.policy!r}) has no transfer to fit (no subtraction)")

    def spectra():
        for i, clip in enumerate(clips):
            batch, _ = as_channels(clip, ChannelSpec(policy="far"), name=f"clips[{i}]")
            if batch.shape[0] != 1:
                raise ValueError(f"clips[{i}] must be one clip [2, samples]; got shape {np.shape(clip)}")
            s = stft(OPS, batch[0], spec, n_samples=batch.shape[-1])  # [2, frames, bins]
            yield np.swapaxes(s, -1, -2)

    return estimate_transfer(spectra(), kind=channels.transfer_kind, eps=channels.transfer_eps)
