"""A case's documents, one owner from the frozen type to every output: the document tree (the
orderer block from app/schemas/bestallare.json and the form's content from the case type the case
was filed under, both through the renderers' one walker), the detail HTML of the case pages, the
PDF — rendered once per engine, kept in CasePdf and forgotten when the case changes — and each
table as CSV.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable
from functools import lru_cache

from flask import current_app
from peewee import IntegrityError

from app.accounts.profiles import orderer_type
from app.cases.handling_hours import local_text
from app.platform import metrics
from app.platform.extensions import db
from app.platform.models import Case, CasePdf
from app.platform.prepared import Prepared, Slot
from casetypes import CaseType, case_type_from_frozen
from renderers.formatters import EMPTY_DISPLAY
from renderers.html import PrintHeader, detail_html
from renderers.tree import Table, Tree, build_section

CONTENT_TITLE = "Uppgifter i ärendet"


class PdfUnavailable(Exception):
    """The PDF cannot be made just now (the engine is busy, timed out or failed)."""


def frozen_type(case: Case) -> CaseType:
    """The case type exactly as this case was filed under, whatever forms/ says today."""
    return case_type_from_frozen(case.case_type_slug, case.schema_text)


# --- the tree ----------------------------------------------------------------------------------

def case_tree(case: Case) -> Tree:
    """Two sections, each laid out by its schema: the orderer ("Beställare") and the content."""
    orderer = orderer_type()
    return Tree((build_section(orderer.title, orderer.fields, case.orderer, path="/orderer"),
                 build_section(CONTENT_TITLE, frozen_type(case).fields, case.data)))


def tables(tree: Tree) -> list[Table]:
    """Every table of the tree, in order, looking inside sections."""
    return list(tables_in(tree.items))


def tables_in(items):
    for item in items:
        if isinstance(item, Table):
            yield item
        yield from tables_in(getattr(item, "items", ()))


def page_context(case: Case, file_url=None) -> dict:
    """What both case pages show of the document, from one tree: its HTML (attached files
    linked by `file_url`, a file's id -> its address on that page) and its tables (the
    handler's page offers each as CSV). A filed case's document never changes (its data, its
    orderer's snapshot and its frozen schema are written once), so the drawing is kept for the
    cases looked at lately, per page (the file links differ): a case page is opened again and
    again while a case is handled."""
    return kept_page_context(CaseDocumentKey(case, file_url))


class CaseDocumentKey:
    """A case as the kept drawings know it: by id, ärendenummer, filing time and frozen schema,
    so another case under a reused id (SQLite may reuse one, a restored database starts over)
    never finds the old drawing; and by the page's file links (one file address stands for them)."""

    __slots__ = ("case", "file_url", "identity")

    def __init__(self, case: Case, file_url=None):
        self.case = case
        self.file_url = file_url
        self.identity = (case.id, case.number, case.created_at, case.schema_sha256,
                         file_url(0) if file_url else None)

    def __hash__(self) -> int:
        return hash(self.identity)

    def __eq__(self, other) -> bool:
        return isinstance(other, CaseDocumentKey) and other.identity == self.identity


@lru_cache(maxsize=256)
def kept_page_context(key: CaseDocumentKey) -> dict:
    tree = case_tree(key.case)
    return {"document": detail_html(tree, file_url=key.file_url), "tables": tables(tree)}


# --- the PDF -----------------------------------------------------------------------------------

def print_header(case: Case) -> PrintHeader:
    return PrintHeader(portal_name=current_app.config["PORTAL_NAME"], case_number=case.number,
                       case_type_title=case.case_type_title, created=local_text(case.created_at),
                       status=case.status)


def pdf(case: Case, before_rendering: Callable[[], None] = lambda: None) -> bytes:
    """The case's PDF from the configured engine: the stored one, or rendered now and stored.
    `before_rendering` runs only when it must be rendered (the rate limit: a stored PDF costs
    no more than a page). Raises PdfUnavailable when it cannot be made."""
    engine = current_app.config["PDF_ENGINE"]
    stored = stored_pdf(case, engine)
    if stored is None:
        before_rendering()
        stored = rendered_pdf(case, engine)
        store_pdf(case, engine, stored)
    return stored


def rendered_pdf(case: Case, engine: str) -> bytes:
    # Imported here: the engines load WeasyPrint (half a second), which only a PDF needs —
    # not every page, worker run and CLI command.
    from renderers.casepdf import case_pdf
    from renderers.pdf import PdfBusy, PdfRenderError

    try:
        with metrics.timed_pdf(engine):
            return case_pdf(print_header(case), case_tree(case), engine=engine, timeout=current_app.config["PDF_TIMEOUT"])
    except PdfBusy:
        raise PdfUnavailable("busy") from None
    except PdfRenderError as failure:
        current_app.logger.exception("PDF kunde inte skapas för ärende-id %s", case.id)
        raise PdfUnavailable("failed") from failure


STORED_PDF = Prepared(lambda: CasePdf.select(CasePdf.content)
                      .where((CasePdf.case == Slot("case")) & (CasePdf.engine == Slot("engine"))).limit(1))


def stored_pdf(case: Case, engine: str) -> bytes | None:
    content = STORED_PDF.scalar(case=case.id, engine=engine)
    return bytes(content) if content is not None else None


def store_pdf(case: Case, engine: str, content: bytes) -> None:
    try:
        with db.atomic():
            CasePdf.create(case=case, engine=engine, content=content)
    except IntegrityError:
        pass  # a concurrent first download stored the same rendering


def forget_pdfs(case: Case) -> None:
    """Inside the transaction that changes the case: its stored PDFs no longer match it."""
    CasePdf.delete().where(CasePdf.case == case).execute()


# --- tables as CSV -----------------------------------------------------------------------------

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """A leading quote keeps a spreadsheet from running a cell as a formula (CSV injection)."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def csv_cell(cell) -> str:
    """An unanswered cell stays empty in a spreadsheet; the "–" is for people reading a page."""
    text = str(cell)
    return "" if text == EMPTY_DISPLAY else text


def table_csv(columns: tuple, rows: tuple) -> bytes:
    """Semicolon-separated UTF-8 with a BOM: what Swedish Excel opens without asking."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([spreadsheet_safe(str(c)) for c in columns])
    writer.writerows([[spreadsheet_safe(csv_cell(cell)) for cell in row] for row in rows])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
