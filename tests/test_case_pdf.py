"""Tests for renderers.casepdf: case PDFs from the document tree, with both real engines.

Each PDF is rendered once per engine (module-level cache): a WeasyPrint render costs about a
second, the 200-row order about three. Text is read back with pypdf.
"""
from __future__ import annotations

import functools
import io
import unicodedata
from datetime import datetime
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject

from casetypes import load_forms_dir
from renderers.casepdf import case_pdf
from renderers.html import PrintHeader
from tests.case_trees import case_tree, orderer_labels

ROOT = Path(__file__).resolve().parent.parent
ENGINES = ["weasyprint", "wkhtmltopdf"]
OFFICES = ["uppsala", "stockholm", "goteborg", "malmo", "orebro", "vasteras", "linkoping", "umea"]

HEADER = PrintHeader(portal_name="Kundportalen", case_number="KP-2026-000123",
                     case_type_title="Beställning av SITHS-kort",
                     created=datetime(2026, 3, 4, 9, 30), status="Inskickat")
ORDERER = {"organisation": "Region Uppsala", "organisationsnummer": "232100-0024",
           "enhet": "Akademiska sjukhuset, Klinisk kemi", "namn": "Märta Åkesson",
           "epost": "marta.akesson@example.se"}
SMALL_ORDER = {"personer": [
    {"namn": "Åsa Öberg", "personnummer": "191212121212", "epost": "asa.oberg@example.se",
     "ovrig_information": "Ny tjänst från 1 maj", "kortutlamningskontor": "goteborg", "eget_kortkontor": False},
    {"namn": "Ärla Ängström", "personnummer": "200001019999", "epost": "arla@example.se",
     "eget_kortkontor": True},  # no övrig information: shows "–"
    {"namn": "Håkan Lind", "personnummer": "198505052384", "epost": "hakan@example.se",
     "ovrig_information": "<b>inte fet</b> {{7*7}}", "kortutlamningskontor": "umea", "eget_kortkontor": False},
]}
COLUMN_HEADERS = ["För- och efternamn", "Personnummer (ÅÅÅÅMMDDXXXX)", "E-postadress",
                  "Övrig information", "Eget kortkontor"]


def large_order(rows: int = 200) -> dict:
    return {"personer": [
        {"namn": f"Person Öström {number}", "personnummer": "191212121212",
         "epost": f"person{number}@example.se", "kortutlamningskontor": OFFICES[number % len(OFFICES)],
         "eget_kortkontor": False}
        for number in range(1, rows + 1)]}


@functools.cache
def siths():
    return load_forms_dir(ROOT / "forms").case_types["bestallning-av-siths-kort"]


def page_texts(pdf_bytes: bytes) -> list[str]:
    """Text of each page, NFC-normalised, whitespace collapsed (wkhtmltopdf emits tabs)."""
    return [" ".join(unicodedata.normalize("NFC", page.extract_text() or "").split())
            for page in PdfReader(io.BytesIO(pdf_bytes)).pages]


@functools.cache
def small_pdf(engine: str) -> tuple[bytes, tuple[str, ...]]:
    pdf = case_pdf(HEADER, case_tree(ORDERER, siths().fields, SMALL_ORDER), engine=engine)
    return pdf, tuple(page_texts(pdf))


@functools.cache
def large_pdf_pages(engine: str) -> tuple[str, ...]:
    pdf = case_pdf(HEADER, case_tree(ORDERER, siths().fields, large_order()), engine=engine, timeout=60)
    return tuple(page_texts(pdf))


@pytest.mark.parametrize("engine", ENGINES)
def test_pdf_has_header_orderer_and_rows(engine):
    pdf, pages = small_pdf(engine)
    assert pdf.startswith(b"%PDF-")
    text = " ".join(pages)
    for expected in ["Kundportalen", "KP-2026-000123", "Beställning av SITHS-kort", "2026-03-04 09:30",
                     "Inskickat", "Beställare", *orderer_labels().values(), *ORDERER.values(), "Uppgifter i ärendet",
                     *COLUMN_HEADERS]:
        assert expected in text, expected
    for row in ["1 Åsa Öberg 19121212-1212 asa.oberg@example.se Ny tjänst från 1 maj Göteborg Nej",
                "2 Ärla Ängström 20000101-9999 arla@example.se – – Ja",
                "3 Håkan Lind 19850505-2384 hakan@example.se <b>inte fet</b> {{7*7}} Umeå Nej"]:
        assert row in text, row


@pytest.mark.parametrize("engine", ENGINES)
def test_pdf_keeps_swedish_characters(engine):
    text = " ".join(small_pdf(engine)[1])
    assert set("ÅÄÖåäö") <= set(text)


@pytest.mark.parametrize("engine", ENGINES)
def test_markup_in_a_value_prints_as_literal_text(engine):
    text = " ".join(small_pdf(engine)[1])
    assert "<b>inte fet</b> {{7*7}}" in text
    assert "49" not in text


def test_weasyprint_numbers_pages():
    (page,) = small_pdf("weasyprint")[1]
    assert "Sida 1 av 1" in page and "Ärende KP-2026-000123" in page


@pytest.mark.parametrize("engine", ENGINES)
def test_200_rows_span_several_pages_and_keep_every_row(engine):
    pages = large_pdf_pages(engine)
    assert len(pages) > 1
    text = " ".join(pages)
    for number in (1, 2, 100, 199, 200):
        assert f"{number} Person Öström {number} 19121212-1212 person{number}@example.se" in text


def test_weasyprint_repeats_column_headers_and_counts_pages():
    pages = large_pdf_pages("weasyprint")
    for number, page in enumerate(pages, start=1):
        for header in COLUMN_HEADERS:
            assert header in page, (number, header)
        assert f"Sida {number} av {len(pages)}" in page
        assert "Ärende KP-2026-000123" in page


@pytest.mark.parametrize("engine", ENGINES)
def test_no_row_is_split_across_pages(engine):
    pages = large_pdf_pages(engine)
    for number in range(1, 201):
        row = f"{number} Person Öström {number} 19121212-1212 person{number}@example.se"
        assert sum(row in page for page in pages) == 1, row


def structure_roles(node) -> set:
    """Every structure type (/H1, /Table, /TH, ...) at and under a PDF structure element."""
    node = node.get_object() if hasattr(node, "get_object") else node
    if isinstance(node, ArrayObject):
        return set().union(*(structure_roles(child) for child in node))
    if isinstance(node, DictionaryObject):
        own = {str(node["/S"])} if "/S" in node else set()
        return own | (structure_roles(node["/K"]) if "/K" in node else set())
    return set()


def test_weasyprint_pdfs_are_tagged_for_screen_readers():
    """PDF/UA-1: a structure tree a screen reader follows, marked content, the language and the
    title shown instead of the file name. (wkhtmltopdf cannot tag; WeasyPrint is the default.)"""
    pdf, _ = small_pdf("weasyprint")
    reader = PdfReader(io.BytesIO(pdf))
    catalog = reader.trailer["/Root"]
    assert bool(catalog["/MarkInfo"]["/Marked"])
    assert catalog["/Lang"] == "sv"
    assert bool(catalog["/ViewerPreferences"]["/DisplayDocTitle"])
    assert reader.metadata.title == "Beställning av SITHS-kort – KP-2026-000123"
    roles = structure_roles(catalog["/StructTreeRoot"])
    assert {"/Table", "/TH", "/TD", "/TR"} <= roles and roles & {"/H1", "/H2"}
