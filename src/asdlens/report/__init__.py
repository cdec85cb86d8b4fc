"""Reports: one self-contained HTML page (images embedded as base64 PNG) with a Markdown twin and the PNGs.

>>> from asdlens.report import Report
>>> r = Report("Why my features differ")
>>> r.heading("Ladder"); r.table(["step", "dB"], [["framing", 3.2]])
>>> r.figure(fig, "ladder", caption="distance to b after each step")
>>> r.write("out/")          # out/report.html, out/report.md, out/ladder.png

Every command that writes a report (``diff --report``, ``run``, ``explain``, ``demo``) builds it here, so the
pages look alike and :func:`check_html` can validate any of them.
"""

from __future__ import annotations

import base64
import html
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; line-height: 1.45; }
h1 { border-bottom: 2px solid #444; padding-bottom: .2em; }
table { border-collapse: collapse; margin: .8em 0; font-size: .92em; }
th, td { border: 1px solid #bbb; padding: .25em .6em; text-align: left; }
th { background: #eee; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1em 0; } figcaption { color: #555; font-size: .9em; }
img { max-width: 100%; } pre { background: #f6f6f6; padding: .6em; overflow-x: auto; }
""".strip()


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 1e4 else f"{value:.4g}"
    return str(value)


_NUMBER = re.compile(r"[+-]?[0-9.]+(e[+-]?[0-9]+)?( ?%)?")


def _td(value: Any) -> str:
    """A table cell; numbers (and numeric strings such as "+0.0125" or "97.2 %") align right."""
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    numeric = numeric or (isinstance(value, str) and _NUMBER.fullmatch(value) is not None)
    text = html.escape(_cell(value))
    return f'<td class="num">{text}</td>' if numeric else f"<td>{text}</td>"


def png_bytes(figure) -> bytes:
    """PNG bytes of a matplotlib Figure (closed afterwards) or of PNG bytes passed through."""
    if isinstance(figure, (bytes, bytearray)):
        data = bytes(figure)
    else:
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
        import matplotlib.pyplot as plt

        plt.close(figure)
        data = buffer.getvalue()
    if not data.startswith(PNG_MAGIC):
        raise ValueError("figure: not PNG data")
    return data


@dataclass
class Report:
    """A report built block by block; :meth:`write` renders it."""

    title: str
    blocks: list[tuple[str, Any]] = field(default_factory=list)
    images: dict[str, bytes] = field(default_factory=dict)

    def heading(self, text: str, level: int = 2) -> Report:
        self.blocks.append(("heading", (int(level), text)))
        return self

    def paragraph(self, text: str) -> Report:
        self.blocks.append(("paragraph", text))
        return self

    def preformatted(self, text: str) -> Report:
        self.blocks.append(("pre", text))
        return self

    def table(self, headers: list[str], rows: list[list[Any]]) -> Report:
        self.blocks.append(("table", (list(headers), [list(r) for r in rows])))
        return self

    def figure(self, figure, name: str, *, caption: str = "") -> Report:
        """Add a matplotlib Figure or PNG bytes, saved as ``name.png`` next to the report."""
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
            raise ValueError(f"figure name {name!r}: use letters, digits, '_', '-', '.'")
        if name in self.images:
            raise ValueError(f"figure name {name!r} used twice in report {self.title!r}")
        self.images[name] = png_bytes(figure)
        self.blocks.append(("figure", (name, caption)))
        return self

    def extend(self, other: Report, *, level_shift: int = 1) -> Report:
        """Append another report's blocks and images (its headings one level deeper)."""
        for kind, value in other.blocks:
            if kind == "heading":
                value = (min(value[0] + level_shift, 6), value[1])
            if kind == "figure" and value[0] in self.images:
                raise ValueError(f"figure name {value[0]!r} used twice")
            self.blocks.append((kind, value))
        self.images.update(other.images)
        return self

    # -- rendering -----------------------------------------------------------------------------------------
    def html(self) -> str:
        parts = [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{html.escape(self.title)}</title><style>{_STYLE}</style></head><body>",
            f"<h1>{html.escape(self.title)}</h1>",
        ]
        for kind, value in self.blocks:
            if kind == "heading":
                level, text = value
                parts.append(f"<h{level}>{html.escape(text)}</h{level}>")
            elif kind == "paragraph":
                parts.append(f"<p>{html.escape(value)}</p>")
            elif kind == "pre":
                parts.append(f"<pre>{html.escape(value)}</pre>")
            elif kind == "table":
                headers, rows = value
                head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
                body = "".join("<tr>" + "".join(_td(c) for c in row) + "</tr>" for row in rows)
                parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
            elif kind == "figure":
                name, caption = value
                data = base64.b64encode(self.images[name]).decode("ascii")
                parts.append(
                    f'<figure><img alt="{html.escape(name)}" data-name="{html.escape(name)}" '
                    f'src="data:image/png;base64,{data}">'
                    + (f"<figcaption>{html.escape(caption)}</figcaption>" if caption else "")
                    + "</figure>"
                )
        parts.append("</body></html>")
        return "\n".join(parts)

    def markdown(self) -> str:
        lines = [f"# {self.title}", ""]
        for kind, value in self.blocks:
            if kind == "heading":
                lines += ["#" * value[0] + " " + value[1], ""]
            elif kind == "paragraph":
                lines += [value, ""]
            elif kind == "pre":
                lines += ["```", value, "```", ""]
            elif kind == "table":
                headers, rows = value
                lines.append("| " + " | ".join(str(h) for h in headers) + " |")
                lines.append("|" + "---|" * len(headers))
                lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
                lines.append("")
            elif kind == "figure":
                name, caption = value
                lines += [f"![{caption or name}]({name}.png)", ""]
        return "\n".join(lines)

    def write(self, out_dir: str | Path) -> Path:
        """Write ``report.html``, ``report.md`` and one PNG per figure into ``out_dir``; return the HTML path."""
        from ..atomic import atomic_write_bytes, atomic_write_text

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        for name, data in self.images.items():
            atomic_write_bytes(out / f"{name}.png", data)
        atomic_write_text(out / "report.md", self.markdown())
        return atomic_write_text(out / "report.html", self.html())


_IMG = re.compile(r"<img\b[^>]*\bsrc=\"([^\"]*)\"", re.IGNORECASE)


def check_html(path: str | Path) -> list[str]:
    """Check that every image of an HTML report is embedded and decodes as PNG; return their names.

    Raises
    ------
    ValueError
        Naming the file and the first image that is external, not base64 or not a PNG.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    names = []
    for i, src in enumerate(_IMG.findall(text)):
        prefix = "data:image/png;base64,"
        if not src.startswith(prefix):
            raise ValueError(f"{path}: image {i} is not embedded (src={src[:60]!r})")
        try:
            data = base64.b64decode(src[len(prefix) :], validate=True)
        except ValueError as err:
            raise ValueError(f"{path}: image {i} is not valid base64: {err}") from None
        if not data.startswith(PNG_MAGIC):
            raise ValueError(f"{path}: image {i} is not a PNG")
        names.append(f"image{i}")
    return names
