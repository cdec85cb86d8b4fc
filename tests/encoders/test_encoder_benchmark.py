"""The encoder part of the bench runs and reports what it says (no timing is asserted: the machine is shared)."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

from asdlens.benchmark.encoders import DCASE2025_TYPE, encoder_throughput  # noqa: E402


def test_encoder_throughput_reports_shapes_memory_and_the_projection():
    out = encoder_throughput(size="tiny", seconds=1.0, n_clips=3, batch_size=2, threads=1)
    assert out["frames_per_clip"] == (1 + (16000 - 400) // 160) // 16 and out["dim"] == 32
    assert out["clips_per_s"] == pytest.approx(3 / out["wall_s"])
    assert out["audio_s_per_s"] == pytest.approx(out["clips_per_s"] * 1.0)
    clips = DCASE2025_TYPE["train_clips"] + DCASE2025_TYPE["test_clips"]
    # A 10 s clip is taken as 10 clips of 1 s (linear in length: an estimate for other lengths than 10 s).
    assert out["dcase2025_type_projected_s"] == pytest.approx(clips * 10 / out["clips_per_s"])
    assert 0 < out["peak_rss_bytes_start"] <= out["peak_rss_bytes_model"] <= out["peak_rss_bytes"]
    assert out["params"] == 26512 and out["threads"] == 1
