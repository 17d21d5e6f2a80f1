"""API tokens: created, listed and revoked from the command line (`flask tokens …`), and checked
on every /api request.

A token is `kp_` and 43 random URL-safe characters (256 bits). It is printed once; only its
sha256 is stored, so a database dump holds nothing that opens the API (a fast hash is enough
for a secret this long: there is nothing to guess). A request's token is found by its hash and
the hashes compared again in constant time. A revoked or expired token, or one whose actor row
is deactivated, is refused on its next request.

Each token has its own actor: a User row with role "api" and the token's name ("API: NAME"),
which the status history, the thread and the audit trail show like a handler. Its
`personnummer` column holds `api-` and random hex, which no BankID login can ever match.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import click
from flask.cli import AppGroup

from app.platform.extensions import db
from app.platform.inputs import UNWANTED_CHARACTERS
from app.platform.models import ApiToken, User, utcnow

TOKEN_PREFIX = "kp_"  # noqa: S105 - the mark every secret starts with, not a secret
SCOPES = ("read", "write")
API_ROLE = "api"
NAME_MAX_LENGTH = 60
TOUCH_EVERY = timedelta(seconds=60)  # how stale last_used_at may get before it is written

tokens_cli = AppGroup("tokens", help="API-nycklar för /api/v1: skapa, lista och återkalla.")


class TokenNameError(ValueError):
    pass


@dataclass(frozen=True)
class IssuedToken:
    row: ApiToken
    secret: str  # shown once, never stored


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def clean_name(name: str) -> str:
    text = (name or "").strip()
    if not text or len(text) > NAME_MAX_LENGTH or UNWANTED_CHARACTERS.search(text):
        raise TokenNameError(f"Ange ett namn på 1–{NAME_MAX_LENGTH} tecken utan styrtecken.")
    return text


def create_token(name: str, scope: str, expires_in_days: int | None = None) -> IssuedToken:
    if scope not in SCOPES:
        raise ValueError(f"okänt omfång: {scope!r}")
    name = clean_name(name)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    expires_at = now + timedelta(days=expires_in_days) if expires_in_days is not None else None
    with db.atomic():
        actor = User.create(personnummer=f"api-{secrets.token_hex(4)}", name=f"API: {name}", role=API_ROLE)
        row = ApiToken.create(name=name, token_hash=hash_secret(secret), prefix=secret[:10], scope=scope,
                              user=actor, created_at=now, expires_at=expires_at)
    return IssuedToken(row, secret)


def all_tokens() -> list[ApiToken]:
    return list(ApiToken.select().order_by(ApiToken.id))


def revoke(token_id: int) -> ApiToken | None:
    """Revoked at once: the next request with it is refused. Its actor row stays (the history
    names it) but is deactivated."""
    row = ApiToken.get_or_none(ApiToken.id == token_id)
    if row is None:
        return None
    with db.atomic():
        if row.revoked_at is None:
            ApiToken.update(revoked_at=utcnow()).where(ApiToken.id == row.id).execute()
        User.update(active=False).where(User.id == row.user_id).execute()
    return ApiToken.get_by_id(row.id)


def state(row: ApiToken, now: datetime | None = None) -> str:
    now = now or utcnow()
    if row.revoked_at is not None:
        return "återkallad"
    if row.expires_at is not None and row.expires_at <= now:
        return "utgången"
    return "giltig"


# --- checking a request's token -------------------------------------------------------------------

def bearer_secret(authorization: str | None) -> str | None:
    """The secret of an `Authorization: Bearer <secret>` header, or None."""
    scheme, _, secret = (authorization or "").strip().partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    return secret


def valid_token(authorization: str | None) -> ApiToken | None:
    """The token the header names, if it is valid now (not revoked, not expired, its actor
    active); None otherwise. Its last use is written at most once a minute."""
    secret = bearer_secret(authorization)
    if secret is None:
        return None
    digest = hash_secret(secret)
    row = ApiToken.select(ApiToken, User).join(User).where(ApiToken.token_hash == digest).first()
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    now = utcnow()
    if state(row, now) != "giltig" or not row.user.active:
        return None
    if row.last_used_at is None or now - row.last_used_at > TOUCH_EVERY:
        ApiToken.update(last_used_at=now).where(ApiToken.id == row.id).execute()
    return row


def allows(row: ApiToken, needed: str) -> bool:
    """write includes read."""
    return needed == "read" or row.scope == "write"


# --- the command ----------------------------------------------------------------------------------

def moment_text(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "–"


@tokens_cli.command("create")
@click.argument("name")
@click.option("--scope", type=click.Choice(SCOPES), required=True,
              help="read: läsa ärenden; write: även ändra status, skriva meddelanden och läsa interna anteckningar.")
@click.option("--expires", "days", type=click.IntRange(1, 3650), default=None, help="Giltig så många dagar.")
def create_command(name: str, scope: str, days: int | None) -> None:
    """Create a token NAME; its secret is printed once."""
    try:
        issued = create_token(name, scope, days)
    except TokenNameError as problem:
        raise click.BadParameter(str(problem), param_hint="NAME") from None
    click.echo(f"API-nyckel {issued.row.id} ({issued.row.name}, {scope}, går ut {moment_text(issued.row.expires_at)}).")
    click.echo("Spara nyckeln nu, den visas bara den här gången:")
    click.echo(issued.secret)


@tokens_cli.command("list")
def list_command() -> None:
    """id, name, scope, state, created, expires, last used (never the secret)."""
    now = utcnow()
    for row in all_tokens():
        click.echo("\t".join((str(row.id), row.name, row.scope, state(row, now), f"{row.prefix}…",
                              f"skapad {moment_text(row.created_at)}", f"går ut {moment_text(row.expires_at)}",
                              f"senast använd {moment_text(row.last_used_at)}")))


@tokens_cli.command("revoke")
@click.argument("token_id", type=click.IntRange(1, 2**31 - 1))
def revoke_command(token_id: int) -> None:
    """Revoke token TOKEN_ID (the id `tokens list` shows) at once."""
    row = revoke(token_id)
    if row is None:
        raise click.ClickException(f"Ingen API-nyckel med id {token_id}.")
    click.echo(f"API-nyckel {row.id} ({row.name}) är återkallad.")
