"""The synthetic generator: layouts, determinism, SNR mixing, manifest, errors, the ``asdlens synth`` command."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from asdlens.cli import app
from asdlens.data import read_audio, scan
from asdlens.data.synth import TYPE_ANOMALIES, generate, machine_clip, read_manifest
from asdlens.data.synth.machines import reference_power, signature

SMALL = dict(types=["valve"], ids=["04"], n_train=2, n_test_normal=1, n_test_anomaly=2, duration=0.5)


def _files(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.wav"))}


def test_same_seed_same_files_other_seed_other_files(tmp_path):
    a = _files(generate(tmp_path / "a", seed=5, **SMALL))
    b = _files(generate(tmp_path / "b", seed=5, **SMALL))
    c = _files(generate(tmp_path / "c", seed=6, **SMALL))
    assert a == b
    assert a.keys() == c.keys() and all(a[k] != c[k] for k in a)


def test_a_clip_does_not_depend_on_what_else_is_generated(tmp_path):
    few = _files(generate(tmp_path / "few", **SMALL))
    more = _files(generate(tmp_path / "more", **{**SMALL, "types": ["pump", "valve"], "n_train": 4}))
    assert set(few) < set(more)
    assert all(more[k] == few[k] for k in few)


def test_dcase2020_files_are_mono_16_bit(dcase_tree):
    for clip in scan(dcase_tree).clips[::7]:
        info = sf.info(clip.path)
        assert (info.channels, info.samplerate, info.subtype, info.frames) == (1, 16000, "PCM_16", 16000)


def test_mimii_one_recording_per_index_mixed_at_each_snr(mimii_tree):
    low = read_audio(mimii_tree / "-6_dB_fan/fan/id_00/abnormal/00000001.wav", channel=None)
    high = read_audio(mimii_tree / "6_dB_fan/fan/id_00/abnormal/00000001.wav", channel=None)
    assert low.shape == high.shape == (8, 16000)
    # the same machine in both: correlated; more background at -6 dB: less so than within one file's mics
    assert np.corrcoef(low[0], high[0])[0, 1] > 0.3
    assert not np.array_equal(low, high)
    # 8 microphones: small delays and gains, never identical channels
    assert all(not np.array_equal(high[0], high[c]) for c in range(1, 8))
    assert np.corrcoef(high[0], high[1])[0, 1] > 0.5


@pytest.mark.parametrize("snr", [-6, 0, 6])
def test_background_is_mixed_at_the_snr_of_the_ids_mean_power(snr):
    """MIMII paper: noise power = the ID's mean machine power / 10**(snr/10) (not per clip)."""
    kw = dict(machine_type="pump", machine_id="02", seed=9, duration=1.0, quantized=False)
    level = 0.1  # mix(): the output is scaled so that machine + noise has RMS `level` for a typical clip
    ref = reference_power("pump", "02", 16000)
    machine = machine_clip(**kw, snr=None) * np.sqrt(ref) / level
    noisy = machine_clip(**kw, snr=snr)
    gain2 = ref / 10 ** (snr / 10)
    noise = noisy * np.sqrt(ref + gain2) / level - machine
    measured = 10 * np.log10(ref / np.mean(noise.astype(np.float64) ** 2))
    assert measured == pytest.approx(snr, abs=0.05)


def test_manifest_describes_every_file(dcase_tree, sizes):
    rows = read_manifest(dcase_tree)
    clips = {c.path.relative_to(dcase_tree).as_posix(): c for c in scan(dcase_tree)}
    assert sorted(r["path"] for r in rows) == sorted(clips)
    for row in rows:
        clip = clips[row["path"]]
        assert (row["machine_type"], row["machine_id"], row["split"], row["label"], row["index"]) == (
            clip.machine_type,
            clip.machine_id,
            clip.split,
            clip.label,
            clip.index,
        )
        if row["label"]:
            assert row["anomaly_kind"] in TYPE_ANOMALIES[row["machine_type"]]
            assert 0.25 <= row["severity"] <= 1.0
        else:
            assert row["anomaly_kind"] is None and row["severity"] == 0.0
    kinds = {r["anomaly_kind"] for r in rows if r["label"]}
    assert len(kinds) >= 3  # several kinds are drawn


def test_ids_have_their_own_stable_signature():
    a, b = signature("fan", "00"), signature("fan", "02")
    assert a.f0 != b.f0 and (a.spread, a.anomaly_gain) != (b.spread, b.anomaly_gain)
    assert signature("fan", "00") is a  # a pure function of type and ID (cached)


def test_machine_clip_shapes_and_quantization(tmp_path):
    mono = machine_clip("slider", "06", anomaly="rubbing", severity=0.8, duration=0.25)
    assert mono.shape == (4000,) and mono.dtype == np.float32
    np.testing.assert_array_equal(mono * 32768, np.round(mono * 32768))
    multi = machine_clip("slider", "06", channels=8, duration=0.25)
    assert multi.shape == (8, 4000) and np.abs(multi).max() <= 1.0
    path = tmp_path / "x.wav"
    sf.write(path, mono, 16000, subtype="PCM_16")
    np.testing.assert_array_equal(read_audio(path), mono)
    normal = machine_clip("slider", "06", duration=0.25)
    assert not np.array_equal(normal, mono)


def test_machine_clip_errors():
    with pytest.raises(ValueError, match="anomaly='leak_hiss' is not a fan anomaly; choose one of"):
        machine_clip("fan", anomaly="leak_hiss")
    with pytest.raises(ValueError, match="severity=1.5 must be in"):
        machine_clip("fan", anomaly="imbalance", severity=1.5)
    with pytest.raises(ValueError, match="machine_id='7' must be two digits"):
        machine_clip("fan", "7")
    with pytest.raises(ValueError, match="gives no samples"):
        machine_clip("fan", duration=0.00001)


def test_generate_errors(tmp_path):
    generate(tmp_path / "full", **SMALL)
    with pytest.raises(ValueError, match="folder is not empty"):
        generate(tmp_path / "full", **SMALL)
    with pytest.raises(ValueError, match="layout='dcase' is not allowed"):
        generate(tmp_path / "x", layout="dcase")
    with pytest.raises(ValueError, match="n_train=-1 must be a non-negative integer"):
        generate(tmp_path / "x", **{**SMALL, "n_train": -1})
    with pytest.raises(ValueError, match="give one SNR"):
        generate(tmp_path / "x", snrs=[0, 6], **SMALL)
    with pytest.raises(ValueError, match=r"severity=\(0.5, 0.2\) must be a range"):
        generate(tmp_path / "x", severity=(0.5, 0.2), **SMALL)


def test_workers_give_the_same_files(tmp_path):
    serial = _files(generate(tmp_path / "one", **SMALL))
    parallel = _files(generate(tmp_path / "two", workers=2, **SMALL))
    assert serial == parallel


def test_cli_synth(tmp_path):
    runner = CliRunner()
    out = tmp_path / "m"
    args = ["synth", "--layout", "mimii", "--out", str(out), "--types", "pump", "--ids", "02,06"]
    args += ["--train", "2", "--test-normal", "1", "--test-anomaly", "1", "--snr", "0", "--duration", "0.25"]
    done = runner.invoke(app, args)
    assert done.exit_code == 0, done.output
    assert "8 clips (2 anomalous)" in done.output
    result = scan(out)
    assert (
        len(result) == 8 and {c.machine_id for c in result} == {"02", "06"} and {c.snr for c in result} == {0}
    )
    again = runner.invoke(app, args)
    assert again.exit_code == 2 and "error: " in again.stderr and "not empty" in again.stderr
    bad = runner.invoke(app, [*args[:-6], "--snr", "zero", "--out", str(tmp_path / "n")])
    assert bad.exit_code == 2 and "--snr 'zero' must be comma-separated integers" in bad.stderr


def test_the_official_2020_scripts_see_only_machine_types_and_old_trees_still_read(dcase_tree, tmp_path):
    """``select_dirs`` of the DCASE 2020 baseline takes every ``<root>/*`` entry as a machine type: only the type
    folders are there (the manifest is in ``.asdlens/``); a tree from before the move, with ``manifest.csv`` in
    its root, still reads and still counts as generated."""
    import glob
    import shutil
    from pathlib import Path

    from asdlens.data.layouts import find_manifest, is_generated

    entries = sorted(glob.glob(f"{dcase_tree}/*"))
    assert [Path(e).name for e in entries] == ["pump", "valve"] and all(Path(e).is_dir() for e in entries)
    assert find_manifest(dcase_tree) == dcase_tree / ".asdlens" / "manifest.csv"
    old = tmp_path / "old"
    shutil.copytree(dcase_tree, old)
    (old / ".asdlens" / "manifest.csv").rename(old / "manifest.csv")
    (old / ".asdlens").rmdir()
    assert read_manifest(old) == read_manifest(dcase_tree)
    assert is_generated(old, "dcase2020") and is_generated(dcase_tree, "dcase2020")
    (old / "manifest.csv").unlink()
    assert not is_generated(old, "dcase2020")
    with pytest.raises(FileNotFoundError, match="no generator manifest"):
        read_manifest(old)
