"""The shared report builder: self-contained HTML with embedded PNGs, a Markdown twin, checked in a browser."""

import base64

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from asdlens.report import Report, check_html  # noqa: E402


def _figure():
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([0, 1], [1, 0])
    return fig


def test_report_embeds_every_figure_and_writes_its_files(tmp_path, chromium_images):
    r = Report("A & B <test>")
    r.heading("Section").paragraph("x < y").table(["name", "value"], [["a", 0.123456], ["b", None]])
    r.figure(_figure(), "first", caption="a line").figure(_figure(), "second")
    path = r.write(tmp_path)
    assert len(check_html(path)) == 2
    html = path.read_text()
    assert "A &amp; B &lt;test&gt;" in html and "0.1235" in html and "–" in html
    assert (tmp_path / "first.png").read_bytes().startswith(b"\x89PNG")
    assert "![a line](first.png)" in (tmp_path / "report.md").read_text()
    assert chromium_images(path) == (2, 2)


def test_check_html_names_the_bad_image(tmp_path):
    bad = tmp_path / "report.html"
    bad.write_text('<html><body><img src="plot.png"></body></html>')
    with pytest.raises(ValueError, match="image 0 is not embedded"):
        check_html(bad)
    bad.write_text('<img src="data:image/png;base64,' + base64.b64encode(b"GIF89a").decode() + '">')
    with pytest.raises(ValueError, match="not a PNG"):
        check_html(bad)


def test_figure_names_must_be_unique_and_file_safe():
    r = Report("t")
    r.figure(_figure(), "one")
    with pytest.raises(ValueError, match="used twice"):
        r.figure(_figure(), "one")
    with pytest.raises(ValueError, match="figure name"):
        r.figure(_figure(), "../escape")
