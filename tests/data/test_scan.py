"""scan(): both layouts, auto detection, every count, skipped files with their reason."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import soundfile as sf

from asdlens.data import Clip, scan
from asdlens.data.synth import generate


def test_scan_dcase2020_counts(dcase_tree, sizes):
    dcase = sizes["dcase2020"]
    result = scan(dcase_tree)
    assert result.layout == "dcase2020"
    assert len(result) == 2 * 2 * (4 + 2 + 3)
    counts = Counter((c.machine_type, c.machine_id, c.split, c.label) for c in result)
    for t in dcase["types"]:
        for i in dcase["ids"]:
            assert counts[(t, i, "train", 0)] == 4
            assert counts[(t, i, "test", 0)] == 2
            assert counts[(t, i, "test", 1)] == 3
    assert all(c.snr is None and c.layout == "dcase2020" for c in result)
    # the generator's manifest is in the hidden .asdlens/ folder: no file but clips is visible
    assert result.skipped == []
    clip = result.select(machine_type="pump", machine_id="02", split="test", label=1)[2]
    assert clip.path.name == "anomaly_id_02_00000002.wav" and clip.index == 2
    assert result.machine_types == ["pump", "valve"] and result.machine_ids("pump") == ["00", "02"]


@pytest.mark.parametrize("snr_dirs", ["zenodo", "baseline"])
def test_scan_mimii_counts_both_folder_styles(tmp_path, snr_dirs, sizes):
    root = generate(tmp_path / "m", layout="mimii", duration=0.2, snr_dirs=snr_dirs, **sizes["mimii"])
    result = scan(root)
    assert result.layout == "mimii"
    counts = Counter((c.machine_type, c.snr, c.machine_id, c.label, c.split) for c in result)
    assert sum(counts.values()) == 2 * 2 * 9
    for snr in (-6, 6):
        for i in ("00", "04"):
            assert counts[("fan", snr, i, 0, None)] == 6
            assert counts[("fan", snr, i, 1, None)] == 3
    folders = {c.path.relative_to(root).parts[0] for c in result}
    assert folders == ({"-6_dB_fan", "6_dB_fan"} if snr_dirs == "zenodo" else {"min6dB", "6dB"})
    with sf.SoundFile(result.clips[0].path) as f:
        assert (f.channels, f.samplerate, f.subtype) == (8, 16000, "PCM_16")


def test_scan_below_root_keeps_type_and_snr(mimii_tree, dcase_tree):
    sub = scan(mimii_tree / "-6_dB_fan" / "fan" / "id_04")
    assert {(c.machine_type, c.snr, c.machine_id) for c in sub} == {("fan", -6, "04")} and len(sub) == 9
    train = scan(dcase_tree / "valve" / "train")
    assert len(train) == 8 and {c.machine_type for c in train} == {"valve"}


def _wav(path, n=1600):
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, np.zeros(n, np.int16), 16000, subtype="PCM_16")


def test_dcase_names_eval_and_misplaced(tmp_path):
    _wav(tmp_path / "fan" / "test" / "id_05_00000007.wav")  # eval test set: no label
    _wav(tmp_path / "fan" / "train" / "normal_id_05_00000000.wav")  # additional training set
    _wav(tmp_path / "fan" / "train" / "anomaly_id_05_00000000.wav")
    _wav(tmp_path / "fan" / "train" / "id_05_00000001.wav")
    _wav(tmp_path / "fan" / "test" / "normal_id_5_00000000.wav")
    _wav(tmp_path / "fan" / "normal_id_05_00000000.wav")
    (tmp_path / "fan" / "test" / "notes.txt").write_text("x")
    result = scan(tmp_path)
    assert [(c.split, c.label, c.index) for c in result] == [("test", None, 7), ("train", 0, 0)]
    reasons = {p.relative_to(tmp_path).as_posix(): r for p, r in result.skipped}
    assert "anomaly clip in a train/ folder" in reasons["fan/train/anomaly_id_05_00000000.wav"]
    assert "unlabeled name" in reasons["fan/train/id_05_00000001.wav"]
    assert "file name does not match" in reasons["fan/test/normal_id_5_00000000.wav"]
    assert "not inside a <type>/train or <type>/test folder" in reasons["fan/normal_id_05_00000000.wav"]
    assert reasons["fan/test/notes.txt"] == "not a .wav file"


def test_mimii_names_and_contradicting_snr_folder(tmp_path):
    _wav(tmp_path / "0_dB_pump" / "pump" / "id_02" / "abnormal" / "00000003.wav")
    _wav(tmp_path / "0_dB_pump" / "fan" / "id_02" / "normal" / "00000000.wav")
    _wav(tmp_path / "0_dB_pump" / "pump" / "id_02" / "normal" / "0000000.wav")
    _wav(tmp_path / "0_dB_pump" / "pump" / "id_2" / "normal" / "00000000.wav")
    result = scan(tmp_path, "mimii")
    assert result.clips == [
        Clip(result.clips[0].path, "mimii", "pump", "02", None, 1, 0, 3),
    ]
    reasons = {p.relative_to(tmp_path).parts[1:3]: r for p, r in result.skipped}
    assert len(reasons) == 3
    assert "SNR folder '0_dB_pump' names type 'pump' but holds 'fan'" in reasons[("fan", "id_02")]
    assert reasons[("pump", "id_02")].startswith("file name is not NNNNNNNN.wav")
    assert reasons[("pump", "id_2")].startswith("not inside <type>/id_NN/normal or abnormal")


def test_scan_errors(tmp_path):
    with pytest.raises(ValueError, match="no such folder"):
        scan(tmp_path / "absent")
    with pytest.raises(ValueError, match="layout='dcase' is not allowed"):
        scan(tmp_path, "dcase")
    (tmp_path / "a.wav").write_bytes(b"")
    with pytest.raises(ValueError, match="no DCASE 2020-2026 or MIMII clips found among 1 WAV file"):
        scan(tmp_path)
    with pytest.raises(ValueError, match="not a folder"):
        scan(tmp_path / "a.wav")
