"""Blueprints of the portal, registered on the app in one place."""
from . import (
    api,
    auth,
    bell,
    customer,
    drafts,
    errors,
    formrender,
    handler,
    preview,
    profile,
    public,
    shared,
    statistics,
)


def init_app(app) -> None:
    formrender.init_app(app)
    shared.init_app(app)
    errors.init_app(app)
    for blueprint in (api.bp, public.bp, auth.bp, profile.bp, customer.bp, drafts.bp, handler.bp, statistics.bp,
                      bell.bp, preview.bp):
        app.register_blueprint(blueprint)
