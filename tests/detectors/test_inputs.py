"""The streamed training input in a real Keras fit: epoch k (counting from 1) reads its batches in the order
``epoch_order(seed, k)``, whatever Keras calls before the first epoch, and every sample once per epoch."""

from __future__ import annotations

import numpy as np

from asdlens.models.inputs import WindowBatches
from asdlens.models.samples import EpochOrders, epoch_order, gather, windows
from asdlens.models.throughput import random_clips
from asdlens.models.training import compile_and_fit


class Recorded(WindowBatches):
    """Keeps every batch it hands to Keras, by epoch and batch number."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.read: dict[int, dict[int, np.ndarray]] = {}

    def __getitem__(self, i):
        x, y = super().__getitem__(i)
        self.read.setdefault(self.epoch, {})[i] = x
        return x, y


def test_each_epoch_reads_the_order_drawn_for_it():
    import keras

    clips = random_clips(6, 40, 8, seed=2)
    win = windows(clips, 5)
    batches = Recorded(clips, win.starts, 5, batch_size=32, orders=EpochOrders(len(win.starts), 9))
    inputs = keras.Input((40,))
    model = keras.Model(inputs, keras.layers.Dense(40)(inputs))
    compile_and_fit(model, batches, epochs=3)
    trained = {e: reads for e, reads in batches.read.items() if e > 0}  # epoch 0: Keras reading the signature
    assert sorted(trained) == [1, 2, 3]
    for epoch, reads in trained.items():
        assert sorted(reads) == list(range(len(batches)))
        got = np.concatenate([reads[i] for i in sorted(reads)])
        expected = gather(clips, win.starts[epoch_order(len(win), 9, epoch)], 5).reshape(len(win), -1)
        np.testing.assert_array_equal(got, expected)
    assert not np.array_equal(trained[1][0], trained[2][0])  # a new order every epoch
