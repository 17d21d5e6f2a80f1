"""Logging a test client in through the real flow: the portal's BankID client talks over HTTP
to a simulator on a loopback port, and the test plays the person in the BankID app."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import requests

from app.dev.bankid_simulator import RP_PREFIX
from tests.bankid_fixtures import submit_app_form
from tests.conftest import make_app

CUSTOMER = "191212121212"
OTHER_CUSTOMER = "198112289874"
HANDLER = "194108207210"  # made up, Luhn-valid

PROFILE_FORM = {
    "organisation-organisationsnamn": "Region Uppland",
    "organisation-organisationsnummer": "232100-0016",
    "enhet-enhetens_namn": "Akutmottagningen",
    "bestallare-namn": "Tolvan Tolvansson",
    "bestallare-epost": "tolvan@example.se",
    "notifieringar-epost": "y",
}


def portal_app(database_url: str, simulator_url: str, **overrides):
    settings = {"bankid_url": simulator_url + RP_PREFIX, "bankid_app_url": simulator_url + "/app",
                "bankid_simulator": False, **overrides}
    return make_app(database_url, **settings)


def start_url(html: str) -> str:
    return re.search(r'href="([^"]*autostarttoken=[^"]*)"', html).group(1).replace("&amp;", "&")


def approve_in_app(start_link: str, personnummer: str, button: str = "Verifiera") -> requests.Response:
    parts = urlsplit(start_link)
    base = f"{parts.scheme}://{parts.netloc}"
    token = parse_qs(parts.query)["autostarttoken"][0]
    page = requests.get(base + "/app", params={"autostarttoken": token}, timeout=5)
    return submit_app_form(base, page, button, personnummer)


def start_login(client, device: str = "this", next_url: str = ""):
    response = client.post("/logga-in", data={"device": device, "next": next_url})
    assert response.status_code == 303, response.get_data(as_text=True)
    return client.get("/logga-in/bankid")


def log_in(client, personnummer: str, next_url: str = ""):
    """The whole login; returns the response to the final "Fortsätt"."""
    page = start_login(client, "this", next_url)
    approve_in_app(start_url(page.get_data(as_text=True)), personnummer)
    with client.session_transaction() as session:
        session.pop("last_collect", None)
    return client.post("/logga-in/bankid")


def log_in_with_profile(client, personnummer: str, profile: dict | None = None):
    response = log_in(client, personnummer)
    if "/mina-uppgifter" in response.headers.get("Location", ""):
        saved = client.post("/mina-uppgifter", data=profile or PROFILE_FORM)
        assert saved.status_code == 303, saved.get_data(as_text=True)
    return response


CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client, path: str = "/logga-in") -> str:
    """The token a page hands this browser (the app must run with wtf_csrf_enabled)."""
    return CSRF_FIELD.search(client.get(path).get_data(as_text=True)).group(1)


def log_in_with_csrf(client, personnummer: str, profile: dict | None = None) -> str:
    """log_in_with_profile with CSRF protection on, every POST carrying the page's token;
    returns the token of the logged-in session."""
    client.post("/logga-in", data={"device": "this", "csrf_token": csrf_token(client)})
    approve_in_app(start_url(client.get("/logga-in/bankid").get_data(as_text=True)), personnummer)
    with client.session_transaction() as session:
        session.pop("last_collect", None)
    response = client.post("/logga-in/bankid", data={"csrf_token": csrf_token(client, "/logga-in/bankid")})
    if "/mina-uppgifter" in response.headers.get("Location", ""):
        token = csrf_token(client, "/mina-uppgifter")
        saved = client.post("/mina-uppgifter", data={**(profile or PROFILE_FORM), "csrf_token": token})
        assert saved.status_code == 303, saved.get_data(as_text=True)
    return csrf_token(client, "/")
