"""PDF figures, measured in one run: for 1, 10 and 200 rows and each engine, the portal's first
render of a case PDF (print layout + hardened engine + storing it) against converting the same
HTML with the bare engine (WeasyPrint in-process; wkhtmltopdf with no flags), and the cached
download against the first render."""
from __future__ import annotations

import subprocess
import tempfile

import weasyprint

from app import create_app
from app.cases import documents
from app.cases.types import case_types
from app.platform.extensions import db
from app.platform.models import Case, User
from bench.run import order
from bench.timing import median_seconds
from renderers.casepdf import STATIC_DIRS
from renderers.html import print_html

ROWS = (1, 10, 200)
ENGINES = ("weasyprint", "wkhtmltopdf")
REPEAT = 3


def bare_weasyprint(html: str) -> bytes:
    return weasyprint.HTML(string=html, base_url=str(STATIC_DIRS["weasyprint"]) + "/").write_pdf()


def bare_wkhtmltopdf(html: str) -> bytes:
    return subprocess.run(["wkhtmltopdf", "--quiet", "-", "-"], input=html.encode(), capture_output=True).stdout


BARE = {"weasyprint": bare_weasyprint, "wkhtmltopdf": bare_wkhtmltopdf}


def make_case(rows: int) -> Case:
    owner, _ = User.get_or_create(personnummer="191212121212", defaults={"name": "Tolvan Tolvansson"})
    case_type = case_types()["bestallning-av-siths-kort"]
    return Case.create(number=f"2026-{rows:05d}", owner=owner, form_key=f"bench-{rows}",
                       case_type_slug=case_type.slug, case_type_title=case_type.title,
                       schema_text=case_type.text, schema_sha256=case_type.sha256, data=order(rows),
                       orderer={"organisation": "Region Uppland", "organisationsnummer": "232100-0016",
                                "enhet": "Akutmottagningen", "namn": "Tolvan Tolvansson", "epost": "tolvan@example.se"},
                       organisation_name="Region Uppland", organisation_number="232100-0016")


def measure(case: Case, engine: str) -> tuple[float, float, float]:
    html = print_html(documents.print_header(case), documents.case_tree(case), engine=engine)

    def first_render():
        documents.forget_pdfs(case)
        documents.pdf(case)

    ours = median_seconds(first_render, REPEAT)
    bare = median_seconds(lambda: BARE[engine](html), REPEAT)
    cached = median_seconds(lambda: documents.pdf(case), repeat=20)
    return ours, bare, cached


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        for engine in ENGINES:
            app = create_app({"env": "testing", "secret_key": "bench-" + "x" * 40, "pdf_engine": engine,
                              "database_url": f"sqlite:///{folder}/bench-{engine}.db"})
            with app.test_request_context("/"), db.connection_context():
                print(f"\nPDF engine {engine}")
                print(f"{'rows':>5} {'first ms':>9} {'bare ms':>9} {'overhead':>9} {'cached ms':>10} {'first/cached':>13}")
                for rows in ROWS:
                    ours, bare, cached = measure(make_case(rows), engine)
                    print(f"{rows:>5} {ours * 1000:>9.1f} {bare * 1000:>9.1f} {(ours / bare - 1) * 100:>8.1f}%"
                          f" {cached * 1000:>10.3f} {ours / cached:>12.0f}x")


if __name__ == "__main__":
    main()
