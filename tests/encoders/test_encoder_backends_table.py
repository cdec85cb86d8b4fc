"""``make bench`` part ``backends``: every pooling x back-end from one set of embeddings, an 80-column table."""

from __future__ import annotations

import math

import pytest

pytest.importorskip("torch")


@pytest.mark.slow
def test_every_pooling_and_backend_scores_from_one_set_of_embeddings(tmp_path):
    from asdlens.benchmark.encoder_backends import BACKENDS, POOLINGS, backends_table, format_table

    result = backends_table(tmp_path)
    scores = [result["official_score"][p][b] for p in POOLINGS for b in BACKENDS]
    assert len(scores) == len(POOLINGS) * len(BACKENDS) and all(0 < s < 1 for s in scores)
    assert len(set(scores)) > len(scores) // 2  # the settings reach the scores (not one value copied around)
    (entries,) = (tmp_path / "cache" / "embeddings").iterdir()  # one encoder input for all 30 cells
    clips = list((tmp_path / "d23" / "dev_data").rglob("*.wav"))
    assert len(clips) == 2 * (40 + 4 + 40) and len(list(entries.glob("*.npy"))) == len(
        clips
    )  # each embedded once
    lines = format_table(result)
    assert len(lines) == 1 + len(POOLINGS) and max(map(len, lines)) <= 80
    assert all(not math.isnan(s) for s in scores)
