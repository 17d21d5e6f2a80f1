"""Development only: the BankID simulator served inside the portal at /bankid-simulator, so
`make run` needs one process and one port while the real BankID client code talks to it over
HTTP. Production refuses to start with it (app.platform.security)."""
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from app.dev.bankid_simulator import create_simulator

MOUNT_POINT = "/bankid-simulator"


def init_app(app) -> None:
    if app.config.get("BANKID_SIMULATOR"):
        simulator = create_simulator(app.config.get("BANKID_SIMULATOR_SETTINGS"))
        app.extensions["bankid_simulator_app"] = simulator
        app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {MOUNT_POINT: simulator})
