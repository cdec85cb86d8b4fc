"""The DCASE 2020 Task 2 and MIMII trees: clips per machine ID, one recording mixed at each SNR.

- dcase2020: ``<type>/{train,test}/{normal,anomaly}_id_NN_NNNNNNNN.wav``, mono, background at one SNR;
- mimii: ``<snr>_dB_<type>/<type>/id_NN/{normal,abnormal}/NNNNNNNN.wav`` (or ``min6dB/...``, the
  mimii_baseline's folders), 8 channels. A MIMII clip is one recording mixed with the same background at each
  SNR (as the MIMII data were made): only the noise gain changes between ``-6_dB_pump/.../00000003.wav`` and
  ``6_dB_pump/.../00000003.wav``.

Each recording has its own random streams, seeded by ``(seed, machine type, machine ID, role, index)``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..clips import layout_spec
from ..layouts import DCASE2020_TYPES, MIMII_IDS, MIMII_SNRS, MIMII_TYPES
from .clip import NORMAL, Take, draw_anomaly, mixes
from .files import Rendered
from .manifest import ManifestRow
from .options import SynthOptions

#: Development-set machine IDs of DCASE 2020 Task 2 per type (the evaluation IDs are the odd/other ones).
DCASE2020_DEV_IDS: dict[str, tuple[str, ...]] = {
    "ToyCar": ("01", "02", "03", "04"),
    "ToyConveyor": ("01", "02", "03"),
    "fan": ("00", "02", "04", "06"),
    "pump": ("00", "02", "04", "06"),
    "slider": ("00", "02", "04", "06"),
    "valve": ("00", "02", "04", "06"),
}
DEFAULT_DCASE_SNR = 0  # dB: the DCASE 2020 clips are machine sounds mixed with factory noise, MIMII-like
#: Clips per machine ID when none are given: train, normal test, anomalous test.
DEFAULT_COUNTS = (100, 50, 50)


def default_ids(layout: str, machine_type: str) -> tuple[str, ...]:
    """Machine IDs the generator uses when none are given: the real dev-set IDs of the type."""
    if layout == "mimii":
        return MIMII_IDS
    return DCASE2020_DEV_IDS.get(machine_type, ("00", "02", "04", "06"))


def snrs(options: SynthOptions) -> tuple[int, ...]:
    """The SNRs (dB) every recording is mixed at: mimii -6, 0, 6; dcase2020 one, 0 unless given."""
    return options.snrs or (MIMII_SNRS if options.layout == "mimii" else (DEFAULT_DCASE_SNR,))


@dataclass(frozen=True)
class Recording:
    """One recording to render; written once per SNR."""

    machine_type: str
    machine_id: str
    role: str  # dcase2020: train / test-normal / test-anomaly; mimii: normal / abnormal
    index: int
    label: int
    split: str | None


def recordings(options: SynthOptions) -> list[Recording]:
    """Every recording of the tree, in a fixed order: type, ID, role, index."""
    given = (options.n_train, options.n_test_normal, options.n_test_anomaly)
    n_train, n_normal, n_anomaly = (d if g is None else g for g, d in zip(given, DEFAULT_COUNTS, strict=True))
    if options.layout == "dcase2020":
        roles = [("train", n_train, 0, "train"), ("test-normal", n_normal, 0, "test")]
        roles.append(("test-anomaly", n_anomaly, 1, "test"))
    else:  # mimii has no split on disk
        roles = [("normal", n_train + n_normal, 0, None), ("abnormal", n_anomaly, 1, None)]
    types = options.types or (DCASE2020_TYPES if options.layout == "dcase2020" else MIMII_TYPES)
    out = []
    for machine_type in types:
        for machine_id in options.ids or default_ids(options.layout, machine_type):
            for role, n, label, split in roles:
                out += [Recording(machine_type, machine_id, role, i, label, split) for i in range(n)]
    return out


def snr_folder(style: str, snr: int, machine_type: str) -> str:
    """The MIMII SNR folder: ``-6_dB_pump`` (zenodo archives) or ``min6dB`` (mimii_baseline)."""
    if style == "zenodo":
        return f"{snr}_dB_{machine_type}"
    return f"min{-snr}dB" if snr < 0 else f"{snr}dB"


def relpath(options: SynthOptions, rec: Recording, snr: int) -> str:
    """Where the recording mixed at ``snr`` is written, relative to the output root."""
    if options.layout == "dcase2020":
        kind = "anomaly" if rec.label else "normal"
        return f"{rec.machine_type}/{rec.split}/{kind}_id_{rec.machine_id}_{rec.index:08d}.wav"
    folder = "abnormal" if rec.label else "normal"
    top = snr_folder(options.snr_dirs, snr, rec.machine_type)
    return f"{top}/{rec.machine_type}/id_{rec.machine_id}/{folder}/{rec.index:08d}.wav"


def render(rec: Recording, options: SynthOptions) -> list[Rendered]:
    """The recording mixed at each SNR: one mono (dcase2020) or 8-channel (mimii) clip per SNR."""
    stream = (options.seed, rec.machine_type, rec.machine_id, rec.role, rec.index)
    anomaly = draw_anomaly(rec.machine_type, options.severity, stream) if rec.label else NORMAL
    take = Take(rec.machine_type, rec.machine_id, stream, options.n_samples, options.sample_rate, anomaly)
    levels = snrs(options)
    out = []
    for snr, audio in zip(levels, mixes(take, levels, layout_spec(options.layout).channels), strict=True):
        path = relpath(options, rec, snr)
        row = ManifestRow(
            path=path,
            layout=options.layout,
            machine_type=rec.machine_type,
            machine_id=rec.machine_id,
            split=rec.split,
            label=rec.label,
            index=rec.index,
            anomaly=anomaly,
            snr=None if options.layout == "dcase2020" else snr,
        )
        out.append(Rendered(path, audio, row))
    return out
