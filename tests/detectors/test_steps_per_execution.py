"""Running several training steps per call of Keras's train function (``STEPS_PER_EXECUTION``) is only quicker:
each family's fit gives the same weights and history as with one step per call, in real Keras on a tiny tree."""

from __future__ import annotations

import numpy as np
import pytest
from detector_fixtures import settings

from asdlens.models import training
from asdlens.models.detectors import make_detector

FAMILIES = {
    # 1,274 training vectors, 20 batches an epoch: 32 steps per call run an epoch in one partial call
    "autoencoder": ["training.epochs=2", "training.batch_size=64"],
    # mixup draws in the PyDataset, dropout and batch norm in the model
    "adacos": ["model.name=margin_cnn", "model.per=all", "frames=32", "model.hop=8", "model.width=0.25",
               "model.loss=adacos", "model.subclusters=2", "model.mixup=0.5", "training.epochs=2",
               "training.batch_size=16", "training.validation_split=0", "training.learning_rate=1e-3"],
    "mobilenetv2": ["model.name=mobilenetv2", "frames=32", "training.epochs=1", "training.batch_size=16"],
}  # fmt: skip


def _fit(name, train, steps, monkeypatch):
    monkeypatch.setattr(training, "STEPS_PER_EXECUTION", steps)
    detector = make_detector(settings(FAMILIES[name]))
    info = detector.fit(train, seed=5)
    return [w.copy() for w in detector.model.get_weights()], info["history"]


@pytest.mark.parametrize(
    "name",
    [
        "autoencoder",
        pytest.param("adacos"),
        pytest.param("mobilenetv2"),
    ],
)
@pytest.mark.slow
def test_steps_per_execution_gives_the_same_weights(name, tiny_sets, monkeypatch):
    train, _ = tiny_sets
    one, one_history = _fit(name, train, 1, monkeypatch)
    # 7 steps per call do not divide the batches: the last call of each epoch is a partial one
    many, many_history = _fit(name, train, 7, monkeypatch)
    default, default_history = _fit(name, train, 32, monkeypatch)
    assert one_history == many_history == default_history
    assert len(one) == len(many) == len(default)
    for a, b, c in zip(one, many, default, strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
