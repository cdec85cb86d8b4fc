"""The hand-made DCASE 2020 tree of issue 23 item 8 (asdlens.benchmark.handmade2020): asdlens scans it as the
DCASE 2020 layout with its types, IDs and counts, every seed gives the same bytes, and each anomaly kind changes
what it says while keeping the ID's fundamental."""

from __future__ import annotations

import collections
import dataclasses

import numpy as np
import pytest
import soundfile

from asdlens.benchmark.handmade2020 import (
    KINDS,
    VOICES,
    HandmadeOptions,
    read_kinds,
    render_clip,
    write_handmade_2020,
)
from asdlens.data import scan

SMALL = HandmadeOptions(n_train=3, n_test_normal=2, n_test_anomaly=3, seconds=0.5)


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    return write_handmade_2020(tmp_path_factory.mktemp("handmade") / "tree", seed=3, options=SMALL)


def test_the_tree_scans_as_dcase2020_with_its_types_ids_and_counts(tree):
    result = scan(tree)
    assert result.layout == "dcase2020" and not result.skipped and not result.warnings
    counts = collections.Counter((c.machine_type, c.machine_id, c.split, c.label) for c in result.clips)
    for machine_type in ("fan", "pump", "slider"):
        for machine_id in ("00", "02"):
            assert counts[(machine_type, machine_id, "train", 0)] == 3
            assert counts[(machine_type, machine_id, "test", 0)] == 2
            assert counts[(machine_type, machine_id, "test", 1)] == 3
    assert len(result.clips) == 3 * 2 * 8
    audio, sr = soundfile.read(result.clips[0].path, dtype="int16")
    assert sr == 16000 and audio.ndim == 1 and audio.size == 8000
    kinds = read_kinds(tree)
    assert len(kinds) == 18 and collections.Counter(kinds.values()) == {k: 6 for k in KINDS}


def test_the_same_seed_writes_the_same_bytes_and_another_seed_other_clips(tree, tmp_path):
    again = write_handmade_2020(tmp_path / "again", seed=3, options=SMALL)
    other = write_handmade_2020(
        tmp_path / "other", seed=4, options=dataclasses.replace(SMALL, types=("pump",))
    )
    name = "pump/test/anomaly_id_02_00000001.wav"
    assert (again / name).read_bytes() == (tree / name).read_bytes()
    assert (other / name).read_bytes() != (tree / name).read_bytes()


def _spectrum(audio):
    return np.abs(np.fft.rfft(audio)) ** 2  # 1 Hz bins for a 1 s clip at 16 kHz


@pytest.mark.parametrize("kind", [None, *KINDS])
def test_every_kind_keeps_the_ids_fundamental_and_the_ids_differ_by_it(kind):
    options = dataclasses.replace(SMALL, seconds=1.0, snr_db=(60.0, 60.0), normal_f0_spread=0.0)
    for i, f0 in enumerate((VOICES["fan"].f0, VOICES["fan"].f0 * options.id_f0_ratio)):
        power = _spectrum(render_clip(VOICES["fan"], i, kind, options, np.random.default_rng(0)))
        low = power[40:300]
        peak = 40 + int(np.argmax(low))  # the fundamental is the strongest low partial (tilt -6 dB/octave)
        assert abs(peak - f0) <= f0 * options.drift + 2


def test_timbre_tilts_the_harmonics_and_jitter_spreads_the_modulation_periods():
    options = dataclasses.replace(SMALL, seconds=1.0, snr_db=(60.0, 60.0), normal_f0_spread=0.0)
    voice = VOICES["fan"]
    normal = _spectrum(render_clip(voice, 0, None, options, np.random.default_rng(1)))
    timbre = _spectrum(render_clip(voice, 0, "timbre", options, np.random.default_rng(1)))
    f0 = int(voice.f0)
    ratio_db = [10 * np.log10(timbre[h * f0 - 3 : h * f0 + 4].sum() / normal[h * f0 - 3 : h * f0 + 4].sum())
                for h in (1, 32)]  # fmt: skip
    assert abs(ratio_db[1] - ratio_db[0]) > 0.8 * options.timbre_db  # the balance moved by about timbre_db
    from asdlens.benchmark.handmade2020 import _cycle_phase

    steady = np.diff(
        np.flatnonzero(np.diff(np.floor(_cycle_phase(160000, 3.0, 0.0, np.random.default_rng(0)))))
    )
    jittered = np.diff(
        np.flatnonzero(np.diff(np.floor(_cycle_phase(160000, 3.0, 0.3, np.random.default_rng(0)))))
    )
    assert (
        np.ptp(steady) <= 1
        and abs(jittered.mean() / steady.mean() - 1) < 0.1
        and jittered.std() > 0.2 * steady.mean()
    )


def test_a_knob_out_of_range_is_named():
    with pytest.raises(ValueError, match="types"):
        HandmadeOptions(types=("lathe",))
    with pytest.raises(ValueError, match="snr_db"):
        HandmadeOptions(snr_db=(10.0, 0.0))
