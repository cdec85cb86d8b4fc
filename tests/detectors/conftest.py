"""A tiny generated DCASE 2020 tree and its log-mels as ClipSets, shared by the detector tests."""

from __future__ import annotations

import pytest
from detector_fixtures import clipset

import asdlens.models.torch  # noqa: F401 - its OpenMP wait policy before a test module imports torch
from asdlens.data import scan
from asdlens.data.synth import generate


@pytest.fixture(scope="session")
def tiny_root(tmp_path_factory):
    """2 types x 2 IDs, 6 training and 3 + 3 test clips of 2 s each (63 frames at the DCASE hop)."""
    root = tmp_path_factory.mktemp("detectors") / "data"
    return generate(root, layout="dcase2020", types=["pump", "fan"], ids=["00", "02"], n_train=6,
                    n_test_normal=3, n_test_anomaly=3, duration=2.0, seed=4)  # fmt: skip


@pytest.fixture(scope="session")
def tiny_sets(tiny_root):
    """``(train, test)`` ClipSets of every clip of the tiny tree, in path order."""
    clips = sorted(scan(tiny_root).clips, key=lambda c: c.path)
    return clipset([c for c in clips if c.split == "train"]), clipset([c for c in clips if c.split == "test"])
