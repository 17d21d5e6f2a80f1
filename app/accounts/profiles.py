"""Mina uppgifter: the customer's organisation, unit, name, e-mail and notification choice.

The form is declared by app/schemas/mina-uppgifter.json and goes through the same schema
engine as the case types, so it is validated the same way.
"""
from __future__ import annotations

from pathlib import Path

from flask import current_app

from app.platform.models import Profile, User, utcnow
from app.platform.prepared import Prepared, Slot
from casetypes import CaseType, load_forms_dir

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "schemas"
EXTENSION_KEY = "kundportalen.own_schemas"


def profile_type() -> CaseType:
    """The form of Mina uppgifter."""
    return current_app.extensions[EXTENSION_KEY]["mina-uppgifter"]


def orderer_type() -> CaseType:
    """The orderer block every case form starts with."""
    return current_app.extensions[EXTENSION_KEY]["bestallare"]


PROFILE_OF = Prepared(lambda: Profile.select().where(Profile.user == Slot("user")).limit(1))


def get_profile(user: User) -> Profile | None:
    return PROFILE_OF.first(user=user.id)


def has_profile(user: User) -> bool:
    return get_profile(user) is not None


def initial_document(user: User) -> dict:
    """The saved details, or on first login the name BankID gave."""
    profile = get_profile(user)
    if profile is not None:
        return profile.data
    return {"bestallare": {"namn": user.name}}


def save(user: User, document: dict) -> Profile:
    """Store a document the profile schema has already judged valid."""
    columns = {
        "data": document,
        "organisation_name": document["organisation"]["organisationsnamn"],
        "organisation_number": document["organisation"]["organisationsnummer"],
        "email": document["bestallare"]["epost"],
        "notify_by_email": document["notifieringar"]["epost"],
        "updated_at": utcnow(),
    }
    Profile.upsert({"user": user}, columns, columns)
    return get_profile(user)


def orderer(user: User) -> dict:
    """The orderer block of a new case, from Mina uppgifter: who files it, for whom."""
    profile = get_profile(user)
    data = profile.data if profile else {}
    values = {
        "organisation": data.get("organisation", {}).get("organisationsnamn"),
        "organisationsnummer": data.get("organisation", {}).get("organisationsnummer"),
        "enhet": data.get("enhet", {}).get("enhetens_namn"),
        "namn": data.get("bestallare", {}).get("namn", user.name),
        "epost": data.get("bestallare", {}).get("epost"),
    }
    return {key: value for key, value in values.items() if value}


def init_app(app) -> None:
    report = load_forms_dir(SCHEMA_DIR)
    if not report.ok:
        raise RuntimeError("Portalens egna scheman är ogiltiga: " + "; ".join(map(str, report.problems)))
    app.extensions[EXTENSION_KEY] = report.case_types
