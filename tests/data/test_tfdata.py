"""tf_dataset: the TF pipeline's vectors equal NumPy's log-mel + stack_frames, pooled, batched and per clip."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

tf = pytest.importorskip("tensorflow")

from asdlens.data import read_audio, scan, tf_dataset  # noqa: E402
from asdlens.features import melspectrogram  # noqa: E402
from asdlens.features.stacking import stack_frames  # noqa: E402


def _reference(clip_path, spec, frames, channel=0):
    return stack_frames(melspectrogram(read_audio(clip_path, channel=channel), spec, backend="numpy"), frames)


@pytest.mark.parametrize("spec, frames", [("dcase2020", 5), ("librosa", 3)])
def test_per_clip_vectors_equal_numpy(dcase_tree, spec, frames):
    clips = scan(dcase_tree).select(machine_type="valve", machine_id="02")
    out = list(tf_dataset(clips, spec, frames, per_clip=True))
    assert len(out) == len(clips)
    for (vectors, label, path), clip in zip(out, clips, strict=True):
        assert path.numpy().decode() == str(clip.path) and int(label) == clip.label
        ref = _reference(clip.path, spec, frames)
        assert vectors.shape == ref.shape
        # the frontends' criterion: power values ("librosa") to 1e-5 relative; log values ("dcase2020") to 1e-4 dB,
        # ten times inside the 1e-3 dB (TF and numpy sum in different orders: up to ~1e-5 dB seen)
        tolerance = {"rtol": 1e-5, "atol": 1e-12} if spec == "librosa" else {"rtol": 0, "atol": 1e-4}
        np.testing.assert_allclose(vectors.numpy(), ref, **tolerance)


def test_mimii_channel(mimii_tree):
    clips = scan(mimii_tree).select(snr=6, machine_id="04")[:2]
    out = list(tf_dataset(clips, "mimii", per_clip=True, channel=5))
    for (vectors, _, _), clip in zip(out, clips, strict=True):
        np.testing.assert_allclose(vectors.numpy(), _reference(clip.path, "mimii", 5, channel=5), atol=1e-4)


def test_pooled_batches_hold_every_vector_once(dcase_tree):
    clips = scan(dcase_tree).select(machine_type="pump", split="train")
    ref = np.concatenate([_reference(c.path, "dcase2020", 5) for c in clips])  # 8 clips x 28 vectors
    batches = [b.numpy() for b in tf_dataset(clips, "dcase2020", batch_size=50)]
    assert [len(b) for b in batches] == [50, 50, 50, 50, 24]
    np.testing.assert_allclose(np.concatenate(batches), ref, atol=1e-4)

    shuffled = np.concatenate(
        [x.numpy() for x, _ in tf_dataset(clips, batch_size=64, shuffle=True, autoencoder=True)]
    )
    assert shuffled.shape == ref.shape and not np.allclose(shuffled, ref)
    order = np.lexsort(shuffled.T[::-1])
    np.testing.assert_allclose(shuffled[order], ref[np.lexsort(ref.T[::-1])], atol=1e-4)
    pairs = next(iter(tf_dataset(clips, batch_size=8, autoencoder=True)))
    np.testing.assert_array_equal(pairs[0].numpy(), pairs[1].numpy())


def test_paths_and_errors(dcase_tree, tmp_path):
    clip = scan(dcase_tree).clips[0]
    ((vectors, label, _),) = list(tf_dataset([clip.path], per_clip=True))
    assert int(label) == -1 and vectors.shape == (28, 640)
    with pytest.raises(ValueError, match="tf_dataset got no clips"):
        tf_dataset([])
    with pytest.raises(ValueError, match="frames=0 must be a positive integer"):
        tf_dataset([clip], frames=0)
    with pytest.raises(ValueError, match="clips must hold Clip records or paths"):
        tf_dataset([3])
    wrong = tmp_path / "rate.wav"
    sf.write(wrong, np.zeros(8000, np.int16), 8000, subtype="PCM_16")
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"rate\.wav.*sample rate"):
        list(tf_dataset([wrong], per_clip=True))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"channel 2 does not exist"):
        list(tf_dataset([clip], per_clip=True, channel=2))
