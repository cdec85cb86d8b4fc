"""How a clip of any length reaches a frozen encoder: whole, in windows, or tiled/cut to a fixed length.

What the field does (the facts this setting exists for):

- BEATs itself has no maximum input length: it has no absolute position embedding, its positional convolution is
  local, and its relative positions are bucketed. With 8 frequency tokens per 160 ms patch row, distances of 80
  tokens (about 1.6 s) and more share logarithmically wider buckets and distances of ``max_distance`` = 800 tokens
  (about 16 s) and more share the last one. It was pre-trained on 10 s AudioSet clips. Attention memory grows
  with the square of the length (``heads x tokens^2`` per clip and layer: 12 MB at 10 s, 1.2 GB at 100 s).
- ASDKit (TakuyaFujimura/dcase-asd-toolkit @ ed27d82f, ``asdkit/datasets/collators.py`` ``DCASEWaveCollator`` and
  ``wave_pad_crop``; ``asdkit/utils/dcase_utils/parse_sec.py``; ``config/extract/experiments/scratch/raw_beats.yaml``)
  feeds every clip to frozen BEATs in one pass after bringing it to a fixed length per DCASE year (2020: 11 s,
  2021-2022: 10 s, 2023: 18 s, 2024-2025: 12 s): a shorter clip is tiled (repeated) and every clip is cut to that
  length from its start. ``asdkit/frontends/pretrained_feature/beats.py`` then averages all tokens.
- Wilkinghoff, Yadav and Tan ("Temporal pooling strategies for training-free anomalous sound detection with
  self-supervised audio embeddings", arXiv 2603.04605, §IV-B) use the frozen official BEATs (three iterations on
  AudioSet) on each clip and pool its frame-level embedding sequence; they segment only OpenL3's input (1 s windows,
  0.1 s hop), not BEATs', so BEATs sees each clip whole.

The policies:

- ``"whole"`` (default, as both sources): the clip in one pass, whatever its length;
- ``"fixed"`` with ``seconds``: ASDKit's rule, tiled up to and cut down to exactly ``seconds`` from the start;
- ``"windows"`` with ``seconds``: consecutive windows of ``seconds`` (10 s: AudioSet's length) and the remainder as a
  shorter last window (dropped when too short to embed), for clips far longer than the pre-training clips; the
  windows' frames are concatenated in time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MODES = ("whole", "fixed", "windows")


@dataclass(frozen=True)
class ClipPolicy:
    """How a clip is cut before an encoder sees it (see the module notes).

    Parameters
    ----------
    mode : {"whole", "fixed", "windows"}
    seconds : float or None
        The fixed length (``"fixed"``) or the window length (``"windows"``); None for ``"whole"``.
    """

    mode: str = "whole"
    seconds: float | None = None

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"encoder.clip.mode={self.mode!r} is not allowed; choose one of {list(MODES)}")
        if self.mode == "whole":
            if self.seconds is not None:
                raise ValueError(
                    f"encoder.clip.seconds={self.seconds!r} is only used with mode 'fixed' or 'windows'"
                )
        elif (
            isinstance(self.seconds, bool)
            or not isinstance(self.seconds, int | float)
            or not self.seconds > 0
        ):
            raise ValueError(
                f"encoder.clip.seconds={self.seconds!r} must be a positive number of seconds for mode {self.mode!r}"
            )

    def segments(self, clip: np.ndarray, sample_rate: int, *, min_samples: int) -> list[np.ndarray]:
        """The pieces of a 1-D ``clip`` the encoder embeds, in time order (views where possible).

        ``min_samples`` is the shortest piece the encoder can embed: a clip (``"whole"``, ``"fixed"``) shorter than
        that raises ``ValueError``; a shorter remainder of ``"windows"`` is dropped.
        """
        n = len(clip)
        if self.mode == "fixed":
            length = int(round(self.seconds * sample_rate))
            pieces = [np.tile(clip, -(-length // n))[:length] if n < length else clip[:length]]
        elif self.mode == "windows":
            size = int(round(self.seconds * sample_rate))
            pieces = [clip[start : start + size] for start in range(0, n, size)]
            if len(pieces) > 1 and len(pieces[-1]) < min_samples:
                pieces = pieces[:-1]
        else:
            pieces = [clip]
        if len(pieces[0]) < min_samples:
            raise ValueError(
                f"a clip of {n} samples ({n / sample_rate:.3f} s) gives a piece of {len(pieces[0])} samples under "
                f"encoder.clip.mode={self.mode!r}; the encoder needs at least {min_samples} samples "
                f"({min_samples / sample_rate:.3f} s)"
            )
        return pieces
