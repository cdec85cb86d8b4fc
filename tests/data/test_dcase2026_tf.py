"""DCASE 2026 in TensorFlow: the tfds builder ``dcase2026_task2/<type>`` stores both channels, ``tf_dataset``
reads the near one and refuses a file without two channels (a hand-made tree in the real naming)."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from dcase_trees import N_2026, labelled, tree_2026, wav2

tf = pytest.importorskip("tensorflow")
tfds = pytest.importorskip("tensorflow_datasets")

import asdlens.data.tfds as builders  # noqa: E402  (registers the builders)
from asdlens.data import read_audio, scan, tf_dataset  # noqa: E402
from asdlens.data.tfdata import decode_clip  # noqa: E402
from asdlens.features import melspectrogram  # noqa: E402
from asdlens.features.stacking import stack_frames  # noqa: E402


def _load(name, root, data_dir, split):
    config = tfds.download.DownloadConfig(manual_dir=str(root))
    return tfds.load(
        name, split=split, data_dir=str(data_dir), download_and_prepare_kwargs={"download_config": config}
    )


def test_tfds_builder_keeps_both_channels(tmp_path):
    root = tree_2026(tmp_path / "t") / "dev_data"
    assert "dcase2026_task2" in tfds.list_builders()
    assert {c.name for c in builders.Dcase2026Task2.BUILDER_CONFIGS} >= {"ToyCarEmu", "valveEmu", "Sander"}
    rows = list(tfds.as_numpy(_load("dcase2026_task2/fan", root, tmp_path / "tfds", "train")))
    assert len(rows) == 3 and sorted(r["audio/domain"].decode() for r in rows) == [
        "source",
        "source",
        "target",
    ]
    for r in rows:
        stored, _ = sf.read(root / r["audio/file_name"].decode(), dtype="int16")
        assert r["audio"].shape == (N_2026, 2) and r["audio"].dtype == np.int16
        np.testing.assert_array_equal(r["audio"], stored)  # column 0 near, column 1 far, as stored
    mono = wav2(root / "fan" / "test" / labelled("00", "source", "test", 0, 1, ""), 3, channels=1)
    with pytest.raises(Exception, match=f"{mono.name}: has 1 channel\\(s\\), expected 2"):
        list(tfds.as_numpy(_load("dcase2026_task2/fan", root, tmp_path / "tfds2", "test")))


def test_tf_dataset_reads_near_and_checks_two_channels(tmp_path):
    root = tree_2026(tmp_path / "t") / "dev_data"
    clips = scan(root).select(machine_type="ToyCarEmu", split="train")
    spec = "dcase2020"
    out = list(tf_dataset(clips, spec, 2, per_clip=True))
    for (vectors, _, _), clip in zip(out, clips, strict=True):
        ref = stack_frames(melspectrogram(read_audio(clip.path, channel=0), spec, backend="numpy"), 2)
        np.testing.assert_allclose(vectors.numpy(), ref, rtol=0, atol=1e-4)
    both = decode_clip(tf.constant(str(clips[0].path)), channel=None, sample_rate=16000, channels=2)
    assert tuple(both.shape) == (N_2026, 2)
    np.testing.assert_array_equal(both.numpy(), read_audio(clips[0].path, channel=None).T)

    mono = wav2(root / "ToyCarEmu" / "train" / labelled("00", "source", "train", 0, 5, "noise_A"), 4, 1)
    bad = scan(root).select(machine_type="ToyCarEmu", split="train")
    assert mono in [c.path for c in bad]
    with pytest.raises(tf.errors.InvalidArgumentError, match="expected 2"):
        list(tf_dataset(bad, spec, 2, per_clip=True))
    list(tf_dataset([c.path for c in bad], spec, 2, per_clip=True))  # paths: no layout, no check (as before)
