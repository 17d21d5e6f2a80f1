"""Attachments end to end over HTTP, with real files, on both databases: an "Övrigt" case with a
real PDF and a PNG (the detail view, the case's PDF and the downloads list and return them as
sent), files refused by content with a Swedish message at the field (a renamed executable, an
empty file, one over the limit, too many), files kept through a form shown again, references
nobody can forge, handlers' downloads in the audit trail, files on messages, the storage folder,
and retention taking the files with the case."""
from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from app.platform.extensions import db
from app.platform.models import Attachment, AuditEntry, Case, FileBlob, utcnow
from tests.login_helpers import CUSTOMER, OTHER_CUSTOMER, log_in_with_profile, portal_app

FILES = Path(__file__).resolve().parent / "fixtures" / "files"
PDF = (FILES / "polisanmalan.pdf").read_bytes()
PNG = (FILES / "skiss.png").read_bytes()
ELF = Path(shutil.which("true") or "/bin/true").read_bytes()
OVRIGT = "/arenden/nytt/ovrigt"
ORDERER = {
    "orderer-organisation": "Region Uppland",
    "orderer-organisationsnummer": "232100-0016",
    "orderer-enhet": "Akutmottagningen",
    "orderer-namn": "Tolvan Tolvansson",
    "orderer-epost": "tolvan@example.se",
}


@pytest.fixture
def portal(database_url, simulator_url, tmp_path):
    return portal_app(database_url, simulator_url)


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def form_key(client, url=OVRIGT) -> str:
    html = client.get(url).get_data(as_text=True)
    return re.search(r'name="form_key" value="([^"]+)"', html).group(1)


def upload(name: str, content: bytes, media_type: str = "application/octet-stream"):
    return (io.BytesIO(content), name, media_type)


def post_ovrigt(client, files=(), key=None, **fields):
    data = {**ORDERER, "beskrivning": "Kortet är förlorat, polisanmälan bifogas.",
            "form_key": key or form_key(client), **fields}
    if files:
        data["bilagor"] = list(files)
    return client.post(OVRIGT, data=data, content_type="multipart/form-data")


def filed_case(portal, response) -> Case:
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    number = re.search(r"/arenden/(\d{4}-\d{5})/skickat", response.headers["Location"]).group(1)
    with portal.app_context(), db.connection_context():
        return Case.get(Case.number == number)


def error_at_field(html: str) -> str:
    """The message shown next to the "Bilagor" input (linked to it by aria-describedby)."""
    found = re.search(r'<p class="error-message" id="bilagor-error">(.*?)</p>', html, re.S)
    assert found, "no message at the file field"
    assert re.search(r'<input type="file" id="bilagor"[^>]*aria-describedby="[^"]*bilagor-error', html, re.S)
    return re.sub(r"<[^>]+>", "", found.group(1))


def test_a_pdf_and_a_png_are_filed_listed_and_downloaded_as_sent(portal, customer, handler):
    response = post_ovrigt(customer, [upload("Polisanmälan mars.pdf", PDF, "application/pdf"),
                                      upload("skiss.png", PNG, "image/png")])
    case = filed_case(portal, response)
    stored = case.data["bilagor"]
    assert [(ref["name"], ref["mediaType"], ref["size"], ref["sha256"]) for ref in stored] == [
        ("Polisanmälan mars.pdf", "application/pdf", len(PDF), sha(PDF)), ("skiss.png", "image/png", len(PNG), sha(PNG))]

    detail = customer.get(f"/arenden/{case.number}").get_data(as_text=True)
    for text in ("Polisanmälan mars.pdf", "PDF, " + f"{len(PDF) / 1024:.1f}".replace(".", ",") + " kB", sha(PDF),
                 "skiss.png", "PNG, 96 byte", sha(PNG)):
        assert text in detail
    link = re.search(r'<a href="(/arenden/[^"]+/bilagor/[^"]+)" download>Polisanmälan mars.pdf</a>', detail).group(1)

    download = customer.get(link)
    assert download.status_code == 200 and sha(download.data) == sha(PDF)
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''Polisanm%C3%A4lan%20mars.pdf" in disposition
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Type"] == "application/pdf"
    assert "sandbox" in download.headers["Content-Security-Policy"]
    assert PdfReader(io.BytesIO(download.data)).pages[0].extract_text().startswith("Polisanmälan")

    pdf_text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(customer.get(
        f"/arenden/{case.number}/pdf").data)).pages)
    assert "Polisanmälan mars.pdf" in pdf_text and "skiss.png" in pdf_text
    assert sha(PDF) in pdf_text.replace("\n", "").replace(" ", "")

    handler_link = link.replace("/arenden/", "/handlaggare/arenden/", 1)
    assert sha(handler.get(handler_link).data) == sha(PDF)
    with portal.app_context(), db.connection_context():
        assert AuditEntry.select().where((AuditEntry.case == case.id) & (AuditEntry.action == "bilaga")).count() == 1
        assert FileBlob.select().count() == 2
    trail = handler.get(f"/handlaggare/arenden/{case.number}").get_data(as_text=True)
    assert "Laddade ner en bilaga" in trail


@pytest.mark.parametrize("files, message", [
    ([("polisanmalan.pdf", ELF, "application/pdf")],
     "Filen polisanmalan.pdf är inte en PDF-fil som namnet säger; bifoga en fil av typen PDF, PNG eller JPEG."),
    ([("program", ELF, "application/octet-stream")], "Filen program är inte av en tillåten typ; bifoga en fil av typen PDF, PNG eller JPEG."),
    ([("tom.pdf", b"", "application/pdf")], "Filen tom.pdf är tom."),
    ([("stor.pdf", PDF + b"\0" * (10 * 1024 * 1024), "application/pdf")],
     f"Filen stor.pdf är för stor ({10 * 1024 * 1024 + len(PDF):,} byte); den får vara högst 10 485 760 byte."
     .replace(",", "\u00a0").replace(" 485 760", "\u00a0485\u00a0760")),
    ([(f"del{n}.pdf", PDF, "application/pdf") for n in range(6)],
     "Du kan bifoga högst 5 filer här; del5.pdf togs inte emot."),
])
def test_a_bad_file_gets_a_swedish_message_at_the_field(portal, customer, files, message):
    response = post_ovrigt(customer, [upload(*file) for file in files])
    assert response.status_code == 422
    assert message in error_at_field(response.get_data(as_text=True))
    with portal.app_context(), db.connection_context():
        assert Case.select().count() == 0
        stored_names = {row.name for row in Attachment.select()}
    assert all(name.startswith("del") and name != "del5.pdf" for name in stored_names)


def test_files_survive_a_form_shown_again_without_a_new_upload(portal, customer):
    key = form_key(customer)
    refused = post_ovrigt(customer, [upload("polisanmalan.pdf", PDF, "application/pdf")], key=key, beskrivning="")
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    kept = re.search(r'<input type="checkbox" name="bilagor" id="bilagor-kvar-1" value="([^"]+)" checked>', html)
    assert kept and "Behåll polisanmalan.pdf (PDF," in html
    reference = json.loads(kept.group(1).replace("&#34;", '"').replace("&quot;", '"'))
    response = customer.post(OVRIGT, data={**ORDERER, "beskrivning": "Nu med text.", "form_key": key,
                                           "bilagor": json.dumps(reference)}, content_type="multipart/form-data")
    case = filed_case(portal, response)
    assert [ref["sha256"] for ref in case.data["bilagor"]] == [sha(PDF)]
    with portal.app_context(), db.connection_context():
        assert Attachment.get().case_id == case.id


def test_nobody_can_name_another_persons_file(portal, customer):
    case = filed_case(portal, post_ovrigt(customer, [upload("polisanmalan.pdf", PDF, "application/pdf")]))
    reference = case.data["bilagor"][0]
    link = f"/arenden/{case.number}/bilagor/{reference['id']}"
    stranger = portal.test_client()
    log_in_with_profile(stranger, OTHER_CUSTOMER)
    assert stranger.get(link).status_code == 404
    forged = stranger.post(OVRIGT, data={**ORDERER, "beskrivning": "x", "form_key": form_key(stranger),
                                         "bilagor": json.dumps(reference)}, content_type="multipart/form-data")
    assert forged.status_code == 422
    assert "Den bifogade filen finns inte längre. Ladda upp den igen." in error_at_field(forged.get_data(as_text=True))
    # nor can the owner take a filed case's file into a new case
    again = post_ovrigt(customer, bilagor=json.dumps(reference))
    assert again.status_code == 422


def test_files_on_messages_both_ways_and_internal_notes_stay_internal(portal, customer, handler):
    case = filed_case(portal, post_ovrigt(customer))
    sent = customer.post(f"/arenden/{case.number}/meddelanden", content_type="multipart/form-data",
                         data={"meddelande": "Här är skissen.", "form_key": "k" * 24,
                               "bilagor": [upload("skiss.png", PNG, "image/png")]})
    assert sent.status_code == 303
    handler_page = handler.get(f"/handlaggare/arenden/{case.number}").get_data(as_text=True)
    link = re.search(r'<a href="(/handlaggare/arenden/[^"]+)" download>skiss.png</a>', handler_page).group(1)
    assert sha(handler.get(link).data) == sha(PNG)

    refused = handler.post(f"/handlaggare/arenden/{case.number}/meddelanden", content_type="multipart/form-data",
                           data={"meddelande": "Internt", "intern": "y", "form_key": "n" * 24,
                                 "bilagor": [upload("program.pdf", ELF, "application/pdf")]})
    assert refused.status_code == 422
    assert "Filen program.pdf är inte en PDF-fil som namnet säger" in refused.get_data(as_text=True)
    note = handler.post(f"/handlaggare/arenden/{case.number}/meddelanden", content_type="multipart/form-data",
                        data={"meddelande": "Internt", "intern": "y", "form_key": "n" * 24,
                              "bilagor": [upload("intern.pdf", PDF, "application/pdf")]})
    assert note.status_code == 303
    with portal.app_context(), db.connection_context():
        internal_id = Attachment.get(Attachment.name == "intern.pdf").public_id
    assert customer.get(f"/arenden/{case.number}/bilagor/{internal_id}").status_code == 404
    assert "intern.pdf" not in customer.get(f"/arenden/{case.number}").get_data(as_text=True)
    assert handler.get(f"/handlaggare/arenden/{case.number}/bilagor/{internal_id}").status_code == 200


def test_a_storage_folder_holds_each_content_once_and_retention_clears_it(database_url, simulator_url, tmp_path):
    from app.cases.retention import purge
    portal = portal_app(database_url, simulator_url, attachment_storage=str(tmp_path / "filer"))
    client = portal.test_client()
    log_in_with_profile(client, CUSTOMER)
    first = filed_case(portal, post_ovrigt(client, [upload("a.pdf", PDF, "application/pdf")]))
    second = filed_case(portal, post_ovrigt(client, [upload("samma.pdf", PDF, "application/pdf")]))
    on_disk = tmp_path / "filer" / sha(PDF)[:2] / sha(PDF)
    assert on_disk.read_bytes() == PDF
    download = client.get(f"/arenden/{first.number}/bilagor/{first.data['bilagor'][0]['id']}")
    assert sha(download.data) == sha(PDF)
    with portal.app_context(), db.connection_context():
        assert FileBlob.get().content is None and FileBlob.select().count() == 1
        long_ago = utcnow() - timedelta(days=400)
        Case.update(status="Avslutat", closed_at=long_ago).where(Case.id == first.id).execute()
        purge(365)
        assert on_disk.exists()  # the second case still names the same content
        Case.update(status="Avslutat", closed_at=long_ago).where(Case.id == second.id).execute()
        purge(365)
        assert Attachment.select().count() == 0 and FileBlob.select().count() == 0
    assert not on_disk.exists()


def test_files_of_a_form_never_sent_go_after_a_day(portal, customer):
    from app.cases.attachments import forget_unused

    assert post_ovrigt(customer, [upload("a.pdf", PDF, "application/pdf")], beskrivning="").status_code == 422
    with portal.app_context(), db.connection_context():
        assert forget_unused() == {"abandoned": 0, "contents": 0}
        assert forget_unused(utcnow() + timedelta(days=2)) == {"abandoned": 1, "contents": 1}
        assert FileBlob.select().count() == 0


def test_a_draft_keeps_its_files_until_it_is_filed(portal, customer):
    from app.cases.attachments import forget_unused

    key = form_key(customer)
    saved = customer.post(f"{OVRIGT}/utkast", content_type="multipart/form-data",
                          data={**ORDERER, "beskrivning": "Halvfärdigt", "form_key": key,
                                "bilagor": [upload("polisanmalan.pdf", PDF, "application/pdf")]})
    assert saved.status_code == 303 and "/utkast/" in saved.headers["Location"]
    with portal.app_context(), db.connection_context():
        assert forget_unused(utcnow() + timedelta(days=2)) == {"abandoned": 0, "contents": 0}  # the draft holds it
    page = customer.get(saved.headers["Location"]).get_data(as_text=True)
    kept = re.search(r'<input type="checkbox" name="bilagor" id="bilagor-kvar-1" value="([^"]+)" checked>', page)
    assert kept and "Behåll polisanmalan.pdf (PDF," in page
    reference = json.loads(kept.group(1).replace("&#34;", '"').replace("&quot;", '"'))
    filed = customer.post(OVRIGT, content_type="multipart/form-data",
                          data={**ORDERER, "beskrivning": "Klart", "form_key": key, "bilagor": json.dumps(reference)})
    case = filed_case(portal, filed)
    assert [ref["sha256"] for ref in case.data["bilagor"]] == [sha(PDF)]


def test_only_a_multipart_post_to_a_form_with_files_may_be_large(portal, customer):
    big_text = {**ORDERER, "beskrivning": "x" * (3 * 1024 * 1024), "form_key": form_key(customer)}
    assert customer.post(OVRIGT, data=big_text).status_code == 413  # urlencoded: the usual limit
    assert customer.post(OVRIGT, data=big_text, content_type="multipart/form-data").status_code == 413  # one field
    assert customer.post("/mina-uppgifter", content_type="multipart/form-data",
                         data={"fil": upload("stor.pdf", PDF + b"\0" * (3 * 1024 * 1024))}).status_code == 413


KEPT_BOX = re.compile(r'<input type="checkbox" name="bilagor" id="bilagor-kvar-\d+" value="([^"]+)" checked>')


def kept_values(html: str) -> list[str]:
    return [value.replace("&#34;", '"').replace("&quot;", '"') for value in KEPT_BOX.findall(html)]


def test_an_expired_token_on_a_message_form_keeps_the_text_and_the_files(simulator_url, sqlite_url):
    """Issue 13: a message form posted after its CSRF token expired sends nothing and loses
    nothing. From the portal's own page (Origin) the newly chosen files are kept like the files
    of a form shown with errors; without it the page names the files to choose again, at the
    file field. Files kept before stay kept either way, and sending again sends them all."""
    import time

    from app.accounts.users import ensure_user
    from app.platform.models import Message
    from tests.login_helpers import CSRF_FIELD, HANDLER, log_in_with_csrf

    app = portal_app(sqlite_url, simulator_url, wtf_csrf_enabled=True, wtf_csrf_time_limit=1)
    customer, handler = app.test_client(), app.test_client()
    log_in_with_csrf(customer, CUSTOMER)
    page = customer.get(OVRIGT).get_data(as_text=True)
    filed = customer.post(OVRIGT, content_type="multipart/form-data", data={
        **ORDERER, "beskrivning": "Kortet är borta.", "form_key": re.search(r'name="form_key" value="([^"]+)"', page).group(1),
        "csrf_token": CSRF_FIELD.search(page).group(1)})
    number = filed_case(app, filed).number
    with app.app_context(), db.connection_context():
        ensure_user("194108207210", "Hanna Handläggare", "handler")
    log_in_with_csrf(handler, HANDLER)

    detail = customer.get(f"/arenden/{number}").get_data(as_text=True)
    key = re.search(r'name="form_key" value="([^"]+)"', detail).group(1)
    no_text = customer.post(f"/arenden/{number}/meddelanden", content_type="multipart/form-data", data={
        "meddelande": "", "form_key": key, "csrf_token": CSRF_FIELD.search(detail).group(1),
        "bilagor": [upload("skiss.png", PNG, "image/png")]})
    assert no_text.status_code == 422 and len(kept_values(no_text.get_data(as_text=True))) == 1
    old_customer = (CSRF_FIELD.search(no_text.get_data(as_text=True)).group(1), kept_values(no_text.get_data(as_text=True)))
    handler_page = handler.get(f"/handlaggare/arenden/{number}").get_data(as_text=True)
    old_handler = (CSRF_FIELD.search(handler_page).group(1), re.search(r'name="form_key" value="([^"]+)"', handler_page).group(1))
    time.sleep(2.1)

    expired = customer.post(f"/arenden/{number}/meddelanden", content_type="multipart/form-data",
                            headers={"Origin": "http://localhost"},
                            data={"meddelande": "Här är skissen och anmälan.", "form_key": key, "csrf_token": old_customer[0],
                                  "bilagor": [*old_customer[1], upload("polisanmalan.pdf", PDF, "application/pdf")]})
    html = expired.get_data(as_text=True)
    assert expired.status_code == 400 and "behövde laddas om" in html and ">Här är skissen och anmälan.</textarea>" in html
    assert "Behåll skiss.png" in html and "Behåll polisanmalan.pdf" in html and 'id="bilagor-error"' not in html
    sent = customer.post(f"/arenden/{number}/meddelanden", content_type="multipart/form-data", data={
        "meddelande": "Här är skissen och anmälan.", "form_key": key, "csrf_token": CSRF_FIELD.search(html).group(1),
        "bilagor": kept_values(html)})
    assert sent.status_code == 303

    no_origin = handler.post(f"/handlaggare/arenden/{number}/meddelanden", content_type="multipart/form-data", data={
        "meddelande": "Intern tanke", "intern": "y", "form_key": old_handler[1], "csrf_token": old_handler[0],
        "bilagor": [upload("intern.pdf", PDF, "application/pdf")]})
    html = no_origin.get_data(as_text=True)
    assert no_origin.status_code == 400 and ">Intern tanke</textarea>" in html
    assert error_at_field(html) == "Fel: Välj filerna igen, de kom inte med när sidan laddades om: intern.pdf."
    with app.app_context(), db.connection_context():
        [message] = Message.select()
        assert message.body == "Här är skissen och anmälan."
        assert sorted(row.name for row in Attachment.select().where(Attachment.message == message)) == [
            "polisanmalan.pdf", "skiss.png"]
        assert not Attachment.select().where(Attachment.name == "intern.pdf").exists()


def test_a_post_over_the_request_limit_gives_the_form_back_with_the_limit_at_the_file_field(database_url,
                                                                                              simulator_url):
    """Issue 13: without JavaScript nothing stops a file over the request limit before it is
    sent. The answer is the form again (413) with everything typed, the files kept before, and
    at the file field which files were too much and what the limit is; nothing is stored. A
    body too large to read again, or one that cannot be parsed, gets a page naming the limit
    with a link back; never a 500."""
    from app.accounts.users import ensure_user
    from app.platform.models import Message
    from tests.login_helpers import HANDLER, log_in

    portal = portal_app(database_url, simulator_url, upload_max_request_bytes=64 * 1024)
    customer, handler = portal.test_client(), portal.test_client()
    log_in_with_profile(customer, CUSTOMER)
    def big():  # a fresh file each time: the test client closes what it sent
        return upload("stor skanning.pdf", PDF + b"\0" * (100 * 1024), "application/pdf")

    key = form_key(customer)
    kept = post_ovrigt(customer, [upload("polisanmalan.pdf", PDF, "application/pdf")], key=key, beskrivning="")
    reference = kept_values(kept.get_data(as_text=True))
    too_big = post_ovrigt(customer, key=key, beskrivning="Kortet förlorat på tåget.", bilagor=[*reference, big()])
    html = too_big.get_data(as_text=True)
    assert too_big.status_code == 413, html[:2000]
    assert "Kortet förlorat på tåget.</textarea>" in html and 'value="Akutmottagningen"' in html
    assert "Behåll polisanmalan.pdf" in html and "Det du skickade var för stort: filerna är 105,9 kB" in html
    assert error_at_field(html) == ("Fel: Filerna kom inte med, det blev för mycket att skicka på en gång: "
                                    "stor skanning.pdf (105,9 kB). Allt som skickas i ett formulär får vara högst "
                                    "64 kB tillsammans. Välj en mindre fil eller färre filer.")
    assert post_ovrigt(customer, key=key, beskrivning="Kortet förlorat på tåget.",
                       bilagor=kept_values(html)).status_code == 303  # sent again without the big file

    with portal.app_context(), db.connection_context():
        number = Case.get().number
        ensure_user(HANDLER, "Hanna Handläggare", "handler")
    log_in(handler, HANDLER)
    for client, path in ((customer, f"/arenden/{number}"), (handler, f"/handlaggare/arenden/{number}")):
        answer = client.post(f"{path}/meddelanden", content_type="multipart/form-data",
                             data={"meddelande": "Se bifogad skanning.", "form_key": "m" * 24, "bilagor": [big()]})
        page = answer.get_data(as_text=True)
        assert answer.status_code == 413 and ">Se bifogad skanning.</textarea>" in page
        assert "stor skanning.pdf (105,9 kB)" in error_at_field(page) and "högst 64 kB" in error_at_field(page)

    huge = customer.post(OVRIGT, content_type="multipart/form-data", headers={"Referer": f"http://localhost{OVRIGT}"},
                         data={**ORDERER, "beskrivning": "x", "bilagor": [upload("jättestor.pdf", b"\0" * (300 * 1024))]})
    plain = huge.get_data(as_text=True)
    assert huge.status_code == 413 and "högst 64 kB får skickas på en gång" in plain
    assert f'<a href="http://localhost{OVRIGT}">Tillbaka till formuläret</a>' in plain
    broken = customer.post(f"/arenden/{number}/meddelanden", data=b"--x\r\n" + b"y" * (100 * 1024),
                           content_type="multipart/form-data; boundary=x")
    assert broken.status_code == 413 and "högst 64 kB" in broken.get_data(as_text=True)
    with portal.app_context(), db.connection_context():
        assert Message.select().count() == 0
        assert sorted(row.name for row in Attachment.select()) == ["polisanmalan.pdf"]
