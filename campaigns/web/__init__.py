"""Web blueprints, one per audience, and their registration."""
from flask import Flask
from werkzeug.routing import BaseConverter

from campaigns.core.inputs import ID_MAX


class IdConverter(BaseConverter):
    """`<int:…>` in every route: 1 to 10 digits without a leading zero. An id past the largest key (which
    no row can have) reads as 0, which no row has either, so it answers the route's own 404 instead of
    overflowing the database's integer."""

    regex = r"[1-9][0-9]{0,9}"
    part_isolating = True

    def to_python(self, value: str) -> int:
        number = int(value)
        return number if number <= ID_MAX else 0

    def to_url(self, value) -> str:
        return str(int(value))


def register_blueprints(app: Flask) -> None:
    """Attach every blueprint to the app."""
    from campaigns.web import (  # noqa: F401  (routes on api.bp)
        api,
        api_audiences,
        api_campaigns,
        api_desk,
        api_purchases,
        api_reports,
        api_sends,
        api_sync,
        api_webhooks,
        audience,
        audit_log,
        auth,
        customers,
        dashboard,
        desk,
        desk_offline,
        email_settings,
        exports,
        feedback,
        imports,
        marketing,
        public,
        purchases,
        sends,
        settings,
        unsubscribe,
        webhook_settings,
    )

    app.url_map.converters["int"] = IdConverter
    for module in (auth, dashboard, feedback, marketing, audience, sends, purchases, imports, customers, desk,
                   desk_offline, settings, email_settings, webhook_settings, audit_log, exports, public, unsubscribe,
                   api):
        app.register_blueprint(module.bp)
