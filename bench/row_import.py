"""Importing 200 rows, measured in one run against its baseline: posting the same 200 rows as
typed form data to the same form. Both go through the preview route over the WSGI test client
(read, judge with jsonschema, draw the page with its 200 rows); the import adds reading the file
and mapping its columns. Printed: median wall time of each, the ratio import / typed, and the
import's peak Python memory (tracemalloc) against the typed post's.
"""
from __future__ import annotations

import csv
import io
import tempfile
import tracemalloc

from openpyxl import Workbook
from werkzeug.datastructures import MultiDict

from app import create_app
from app.cases.types import case_types
from bench.run import order
from bench.timing import median_seconds
from casetypes.row_import import importable_columns
from webforms.caseform import to_formdata

ROWS = 200
REPEAT = 7
SLUG = "bestallning-av-siths-kort"
FORM = f"/forhandsgranska/{SLUG}"


def table_cells(case_type, document: dict) -> tuple[list, list]:
    """The document's rows as a spreadsheet shows them: titles, then labels and Ja/Nej."""
    columns = importable_columns(case_type.fields[0])
    titles = {choice.value: choice.title for spec in columns for choice in spec.choices}
    header = [spec.label for spec in columns]
    rows = [[("Ja" if row.get(spec.name) else "Nej") if spec.kind == "checkbox"
             else titles.get(row.get(spec.name), row.get(spec.name, "")) for spec in columns]
            for row in document["personer"]]
    return header, rows


def as_csv(header: list, rows: list) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows([header, *rows])
    return buffer.getvalue().encode("cp1252")


def as_xlsx(header: list, rows: list) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in [header, *rows]:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def post_typed(client, typed: MultiDict):
    response = client.post(FORM, data=typed)
    assert "Formuläret är giltigt" in response.get_data(as_text=True), "the typed rows must be valid"


def post_import(client, content: bytes, filename: str):
    data = MultiDict([("personer-0-_row", ""), ("action", "import:personer"),
                      ("importfil-personer", (io.BytesIO(content), filename))])
    response = client.post(FORM, data=data, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert f"{ROWS} rader importerades" in html and "Formuläret innehåller fel" not in html, "the import must succeed"


def peak_bytes(func) -> int:
    tracemalloc.start()
    try:
        func()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"env": "testing", "secret_key": "bench-" + "x" * 40, "form_preview": True,
                          "database_url": f"sqlite:///{folder}/bench.db", "wtf_csrf_enabled": False})
        client = app.test_client()
        with app.app_context():
            case_type = case_types()[SLUG]
        document = order(ROWS)
        typed = to_formdata(case_type.fields, document)
        header, rows = table_cells(case_type, document)
        files = {"CSV": (as_csv(header, rows), "rader.csv"), "XLSX": (as_xlsx(header, rows), "rader.xlsx")}
        runs = {"typed": lambda: post_typed(client, typed)}
        runs.update({kind: (lambda c=content, n=name: post_import(client, c, n)) for kind, (content, name) in files.items()})
        for run in runs.values():
            run()  # warm: the form class, templates and openpyxl are loaded once
        seconds = {name: median_seconds(run, REPEAT) for name, run in runs.items()}
        peaks = {name: peak_bytes(run) for name, run in runs.items()}
    print(f"Importing {ROWS} rows into the SITHS table (median of {REPEAT}; baseline: the same rows posted as typed)")
    print(f"  typed form post       {seconds['typed'] * 1000:8.1f} ms   peak {peaks['typed'] / 2**20:6.1f} MiB")
    for kind, (content, _) in files.items():
        print(f"  import {kind:<5} ({len(content) // 1024:3d} kB) {seconds[kind] * 1000:8.1f} ms   "
              f"peak {peaks[kind] / 2**20:6.1f} MiB   ratio {seconds[kind] / seconds['typed']:.2f}x time, "
              f"{peaks[kind] / peaks['typed']:.2f}x memory")


if __name__ == "__main__":
    main()
