"""Keras adapter of :mod:`asdlens.models.samples`: batches of windows as a ``keras.utils.PyDataset``.

Keras reads a ``PyDataset`` batch by batch, so a fit holds one batch beside the clips' log-mels instead of the
whole stacked array (and the copies Keras makes of an in-memory array). ``fit`` is called with
``shuffle=False``: the order is ours (:class:`asdlens.models.samples.EpochOrders`), drawn anew each epoch.
"""

from __future__ import annotations

import keras
import numpy as np

from .samples import ClipSet, EpochOrders, gather


class WindowBatches(keras.utils.PyDataset):
    """Batches of windows of a :class:`ClipSet`, in a seeded order that changes every epoch.

    Parameters
    ----------
    clips : ClipSet
    starts : numpy.ndarray
        First row of each sample's window (a subset of :attr:`Windows.starts`, e.g. the training part).
    width : int
        Window length in frames.
    batch_size : int
    targets : numpy.ndarray, optional
        One target per sample (a class index); without it a batch is ``(x, x)`` (an autoencoder's).
    flatten : bool
        ``x`` as ``[batch, width * n_mels]`` (stacked-frame vectors) instead of ``[batch, width, n_mels]``.
    orders : EpochOrders or None
        The epochs' orders (seeded, ``training.order``; its draws continue after the fit); None keeps the
        windows in path order every epoch (a validation part).
    """

    def __init__(
        self,
        clips: ClipSet,
        starts: np.ndarray,
        width: int,
        *,
        batch_size: int,
        targets: np.ndarray | None = None,
        flatten: bool = True,
        orders: EpochOrders | None = None,
    ):
        super().__init__(workers=1, use_multiprocessing=False)
        self.clips, self.starts, self.width = clips, np.asarray(starts, np.int64), int(width)
        self.batch_size = int(batch_size)
        self.targets = None if targets is None else np.asarray(targets)
        self.flatten = flatten
        self.epoch = 0  # epochs begun: the fit's k-th epoch (counting from 1) draws orders(k)
        if orders is None:
            orders = EpochOrders(len(self.starts), 0, shuffle=False)
        if orders.n != len(self.starts):
            raise ValueError(f"orders of {orders.n} samples for {len(self.starts)} windows")
        self.orders = orders
        self.order = self.orders(0)

    def __len__(self) -> int:
        return -(-len(self.starts) // self.batch_size)

    def __getitem__(self, i: int):
        picked = self.order[i * self.batch_size : (i + 1) * self.batch_size]
        x = gather(self.clips, self.starts[picked], self.width)
        if self.flatten:
            x = x.reshape(len(picked), -1)
        return (x, x) if self.targets is None else (x, self.targets[picked])

    def on_epoch_begin(self) -> None:
        # Counted here, not in on_epoch_end: Keras also calls on_epoch_end once before the first epoch.
        self.epoch += 1
        self.order = self.orders(self.epoch)
