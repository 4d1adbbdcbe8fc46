"""What every page's layout needs: the navigation for the signed-in role, and money display."""

from flask import Flask, url_for
from flask_login import current_user

from campaigns.accounts.business import get_settings
from campaigns.core import money, numbers
from campaigns.web import page_purposes
from campaigns.web.access import allows, required_role

# Navigation: each item shows only to roles its endpoint's rule admits (the same rule that guards it).
NAVIGATION = (
    ("dashboard.index", "Dashboard"),
    ("marketing.campaigns", "Campaigns"),
    ("purchases.index", "Purchases"),
    ("customers.index", "Customers"),
    ("desk.index", "Front desk"),
    ("settings.index", "Settings"),
)


def navigation() -> list[dict]:
    """Return the navigation items the signed-in user may open."""
    if not current_user.is_authenticated:
        return []
    return [{"endpoint": endpoint, "label": label, "url": url_for(endpoint)}
            for endpoint, label in NAVIGATION if allows(current_user.role, required_role(endpoint))]


def money_reading() -> dict:
    """Return how amounts are typed and shown here (locale, currency, marks), for a page's JSON data block."""
    settings = get_settings()
    return dict(money.marks(settings.locale, settings.currency, money.exponent(settings.currency)))


def init_app(app: Flask) -> None:
    """Make navigation, each page's purpose line and money formatting available to templates."""
    app.context_processor(lambda: {"navigation": navigation()})
    page_purposes.init_app(app)
    app.add_template_global(money_reading)

    @app.template_filter("number")
    def number_filter(value):
        return numbers.count_text(value, get_settings().locale)

    @app.template_filter("decimal")
    def decimal_filter(value, places=1):
        return numbers.decimal_text(float(value), get_settings().locale, places)

    @app.template_filter("percentage")
    def percentage_filter(value):  # a percentage already times 100 (65 for 65%; 62.5), to two decimals at most
        places = next(places for places in (0, 1, 2) if round(float(value), places) == round(float(value), 2))
        return numbers.percent_text(float(value), places, get_settings().locale)

    @app.template_filter("day")
    def day_filter(day):
        return numbers.day_text(day, get_settings().locale)

    @app.template_filter("money")
    def money_filter(cents, currency=None):
        settings = get_settings()
        return money.format_amount(cents, currency or settings.currency, settings.locale)
