"""Samples for training and scoring: clips' log-mels laid end to end, and windows of them.

A unit's training clips are one time-major ``[total_frames, n_mels]`` float32 array (:class:`ClipSet`). Samples
are *windows* of that array, never copies: a stacked-frame vector of the autoencoders is a window of ``frames``
rows inside one clip (``frames * n_mels`` values, laid out as :func:`asdlens.features.stacking.stack_frames`
lays them out), a classifier's patch a longer one. A batch gathers its windows from the array, so memory is the
log-mels (a fifth of the 5-frame vectors they give) plus one batch, however many epochs run; the Keras adapter
(:mod:`asdlens.models.inputs`) turns batches into a ``keras.utils.PyDataset``.

The protocol's order is kept: samples are numbered clip by clip in the sorted training list, the validation
part is the tail of that numbering (Keras's ``validation_split``), and the training part is shuffled every
epoch by a permutation drawn from the seed and the epoch number (:func:`epoch_order`), so the same seed gives
the same batches, wherever and however often the fit runs. ``training.order: torch`` draws the permutations as
a PyTorch ``DataLoader(shuffle=True)`` with a seeded generator does (:class:`EpochOrders`), for either framework.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


@dataclass
class ClipSet:
    """The log-mels of some clips laid end to end in time: ``frames[offsets[i]:offsets[i+1]]`` is clip ``i``.

    Attributes
    ----------
    frames : numpy.ndarray
        ``[total_frames, n_mels]`` float32 (time-major: a window of rows is a stacked-frame vector).
    offsets : numpy.ndarray
        ``[n_clips + 1]`` int64 row offsets.
    meta : list of dict
        Per clip, what the plan knows of it (``file_name``, ``machine_type``, ``machine_id``, ``label``,
        ``domain``, ``attributes`` ...); classifiers take their targets from here.
    """

    frames: np.ndarray
    offsets: np.ndarray
    meta: list[dict] = field(default_factory=list)

    @property
    def n_clips(self) -> int:
        return len(self.offsets) - 1

    @property
    def n_mels(self) -> int:
        return int(self.frames.shape[1])

    def clip(self, i: int) -> np.ndarray:
        """Clip ``i`` as ``[n_frames, n_mels]`` (a view)."""
        return self.frames[self.offsets[i] : self.offsets[i + 1]]

    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    @property
    def nbytes(self) -> int:
        return int(self.frames.nbytes)


@dataclass(frozen=True)
class Windows:
    """Samples of a :class:`ClipSet`: windows of ``width`` rows starting every ``hop`` rows inside each clip.

    Attributes
    ----------
    starts : numpy.ndarray
        ``[n_samples]`` first row of each window, clip by clip in clip order.
    clip_index : numpy.ndarray
        ``[n_samples]`` the clip each window belongs to.
    """

    width: int
    hop: int
    starts: np.ndarray
    clip_index: np.ndarray

    def __len__(self) -> int:
        return len(self.starts)

    def split(self, validation_split: float) -> tuple[np.ndarray, np.ndarray]:
        """Sample numbers of the training and validation parts: the validation part is the tail (Keras)."""
        n = len(self)
        at = int(math.floor(n * (1.0 - validation_split)))
        return np.arange(at), np.arange(at, n)


def windows(clips: ClipSet, width: int, hop: int = 1) -> Windows:
    """Every window of ``width`` frames (stride ``hop``) that lies inside one clip, clip by clip.

    A clip shorter than ``width`` gives no window.
    """
    starts, index = [], []
    for i, n in enumerate(clips.lengths()):
        count = 0 if n < width else (int(n) - width) // hop + 1
        starts.append(clips.offsets[i] + hop * np.arange(count, dtype=np.int64))
        index.append(np.full(count, i, np.int64))
    cat = (lambda parts: np.concatenate(parts)) if starts else (lambda parts: np.zeros(0, np.int64))
    return Windows(width, hop, cat(starts), cat(index))


def gather(clips: ClipSet, starts: np.ndarray, width: int) -> np.ndarray:
    """The windows starting at rows ``starts``: ``[len(starts), width, n_mels]`` float32 (a copy)."""
    view = sliding_window_view(clips.frames, (width, clips.n_mels))[:, 0]  # [rows - width + 1, width, n_mels]
    return view[starts]


def clip_windows(clips: ClipSet, i: int, width: int, hop: int = 1) -> np.ndarray:
    """Every window of clip ``i``: ``[n_windows, width, n_mels]`` (a view; empty if the clip is too short)."""
    frames = clips.clip(i)
    if len(frames) < width:
        return np.zeros((0, width, clips.n_mels), frames.dtype)
    return sliding_window_view(frames, (width, clips.n_mels))[::hop, 0]


def epoch_order(n: int, seed: int, epoch: int, shuffle: bool = True) -> np.ndarray:
    """The order of ``n`` training samples in ``epoch``: a permutation drawn from ``(seed, epoch)``."""
    if not shuffle:
        return np.arange(n)
    return np.random.default_rng([int(seed), int(epoch)]).permutation(n)


class EpochOrders:
    """The per-epoch orders of ``n`` training samples, epoch after epoch, as ``training.order`` says.

    ``asdlens``: :func:`epoch_order` of ``(seed, epoch)`` (any epoch can be asked for, in any order). ``torch``:
    what ``DataLoader(dataset, shuffle=True, generator=torch.Generator().manual_seed(seed))`` draws from its
    generator (torch 2.x ``dataloader.py`` and ``sampler.RandomSampler``): per epoch, one int64 for the
    iterator's base seed, then ``torch.randperm(n)`` (the order), then a second ``randperm(n)`` of which
    RandomSampler keeps nothing (its ``num_samples % n`` tail); the epochs must then be asked for as 1, 2, ...
    (the stream is sequential). The official DCASE 2023-2026 baseline passes no generator, so its loader
    draws from torch's global generator, which the network's initialisation drew from first: its orders are
    other draws of the same distribution.
    """

    def __init__(self, n: int, seed: int, *, kind: str = "asdlens", shuffle: bool = True):
        if kind not in ("asdlens", "torch"):
            raise ValueError(f"training.order={kind!r} is not allowed; choose one of ['asdlens', 'torch']")
        self.n, self.seed, self.kind, self.shuffle = int(n), int(seed), kind, bool(shuffle)
        self._generator = None
        self._drawn = 0  # torch: epochs drawn so far

    def __call__(self, epoch: int) -> np.ndarray:
        """The order of ``epoch`` (the fit's first is 1; 0 is the sorted order, for peeks before the first)."""
        if not self.shuffle or (self.kind == "torch" and epoch == 0):
            return np.arange(self.n)
        if self.kind == "asdlens":
            return epoch_order(self.n, self.seed, epoch)
        if epoch != self._drawn + 1:
            raise ValueError(
                f"torch epoch orders are drawn in sequence: epoch {self._drawn + 1} next, not {epoch}"
            )
        from .torch import load_torch  # its thread settings before torch loads

        torch = load_torch()

        if self._generator is None:
            self._generator = torch.Generator().manual_seed(self.seed)
        g = self._generator
        torch.empty((), dtype=torch.int64).random_(generator=g)  # the loader iterator's base seed
        order = torch.randperm(self.n, generator=g).numpy().astype(np.int64)
        torch.randperm(self.n, generator=g)  # RandomSampler's empty tail still draws one
        self._drawn = epoch
        return order

    def after_training(self, epochs: int) -> np.ndarray:
        """The order of the pass after the last epoch (the autoencoders' residual covariances): ``asdlens``,
        the last epoch's order again (recomputed); ``torch``, the next draw, as the official baseline's extra
        pass over its shuffled loader."""
        if self.kind == "torch":
            return self(self._drawn + 1)
        return self(int(epochs))


def validation_parts(win: Windows, training: dict, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Sample numbers of the training and validation parts, as ``training.validation_from`` says.

    ``tail``: the last ``validation_split`` share (Keras). ``random``: the DCASE 2023-2025 baseline's
    ``train_test_split(range(n), test_size=validation_split)`` after ``np.random.seed(seed)``; sklearn draws one
    permutation from that generator, the first ``ceil(validation_split * n)`` numbers of it are validation.
    """
    split = training["validation_split"]
    if training.get("validation_from", "tail") == "tail" or split == 0:
        return win.split(split)
    from sklearn.model_selection import train_test_split

    fit_part, val_part = train_test_split(
        np.arange(len(win)), test_size=split, random_state=np.random.RandomState(int(seed))
    )
    return np.asarray(fit_part, np.int64), np.asarray(val_part, np.int64)


def order_batches(clips: ClipSet, starts: np.ndarray, width: int, order: np.ndarray, batch_size: int, *,
                  targets: np.ndarray | None = None, flatten: bool = True):  # fmt: skip
    """The batches ``(x, y)`` of the samples ``order`` (indices into ``starts``), ``batch_size`` at a time.

    ``x``: the windows, ``[b, width * n_mels]`` flattened (stacked-frame vectors) or ``[b, width, n_mels]``;
    ``y``: ``targets`` of the batch's samples, or None. A generator: one batch in memory at a time.
    """
    starts = np.asarray(starts, np.int64)
    for b in range(0, len(order), int(batch_size)):
        picked = order[b : b + int(batch_size)]
        x = gather(clips, starts[picked], width)
        yield (x.reshape(len(picked), -1) if flatten else x), (None if targets is None else targets[picked])
