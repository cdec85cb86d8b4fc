"""The grouped options of export and deploy-check: defaults as the commands', a bad field named (no framework)."""

from __future__ import annotations

import pytest

from asdlens.deploy import FORMATS, QUANTIZATIONS, CheckOptions, ExportOptions
from asdlens.deploy.options import default_out


def test_defaults_are_the_commands_defaults(tmp_path):
    assert ExportOptions() == ExportOptions(n_samples=None, batchnorm="fold", calibration_clips=50)
    check = CheckOptions()
    assert (check.formats, check.quantizations) == (FORMATS, QUANTIZATIONS)
    assert (check.spread, check.seeds, check.latency_clips, check.parity_clips) == (None, 2, 10, 20)
    assert CheckOptions(formats=["onnx"], quantizations=["none"]).formats == ("onnx",)  # kept as tuples
    assert default_out(tmp_path / "run") == tmp_path / "run" / "deploy"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: ExportOptions(n_samples=0),
            "ExportOptions.n_samples=0 (--samples) must be a positive number",
        ),
        (lambda: ExportOptions(n_samples=1.5), "ExportOptions.n_samples=1.5 (--samples)"),
        (
            lambda: ExportOptions(batchnorm="drop"),
            "ExportOptions.batchnorm='drop' (--batchnorm) is not allowed",
        ),
        (
            lambda: ExportOptions(calibration_clips=0),
            "ExportOptions.calibration_clips=0 (--calibration-clips)",
        ),
        (lambda: ExportOptions(calibration_clips=True), "ExportOptions.calibration_clips=True"),
        (lambda: CheckOptions(formats=()), "CheckOptions.formats (--formats) is empty"),
        (
            lambda: CheckOptions(formats=["tflite"]),
            "CheckOptions.formats (--formats): 'tflite' is not a format",
        ),
        (lambda: CheckOptions(quantizations=["int4"]), "CheckOptions.quantizations (--quantize): 'int4'"),
        (lambda: CheckOptions(spread=-0.1), "CheckOptions.spread=-0.1 (--spread) must be an AUC change >= 0"),
        (lambda: CheckOptions(seeds=-1), "CheckOptions.seeds=-1 (--seeds) must be a non-negative number"),
        (lambda: CheckOptions(seeds=0), "give a spread (--spread 0.01) or at least one extra seed"),
        (lambda: CheckOptions(latency_clips=-1), "CheckOptions.latency_clips=-1 must be a non-negative"),
        (lambda: CheckOptions(parity_clips=None), "CheckOptions.parity_clips=None must be a non-negative"),
    ],
)
def test_a_bad_field_is_named(make, message):
    with pytest.raises(ValueError) as err:
        make()
    assert message in str(err.value)


def test_options_are_frozen_and_a_spread_needs_no_seed():
    assert CheckOptions(spread=0.01, seeds=0).seeds == 0
    with pytest.raises(AttributeError):
        ExportOptions().batchnorm = "keep"  # type: ignore[misc]
