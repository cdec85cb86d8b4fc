"""What :func:`~asdlens.data.synth.generate` writes: one frozen record of options, validated once when made."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass

from ..clips import LAYOUTS, layout_spec
from . import checks

SNR_DIR_STYLES = ("zenodo", "baseline")
PARTS = ("dev", "eval")
_COUNTS = ("n_train", "n_test_normal", "n_test_anomaly", "n_train_target", "n_supplemental")
_NAMES = ("types", "ids", "sections", "eval_types", "eval_sections")


@dataclass(frozen=True)
class SynthOptions:
    """The options of a generated tree: its layout, what it holds, how the clips sound. Same options and seed,
    same files.

    Sequences are stored as tuples of str (``snrs`` of int); an empty one stands for the default, like None.

    Parameters
    ----------
    layout : {"dcase2020", "mimii", "dcase2021", "dcase2022", "dcase2023", "dcase2024", "dcase2025", "dcase2026"}
        dcase2020: ``<type>/{train,test}/{normal,anomaly}_id_NN_NNNNNNNN.wav``, mono.
        mimii: ``<snr>_dB_<type>/<type>/id_NN/{normal,abnormal}/NNNNNNNN.wav``, 8 channels.
        dcase2021 ... dcase2025: ``dev_data/`` and ``eval_data/`` in the year's naming with a domain shift per
        section, attribute tables, and ``ground_truth/`` for the evaluation test files
        (:mod:`asdlens.data.synth.sections`).
        dcase2026: the 2023-2025 tree, every clip two-channel (near, far microphone;
        :mod:`asdlens.data.synth.dcase2026`).
    types : sequence of str or None
        Machine types; default: all types of the layout (2021+: the development types).
    ids : sequence of str or None
        Machine IDs for every type (dcase2020, mimii); default: the real development IDs of each type.
    n_train, n_test_normal, n_test_anomaly : int or None
        Clips per machine ID (default 100, 50, 50). For mimii (no split on disk) ``n_train + n_test_normal``
        normal clips and ``n_test_anomaly`` abnormal clips are written per ID and SNR. DCASE 2021-2025: source
        training clips per section and test clips per domain x label; default the full size (990, 50, 50;
        2021: 1000, 100, 100).
    snrs : sequence of int or None
        SNRs in dB. mimii: default -6, 0, 6 (one tree per SNR); dcase2020: one value, default 0.
    seed : int
        Same seed, same files.
    duration : float
        Seconds per clip.
    sample_rate : int
        Hz.
    severity : (float, float)
        Range the anomaly severity of each anomalous clip is drawn from, within [0, 1].
    snr_dirs : {"zenodo", "baseline"}
        mimii SNR folder names: ``-6_dB_pump`` (zenodo archives) or ``min6dB`` (mimii_baseline).
    sections, eval_sections : sequence of str or None
        DCASE 2021-2025: sections of the development and evaluation parts (default: the year's, e.g. 00-02 and
        03-05 for 2021/2022, 00 after).
    eval_types : sequence of str or None
        DCASE 2021-2025: types of the evaluation part (default: the year's evaluation types for 2023+; for
        2021/2022, which evaluate the development types on sections 03-05, ``types``).
    parts : sequence of {"dev", "eval"}
        DCASE 2021-2025: which parts to write.
    n_train_target : int or None
        DCASE 2021-2025: target-domain training clips per section (default 10; 2021: 3).
    n_supplemental : int
        DCASE 2025: clean machine recordings per evaluation type in ``supplemental/``.

    Raises
    ------
    ValueError
        Naming the option and what it must be.
    """

    layout: str = "dcase2020"
    types: Sequence[str] | None = None
    ids: Sequence[str] | None = None
    n_train: int | None = None
    n_test_normal: int | None = None
    n_test_anomaly: int | None = None
    snrs: Sequence[int] | None = None
    seed: int = 0
    duration: float = 10.0
    sample_rate: int = 16000
    severity: tuple[float, float] = (0.25, 1.0)
    snr_dirs: str = "zenodo"
    sections: Sequence[str] | None = None
    eval_types: Sequence[str] | None = None
    eval_sections: Sequence[str] | None = None
    parts: Sequence[str] = ("dev", "eval")
    n_train_target: int | None = None
    n_supplemental: int = 0

    def __post_init__(self) -> None:
        if self.layout not in LAYOUTS:
            raise ValueError(f"layout={self.layout!r} is not allowed; choose one of {list(LAYOUTS)}")
        for name in _COUNTS:
            checks.count(name, getattr(self, name))
        for name in _NAMES:
            self._set(name, checks.names(name, getattr(self, name)))
        self._set("parts", checks.names("parts", self.parts) or ())
        self._set("snrs", _snrs(self.snrs))
        self._set("severity", checks.severity_range(self.severity))
        checks.folder_names("types", self.types)
        checks.folder_names("eval_types", self.eval_types)
        if isinstance(self.seed, bool) or not isinstance(self.seed, numbers.Integral):
            raise ValueError(f"seed={self.seed!r} must be an integer")
        checks.n_samples(self.duration, self.sample_rate)
        self._set("sample_rate", int(self.sample_rate))
        if layout_spec(self.layout).sections:
            self._check_sections()
        else:
            self._check_ids()

    def _check_ids(self) -> None:
        """What only the DCASE 2020 and MIMII layouts take: machine IDs, SNRs and their folder style."""
        for machine_id in self.ids or ():
            if not checks.is_two_digits(machine_id):
                raise ValueError(f"machine_id={machine_id!r} must be two digits, e.g. '00'")
        if self.snr_dirs not in SNR_DIR_STYLES:
            raise ValueError(
                f"snr_dirs={self.snr_dirs!r} is not allowed; choose one of {list(SNR_DIR_STYLES)}"
            )
        if self.layout == "dcase2020" and self.snrs and len(self.snrs) != 1:
            raise ValueError(f"the dcase2020 layout has no SNR folders; give one SNR, not {list(self.snrs)}")

    def _check_sections(self) -> None:
        """What the DCASE 2021-2025 layouts take instead of IDs and SNRs: parts and sections."""
        if self.ids is not None:
            raise ValueError(
                f"{self.layout} has sections, not machine IDs: pass sections= (--sections), not ids="
            )
        if self.snrs:
            raise ValueError(
                f"{self.layout} sets its backgrounds per section (the 'noise' shift); snrs= is not used"
            )
        if not self.parts or any(p not in PARTS for p in self.parts):
            raise ValueError(f"parts={self.parts!r} must name 'dev' and/or 'eval'")
        for section in (*(self.sections or ()), *(self.eval_sections or ())):
            if not checks.is_two_digits(section):
                raise ValueError(f"section {section!r} must be two digits, e.g. '00'")

    def _set(self, name: str, value) -> None:
        object.__setattr__(self, name, value)  # normalising a frozen record while it is made

    @property
    def n_samples(self) -> int:
        """Samples per clip."""
        return checks.n_samples(self.duration, self.sample_rate)


def _snrs(snrs: Sequence[int] | None) -> tuple[int, ...] | None:
    """SNRs as a tuple of int (None when absent or empty: the layout's default)."""
    if isinstance(snrs, str):
        raise ValueError(f"snrs={snrs!r} must be a sequence of integers (dB), e.g. [-6, 0, 6]")
    if snrs is None:
        return None
    try:
        return tuple(int(s) for s in snrs) or None
    except (TypeError, ValueError):
        raise ValueError(f"snrs={snrs!r} must be integers (dB)") from None
