"""The published tables shipped as package data."""

from __future__ import annotations

import pytest

from asdlens.evaluate import REFERENCES, reference


def test_dcase2020_dev_pump_values_from_the_baseline_readme():
    table = reference("dcase2020-dev")
    pump = [table.lookup("pump", i) for i in ("00", "02", "04", "06")]
    assert [r.auc for r in pump] == [0.670769, 0.609369, 0.8886, 0.734902]
    assert [r.pauc for r in pump] == [0.57269, 0.58037, 0.676842, 0.570175]
    assert table.machine_types == ["ToyCar", "ToyConveyor", "fan", "pump", "slider", "valve"]
    assert len(table.rows) == 23
    assert table.lookup("pump", "01") is None
    assert "y-kawagu/dcase2020_task2_baseline" in table.source


def test_dcase2020_dev_average_over_types():
    table = reference("dcase2020-dev")
    averages = [table.type_average(t) for t in table.machine_types]
    assert sum(a["auc"] for a in averages) / 6 == pytest.approx(0.7366, abs=5e-5)
    assert sum(a["pauc"] for a in averages) / 6 == pytest.approx(0.5967, abs=5e-5)


def test_mimii_paper_table3():
    table = reference("mimii-paper")
    assert table.machine_types == ["fan", "pump", "slider", "valve"]
    assert {r.snr for r in table.rows} == {-6, 0, 6}
    assert len(table.rows) == 4 * 7 * 3
    assert all(r.pauc is None and 0 < r.auc <= 1 for r in table.rows)
    assert table.lookup("valve", "00", 6).auc == 0.68
    assert table.lookup("valve", "00") is None  # MIMII rows need the SNR
    assert "1909.09347" in table.source


def test_unknown_table_and_type():
    assert set(REFERENCES) == {
        "dcase2020-dev",
        "mimii-paper",
        "dcase2021-dev",
        "dcase2022-dev",
        "dcase2023-eval",
        "dcase2024-eval",
        "dcase2025-eval",
        "dcase2025-systems-dev",
        "dcase2025-systems-eval",
        "dcase2026-eval",
        "dcase2026-dev",
    }
    with pytest.raises(ValueError, match="unknown reference table 'dcase2021'.*dcase2020-dev"):
        reference("dcase2021")
    with pytest.raises(ValueError, match="no rows for machine type 'drill'"):
        reference("dcase2020-dev").type_average("drill")


def test_dcase2026_published_scores_carry_sources_and_the_secondary_marker():
    table = reference("dcase2026-eval")
    assert "could not be read" in table.source and "secondary" in table.source
    assert (table.official_score("MSE"), table.official_score("MAHALA")) == (0.5980, 0.5476)
    by_channels = {r.channels: r.value for r in table.official_scores() if "kasahart" in r.system}
    assert by_channels == {
        "near": 0.6284, "far": 0.5836, "magnitude_subtraction": 0.6233, "complex_subtraction": 0.6684
    }  # fmt: skip
    rows = {r.system: r for r in table.official_scores()}
    assert rows["MSE"].secondary and rows["Fujimura_MERL_task2_3 (winner)"].secondary
    assert rows["Fujimura_MERL_task2_3 (winner)"].value == 0.7024
    # published by the party that measured it
    assert not rows["BEATs complex subtraction (kasahart)"].secondary
    assert all(r.source for r in rows.values())
    dev = reference("dcase2026-dev")
    assert (dev.official_score("MSE"), dev.official_score("MAHALA")) == (0.5666, 0.5766)
    assert dev.section_value("MSE", "fan", "00", "auc_source") is None  # no per-type values published
    with pytest.raises(ValueError, match="excerpt"):
        table.official_values("MSE")


def test_dcase2025_frozen_encoder_scores_carry_their_source():
    dev, ev = reference("dcase2025-systems-dev"), reference("dcase2025-systems-eval")
    best = "BEATs RDP+GeM + LDN + VarMin (training-free)"
    assert (dev.official_score(best), ev.official_score(best)) == (0.640, 0.624)
    assert {r.system: r.value for r in ev.official_scores()}["EAT (frozen)"] == 0.585
    winner = {r.system: r for r in ev.official_scores()}["L. Wang (challenge winner)"]
    assert winner.value == 0.616 and winner.secondary  # relayed by the paper, not read from the results page
    assert all(r.source.startswith("Wilkinghoff, Yadav, Tan, Table V") for r in dev.official_scores())
    assert "Table V" in ev.source
