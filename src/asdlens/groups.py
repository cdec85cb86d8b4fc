"""The name of a group of clips: one home for its label, its file slug and its sort order.

A group is what a model is trained on or a metric is computed over: a machine type, optionally one SNR (MIMII)
and one machine ID (DCASE 2020, MIMII) or section (DCASE 2021-2025). Its three spellings appear in
``results.json``, in CSV and PNG names and in every message, so they are written here once:

- label, in messages, tables and ``results.json`` keys: ``"pump"``, ``"fan 6dB"``, ``"pump id_00"``,
  ``"fan id_00 -6dB"``, ``"fan section 00"``;
- slug, in file and model names: ``"pump"``, ``"fan_min6dB"``, ``"fan_min6dB_id_00"``, ``"fan_section_00"``
  (the SNR spelled as the mimii_baseline names its folders, :func:`snr_folder`);
- order: by type, then SNR with "no SNR" first, then ID or section.

This module sits at the bottom of the package (it imports nothing from asdlens), so ``evaluate`` below ``data``
can use it; :mod:`asdlens.data.clips` re-exports it beside :class:`~asdlens.data.Clip`.
"""

from __future__ import annotations

from dataclasses import dataclass

#: What a group's ``unit`` is: a machine ID (DCASE 2020, MIMII) or a section (DCASE 2021-2025).
UNIT_KINDS = ("id", "section")

#: Where a group without SNR sorts among SNRs (every real SNR is above it: MIMII has -6, 0, 6 dB).
_NO_SNR = -999


def snr_order(snr: int | None) -> int:
    """Sort key of an SNR in dB: None (no SNR) first, then ascending."""
    return _NO_SNR if snr is None else snr


def snr_folder(snr: int | None) -> str:
    """The mimii_baseline name of an SNR folder: 6 -> ``"6dB"``, 0 -> ``"0dB"``, -6 -> ``"min6dB"``; None -> ``""``."""
    if snr is None:
        return ""
    return f"min{-snr}dB" if snr < 0 else f"{snr}dB"


@dataclass(frozen=True)
class GroupKey:
    """A machine type, optionally at one SNR and for one machine ID or section.

    Attributes
    ----------
    machine_type : str
    snr : int or None
        MIMII SNR in dB; None elsewhere.
    unit : str or None
        The two-digit machine ID or section; None for a group over every ID (section) of the type.
    kind : {"id", "section"}
        What ``unit`` is.

    Examples
    --------
    >>> GroupKey("fan", -6, "00").label, GroupKey("fan", -6, "00").slug
    ('fan id_00 -6dB', 'fan_min6dB_id_00')
    >>> GroupKey("valve", None, "00", "section").label
    'valve section 00'
    """

    machine_type: str
    snr: int | None = None
    unit: str | None = None
    kind: str = "id"

    def __post_init__(self) -> None:
        if self.kind not in UNIT_KINDS:
            raise ValueError(f"kind={self.kind!r} is not allowed; choose one of {list(UNIT_KINDS)}")

    @property
    def unit_label(self) -> str:
        """``"id_00"`` or ``"section 00"`` ("" without a unit)."""
        if self.unit is None:
            return ""
        return f"section {self.unit}" if self.kind == "section" else f"id_{self.unit}"

    @property
    def label(self) -> str:
        """``"pump id_00"``, ``"fan id_00 6dB"``, ``"fan section 00"``, ``"fan 6dB"``, ``"pump"``."""
        parts = [self.machine_type, self.unit_label] if self.unit is not None else [self.machine_type]
        if self.snr is not None:
            parts.append(f"{self.snr}dB")
        return " ".join(parts)

    @property
    def slug(self) -> str:
        """File-safe name: ``"pump"``, ``"fan_6dB"``, ``"fan_min6dB_id_00"``, ``"fan_section_00"``."""
        parts = [self.machine_type]
        if self.snr is not None:
            parts.append(snr_folder(self.snr))
        if self.unit is not None:
            parts.append(f"{self.kind}_{self.unit}")
        return "_".join(parts)

    @property
    def order(self) -> tuple[str, int, str]:
        """Sort key: type, then SNR (None first), then ID or section."""
        return (self.machine_type, snr_order(self.snr), self.unit or "")


def group_order(key: tuple[str, int | None, str | None]) -> tuple[str, int, str]:
    """Sort key of a ``(machine_type, snr, machine_id)`` tuple, the same order as :attr:`GroupKey.order`."""
    machine_type, snr, unit = key
    return GroupKey(machine_type, snr, unit).order
