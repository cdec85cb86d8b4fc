"""Shared test signals: real arrays, made here, seeded."""

from __future__ import annotations

import numpy as np
import pytest

SR = 16000


def make_signal(kind: str, seconds: float = 2.0, sr: int = SR, seed: int = 0) -> np.ndarray:
    """A float32 test clip: "noise", "chirp", "hum" (machine-like hum with clicks) or "silence" (1e-4 noise)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    if kind == "noise":
        y = 0.1 * rng.standard_normal(t.size)
    elif kind == "chirp":
        y = 0.5 * np.sin(2 * np.pi * (50 * t + (sr / 2 - 100) / (2 * seconds) * t**2))
    elif kind == "hum":
        y = sum(0.3 / k * np.sin(2 * np.pi * 50 * k * t + k) for k in range(1, 8))
        y = y * (1 + 0.2 * np.sin(2 * np.pi * 3 * t)) + 0.02 * rng.standard_normal(t.size)
        clicks = rng.choice(t.size - 64, size=int(4 * seconds), replace=False)
        for c in clicks:
            y[c : c + 64] += 0.5 * np.exp(-np.arange(64) / 8) * rng.standard_normal(64)
    elif kind == "silence":
        y = 1e-4 * rng.standard_normal(t.size)
    else:
        raise ValueError(kind)
    return y.astype(np.float32)


SIGNALS = ("noise", "chirp", "hum", "silence")


@pytest.fixture(params=SIGNALS)
def signal(request) -> np.ndarray:
    return make_signal(request.param)


CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=10000",
    "--dump-dom",
)


@pytest.fixture
def chromium_images(tmp_path):
    """``check(html_path) -> (loaded, total)``: how many of the page's images headless Chromium decoded.

    Skips with a reason where Debian's Chromium is absent (``.ci/run`` installs it with apt-get).
    """
    import re
    import shutil
    import subprocess

    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.skip("headless Chromium not installed (apt-get install chromium; .ci/run does it as root)")

    def check(html_path):
        page = tmp_path / "rendered.html"
        probe = (
            "<script>window.addEventListener('load', () => { const imgs = [...document.images];"
            " const ok = imgs.filter(i => i.complete && i.naturalWidth > 0).length;"
            " document.body.setAttribute('data-images', ok + '/' + imgs.length); });</script>"
        )
        page.write_text(html_path.read_text(encoding="utf-8").replace("</body>", probe + "</body>"), encoding="utf-8")
        proc = subprocess.run(
            [exe, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", page.as_uri()],
            capture_output=True,
            text=True,
            timeout=120,
        )
        found = re.search(r'data-images="(\d+)/(\d+)"', proc.stdout)
        assert found, f"Chromium did not render {html_path}: {proc.stderr[-2000:]}"
        return int(found.group(1)), int(found.group(2))

    return check
