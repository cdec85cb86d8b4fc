"""The official result files: exact bytes on a small example, round trips, clear errors, atomic writes."""

from __future__ import annotations

import pytest

from asdlens.evaluate import (
    IdResult,
    anomaly_score_file_name,
    atomic_write_bytes,
    mimii_result_key,
    read_anomaly_scores,
    read_mimii_result_yaml,
    read_result_csv,
    result_sections,
    snr_folder,
    write_anomaly_scores,
    write_mimii_result_yaml,
    write_result_csv,
)

RESULTS = [
    IdResult("pump", "00", None, 0.670769, 0.57269, 100, 143),
    IdResult("pump", "02", None, 0.609369, 0.58037, 100, 111),
    IdResult("fan", "00", None, 0.5, 0.25, 10, 10),
    IdResult("fan", "02", None, None, None, 10, 0, "only normal"),
]


def test_result_csv_bytes_match_the_official_layout(tmp_path):
    # 01_test.py: csv.writer(lineterminator="\n"): type / id,AUC,pAUC / one row per ID / Average / empty row.
    path = write_result_csv(tmp_path / "result.csv", RESULTS)
    expected = (
        "pump\nid,AUC,pAUC\n00,0.670769,0.57269\n02,0.609369,0.58037\nAverage,0.640069,0.57653\n\n"
        "fan\nid,AUC,pAUC\n00,0.5,0.25\n02,,\nAverage,0.5,0.25\n\n"
    )
    assert path.read_bytes() == expected.encode()
    sections = read_result_csv(path)
    assert sections == result_sections(RESULTS)
    assert sections[0].rows[1] == ("02", 0.609369, 0.58037)
    assert sections[1].rows[1] == ("02", None, None)


def test_anomaly_scores_bytes_and_round_trip(tmp_path):
    rows = [("normal_id_00_00000000.wav", 6.123456789012345), ("anomaly_id_00_00000001.wav", 10.0)]
    name = anomaly_score_file_name("pump", "00")
    assert name == "anomaly_score_pump_id_00.csv"
    path = write_anomaly_scores(tmp_path / name, rows)
    assert (
        path.read_bytes() == b"normal_id_00_00000000.wav,6.123456789012345\nanomaly_id_00_00000001.wav,10.0\n"
    )
    assert read_anomaly_scores(path) == rows  # bit-exact floats


def test_readers_name_file_and_line(tmp_path):
    bad = tmp_path / "anomaly_score_x_id_00.csv"
    bad.write_text("a.wav,1.0\nb.wav,oops\n")
    with pytest.raises(ValueError, match=r"anomaly_score_x_id_00.csv:2: 'oops' is not a number"):
        read_anomaly_scores(bad)
    bad.write_text("a.wav,1.0,3\n")
    with pytest.raises(ValueError, match=r":1: expected 'file_name,score'"):
        read_anomaly_scores(bad)
    res = tmp_path / "result.csv"
    res.write_text("pump\nid,AUC\n")
    with pytest.raises(ValueError, match=r"result.csv:2: expected the header 'id,AUC,pAUC'"):
        read_result_csv(res)
    res.write_text("pump\nid,AUC,pAUC\n00,0.5,0.5\n\n")
    with pytest.raises(ValueError, match="has no 'Average' row"):
        read_result_csv(res)


def test_result_csv_refuses_two_snrs_in_one_file(tmp_path):
    rows = [IdResult("fan", "00", 6, 0.5, 0.5, 1, 1), IdResult("fan", "00", -6, 0.5, 0.5, 1, 1)]
    with pytest.raises(ValueError, match="one SNR per file"):
        write_result_csv(tmp_path / "result.csv", rows)


def test_mimii_result_yaml_round_trip(tmp_path):
    assert [snr_folder(s) for s in (6, 0, -6, None)] == ["6dB", "0dB", "min6dB", ""]
    assert mimii_result_key("fan", "00", -6) == "fan_id_00_min6dB"
    rows = [IdResult("fan", "00", -6, 0.75, None, 3, 3), IdResult("fan", "02", 6, None, None, 3, 0, "x")]
    path = write_mimii_result_yaml(tmp_path / "result.yaml", rows)
    assert path.read_text() == "fan_id_00_min6dB:\n  AUC: 0.75\nfan_id_02_6dB:\n  AUC: null\n"
    assert read_mimii_result_yaml(path) == {"fan_id_00_min6dB": 0.75, "fan_id_02_6dB": None}


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path):
    path = tmp_path / "r.json"
    atomic_write_bytes(path, b"old")

    with pytest.raises(TypeError):
        atomic_write_bytes(path, "not bytes")  # the write fails half way: the old file stays
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # and no temporary file is left


def test_atomic_writes_are_readable_like_ordinary_files(tmp_path):
    import os
    import stat

    from asdlens.atomic import atomic_write_bytes, atomic_write_text

    umask = os.umask(0o022)
    os.umask(umask)
    path = atomic_write_text(tmp_path / "report.md", "x")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o666 & ~umask  # not a private 0600 temporary file
    assert path.read_text() == "x"
    parts = atomic_write_bytes(tmp_path / "parts.bin", [b"ab", memoryview(b"cd"), bytearray(b"e")])
    assert parts.read_bytes() == b"abcde"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["parts.bin", "report.md"]  # no temporary file left
