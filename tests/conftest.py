"""Shared fixtures; the test signals live in ``tests/signals.py``."""

from __future__ import annotations

import pytest

from signals import SIGNALS, make_signal


@pytest.fixture(params=SIGNALS)
def signal(request):
    """Each shared test signal in turn (float32, 2 s at 16 kHz)."""
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
        page.write_text(
            html_path.read_text(encoding="utf-8").replace("</body>", probe + "</body>"), encoding="utf-8"
        )
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
