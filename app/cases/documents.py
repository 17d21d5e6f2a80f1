"""A case's documents, one owner from the frozen type to every output: the document tree (the
orderer block from app/schemas/bestallare.json and the form's content from the case type the case
was filed under, both through the renderers' one walker), the detail HTML of the case pages, the
PDF — rendered once per engine, kept in CasePdf and forgotten when the case changes — and each
table as CSV.
"""
from __future__ import annotations

import csv
import io

from flask import current_app
from peewee import IntegrityError

from app.accounts.profiles import orderer_type
from app.cases.handling_hours import local_text
from app.platform import metrics
from app.platform.extensions import db
from app.platform.models import Case, CasePdf
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
    handler's page offers each as CSV)."""
    tree = case_tree(case)
    return {"document": detail_html(tree, file_url=file_url), "tables": tables(tree)}


# --- the PDF -----------------------------------------------------------------------------------

def print_header(case: Case) -> PrintHeader:
    return PrintHeader(portal_name=current_app.config["PORTAL_NAME"], case_number=case.number,
                       case_type_title=case.case_type_title, created=local_text(case.created_at),
                       status=case.status)


def pdf(case: Case) -> bytes:
    """The case's PDF from the configured engine: the stored one, or rendered now and stored.
    Raises PdfUnavailable when it cannot be made."""
    engine = current_app.config["PDF_ENGINE"]
    stored = stored_pdf(case, engine)
    if stored is None:
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


def stored_pdf(case: Case, engine: str) -> bytes | None:
    row = CasePdf.get_or_none((CasePdf.case == case) & (CasePdf.engine == engine))
    return bytes(row.content) if row else None


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
