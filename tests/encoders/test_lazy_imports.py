"""``asdlens.models.encoders`` and the NumPy Kaldi fbank import without torch; the torch names load on first use."""

from __future__ import annotations

import subprocess
import sys


def test_encoders_package_and_numpy_fbank_do_not_import_torch():
    code = (
        "import sys; import asdlens.models.encoders as e, asdlens.features.kaldi_fbank;"
        "from asdlens.models.encoders import BASE, ClipPolicy; before = 'torch' in sys.modules;"
        "e.load_beats; print(before, 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "True"]
