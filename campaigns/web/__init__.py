"""Web blueprints, one per audience, and their registration."""
from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Attach every blueprint to the app."""
    from . import api, auth, dashboard, desk, marketing, settings

    for module in (auth, dashboard, marketing, desk, settings, api):
        app.register_blueprint(module.bp)
