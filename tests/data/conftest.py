"""Small generated trees shared by the data tests (written once per session to a tmp folder)."""

from __future__ import annotations

import pytest

from asdlens.data.synth import generate

#: The DCASE 2020 tree: 2 types x 2 IDs, 4 train + 2 normal + 3 anomalous test clips per ID, 1 s clips.
DCASE = dict(types=["pump", "valve"], ids=["00", "02"], n_train=4, n_test_normal=2, n_test_anomaly=3)
#: The MIMII tree: 1 type x 2 IDs x 2 SNRs, 6 normal + 3 abnormal clips per ID and SNR, 1 s, 8 channels.
MIMII = dict(types=["fan"], ids=["00", "04"], n_train=4, n_test_normal=2, n_test_anomaly=3, snrs=[-6, 6])


@pytest.fixture(scope="session")
def sizes():
    """The arguments the two shared trees were generated with."""
    return {"dcase2020": DCASE, "mimii": MIMII}


@pytest.fixture(scope="session")
def dcase_tree(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("dcase") / "dev_data", layout="dcase2020", duration=1.0, **DCASE)


@pytest.fixture(scope="session")
def mimii_tree(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("mimii") / "mimii", layout="mimii", duration=1.0, **MIMII)
