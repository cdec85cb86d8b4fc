"""DCASE 2021 Task 2 (domain shift): the layout and its file names.

Facts (y-kawagu/dcase2021_task2_baseline_ae README; y-kawagu/dcase2021_task2_evaluator ground truth):

- development set: ``<type>/train/section_00_source_train_normal_0000_<attribute>.wav`` (1000 source and 3 target
  clips per section, sections 00-02), ``<type>/source_test/section_00_source_test_{normal,anomaly}_0000.wav`` and
  ``<type>/target_test/section_00_target_test_...`` (100 + 100 each, no attribute in test names);
- additional training set: the same ``train/`` names with sections 03-05;
- evaluation test set: ``<type>/source_test/section_03_source_test_0000.wav`` (domain known, label hidden);
- types: fan, gearbox, pump, slider, valve (MIMII DUE) and ToyCar, ToyTrain (ToyADMOS2); no attributes CSV.
"""

from __future__ import annotations

import re
from pathlib import Path

from .clips import Clip
from .sections import parse_attribute_suffix, parse_labelled_name

TYPES = ("ToyCar", "ToyTrain", "fan", "gearbox", "pump", "slider", "valve")
DEV_SECTIONS = ("00", "01", "02")
EVAL_SECTIONS = ("03", "04", "05")
#: Training clips per section: source, target.
TRAIN_COUNTS = (1000, 3)
#: Test clips per section, domain and label (development set).
TEST_COUNT = 100

_EVAL_TEST = re.compile(r"^section_(\d{2})_(source|target)_test_(\d{4,})\.wav$", re.IGNORECASE)
TEST_FOLDERS = ("source_test", "target_test")
PATTERN = (
    "<type>/train/section_NN_{source,target}_train_normal_NNNN_<attribute>.wav, "
    "<type>/{source,target}_test/section_NN_{source,target}_test_{normal,anomaly}_NNNN.wav "
    "(eval: section_NN_{source,target}_test_NNNN.wav)"
)


def parse_dcase2021(path: Path) -> Clip | str:
    """A :class:`Clip` for a DCASE 2021 path, or the reason it is not one."""
    parts = path.parts
    if len(parts) < 3 or parts[-2] not in ("train", *TEST_FOLDERS):
        return f"not inside a <type>/train, source_test or target_test folder (expected {PATTERN})"
    folder, machine_type, name = parts[-2], parts[-3], path.name
    if folder == "train":
        parsed = parse_labelled_name(name)
        if parsed is None or parsed.split != "train":
            return f"file name does not match {PATTERN}"
        if parsed.label == 1:
            return "anomaly clip in a train/ folder (training sets hold normal clips only)"
        return Clip(
            path,
            "dcase2021",
            machine_type,
            parsed.section,
            "train",
            0,
            None,
            parsed.index,
            parsed.domain,
            parsed.attributes,
        )
    folder_domain = folder.split("_")[0]
    m = _EVAL_TEST.match(name)
    if m:
        section, domain, index = m.groups()
        domain, label, attributes = domain.lower(), None, None
    else:
        parsed = parse_labelled_name(name)
        if parsed is None or parsed.split != "test":
            return f"file name does not match {PATTERN}"
        section, domain, label, index = parsed.section, parsed.domain, parsed.label, parsed.index
        # 2021 test names carry no attributes; a suffix, if any, is read like a training name's.
        attributes = parse_attribute_suffix(parsed.suffix)
    if domain != folder_domain:
        return f"the name says domain {domain!r} but the file is in {folder}/"
    return Clip(path, "dcase2021", machine_type, section, "test", label, None, int(index), domain, attributes)
