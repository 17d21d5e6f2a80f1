"""Field descriptions in a safe subset of Markdown: paragraphs, emphasis, links and lists.

markdown-it-py parses with only those rules switched on (raw HTML stays text: it is escaped, not
passed through), and nh3 (the Rust ammonia sanitiser) then keeps only the tags and attributes
of that subset and links to http(s) and mailto, opened with rel="noopener noreferrer". The
result is safe to insert into HTML as it is.

Public API
    description_html(text) -> str    sanitised HTML
    description_text(text) -> str    the same text without markup, for plain-text outputs
"""
from __future__ import annotations

import functools

import nh3
from markdown_it import MarkdownIt

TAGS = {"p", "em", "strong", "a", "ul", "ol", "li", "br"}
ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = {"http", "https", "mailto"}

PARSER = MarkdownIt("zero", {"breaks": True, "html": False}).enable(
    ["emphasis", "link", "list", "newline", "escape", "autolink"])


@functools.lru_cache(maxsize=1024)
def description_html(text: str) -> str:
    """The description as sanitised HTML (descriptions repeat on every view of a form)."""
    if not isinstance(text, str) or not text.strip():
        return ""
    rendered = PARSER.render(text)
    return nh3.clean(rendered, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES,
                     link_rel="noopener noreferrer").strip()


@functools.lru_cache(maxsize=1024)
def description_text(text: str) -> str:
    """The description's words without Markdown or tags."""
    if not isinstance(text, str):
        return ""
    return nh3.clean(PARSER.render(text), tags=set()).strip()
