"""What every page's layout needs: the navigation for the signed-in role, and money display."""

from flask import Flask, url_for
from flask_login import current_user

from .. import money
from ..business import get_settings
from .access import allows, required_role

# Navigation: each item shows only to roles its endpoint's rule admits (the same rule that guards it).
NAVIGATION = (
    ("dashboard.index", "Dashboard"),
    ("marketing.campaigns", "Campaigns"),
    ("desk.index", "Front desk"),
    ("settings.index", "Settings"),
)


def navigation() -> list[dict]:
    """Return the navigation items the signed-in user may open."""
    if not current_user.is_authenticated:
        return []
    return [{"endpoint": endpoint, "label": label, "url": url_for(endpoint)}
            for endpoint, label in NAVIGATION if allows(current_user.role, required_role(endpoint))]


def init_app(app: Flask) -> None:
    """Make navigation and money formatting available to templates."""
    app.context_processor(lambda: {"navigation": navigation()})

    @app.template_filter("money")
    def money_filter(cents, currency=None):
        return money.display(cents, currency or get_settings().currency)
