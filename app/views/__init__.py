"""Blueprints of the portal, registered on the app in one place."""
from . import auth, bell, customer, drafts, errors, formrender, handler, preview, profile, public


def init_app(app) -> None:
    formrender.init_app(app)
    errors.init_app(app)
    for blueprint in (public.bp, auth.bp, profile.bp, customer.bp, drafts.bp, handler.bp, bell.bp, preview.bp):
        app.register_blueprint(blueprint)
