"""Utkast with a 200-row SITHS order, over HTTP through the whole app (the test client), against
baselines measured in the same run on the same data:

- saving the draft ("Spara utkast", an update of the form's draft) against filing the same 200
  rows ("Skicka in": read, judged, stored with a case number);
- restoring it ("Fortsätt": the form drawn with every row) against the same form drawn after
  "Lägg till ny rad" posted without JavaScript (the same drawing from posted data).

`python -m bench.drafts [ROWS]` (default 200) on SQLite; PORTAL_BENCH_DATABASE_URL for PostgreSQL.
"""
from __future__ import annotations

import os
import secrets
import sys
import tempfile

from werkzeug.datastructures import MultiDict

from app import create_app
from app.accounts.sessions import SESSION_KEY, token_hash
from app.platform.extensions import db
from app.platform.models import Draft, Session, User
from bench.run import order
from bench.timing import median_seconds
from webforms.caseform import to_formdata

SITHS = "/arenden/nytt/bestallning-av-siths-kort"
PROFILE = {"organisation-organisationsnamn": "Region Uppland", "organisation-organisationsnummer": "232100-0016",
           "enhet-enhetens_namn": "Akutmottagningen", "bestallare-namn": "Tolvan Tolvansson",
           "bestallare-epost": "tolvan@example.se"}
ORDERER = {"orderer-organisation": "Region Uppland", "orderer-organisationsnummer": "232100-0016",
           "orderer-enhet": "Akutmottagningen", "orderer-namn": "Tolvan Tolvansson", "orderer-epost": "tolvan@example.se"}
NO_LIMITS = {"cases_per_user": 10**6, "drafts_per_user": 10**6, "draft_max_bytes": 10**8}


def logged_in_client(app):
    """A customer's client with a server-side session made directly (no BankID round trip)."""
    token = secrets.token_urlsafe(32)
    with app.app_context(), db.connection_context():
        user = User.create(personnummer="191212121212", name="Tolvan Tolvansson")
        Session.create(token_hash=token_hash(token), user=user, role=user.role)
    client = app.test_client()
    with client.session_transaction() as session:
        session[SESSION_KEY] = token
    assert client.post("/mina-uppgifter", data=PROFILE).status_code == 303
    return client


def posted_order(app, rows: int) -> list[tuple[str, str]]:
    with app.app_context():
        from app.cases.types import case_types

        case_type = case_types()["bestallning-av-siths-kort"]
        return list(to_formdata(case_type.fields, order(rows)).items(multi=True)) + list(ORDERER.items())


def posted(pairs: list) -> MultiDict:
    return MultiDict(pairs)


def expect(response, status: int):
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:300])
    return response


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with tempfile.TemporaryDirectory() as folder:
        url = os.environ.get("PORTAL_BENCH_DATABASE_URL", f"sqlite:///{folder}/drafts.db")
        app = create_app({"env": "testing", "secret_key": "bench-" + "x" * 40, "database_url": url,
                          "wtf_csrf_enabled": False, **NO_LIMITS})
        client = logged_in_client(app)
        pairs = posted_order(app, rows)
        keys = iter(range(10**6))

        def file_case():
            expect(client.post(SITHS, data=posted(pairs + [("form_key", f"bench-filing-key-{next(keys):08d}")])), 303)

        draft_key = [("form_key", "bench-draft-form-key-000001")]
        token = expect(client.post(SITHS + "/utkast", data=posted(pairs + draft_key)), 303).headers["Location"].rsplit("/", 1)[1]
        with app.app_context(), db.connection_context():
            size = Draft.get(Draft.token == token).size

        figures = {
            "file 200 rows (baseline)": median_seconds(file_case),
            "save the draft": median_seconds(lambda: expect(client.post(SITHS + "/utkast", data=posted(pairs + draft_key)), 303)),
            "redraw after a row action (baseline)": median_seconds(
                lambda: expect(client.post(SITHS, data=posted(pairs + draft_key + [("action", "add:personer")])), 200)),
            "restore the draft": median_seconds(lambda: expect(client.get(f"/utkast/{token}"), 200)),
        }
        restored = client.get(f"/utkast/{token}").get_data(as_text=True)
        assert f'name="personer-{rows - 1}-namn"' in restored, "the restored form lacks rows"
        print(f"Utkast with {rows} rows on {url.split(':')[0]} ({size / 1000:.0f} kB of answers), median of 5:")
        for name, seconds in figures.items():
            print(f"  {name:<38} {seconds * 1000:8.1f} ms")
        save = figures["save the draft"] / figures["file 200 rows (baseline)"]
        restore = figures["restore the draft"] / figures["redraw after a row action (baseline)"]
        print(f"  saving is {save:.2f}x the time of filing the same rows")
        print(f"  restoring is {restore:.2f}x the time of drawing the same rows after a row action")


if __name__ == "__main__":
    main()
