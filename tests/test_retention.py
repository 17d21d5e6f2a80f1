"""Gallring: old closed cases and their data go; open and recent ones stay (checklist I4)."""
from datetime import timedelta

from app.accounts.users import ensure_user
from app.cases.retention import purge
from app.cases.statuses import status_counts
from app.platform.extensions import db
from app.platform.models import Case, CasePdf, Message, Notification, OutboxMail, QueueSearch, StatusChange, utcnow
from tests.login_helpers import CUSTOMER, HANDLER, log_in, log_in_with_profile, portal_app
from tests.test_cases import ORDERER, ROW, SITHS, form_key


def test_old_closed_cases_are_deleted_with_their_data(database_url, simulator_url):
    app = portal_app(database_url, simulator_url)
    customer = app.test_client()
    log_in_with_profile(customer, CUSTOMER)
    numbers = [customer.post(SITHS, data={**ORDERER, **ROW, "form_key": form_key(customer)}).headers["Location"].split("/")[2]
               for _ in range(3)]
    customer.get(f"/arenden/{numbers[0]}/pdf")
    with app.app_context(), db.connection_context():
        ensure_user(HANDLER, "Hanna", "handler")
    handler = app.test_client()
    log_in(handler, HANDLER)
    for number in numbers[:2]:
        html = handler.get(f"/handlaggare/arenden/{number}").get_data(as_text=True)
        version = html.split('name="version" value="', 1)[1].split('"', 1)[0]
        handler.post(f"/handlaggare/arenden/{number}/status", data={"action": "close", "version": version,
                                                                     "meddelande": "Klart"})
    with app.app_context(), db.connection_context():
        Case.update(closed_at=utcnow() - timedelta(days=400)).where(Case.number == numbers[0]).execute()
        old = Case.get(Case.number == numbers[0])
        OutboxMail.update(status="sent", created_at=utcnow() - timedelta(days=400)).execute()
        counts = purge(365)
        assert counts["cases"] == 1 and counts["failed"] == 0 and counts["mails"] >= 1
        assert [c.number for c in Case.select().order_by(Case.id)] == numbers[1:]  # closed recently, open
        for model in (Message, CasePdf, Notification, StatusChange):
            assert model.select().where(model.case == old.id).count() == 0, model
        assert Message.select().count() == 1  # the recent closed case keeps its closing message
        assert status_counts() == {"Inskickat": 1, "Under handläggning": 0, "Avslutat": 1}


def test_the_command_is_off_by_default(app):
    result = app.test_cli_runner().invoke(args=["retention", "run"])
    assert result.exit_code == 0 and "avstängd" in result.output


def test_queue_searches_older_than_a_day_go_on_every_run(database_url, simulator_url):
    """A handler's search may be a sole trader's personnummer: kept a day, then gone, even with
    case gallring off and nobody searching again."""
    app = portal_app(database_url, simulator_url)
    with app.app_context(), db.connection_context():
        ensure_user(HANDLER, "Hanna", "handler")
    handler = app.test_client()
    log_in(handler, HANDLER)
    for term in ("121212-1212", "Region Uppland"):
        assert handler.post("/handlaggare/arenden/sok", data={"q": term}).status_code == 303
    with app.app_context(), db.connection_context():
        QueueSearch.update(created_at=utcnow() - timedelta(hours=25)).where(QueueSearch.text == "121212-1212").execute()
    result = app.test_cli_runner().invoke(args=["retention", "run"])
    assert result.exit_code == 0 and "1 sökningar" in result.output and "avstängd" in result.output
    with app.app_context(), db.connection_context():
        assert [search.text for search in QueueSearch.select()] == ["Region Uppland"]


def test_a_case_that_cannot_go_is_kept_and_the_rest_carry_on(app, monkeypatch, caplog):
    from app.cases import retention
    from app.platform.models import User

    with app.app_context(), db.connection_context():
        owner = User.create(personnummer=CUSTOMER, name="Tolvan")
        for n in range(3):
            Case.create(number=f"2020-0000{n}", owner=owner, form_key=f"k{n}", case_type_slug="ovrigt",
                        case_type_title="Övrigt", schema_text="{}", schema_sha256="0" * 64, data={}, orderer={},
                        organisation_name="X", organisation_number="232100-0016", status="Avslutat",
                        closed_at=utcnow() - timedelta(days=800))
        calls = []

        def flaky(status, delta):
            calls.append(status)
            if len(calls) == 2:
                raise RuntimeError("disk full")

        monkeypatch.setattr(retention, "count_status", flaky)
        counts = purge(365)
        assert counts["cases"] == 2 and counts["failed"] == 1
        assert Case.select().count() == 1  # the failed one rolled back whole
    assert "kunde inte tas bort (RuntimeError)" in caplog.text
