"""Security settings every response and every production start must meet: secret key and
cookie flags, body size limits, security headers, and a refusal to start in production with
development settings.
"""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from werkzeug.middleware.proxy_fix import ProxyFix

DEV_SECRET_MARKERS = ("dev-only", "change-me")
MIN_SECRET_BYTES = 32

SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; img-src 'self' data:; object-src 'none'; "
                                "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class InsecureConfiguration(RuntimeError):
    pass


def is_byte_limit(value) -> bool:
    """A positive whole number of bytes; Flask reads None (or 0 from a blank setting) as no limit."""
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def production_problems(config) -> list[str]:
    key = config.get("SECRET_KEY") or ""
    checks = {
        "SECRET_KEY saknas eller är kortare än 32 tecken": len(key.encode()) < MIN_SECRET_BYTES,
        "SECRET_KEY är utvecklingsnyckeln": any(marker in key for marker in DEV_SECRET_MARKERS),
        "DEBUG är på": bool(config.get("DEBUG")),
        "FORM_PREVIEW är på": bool(config.get("FORM_PREVIEW")),
        "TRUSTED_HOSTS saknas (portalens värdnamn)": not config.get("TRUSTED_HOSTS"),
        "WTF_CSRF_ENABLED är av (skyddet mot förfalskade formulär)": not config.get("WTF_CSRF_ENABLED", True),
        "MAX_CONTENT_LENGTH saknar en gräns (största tillåtna begäran i byte)":
            not is_byte_limit(config.get("MAX_CONTENT_LENGTH")),
        "BankID-simulatorn är på": bool(config.get("BANKID_SIMULATOR")) or "simulator" in config.get("BANKID_URL", ""),
        "BANKID_URL saknas (BankID:s API-adress)": not config.get("BANKID_URL"),
        "PUBLIC_BASE_URL saknas (portalens adress i e-postlänkar)": not config.get("PUBLIC_BASE_URL"),
        "BankID-certifikat saknas (BANKID_CERT, BANKID_KEY, BANKID_CA ska vara filer)":
            not all(config.get(key) and Path(config[key]).is_file() for key in ("BANKID_CERT", "BANKID_KEY", "BANKID_CA")),
    }
    return [message for message, failed in checks.items() if failed]


def init_app(app) -> None:
    production = app.config["ENV"] == "production"
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=production,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=app.config["SESSION_ABSOLUTE_HOURS"]),
        # The cookie is set when its contents change (login, CSRF token), not re-signed and sent
        # on every response: the server's session row holds the idle and absolute limits, so a
        # cookie living on past them opens nothing, and this keeps it to "högst N timmar" after
        # login as "Om kakor" says (re-sending it made it last N hours after the last page).
        SESSION_REFRESH_EACH_REQUEST=False,
        SESSION_COOKIE_NAME="__Host-session" if production else "kundportalen_session",
        MAX_CONTENT_LENGTH=app.config["MAX_CONTENT_LENGTH"],
    )
    if app.config.get("TRUSTED_PROXIES"):
        # Behind N reverse proxies: the client address is the one the nearest N proxies vouch
        # for; X-Forwarded-For values a client makes up further left are ignored.
        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    if production:
        problems = production_problems(app.config)
        if problems:
            raise InsecureConfiguration("Osäker produktionskonfiguration: " + "; ".join(problems))

    @app.after_request
    def _headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if production:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
