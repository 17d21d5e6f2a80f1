"""Development tools, never imported in production: the BankID simulator (bankid_simulator), its
mount inside the portal (simulator_mount), the SMTP sink that prints e-mail (smtp_sink) and the
one-process dev server (server).

create_app imports this package only when ENV is "development" or BANKID_SIMULATOR is on.
"""
from app.dev import server, simulator_mount, smtp_sink


def init_app(app) -> None:
    server.init_app(app)
    smtp_sink.init_app(app)
    simulator_mount.init_app(app)
