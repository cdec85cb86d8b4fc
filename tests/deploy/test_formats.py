"""Artifact sidecars and option checks (no framework needed)."""

from __future__ import annotations

import json

import pytest

from asdlens.deploy.formats import artifact_stem, check_format_quantization, read_artifact_info


def test_quantization_needs_litert():
    check_format_quantization("litert", "int8")
    check_format_quantization("onnx", "none")
    with pytest.raises(ValueError, match=r"quantize='int8' needs format='litert'; onnx artifacts"):
        check_format_quantization("onnx", "int8")
    with pytest.raises(ValueError, match=r"format='tflite' is not allowed; choose one of \['savedmodel'"):
        check_format_quantization("tflite", "none")
    with pytest.raises(ValueError, match=r"quantize='int4' is not allowed"):
        check_format_quantization("litert", "int4")


def test_stems_keep_modes_apart():
    assert artifact_stem("pump", "none") == "pump"
    assert artifact_stem("fan_6dB_id_00", "int8") == "fan_6dB_id_00-int8"


def test_sidecar_errors_name_the_file(tmp_path):
    model = tmp_path / "pump.tflite"
    model.write_bytes(b"not a model")
    with pytest.raises(ValueError, match=r"pump.tflite: no artifact sidecar pump.json"):
        read_artifact_info(model)
    (tmp_path / "pump.json").write_text("{not json")
    with pytest.raises(ValueError, match=r"pump.json: not a readable artifact sidecar"):
        read_artifact_info(model)
    (tmp_path / "pump.json").write_text(json.dumps({"version": 1, "file": "pump.tflite"}))
    with pytest.raises(ValueError, match=r"pump.json: artifact sidecar lacks \['aggregate'"):
        read_artifact_info(tmp_path / "pump.json")


def test_only_a_familys_own_score_is_exported():
    """An artifact never computes another score than its run: every other back-end is refused with its reason,
    and so is a family nothing can export yet."""
    from asdlens.deploy.families import RECONSTRUCTION_MSE, family_for
    from asdlens.models.families import SCORERS

    assert family_for("dcase2020_autoencoder", "default") is RECONSTRUCTION_MSE
    for backend in set(SCORERS) - {"default"}:
        with pytest.raises(ValueError, match=rf"scoring.backend='{backend}' cannot be exported: \w+"):
            family_for("dcase2020_autoencoder", backend)
    with pytest.raises(ValueError, match=r"model 'margin_cnn' has no export family"):
        family_for("margin_cnn", "default")
