"""Log-mel frontends: one spec (:class:`MelSpec`), named presets, four backends that agree with librosa.

>>> from asdlens.features import MelSpec, get_preset, melspectrogram
"""

from .api import melspectrogram
from .filters import mel_filterbank, window
from .framing import framing
from .logscale import STAGES
from .presets import get_preset, list_presets, preset_source, resolve_spec
from .spec import FIELD_GROUPS, MelSpec

__all__ = [
    "FIELD_GROUPS",
    "STAGES",
    "MelSpec",
    "framing",
    "get_preset",
    "list_presets",
    "mel_filterbank",
    "melspectrogram",
    "preset_source",
    "resolve_spec",
    "window",
]
