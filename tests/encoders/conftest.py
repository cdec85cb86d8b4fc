"""One torch thread for the encoder tests: their tensors are tiny, and on a machine shared with other work torch's
thread pool waits far longer for a busy core than the arithmetic takes (the numbers do not depend on it)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
