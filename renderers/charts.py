"""Bar charts as standalone SVG documents, drawn with pygal (pure Python, no JavaScript): the
statistics page shows each as an image (a data: URI in an <img>, so nothing in it can run and
the page's Content-Security-Policy stays as it is) beside a table holding the same numbers.

Pure: no Flask, peewee or WTForms. pygal's interactive script and its tooltips are left out;
every label and value is text pygal escapes as XML.
"""
from __future__ import annotations

import base64
import re
from dataclasses import dataclass

import pygal
from pygal.style import Style

# Colours that keep 3:1 against white and against each other's neighbours (WCAG 1.4.11).
PALETTE = ("#1f4e79", "#b35900", "#2e7d32", "#6a1b9a", "#ad1457", "#00695c", "#5d4037", "#37474f")
FONT = "DejaVu Sans, Arial, Helvetica, sans-serif"
WIDTH, HEIGHT = 800, 400
# pygal writes a small inline script even with js=[]; an image never runs it, and it goes anyway.
SCRIPT = re.compile(rb"<script\b[^>]*>.*?</script>", re.DOTALL)

STYLE = Style(
    background="#ffffff", plot_background="#ffffff", foreground="#1a1a1a", foreground_strong="#1a1a1a",
    foreground_subtle="#595959", colors=PALETTE, font_family=FONT, label_font_family=FONT,
    major_label_font_family=FONT, value_font_family=FONT, title_font_family=FONT, legend_font_family=FONT,
    label_font_size=12, major_label_font_size=12, legend_font_size=13, title_font_size=16,
    value_font_size=11, opacity="1", opacity_hover="1", transition="0s",
)


@dataclass(frozen=True)
class Chart:
    """What a bar chart shows: a label per bar group, and per series one value per group."""
    title: str
    y_title: str
    labels: list[str]
    series: dict[str, list]
    stacked: bool = False


def bar_chart_svg(chart: Chart) -> bytes:
    """The chart as a standalone SVG document (with its XML declaration and namespace)."""
    kind = pygal.StackedBar if chart.stacked else pygal.Bar
    drawing = kind(
        style=STYLE, width=WIDTH, height=HEIGHT, explicit_size=True, js=[], title=chart.title,
        y_title=chart.y_title, legend_at_bottom=True, legend_at_bottom_columns=2, truncate_legend=-1,
        truncate_label=-1, x_label_rotation=-45 if len(chart.labels) > 8 else 0, show_minor_x_labels=True,
        print_values=False, no_data_text="Inga ärenden", min_scale=1, max_scale=8, order_min=0,
        value_formatter=lambda value: f"{value:.0f}", tooltip_fancy_mode=False, margin=16,
    )
    drawing.x_labels = chart.labels
    for name, values in chart.series.items():
        drawing.add(name, list(values))
    return SCRIPT.sub(b"", drawing.render(is_unicode=False))


def data_uri(svg: bytes) -> str:
    """An SVG document as an image address the page can carry inline (one request for the page)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
