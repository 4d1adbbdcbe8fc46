"""Web blueprints, one per audience, and their registration."""
from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Attach every blueprint to the app."""
    from . import api, api_campaigns, api_desk, auth, dashboard, desk, marketing, public, settings  # noqa: F401

    for module in (auth, dashboard, marketing, desk, settings, public, api):
        app.register_blueprint(module.bp)
