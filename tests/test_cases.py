"""Cases end to end for the customer: choosing a type, the generated form with the orderer
block, validation, filing exactly once, case numbers, the confirmation, Mina sidor, the
detail view from the frozen schema, and the PDF."""
import io
import json
import re
import shutil
import threading

import pytest
from pypdf import PdfReader

from app.platform.extensions import db
from app.platform.models import Case, CasePdf, StatusChange, User
from tests.login_helpers import CUSTOMER, OTHER_CUSTOMER, log_in_with_profile, portal_app

SITHS = "/arenden/nytt/bestallning-av-siths-kort"
ROW = {
    "personer-0-namn": "Anna Åkesson",
    "personer-0-personnummer": "19121212-1212",
    "personer-0-epost": "anna@example.se",
    "personer-0-kortutlamningskontor": "uppsala",
    "personer-0-_row": "",
}
ORDERER = {
    "orderer-organisation": "Region Uppland",
    "orderer-organisationsnummer": "232100-0016",
    "orderer-enhet": "Akutmottagningen",
    "orderer-namn": "Tolvan Tolvansson",
    "orderer-epost": "tolvan@example.se",
}


@pytest.fixture
def portal(database_url, simulator_url):
    return portal_app(database_url, simulator_url)


def form_key(client, url=SITHS) -> str:
    html = client.get(url).get_data(as_text=True)
    return re.search(r'name="form_key" value="([^"]+)"', html).group(1)


def file_siths(client, **changes):
    data = {**ORDERER, **ROW, "form_key": form_key(client), **changes}
    return client.post(SITHS, data=data)


def counts(portal) -> dict:
    with portal.app_context(), db.connection_context():
        return {"cases": Case.select().count(), "changes": StatusChange.select().count()}


def test_choosing_what_the_case_is_about(customer):
    html = customer.get("/arenden/nytt").get_data(as_text=True)
    assert "Vad gäller ärendet?" in html
    assert html.index("Beställning av SITHS-kort") < html.index("Övrigt")
    response = customer.get("/arenden/nytt?typ=ovrigt")
    assert response.headers["Location"] == "/arenden/nytt/ovrigt"


def test_the_form_prefills_the_orderer_from_mina_uppgifter(customer):
    html = customer.get(SITHS).get_data(as_text=True)
    for value in ("Region Uppland", "232100-0016", "Akutmottagningen", "tolvan@example.se"):
        assert f'value="{value}"' in html
    assert "Lägg till ny rad" in html and "Välj ett alternativ" in html


def test_filing_a_siths_order(portal, customer):
    response = file_siths(customer)
    assert response.status_code == 303
    number = re.fullmatch(r"/arenden/(\d{4}-\d{5})/skickat", response.headers["Location"]).group(1)
    html = customer.get(response.headers["Location"]).get_data(as_text=True)
    for text in ("Ditt ärende är nu inskickat.", "Tack, ditt ärende är nu registrerat!",
                 "Vi kommer att hantera det så snart som möjligt. Inkomna ärenden hanteras helgfria vardagar mellan 09:00-16.00.",
                 number, "Visa detaljer"):
        assert text in html
    with portal.app_context(), db.connection_context():
        case = Case.get(Case.number == number)
        assert case.status == "Inskickat"
        assert case.data == {"personer": [{"namn": "Anna Åkesson", "personnummer": "191212121212",
                                           "epost": "anna@example.se", "kortutlamningskontor": "uppsala",
                                           "eget_kortkontor": False}]}
        assert case.orderer["organisationsnummer"] == "232100-0016"
        assert case.schema_sha256 and json.loads(case.schema_text)["title"] == "Beställning av SITHS-kort"
        assert [c.to_status for c in case.status_changes] == ["Inskickat"]


def test_all_errors_at_once_next_to_their_fields_and_nothing_lost(portal, customer):
    response = file_siths(customer, **{"personer-0-personnummer": "19121212-1213",
                                       "personer-0-kortutlamningskontor": "", "orderer-epost": "nej"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="personer-0-personnummer-error"' in html and 'id="personer-0-kortutlamningskontor-error"' in html
    assert 'id="orderer-epost-error"' in html
    assert 'value="Anna Åkesson"' in html and 'value="19121212-1213"' in html and 'value="nej"' in html
    assert counts(portal)["cases"] == 0


def test_rows_added_and_removed_without_javascript_on_the_case_form(portal, customer):
    key = form_key(customer)
    html = customer.post(SITHS, data={**ORDERER, **ROW, "form_key": key, "action": "add:personer"}).get_data(as_text=True)
    assert 'name="personer-1-personnummer"' in html and f'value="{key}"' in html
    assert counts(portal)["cases"] == 0


def test_a_double_submission_files_one_case(portal, customer):
    key = form_key(customer)
    data = {**ORDERER, **ROW, "form_key": key}
    first, second = customer.post(SITHS, data=data), customer.post(SITHS, data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert counts(portal)["cases"] == 1


def test_five_concurrent_identical_posts_file_one_case(portal, customer):
    data = {**ORDERER, **ROW, "form_key": form_key(customer)}
    with customer.session_transaction() as session:
        cookie_session = dict(session)
    barrier, results = threading.Barrier(5), []

    def post():
        client = portal.test_client()
        with client.session_transaction() as session:
            session.update(cookie_session)
        barrier.wait()
        response = client.post(SITHS, data=data)
        results.append((response.status_code, response.headers.get("Location")))

    threads = [threading.Thread(target=post) for _ in range(5)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert {status for status, _ in results} == {303}
    assert len({location for _, location in results}) == 1
    assert counts(portal) == {"cases": 1, "changes": 1}


def test_case_numbers_are_unique_under_concurrency(portal):
    clients = []
    for number in (CUSTOMER, OTHER_CUSTOMER):
        client = portal.test_client()
        log_in_with_profile(client, number)
        clients.append(client)
    keys = [[form_key(client) for _ in range(4)] for client in clients]
    numbers, barrier = [], threading.Barrier(8)

    def post(client, key):
        barrier.wait()
        response = client.post(SITHS, data={**ORDERER, **ROW, "form_key": key})
        numbers.append(response.headers["Location"].split("/")[2])

    threads = [threading.Thread(target=post, args=(client, key)) for client, ks in zip(clients, keys) for key in ks]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert len(set(numbers)) == 8
    assert sorted(int(n.split("-")[1]) for n in numbers) == list(range(1, 9))
    from app.cases.statuses import status_counts
    with portal.app_context(), db.connection_context():
        assert status_counts()["Inskickat"] == 8 == Case.select().count()


def test_extra_posted_fields_cannot_set_owner_or_status(portal, customer):
    response = file_siths(customer, status="Avslutat", owner="1", number="2000-00001", case_type_slug="ovrigt")
    number = response.headers["Location"].split("/")[2]
    with portal.app_context(), db.connection_context():
        case = Case.get(Case.number == number)
        assert case.status == "Inskickat" and case.owner.personnummer == CUSTOMER and case.case_type_slug == "bestallning-av-siths-kort"


def test_other_customers_cases_are_404(portal, customer):
    number = file_siths(customer).headers["Location"].split("/")[2]
    stranger = portal.test_client()
    log_in_with_profile(stranger, OTHER_CUSTOMER)
    for path in (f"/arenden/{number}", f"/arenden/{number}/pdf", f"/arenden/{number}/skickat"):
        response = stranger.get(path)
        assert response.status_code == 404 and number not in response.get_data(as_text=True)
    assert stranger.get("/arenden/9999-99999").status_code == 404
    assert number not in stranger.get("/mina-sidor").get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_login(portal):
    response = portal.test_client().get("/mina-sidor")
    assert response.status_code == 302 and response.headers["Location"].startswith("/logga-in")


def test_detail_view_renders_from_the_schema(customer):
    number = file_siths(customer).headers["Location"].split("/")[2]
    html = customer.get(f"/arenden/{number}").get_data(as_text=True)
    for text in ("Beställning av SITHS-kort", number, "Inskickat", "Region Uppland", "Anna Åkesson",
                 "19121212-1212", "Uppsala", "Nej", "Vilket kortutlämningskontor ska SITHS-kortet hämtas ut på?"):
        assert text in html, text


def test_an_old_case_keeps_its_schema_when_the_file_changes(portal, customer, tmp_path):
    forms = tmp_path / "forms"
    shutil.copytree("forms", forms)
    app = portal_app(portal.config["DATABASE_URL"], portal.config["BANKID_URL"].rsplit("/rp/", 1)[0], forms_dir=str(forms))
    client = app.test_client()
    log_in_with_profile(client, CUSTOMER)
    key = form_key(client)
    number = client.post(SITHS, data={**ORDERER, **ROW, "form_key": key}).headers["Location"].split("/")[2]
    shared = forms / "shared" / "kortutlamningskontor.json"
    shared.write_text(shared.read_text(encoding="utf-8").replace('"Uppsala"', '"Uppsala (nytt namn)"'), encoding="utf-8")
    (forms / "bestallning-av-siths-kort.json").unlink()
    changed = portal_app(portal.config["DATABASE_URL"], portal.config["BANKID_URL"].rsplit("/rp/", 1)[0], forms_dir=str(forms))
    later = changed.test_client()
    log_in_with_profile(later, CUSTOMER)
    html = later.get(f"/arenden/{number}").get_data(as_text=True)
    assert "Uppsala" in html and "nytt namn" not in html
    assert later.get(SITHS).status_code == 404


def test_my_pages_groups_and_pages(portal, customer):
    numbers = [file_siths(customer).headers["Location"].split("/")[2] for _ in range(3)]
    with portal.app_context(), db.connection_context():
        Case.update(status="Avslutat").where(Case.number == numbers[0]).execute()
    html = customer.get("/mina-sidor").get_data(as_text=True)
    ongoing, closed = html.split("Avslutade ärenden", 1)
    assert numbers[2] in ongoing and numbers[1] in ongoing and numbers[0] in closed
    assert ongoing.index(numbers[2]) < ongoing.index(numbers[1])  # newest first


def test_keyset_pagination(portal, customer):
    from app.cases import filing
    numbers = [file_siths(customer).headers["Location"].split("/")[2] for _ in range(5)]
    with portal.app_context(), db.connection_context():
        owner = User.get(User.personnummer == CUSTOMER)
        first = filing.my_cases(owner, closed=False, size=2)
        second = filing.my_cases(owner, closed=False, before=first.next_cursor, size=2)
        third = filing.my_cases(owner, closed=False, before=second.next_cursor, size=2)
    seen = [row.case.number for page in (first, second, third) for row in page.rows]
    assert seen == numbers[::-1] and third.next_cursor is None


def test_pdf_download(portal, customer):
    number = file_siths(customer).headers["Location"].split("/")[2]
    response = customer.get(f"/arenden/{number}/pdf")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{number}.pdf"'
    assert response.headers["Cache-Control"] == "no-store"
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages).split())
    for expected in (number, "Beställning av SITHS-kort", "Region Uppland", "Anna Åkesson", "Uppsala"):
        assert expected in text, expected
    with portal.app_context(), db.connection_context():
        assert CasePdf.select().count() == 1
    assert customer.get(f"/arenden/{number}/pdf").data == response.data  # served from storage


def test_an_expired_csrf_token_shows_the_form_again_with_the_data(simulator_url, sqlite_url):
    app = portal_app(sqlite_url, simulator_url, wtf_csrf_enabled=True, wtf_csrf_time_limit=1)
    client = app.test_client()
    from tests.login_helpers import PROFILE_FORM
    # log in with CSRF on: take the token from each page
    def token(path):
        return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)
    import tests.login_helpers as helpers
    page = client.post("/logga-in", data={"device": "this", "csrf_token": token("/logga-in")})
    html = client.get("/logga-in/bankid").get_data(as_text=True)
    helpers.approve_in_app(helpers.start_url(html), CUSTOMER)
    client.post("/logga-in/bankid", data={"csrf_token": token("/logga-in/bankid")})
    client.post("/mina-uppgifter", data={**PROFILE_FORM, "csrf_token": token("/mina-uppgifter")})
    html = client.get(SITHS).get_data(as_text=True)
    old_token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    key = re.search(r'name="form_key" value="([^"]+)"', html).group(1)
    import time
    time.sleep(2.1)
    expired = client.post(SITHS, data={**ORDERER, **ROW, "form_key": key, "csrf_token": old_token})
    page = expired.get_data(as_text=True)
    assert expired.status_code == 400 and 'value="Anna Åkesson"' in page and "skicka igen" in page
    with app.app_context(), db.connection_context():
        assert Case.select().count() == 0
    fresh = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post(SITHS, data={**ORDERER, **ROW, "form_key": key, "csrf_token": fresh}).status_code == 303
    with app.app_context(), db.connection_context():
        assert Case.select().count() == 1


def test_the_confirmation_says_when_handling_starts_after_hours(portal):
    from freezegun import freeze_time
    with freeze_time("2026-12-24 10:00:00"):  # Julafton
        customer = portal.test_client()
        log_in_with_profile(customer, CUSTOMER)
        response = file_siths(customer)
        html = customer.get(response.headers["Location"]).get_data(as_text=True)
    assert "börjar hanteras tidigast måndag 28 december kl. 09:00" in html


def test_the_largest_valid_order_is_accepted(portal, customer):
    """200 persons with every text at its maxLength, in Swedish letters (D5)."""
    from stdnum import luhn
    rows = {}
    for n in range(200):
        body = f"{800101 + n % 28:06d}{n + 1:03d}"
        local = f"p{n}."
        rows.update({
            f"personer-{n}-namn": "Åsa Öberg-Ängström " + "ä" * 181,
            f"personer-{n}-personnummer": "19" + body + luhn.calc_check_digit(body),
            f"personer-{n}-epost": f"{local}{'a' * (254 - len(local) - 11)}@example.se",
            f"personer-{n}-ovrig_information": "ö" * 500,
            f"personer-{n}-kortutlamningskontor": "uppsala",
            f"personer-{n}-_row": "",
        })
    assert all(len(v) <= 254 for k, v in rows.items() if k.endswith("epost"))
    response = customer.post(SITHS, data={**ORDERER, **rows, "form_key": form_key(customer)})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    with portal.app_context(), db.connection_context():
        assert len(Case.get().data["personer"]) == 200


def test_a_body_over_the_limit_gets_413(customer):
    response = customer.post(SITHS, data={"personer-0-namn": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413
    assert "För mycket data" in response.get_data(as_text=True)
