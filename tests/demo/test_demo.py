"""``asdlens demo`` end to end (smaller than ``--quick``), and its report in headless Chromium."""

import json
import re

import pytest

from asdlens.demo import DemoSize, run_demo
from asdlens.engine import EngineOptions
from asdlens.report import check_html

QUIET = EngineOptions(progress=False)  # every run of these tests without the live display

pytestmark = [pytest.mark.slow, pytest.mark.ci]

TINY = DemoSize(("pump",), ("00", "02"), 12, 5, 5, epochs=2, repeats=1, duration=5.0)


def test_demo_answers_the_seed_question_and_its_report_renders(tmp_path, chromium_images):
    path = run_demo(tmp_path / "demo", size=TINY, engine=QUIET)
    html = path.read_text()
    # the three parts: how the features differ, why (the differ's ladder), what it costs (explain's ladder)
    assert "asdlens diff dcase2020 tf.signal" in html and "asdlens explain dcase2020 seed-tf" in html
    assert "In short" in html and "filter_norm" in html.split("In short", 1)[1].split("<h2>", 1)[0]
    for group in ("framing", "mel_scale", "frequency_range", "filter_norm", "triangle_domain"):
        assert group in html
    assert (tmp_path / "demo" / "explain" / "explain.json").exists()
    images = check_html(path)
    assert len(images) >= 4
    loaded, total = chromium_images(path)
    assert loaded == total == len(images)
    # a second run reuses the data and every run: nothing is trained again
    again = run_demo(tmp_path / "demo", size=TINY, engine=QUIET)
    assert again == path
    saved = json.loads((tmp_path / "demo" / "explain" / "explain.json").read_text())
    assert [s["counters"]["models_trained"] for s in saved["steps"]] == [0] * 7
    md = (tmp_path / "demo" / "report.md").read_text()
    assert re.search(r"\| 6 triangle_domain \|", md)
