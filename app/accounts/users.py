"""Administering users from the command line: granting and revoking the handler role,
deactivating accounts, and the demo users of the development setup.

Personnummer are given as arguments (never in URLs) and printed only masked.
"""
from __future__ import annotations

import click
from flask.cli import AppGroup

from app.platform.extensions import db
from app.platform.models import Profile, Session, User, utcnow
from casetypes.formats import normalize_personnummer

users_cli = AppGroup("users", help="Användare: handläggarroll, avstängning, demoanvändare.")

DEMO_CUSTOMER = ("191212121212", "Tolvan Tolvansson")
DEMO_HANDLER = ("198112289874", "Hanna Handläggare")


def masked(personnummer: str) -> str:
    return f"{personnummer[:8]}-****"


def personnummer_argument(text: str) -> str:
    number = normalize_personnummer(text)
    if number is None:
        raise click.BadParameter("Ange ett giltigt personnummer, 12 siffror ÅÅÅÅMMDDXXXX.")
    return number


def ensure_user(personnummer: str, name: str, role: str | None = None) -> User:
    user, _ = User.get_or_create(personnummer=personnummer, defaults={"name": name})
    if role and user.role != role:
        set_role(user, role)
    return user


def set_role(user: User, role: str) -> None:
    """A role change ends the user's sessions (they log in again with the new role)."""
    with db.atomic():
        User.update(role=role).where(User.id == user.id).execute()
        Session.delete().where(Session.user == user).execute()
    user.role = role


def set_active(user: User, active: bool) -> None:
    with db.atomic():
        User.update(active=active).where(User.id == user.id).execute()
        if not active:
            Session.delete().where(Session.user == user).execute()


@users_cli.command("grant-handler")
@click.argument("personnummer")
def grant_handler(personnummer: str) -> None:
    """Give PERSONNUMMER the handler role (the user is created if needed)."""
    number = personnummer_argument(personnummer)
    ensure_user(number, "Handläggare", "handler")
    click.echo(f"{masked(number)} är nu handläggare.")


def existing_user(personnummer: str) -> User:
    user = User.get_or_none(User.personnummer == personnummer_argument(personnummer))
    if user is None:
        raise click.ClickException("Ingen sådan användare.")
    return user


@users_cli.command("revoke-handler")
@click.argument("personnummer")
def revoke_handler(personnummer: str) -> None:
    user = existing_user(personnummer)
    set_role(user, "customer")
    click.echo(f"{masked(user.personnummer)} är inte längre handläggare.")


@users_cli.command("deactivate")
@click.argument("personnummer")
def deactivate(personnummer: str) -> None:
    """Deactivate PERSONNUMMER; their sessions end at once."""
    user = existing_user(personnummer)
    set_active(user, False)
    click.echo(f"{masked(user.personnummer)} är avstängd.")


@users_cli.command("activate")
@click.argument("personnummer")
def activate(personnummer: str) -> None:
    user = existing_user(personnummer)
    set_active(user, True)
    click.echo(f"{masked(user.personnummer)} är aktiv.")


def demo_profile(user: User) -> None:
    data = {"organisation": {"organisationsnamn": "Demoregionen", "organisationsnummer": "232100-0016"},
            "enhet": {"enhetens_namn": "Vårdcentralen Demo"},
            "bestallare": {"namn": user.name, "epost": "tolvan@example.se"},
            "notifieringar": {"epost": True}}
    if not Profile.select().where(Profile.user == user).exists():
        Profile.create(user=user, data=data, organisation_name="Demoregionen", organisation_number="232100-0016",
                       email="tolvan@example.se", notify_by_email=True, updated_at=utcnow())


@users_cli.command("demo")
def demo() -> None:
    """Create the demo customer (with Mina uppgifter) and the demo handler for development."""
    customer = ensure_user(*DEMO_CUSTOMER)
    demo_profile(customer)
    ensure_user(*DEMO_HANDLER, role="handler")
    click.echo("Demoanvändare (testpersonnummer, logga in med BankID-simulatorn):")
    click.echo(f"  kund:        {DEMO_CUSTOMER[0]}  {DEMO_CUSTOMER[1]}")
    click.echo(f"  handläggare: {DEMO_HANDLER[0]}  {DEMO_HANDLER[1]}")


def init_app(app) -> None:
    app.cli.add_command(users_cli)
