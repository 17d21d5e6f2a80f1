"""Blueprints of the portal, registered on the app in one place."""
from . import formrender, preview, public


def init_app(app) -> None:
    formrender.init_app(app)
    app.register_blueprint(public.bp)
    app.register_blueprint(preview.bp)
