"""The PDF of one case: its print document (renderers.html) through a hardened engine
(renderers.pdf). This module only joins the two and picks the static folder per engine.

Public API
    case_pdf(header, tree, *, engine="weasyprint", timeout=20.0) -> bytes
Raises what render_pdf raises (PdfRenderError, PdfTimeout, PdfBusy) and ValueError for an
unknown engine.
"""
from __future__ import annotations

from pathlib import Path

from .html import STATIC_DIR, PrintHeader, print_html
from .pdf import render_pdf
from .tree import Tree

# wkhtmltopdf gets its CSS inline and may load nothing, so it gets no static folder.
STATIC_DIRS: dict[str, Path | None] = {"weasyprint": STATIC_DIR, "wkhtmltopdf": None}


def case_pdf(header: PrintHeader, tree: Tree, *, engine: str = "weasyprint", timeout: float = 20.0) -> bytes:
    html = print_html(header, tree, engine=engine)
    return render_pdf(html, engine=engine, static_dir=STATIC_DIRS[engine], timeout=timeout)
