"""The options of ``export`` and ``deploy-check``, each group a frozen dataclass checked when it is made.

:class:`ExportOptions` says how an artifact's graph is built (clip length, BatchNorm, int8 calibration) and is
shared by :func:`~asdlens.deploy.export.export_unit`, :func:`~asdlens.deploy.export.export_run` and
:func:`~asdlens.deploy.check.deploy_check`; :class:`CheckOptions` says which steps deploy-check takes and how it
measures them. No framework is imported here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .formats import BATCHNORM_MODES, FORMATS, QUANTIZATIONS

#: deploy-check's output folder inside the run folder when none is given (``RUN/deploy``).
DEPLOY_FOLDER = "deploy"


def default_out(run_dir: str | Path) -> Path:
    """Where deploy-check writes when no folder is given: ``run_dir/deploy``."""
    return Path(run_dir) / DEPLOY_FOLDER


def _count(owner: str, name: str, value, *, least: int, what: str, flag: str | None = None) -> None:
    """A ValueError naming ``owner.name`` (and its command-line ``flag``) unless ``value`` is an int >= least."""
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        bound = "a positive" if least == 1 else "a non-negative"
        option = f" ({flag})" if flag else ""
        raise ValueError(f"{owner}.{name}={value!r}{option} must be {bound} number of {what}")


@dataclass(frozen=True)
class ExportOptions:
    """How an exported graph is built.

    Attributes
    ----------
    n_samples : int or None
        Input clip length in samples; None takes the unit's training clips' length.
    batchnorm : {"fold", "keep", "batch-stats"}
        How BatchNorm is exported (:data:`asdlens.deploy.formats.BATCHNORM_MODES`).
    calibration_clips : int
        Training clips in the int8 representative set (each gives all its vectors).

    Raises
    ------
    ValueError
        Naming the field and the allowed values.
    """

    n_samples: int | None = None
    batchnorm: str = "fold"
    calibration_clips: int = 50

    def __post_init__(self) -> None:
        if self.n_samples is not None:
            _count("ExportOptions", "n_samples", self.n_samples, least=1, what="samples", flag="--samples")
        if self.batchnorm not in BATCHNORM_MODES:
            raise ValueError(
                f"ExportOptions.batchnorm={self.batchnorm!r} (--batchnorm) is not allowed; "
                f"choose one of {list(BATCHNORM_MODES)}"
            )
        _count("ExportOptions", "calibration_clips", self.calibration_clips, least=1, what="clips",
               flag="--calibration-clips")  # fmt: skip


@dataclass(frozen=True)
class CheckOptions:
    """Which steps deploy-check takes and how it measures them.

    Attributes
    ----------
    formats, quantizations : tuple of str
        The steps to take: formats of :data:`~asdlens.deploy.formats.FORMATS` (ONNX only as float32, beside the
        ladder) and LiteRT modes of :data:`~asdlens.deploy.formats.QUANTIZATIONS`. Any sequence is kept as a
        tuple.
    spread : float or None
        The AUC change per ID that counts as noise; None measures it by retraining ``seeds`` times.
    seeds : int
        Extra training seeds for the spread (ignored when ``spread`` is given).
    latency_clips : int
        Clips timed per step and unit (0: no timing).
    parity_clips : int
        Test clips whose exported frontend is compared with the NumPy backend.

    Raises
    ------
    ValueError
        Naming the field and the problem.
    """

    formats: tuple[str, ...] = FORMATS
    quantizations: tuple[str, ...] = QUANTIZATIONS
    spread: float | None = None
    seeds: int = 2
    latency_clips: int = 10
    parity_clips: int = 20

    def __post_init__(self) -> None:
        object.__setattr__(self, "formats", tuple(self.formats))
        object.__setattr__(self, "quantizations", tuple(self.quantizations))
        if not self.formats:
            raise ValueError(f"CheckOptions.formats (--formats) is empty; choose from {list(FORMATS)}")
        for f in self.formats:
            if f not in FORMATS:
                raise ValueError(
                    f"CheckOptions.formats (--formats): {f!r} is not a format; choose from {list(FORMATS)}"
                )
        for q in self.quantizations:
            if q not in QUANTIZATIONS:
                raise ValueError(
                    f"CheckOptions.quantizations (--quantize): {q!r} is not a mode; choose from "
                    f"{list(QUANTIZATIONS)}"
                )
        if self.spread is not None and (
            isinstance(self.spread, bool) or not isinstance(self.spread, int | float) or not self.spread >= 0
        ):
            raise ValueError(f"CheckOptions.spread={self.spread!r} (--spread) must be an AUC change >= 0")
        _count("CheckOptions", "seeds", self.seeds, least=0, what="seeds", flag="--seeds")
        if self.spread is None and self.seeds < 1:
            raise ValueError(
                "give a spread (--spread 0.01) or at least one extra seed (--seeds 1) to flag changes"
            )
        _count("CheckOptions", "latency_clips", self.latency_clips, least=0, what="clips")
        _count("CheckOptions", "parity_clips", self.parity_clips, least=0, what="clips")
