"""asdlens's result files equal, byte for byte, what the official 2021/2022/2023 evaluators wrote on the same
score files (fixtures in ``evaluator_outputs/``; see its README for how they were made)."""

from __future__ import annotations

from pathlib import Path

import pytest

from asdlens.data import Clip, read_ground_truth
from asdlens.data.ground_truth import resolve
from asdlens.evaluate import (
    evaluate_official,
    read_evaluator_result_csv,
    read_submission,
    submission_rows,
    write_evaluator_result_csv,
)

FIXTURES = Path(__file__).parent / "evaluator_outputs"


def _clips(ground_truth: Path, protocol: str) -> list[Clip]:
    truth, warnings = resolve(read_ground_truth(ground_truth))
    assert warnings == []
    return [
        Clip(
            Path(e.machine_type, "test", e.file_name),
            protocol,
            e.machine_type,
            e.file_name[8:10],
            "test",
            e.label,
            None,
            0,
            e.domain,
            None,
        )
        for e in truth.values()
    ]


@pytest.mark.parametrize("protocol", ["dcase2021", "dcase2022", "dcase2023"])
def test_result_csv_equals_the_official_evaluators_output(tmp_path, protocol):
    folder = FIXTURES / protocol
    submission = read_submission(folder / "scores")
    rows = submission_rows(submission, _clips(folder / "ground_truth", protocol), protocol)
    result = evaluate_official(rows, protocol, decisions=submission.decisions, ci95=True)
    written = write_evaluator_result_csv(tmp_path / "system_result.csv", result)
    assert written.read_bytes() == (folder / "official_result.csv").read_bytes()
    official = read_evaluator_result_csv(folder / "official_result.csv")
    assert official.official_score == result.official_score
