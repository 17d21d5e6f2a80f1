"""HTML from the document tree: the detail fragment the web pages embed, and the full print
document the PDF engines turn into a PDF.

This module owns the renderers' own Jinja environment. It is standalone (no Flask), so it
autoescapes explicitly (security checklist E2: a bare Environment escapes nothing, and the
HTML handed to wkhtmltopdf must be escaped, F3). Every value in the templates is escaped;
the only Markup made here is (a) the output of those templates, (b) `nl2br`, which escapes
each line before joining with <br>, (c) our own print.css inlined for wkhtmltopdf, and (d)
section descriptions, which renderers.markdown rendered and nh3 sanitised.

Public API
    detail_html(tree, *, heading_level=2, file_url=None) -> Markup
    print_html(header, tree, *, engine="weasyprint") -> str
    PrintHeader(portal_name, case_number, case_type_title, created, status)
    environment                   the Jinja environment (autoescape=True, StrictUndefined)
    STATIC_DIR, PRINT_CSS, PRINT_ENGINES
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from itertools import groupby
from pathlib import Path
from typing import Callable, ClassVar, Iterable, cast

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from .formatters import format_timestamp
from .tree import Field, Item, Tree

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"
PRINT_CSS = STATIC_DIR / "print.css"
MAX_HEADING_LEVEL = 6


@dataclass(frozen=True)
class PrintHeader:
    """What the PDF's header says about the case. `status` is display text ("Inskickat")."""
    portal_name: str
    case_number: str
    case_type_title: str
    created: datetime | date | str
    status: str


@dataclass(frozen=True)
class FieldRun:
    """Consecutive fields, laid out together as one <dl>."""
    node: ClassVar[str] = "fields"
    fields: tuple[Field, ...]


def group_fields(items: Iterable[Item]) -> list:
    groups: list = []
    for is_field, run in groupby(items, key=lambda item: item.node == "field"):
        groups.extend([FieldRun(cast(tuple[Field, ...], tuple(run)))] if is_field else run)
    return groups


def nl2br(text: str) -> Markup:
    """Escape each line, then join the lines with <br>."""
    return Markup("<br>\n").join(escape(line) for line in str(text).split("\n"))


def sanitised(html: str) -> Markup:
    """HTML that renderers.markdown produced and nh3 sanitised: safe to insert as it is."""
    return Markup(html)  # noqa: S704 -- nh3-sanitised in renderers.markdown


def heading_tag(level: int) -> str:
    return f"h{min(max(level, 1), MAX_HEADING_LEVEL)}"


def make_environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["nl2br"] = nl2br
    env.filters["sanitised"] = sanitised
    env.globals.update(group_fields=group_fields, heading_tag=heading_tag)
    return env


environment = make_environment()


def detail_html(tree: Tree, *, heading_level: int = 2, file_url: Callable[[str], str] | None = None) -> Markup:
    """The tree as an accessible HTML fragment; sections start at <h{heading_level}>. With
    `file_url` (a file's id -> its download address) each attached file's name is a link."""
    html = environment.get_template("detail.html").render(tree=tree, heading_level=heading_level, file_url=file_url)
    return Markup(html)  # noqa: S704 -- output of an autoescaped template


# --------------------------------------------------------------------------- print document

def linked_stylesheet() -> dict:
    # WeasyPrint resolves the relative URL against renderers.pdf's static-only fetcher.
    return {"stylesheet_href": PRINT_CSS.name, "inline_css": None}


def inline_stylesheet() -> dict:
    # wkhtmltopdf loads nothing external, so the CSS goes into <style>. Autoescaping would
    # turn its quotes into entities, which <style> (raw text) does not decode: mark it safe.
    css = PRINT_CSS.read_text(encoding="utf-8")
    if "</" in css:
        raise ValueError(f"{PRINT_CSS.name} must not contain '</' (it is inlined into <style>)")
    return {"stylesheet_href": None, "inline_css": Markup(css)}  # noqa: S704 -- our own file, checked above


PRINT_ENGINES: dict[str, Callable[[], dict]] = {
    "weasyprint": linked_stylesheet,
    "wkhtmltopdf": inline_stylesheet,
}


def print_html(header: PrintHeader, tree: Tree, *, engine: str = "weasyprint") -> str:
    """A complete HTML document for the PDF of one case, styled for `engine`: the header, then
    the tree with its top-level sections at <h2> (a case's tree holds the orderer block and
    the content as two sections)."""
    stylesheet = PRINT_ENGINES.get(engine)
    if stylesheet is None:
        raise ValueError(f"unknown PDF engine {engine!r}; choose one of: {', '.join(sorted(PRINT_ENGINES))}")
    return environment.get_template("print.html").render(
        header=header, created=format_timestamp(header.created), tree=tree, file_url=None, **stylesheet())
