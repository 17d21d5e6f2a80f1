"""Tests for the document tree, the formatters, the plain-text output and the HTML outputs
(renderers.tree, .formatters, .text, .html). No PDF engine runs here; see test_case_pdf.py.

Golden files live in tests/fixtures/golden/. After a deliberate change, regenerate them with
`KP_UPDATE_GOLDEN=1 .venv/bin/python -m pytest -q tests/test_renderers.py`, then read the diff.
"""
from __future__ import annotations

import ast
import json
import os
import re
from datetime import date, datetime
from pathlib import Path

import pytest
from markupsafe import Markup, escape

from casetypes import load_forms_dir
from casetypes.dialect import KINDS
from renderers import casepdf, formatters, html, text, tree
from renderers.formatters import FORMATTERS, FormatOptions, display
from renderers.html import PrintHeader, detail_html, print_html
from renderers.pdf import build_wkhtmltopdf_command
from renderers.text import to_text
from renderers.tree import Field, Section, Table, build_tree, tree_to_dict
from tests.case_trees import case_tree, orderer_labels

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
GOLDEN = FIXTURES / "golden"
UPDATE_GOLDEN = os.environ.get("KP_UPDATE_GOLDEN") == "1"

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "</textarea>",
    "{{7*7}}",
    '<meta name="pdfkit-allow" content="/">',
]
XSS_TEXT = " ".join(XSS_PAYLOADS)
TEXT_KINDS = {"text", "textarea", "email", "organisationsnummer", "date"}


# --------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def kitchen_sink():
    return load_forms_dir(FIXTURES / "kitchen-sink").case_types["kitchen-sink"]


@pytest.fixture(scope="module")
def kitchen_sink_document():
    return json.loads((FIXTURES / "kitchen-sink-golden.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def siths():
    return load_forms_dir(ROOT / "forms").case_types["bestallning-av-siths-kort"]


SITHS_DOCUMENT = {"personer": [
    {"namn": "Åsa Öberg", "personnummer": "191212121212", "epost": "asa@example.se",
     "kortutlamningskontor": "goteborg", "eget_kortkontor": False},
    {"namn": "Ärla Ängström", "personnummer": "200001019999", "epost": "arla@example.se",
     "ovrig_information": "Ny tjänst\nfrån 1 maj", "eget_kortkontor": True},
]}

HEADER = PrintHeader(portal_name="Kundportalen", case_number="KP-2026-000042",
                     case_type_title="Beställning av SITHS-kort",
                     created=datetime(2026, 3, 4, 9, 30), status="Inskickat")
ORDERER = {"organisation": "Region Uppsala", "organisationsnummer": "232100-0024",
           "enhet": "Akademiska sjukhuset", "namn": "Märta Åkesson", "epost": "marta@example.se"}


def check_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if UPDATE_GOLDEN:
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8"), f"{name} differs; see module docstring"


def fields_by_label(items) -> dict[str, Field]:
    return {item.label: item for item in items if isinstance(item, Field)}


# --------------------------------------------------------------------------- purity and registry

@pytest.mark.parametrize("module", [tree, formatters, text, html, casepdf])
def test_renderer_modules_import_no_web_or_database_library(module):
    imported = {alias.name.split(".")[0]
                for node in ast.walk(ast.parse(Path(module.__file__).read_text(encoding="utf-8")))
                if isinstance(node, (ast.Import, ast.ImportFrom))
                for alias in (node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")])}
    assert not imported & {"flask", "peewee", "wtforms", "flask_wtf"}


def test_formatter_registry_covers_exactly_the_dialect_kinds():
    assert set(FORMATTERS) == KINDS


# --------------------------------------------------------------------------- golden tree

def test_kitchen_sink_tree_matches_golden(kitchen_sink, kitchen_sink_document):
    actual = json.dumps(tree_to_dict(build_tree(kitchen_sink.fields, kitchen_sink_document)),
                        ensure_ascii=False, indent=2) + "\n"
    check_golden("kitchen-sink-tree.json", actual)


def test_kitchen_sink_text_matches_golden(kitchen_sink, kitchen_sink_document):
    check_golden("kitchen-sink.txt", to_text(build_tree(kitchen_sink.fields, kitchen_sink_document)))


def test_kitchen_sink_detail_html_matches_golden(kitchen_sink, kitchen_sink_document):
    check_golden("kitchen-sink-detail.html", str(detail_html(build_tree(kitchen_sink.fields, kitchen_sink_document))))


def test_tree_follows_schema_order_with_sections_and_tables(kitchen_sink, kitchen_sink_document):
    items = build_tree(kitchen_sink.fields, kitchen_sink_document).items
    assert [getattr(item, "label", getattr(item, "title", None)) for item in items] == \
        [spec.label for spec in kitchen_sink.fields if not spec.deprecated and spec.kind != "info"]  # not answers
    section = next(item for item in items if isinstance(item, Section))
    assert (section.title, section.path) == ("Adress", "/adress")
    assert [field.path for field in section.items] == ["/adress/gata", "/adress/postnummer", "/adress/ort"]
    table = next(item for item in items if isinstance(item, Table))
    assert table.columns == ("Namn", "Län", "Extern")
    assert table.rows == (("Första", "–", "Nej"), ("Andra", "Uppsala län", "Ja"))


def test_tree_nodes_are_frozen(kitchen_sink, kitchen_sink_document):
    first = build_tree(kitchen_sink.fields, kitchen_sink_document).items[0]
    with pytest.raises(AttributeError):
        first.display = "changed"


# --------------------------------------------------------------------------- SITHS example

def test_siths_rows_show_office_title_yes_no_and_formatted_personnummer(siths):
    (table,) = build_tree(siths.fields, SITHS_DOCUMENT).items
    assert table.label == "Personer som ska få SITHS-kort"
    assert table.columns == ("För- och efternamn", "Personnummer (ÅÅÅÅMMDDXXXX)", "E-postadress",
                             "Övrig information", "Vilket kortutlämningskontor ska SITHS-kortet hämtas ut på?",
                             "Eget kortkontor")
    assert table.rows == (
        ("Åsa Öberg", "19121212-1212", "asa@example.se", "–", "Göteborg", "Nej"),
        ("Ärla Ängström", "20000101-9999", "arla@example.se", "Ny tjänst\nfrån 1 maj", "–", "Ja"),
    )


def test_siths_masked_personnummer_hides_the_last_four(siths):
    (table,) = build_tree(siths.fields, SITHS_DOCUMENT, mask_personnummer=True).items
    assert [row[1] for row in table.rows] == ["19121212-****", "20000101-****"]
    dump = json.dumps(tree_to_dict(build_tree(siths.fields, SITHS_DOCUMENT, mask_personnummer=True)))
    assert "-1212" not in dump and "9999" not in dump


def test_empty_table_has_no_rows(siths):
    (table,) = build_tree(siths.fields, {}).items
    assert table.rows == ()
    assert "<td colspan=\"7\" class=\"is-empty\">–</td>" in detail_html(build_tree(siths.fields, {}))


# --------------------------------------------------------------------------- formatters

def spec_of(case_type, name):
    return next(spec for spec in case_type.fields if spec.name == name)


@pytest.mark.parametrize("value, expected", [
    (1250.5, "1\u00a0250,5"),
    (3, "3"),
    (3.0, "3"),
    (0.1, "0,1"),
    (1000000, "1\u00a0000\u00a0000"),
    (-1234.25, "-1\u00a0234,25"),
    (999, "999"),
    (12345678.9, "12\u00a0345\u00a0678,9"),
])
def test_numbers_use_decimal_comma_and_grouped_thousands(kitchen_sink, value, expected):
    assert display(value, spec_of(kitchen_sink, "belopp"), FormatOptions()) == expected


@pytest.mark.parametrize("name, value, expected", [
    ("bradskande", True, "Ja"),
    ("bradskande", False, "Nej"),
    ("godkant", True, "Ja"),
    ("godkant", False, "Nej"),
    ("lan", "uppsala", "Uppsala län"),
    ("lan", "okänt-län", "okänt-län"),  # unknown choice: shown as-is
    ("kanal", "epost", "E-post"),
    ("prioritet", "hög", "hög"),
    ("dagar", ["man", "tis", "sön"], "Måndag, Tisdag, sön"),
    ("datum", "2026-12-01", "2026-12-01"),
    ("personnummer", "191212121212", "19121212-1212"),
    ("orgnr", "556036-0793", "556036-0793"),
    ("beskrivning", "rad ett\r\nrad två", "rad ett\nrad två"),
    ("antal", 0, "0"),
])
def test_formatters_by_kind(kitchen_sink, name, value, expected):
    assert display(value, spec_of(kitchen_sink, name), FormatOptions()) == expected


@pytest.mark.parametrize("value", [None, "", "   ", []])
def test_missing_and_blank_values_show_a_dash(kitchen_sink, value):
    document = {"rubrik": value, "dagar": value}
    fields = fields_by_label(build_tree(kitchen_sink.fields, document).items)
    for label in ("Rubrik", "Dagar", "Kod", "Brådskande", "Godkänt"):
        assert (fields[label].display, fields[label].empty) == ("–", True), label


def test_masking_never_leaks_a_non_canonical_personnummer(kitchen_sink):
    spec = spec_of(kitchen_sink, "personnummer")
    assert display("121212-1212", spec, FormatOptions(mask_personnummer=True)) == "***********"
    assert display("121212-1212", spec, FormatOptions()) == "121212-1212"


def test_fieldset_and_table_inside_a_cell_are_labelled_text(kitchen_sink):
    address = spec_of(kitchen_sink, "adress")
    assert display({"gata": "Storgatan 1", "ort": "Uppsala"}, address, FormatOptions()) == \
        "Gatuadress: Storgatan 1; Ort: Uppsala"
    rows = spec_of(kitchen_sink, "rader")
    assert display([{"namn": "A", "extern": True}, {"namn": "B", "extern": False}], rows, FormatOptions()) == \
        "Namn: A; Extern: Ja\nNamn: B; Extern: Nej"


@pytest.mark.parametrize("moment, expected", [
    (datetime(2026, 3, 4, 9, 5), "2026-03-04 09:05"),
    (date(2026, 3, 4), "2026-03-04"),
    ("4 mars 2026", "4 mars 2026"),
])
def test_timestamps(moment, expected):
    assert formatters.format_timestamp(moment) == expected


# --------------------------------------------------------------------------- text

def test_text_lists_tables_as_indented_rows(siths):
    assert to_text(build_tree(siths.fields, SITHS_DOCUMENT)) == (
        "Personer som ska få SITHS-kort:\n"
        "  1. För- och efternamn: Åsa Öberg; Personnummer (ÅÅÅÅMMDDXXXX): 19121212-1212; "
        "E-postadress: asa@example.se; Övrig information: –; "
        "Vilket kortutlämningskontor ska SITHS-kortet hämtas ut på?: Göteborg; Eget kortkontor: Nej\n"
        "  2. För- och efternamn: Ärla Ängström; Personnummer (ÅÅÅÅMMDDXXXX): 20000101-9999; "
        "E-postadress: arla@example.se; Övrig information: Ny tjänst / från 1 maj; "
        "Vilket kortutlämningskontor ska SITHS-kortet hämtas ut på?: –; Eget kortkontor: Ja\n"
    )


# --------------------------------------------------------------------------- HTML structure

def test_environment_autoescapes_every_template():
    env = html.environment
    assert env.autoescape is True
    assert env.from_string("{{ value }}").render(value="<b>&") == "&lt;b&gt;&amp;"
    for name in env.list_templates():
        assert env.autoescape(name) if callable(env.autoescape) else env.autoescape, name


def test_detail_html_is_accessible_markup(kitchen_sink, kitchen_sink_document):
    fragment = detail_html(build_tree(kitchen_sink.fields, kitchen_sink_document))
    assert isinstance(fragment, Markup)
    assert "<h2>Adress</h2>" in fragment
    assert "<caption>Rader</caption>" in fragment
    assert '<th scope="col">Namn</th>' in fragment
    assert '<th scope="row" class="row-number">2</th>' in fragment
    assert "<dt>Beskrivning</dt>\n    <dd>Två rader<br>\ntext</dd>" in fragment


def test_detail_html_heading_level_is_adjustable(kitchen_sink, kitchen_sink_document):
    assert "<h4>Adress</h4>" in detail_html(build_tree(kitchen_sink.fields, kitchen_sink_document), heading_level=4)


@pytest.mark.parametrize("engine", ["weasyprint", "wkhtmltopdf"])
def test_print_html_loads_nothing_but_its_own_stylesheet(siths, engine):
    document = print_html(HEADER, case_tree(ORDERER, siths.fields, SITHS_DOCUMENT), engine=engine)
    urls = re.findall(r'(?:href|src)="([^"]*)"', document)
    assert urls == (["print.css"] if engine == "weasyprint" else [])
    assert ("<style>" in document) == (engine == "wkhtmltopdf")
    assert "Sida " in (document if engine == "wkhtmltopdf" else html.PRINT_CSS.read_text(encoding="utf-8"))
    labels = orderer_labels()
    for name, value in ORDERER.items():
        assert f"<dt>{labels[name]}</dt>\n    <dd>{value}</dd>" in document
    assert document.index("<h2>Beställare</h2>") < document.index("<h2>Uppgifter i ärendet</h2>")
    assert "KP-2026-000042" in document and "2026-03-04 09:30" in document and "Inskickat" in document


def test_print_html_refuses_an_unknown_engine(siths):
    with pytest.raises(ValueError, match="unknown PDF engine"):
        print_html(HEADER, case_tree(ORDERER, siths.fields, {}), engine="chrome")


def test_print_html_shows_a_dash_for_an_empty_orderer_value(siths):
    document = print_html(HEADER, case_tree({**ORDERER, "enhet": ""}, siths.fields, {}))
    assert "<dt>Enhet</dt>\n    <dd>–</dd>" in document and "<dt>Namn</dt>\n    <dd>Märta Åkesson</dd>" in document


# --------------------------------------------------------------------------- XSS (checklist E1, E2, F3)

def hostile_kitchen_sink_document(kitchen_sink_document) -> dict:
    """The golden document with the payload corpus in every text-like field, also inside the
    section and the table, and as an unknown choice value (which is shown as-is)."""
    document = json.loads(json.dumps(kitchen_sink_document))
    for name in ("rubrik", "kod", "beskrivning", "lang_text", "epost", "orgnr", "telefon", "datum",
                 "personnummer", "lan", "kanal"):
        document[name] = XSS_TEXT
    document["dagar"] = [XSS_TEXT]
    document["adress"] = {"gata": XSS_TEXT, "postnummer": XSS_TEXT + "\n" + XSS_TEXT, "ort": XSS_TEXT}
    document["rader"] = [{"namn": XSS_TEXT, "lan": XSS_TEXT, "extern": True}]
    document["belopp"] = XSS_TEXT  # a wrong type is shown as-is, so it must be escaped too
    return document


HOSTILE_HEADER = PrintHeader(portal_name=XSS_TEXT, case_number=XSS_TEXT, case_type_title=XSS_TEXT,
                             created=XSS_TEXT, status=XSS_TEXT)
HOSTILE_ORDERER = {"organisation": XSS_TEXT, "organisationsnummer": XSS_TEXT, "namn": XSS_TEXT + "\n" + XSS_TEXT}


@pytest.fixture(scope="module")
def hostile_outputs(kitchen_sink, kitchen_sink_document):
    hostile_tree = case_tree(HOSTILE_ORDERER, kitchen_sink.fields, hostile_kitchen_sink_document(kitchen_sink_document))
    return {
        "detail": str(detail_html(hostile_tree)),
        "print-weasyprint": print_html(HOSTILE_HEADER, hostile_tree, engine="weasyprint"),
        "print-wkhtmltopdf": print_html(HOSTILE_HEADER, hostile_tree, engine="wkhtmltopdf"),
    }


@pytest.mark.parametrize("output", ["detail", "print-weasyprint", "print-wkhtmltopdf"])
@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_payloads_are_escaped_never_raw(hostile_outputs, output, payload):
    rendered = hostile_outputs[output]
    escaped = str(escape(payload))
    if escaped != payload:
        assert payload not in rendered
    # every text field, the section, the table cell, the header and the orderer carry it
    assert rendered.count(escaped) >= 14
    assert "49" not in rendered


@pytest.mark.parametrize("output", ["detail", "print-weasyprint", "print-wkhtmltopdf"])
def test_no_markup_appears_beyond_what_the_templates_write(hostile_outputs, output):
    rendered = hostile_outputs[output].lower()
    assert re.findall(r"<meta[^>]*>", rendered) == ([] if output == "detail" else ['<meta charset="utf-8">'])
    assert "<script" not in rendered and "<img" not in rendered and "</textarea" not in rendered


def test_payload_adds_no_wkhtmltopdf_flags(siths, hostile_outputs):
    clean = print_html(HEADER, case_tree(ORDERER, siths.fields, SITHS_DOCUMENT), engine="wkhtmltopdf")
    binary = "/usr/bin/wkhtmltopdf"
    hostile_command = build_wkhtmltopdf_command(hostile_outputs["print-wkhtmltopdf"], binary)
    assert hostile_command == build_wkhtmltopdf_command(clean, binary)
    assert "--allow" not in hostile_command


def test_payload_in_plain_text_is_kept_literally(kitchen_sink, kitchen_sink_document):
    plain = to_text(build_tree(kitchen_sink.fields, hostile_kitchen_sink_document(kitchen_sink_document)))
    assert f"Rubrik: {XSS_TEXT}\n" in plain


@pytest.mark.parametrize("engine", ["weasyprint", "wkhtmltopdf"])
def test_the_new_kinds_read_well_in_the_pdf(kitchen_sink, kitchen_sink_document, engine):
    import io

    from pypdf import PdfReader

    from renderers.casepdf import case_pdf
    from renderers.html import PrintHeader
    header = PrintHeader("Kundportalen", "2026-00001", "Köksbänken", "2026-01-01", "Inskickat")
    pdf = case_pdf(header, build_tree(kitchen_sink.fields, kitchen_sink_document), engine=engine)
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)
    for shown in ("Mobilnummer", "070-123 45 67", "SE2321000016-1003", "2026-12-01 09:30", "Nyckelord",
                  "Dit korten skickas. Se Postnord"):
        assert shown in text, (shown, text[:3000])
    assert "+46701234567" not in text and "2026-12-01T09:30" not in text  # shown as people write them
