"""Synthetic machine sounds in the real DCASE 2020-2026 Task 2 and MIMII layouts.

:func:`machine_clip` makes one clip in memory; :func:`generate` writes a whole tree plus ``.asdlens/manifest.csv``.

>>> from asdlens.data.synth import SynthOptions, generate, machine_clip
>>> y = machine_clip("pump", "00", anomaly="rubbing", duration=1.0)  # doctest: +SKIP
>>> generate("synth", layout="mimii", types=["valve"], duration=2.0)  # doctest: +SKIP
>>> generate("synth23", SynthOptions(layout="dcase2023", n_train=40), workers=2)  # doctest: +SKIP

Determinism: every clip is drawn from its own random stream, seeded by ``(seed, machine type, machine ID or
section, role, index)``, so a clip's samples do not depend on how many other clips, IDs or types are generated,
nor on ``workers``. Mixing follows the MIMII paper: background noise is added at the requested SNR relative to
the mean power of the machine ID's normal sound (not per clip), so anomalies that change a machine's loudness keep
that change.

Modules, bottom up: ``machines`` (the sound models), ``checks`` (the shared option checks), ``clip`` (anomalies,
takes, the mix, :func:`machine_clip`), ``manifest`` and ``files`` (what is written), ``ids`` (the DCASE 2020 and
MIMII trees), ``records``, ``shift``, ``sections`` and ``truth`` (the DCASE 2021-2025 trees), ``dcase2026`` (their
two-microphone version), ``families`` (the
trees as users of one skeleton), ``options`` (:class:`SynthOptions`), ``tree`` (:func:`generate`, the skeleton).
"""

from ...pcm import INT16_SCALE, quantize, to_int16
from .clip import MachineClip, machine_clip
from .ids import DCASE2020_DEV_IDS, default_ids
from .machines import ANOMALY_KINDS, TYPE_ANOMALIES, anomaly_kinds
from .manifest import MANIFEST_FIELDS, SECTION_FIELDS, read_manifest
from .options import SynthOptions
from .tree import generate

__all__ = [
    "ANOMALY_KINDS",
    "DCASE2020_DEV_IDS",
    "INT16_SCALE",
    "MANIFEST_FIELDS",
    "SECTION_FIELDS",
    "TYPE_ANOMALIES",
    "MachineClip",
    "SynthOptions",
    "anomaly_kinds",
    "default_ids",
    "generate",
    "machine_clip",
    "quantize",
    "read_manifest",
    "to_int16",
]
