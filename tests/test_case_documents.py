"""app.cases.documents through the pages: the case's document tree holds the orderer block, laid
out from app/schemas/bestallare.json by the same walker as the content, so both case pages and
the PDF show it with the schema's labels, before the content; the PDF is kept until a status
change makes its header wrong."""
import io
import re

import pytest
from pypdf import PdfReader

from app.platform.extensions import db
from app.platform.models import CasePdf
from tests.case_trees import orderer_labels
from tests.login_helpers import portal_app
from tests.test_cases import file_siths


def detail_of(client, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    return html[html.index('class="case-content"'):]


def shown_fields(html: str) -> list[tuple[str, str]]:
    return re.findall(r"<dt>(.*?)</dt>\s*<dd>(.*?)</dd>", html, re.S)


@pytest.fixture
def portal(database_url, simulator_url):
    return portal_app(database_url, simulator_url)


def test_both_case_pages_show_the_orderer_from_its_schema_before_the_content(customer, handler):
    number = file_siths(customer, **{"orderer-enhet": ""}).headers["Location"].split("/")[2]
    labels = orderer_labels()
    expected = [(labels["organisation"], "Region Uppland"),
                (labels["organisationsnummer"], "232100-0016"), (labels["enhet"], "–"),
                (labels["namn"], "Tolvan Tolvansson"), (labels["epost"], "tolvan@example.se")]
    for client, path in ((customer, f"/arenden/{number}"), (handler, f"/handlaggare/arenden/{number}")):
        html = detail_of(client, path)
        assert html.index("<h2>Beställare</h2>") < html.index("<h2>Uppgifter i ärendet</h2>")
        orderer_block = html[:html.index("<h2>Uppgifter i ärendet</h2>")]
        assert shown_fields(orderer_block) == expected


def test_the_pdf_shows_the_orderer_and_is_made_again_after_a_status_change(portal, customer, handler):
    number = file_siths(customer).headers["Location"].split("/")[2]
    first = customer.get(f"/arenden/{number}/pdf").data
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(first)).pages).split())
    assert text.index("Beställare") < text.index("Uppgifter i ärendet")  # (floated fields come out later)
    assert "Region Uppland" in text and "E-postadress tolvan@example.se" in text
    assert "Inskickat" in text
    version = re.search(r'name="version" value="(\d+)"', handler.get(f"/handlaggare/arenden/{number}")
                        .get_data(as_text=True)).group(1)
    handler.post(f"/handlaggare/arenden/{number}/status", data={"action": "take", "version": version})
    with portal.app_context(), db.connection_context():
        assert CasePdf.select().count() == 0  # forgotten in the status change's transaction
    again = customer.get(f"/arenden/{number}/pdf").data
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(again)).pages).split())
    assert "Under handläggning" in text
