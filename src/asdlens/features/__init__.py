"""Log-mel frontends: one spec (:class:`MelSpec`), named presets, four backends that agree with librosa; in
front of them the channel stage of two-microphone clips (:class:`ChannelSpec`, DCASE 2026).

>>> from asdlens.features import ChannelSpec, MelSpec, get_preset, melspectrogram
"""

from .api import melspectrogram
from .channels import CHANNEL_FIELD_GROUPS, ChannelSpec, resolve_channels
from .filters import mel_filterbank, window
from .framing import framing
from .logscale import STAGES
from .presets import get_preset, list_presets, preset_source, resolve_spec
from .spec import FIELD_GROUPS, MelSpec
from .transfer import Transfer, estimate_transfer, fit_transfer

__all__ = [
    "CHANNEL_FIELD_GROUPS",
    "FIELD_GROUPS",
    "STAGES",
    "ChannelSpec",
    "MelSpec",
    "Transfer",
    "estimate_transfer",
    "fit_transfer",
    "framing",
    "get_preset",
    "list_presets",
    "mel_filterbank",
    "melspectrogram",
    "preset_source",
    "resolve_channels",
    "resolve_spec",
    "window",
]
