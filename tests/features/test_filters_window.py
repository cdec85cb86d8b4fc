"""The window without scipy.signal: the same values as scipy.signal.get_window (which librosa uses)."""

import numpy as np
import pytest
import scipy.signal

from asdlens.features import filters


@pytest.mark.parametrize("name", sorted(filters.COSINE_TERMS))
@pytest.mark.parametrize("length", [1, 2, 7, 400, 512, 1024, 2048])
@pytest.mark.parametrize("periodic", [True, False])
def test_window_equals_scipy_get_window(name, length, periodic):
    ours = filters._window(name, length, periodic)
    theirs = scipy.signal.get_window(name, length, fftbins=periodic).astype(np.float64)
    # the same arithmetic in the same process: equal bits, not only close
    np.testing.assert_array_equal(ours, theirs)


def test_unknown_window_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="window='kaiser'.*hann"):
        filters._window("kaiser", 16, True)


def test_every_window_a_spec_accepts_has_its_terms():
    from asdlens.features.spec import WINDOWS

    assert sorted(filters.COSINE_TERMS) == sorted(WINDOWS)
