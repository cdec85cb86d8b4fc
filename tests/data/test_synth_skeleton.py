"""The generator's skeleton: options validated once before anything is written, the options and keyword forms
alike, the writer writes any channel count, and a new family of trees plugs in as one more user."""

from __future__ import annotations

import numpy as np
import pytest

from asdlens.data import clips, read_audio, scan
from asdlens.data.synth import SynthOptions, families, generate, options, read_manifest
from asdlens.data.synth.clip import NORMAL, Take, mixes
from asdlens.data.synth.files import Rendered, write_wav
from asdlens.data.synth.manifest import MANIFEST_FIELDS, ManifestRow
from asdlens.pcm import quantize

SMALL = dict(types=["pump"], ids=["02"], n_train=2, n_test_normal=1, n_test_anomaly=2, duration=0.25)


def _files(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_options_form_writes_what_the_keyword_form_writes(tmp_path):
    fields = dict(layout="dcase2023", types=["fan"], parts=["dev"], n_train=2, n_train_target=1, duration=0.1)
    opts = SynthOptions(**fields, n_test_normal=1, n_test_anomaly=1)
    assert opts.types == ("fan",) and opts.parts == ("dev",) and opts.severity == (0.25, 1.0)
    a = _files(generate(tmp_path / "a", opts))
    b = _files(generate(tmp_path / "b", **fields, n_test_normal=1, n_test_anomaly=1))
    assert a == b and ".asdlens/manifest.csv" in a and "dev_data/fan/attributes_00.csv" in a
    c = _files(generate(tmp_path / "c", opts, seed=9))  # keywords replace the options' fields
    assert len(c) == len(a) and c[".asdlens/manifest.csv"] != a[".asdlens/manifest.csv"]


@pytest.mark.parametrize(
    "fields, error, match",
    [
        (dict(layout="dcase2022", sections=["7"]), ValueError, "section '7' must be two digits"),
        (dict(types="pump"), ValueError, r"types='pump' must be a sequence of names"),
        (
            dict(layout="dcase2023", eval_types=["a/b"]),
            ValueError,
            "eval_types: machine type 'a/b' is not a folder",
        ),
        (dict(layout="mimii", ids=["1"]), ValueError, "machine_id='1' must be two digits"),
        (dict(layout="mimii", snr_dirs="db"), ValueError, r"snr_dirs='db' is not allowed; choose one of"),
        (dict(layout="dcase2023", snrs=[0]), ValueError, "snrs= is not used"),
        (dict(seed=1.5), ValueError, "seed=1.5 must be an integer"),
        (dict(severity=(0.2,)), ValueError, r"severity=\(0.2,\) must be a range"),
        (dict(n_supplemental=True), ValueError, "n_supplemental=True must be a non-negative integer"),
        (dict(n_trian=3), TypeError, r"unknown option\(s\) \['n_trian'\]; the options are \['layout'"),
    ],
)
def test_options_are_checked_before_anything_is_written(tmp_path, fields, error, match):
    with pytest.raises(error, match=match):
        generate(tmp_path / "out", **fields)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("channels", [1, 2, 8])
def test_the_writer_writes_the_channels_it_gets(tmp_path, channels):
    take = Take("valve", "04", key=(0, "valve", "04", "test", 0), n=4000, sr=16000)
    (audio,) = mixes(take, [6.0], channels)
    assert audio.shape == (channels, 4000)
    path = write_wav(tmp_path / "a" / "clip.wav", audio, 16000)
    np.testing.assert_array_equal(read_audio(path, channel=None), quantize(audio))
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["clip.wav"]  # no temporary file left
    with pytest.raises(ValueError, match=r"audio must be \[channels, samples\]"):
        write_wav(tmp_path / "b.wav", audio[0], 16000)


def _two_mics(opts):
    return list(range(opts.n_train))


def _render_near_and_far(index, opts):
    """A test-only family: one recording heard by a near and a far microphone, ``[2, n]``."""
    take = Take("fan", "00", key=(opts.seed, "fan", index), n=opts.n_samples, sr=opts.sample_rate)
    (near,) = mixes(take, [6.0], 1)
    audio = np.concatenate([near, 0.5 * near])
    path = f"fan/train/section_00_{index:04d}.wav"
    row = ManifestRow(path, opts.layout, "fan", "00", "train", 0, index, anomaly=NORMAL)
    return [Rendered(path, audio, row)]


def test_a_two_channel_family_is_one_more_user_of_the_skeleton(tmp_path, monkeypatch):
    """What a DCASE 2026 tree (near and far microphone) needs: a row in FAMILIES whose renderer returns
    ``[2, samples]``; the skeleton validates, prepares the folder, writes the clips and the manifest."""
    two = families.TreeFamily("two microphones", _two_mics, _render_near_and_far, MANIFEST_FIELDS)
    monkeypatch.setattr(options, "LAYOUTS", (*options.LAYOUTS, "twomics"))
    monkeypatch.setitem(clips.LAYOUT_SPECS, "twomics", clips.LayoutSpec("twomics", "dcase2020", "id", 2))
    monkeypatch.setitem(families.FAMILIES, "twomics", two)
    seen = []
    root = generate(
        tmp_path / "t", layout="twomics", n_train=3, duration=0.25, progress=lambda *a: seen.append(a)
    )
    assert seen == [(1, 3), (2, 3), (3, 3)]
    rows = read_manifest(root)
    assert [r["path"] for r in rows] == [f"fan/train/section_00_{i:04d}.wav" for i in range(3)]
    for row in rows:
        audio = read_audio(root / row["path"], channel=None)
        assert audio.shape == (2, 4000)
        np.testing.assert_allclose(audio[1], 0.5 * audio[0], rtol=0, atol=1 / 32768)
        assert np.abs(audio[0]).max() > 0.01


def test_every_layout_the_scanner_reads_has_a_generator(tmp_path):
    assert set(families.FAMILIES) == set(options.LAYOUTS)
    root = generate(tmp_path / "m", layout="mimii", snrs=[0], **SMALL)
    assert {c.path.parent.parent.parent.parent.name for c in scan(root)} == {"0_dB_pump"}
