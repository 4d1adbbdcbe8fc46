"""The business's settings and its locations."""
from zoneinfo import ZoneInfo, available_timezones

import phonenumbers
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from . import cache
from .errors import AccountError, ValidationError
from .extensions import db
from .models import BusinessSettings, Location

COMMON_CURRENCIES = ("USD", "EUR", "GBP", "CAD", "AUD", "NZD", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK",
                     "JPY", "SGD", "HKD", "INR", "BRL", "MXN", "ZAR")


def get_settings() -> BusinessSettings:
    """Return the installation's settings, creating the defaults on first use."""
    settings = db.session.get(BusinessSettings, 1)
    if settings is None:
        settings = BusinessSettings(id=1, business_name="My business", currency="USD", time_zone="UTC",
                                    default_gross_margin_bp=10000, default_phone_region="US")
        db.session.add(settings)
        db.session.flush()
    return settings


def update_settings(*, business_name: str, currency: str, time_zone: str, default_gross_margin_bp: int,
                    default_phone_region: str) -> BusinessSettings:
    """Check and store new settings; nothing changes when any field is wrong."""
    errors = {}
    business_name = (business_name or "").strip()
    currency = (currency or "").strip().upper()
    default_phone_region = (default_phone_region or "").strip().upper()
    if not 1 <= len(business_name) <= 120:
        errors["business_name"] = "Give a name of 1 to 120 characters."
    if len(currency) != 3 or not currency.isalpha():
        errors["currency"] = "Use a three-letter ISO 4217 code such as USD or EUR."
    if time_zone not in available_timezones():
        errors["time_zone"] = f"{time_zone!r} is not a known time zone (e.g. Europe/Lisbon)."
    if not isinstance(default_gross_margin_bp, int) or not 0 <= default_gross_margin_bp <= 10000:
        errors["default_gross_margin_pct"] = "Margin must be between 0 and 100 percent."
    if default_phone_region not in phonenumbers.SUPPORTED_REGIONS:
        errors["default_phone_region"] = "Use a two-letter country code such as US or PT."
    if errors:
        raise ValidationError(errors)
    settings = get_settings()
    settings.business_name = business_name
    settings.currency = currency
    settings.time_zone = time_zone
    settings.default_gross_margin_bp = default_gross_margin_bp
    settings.default_phone_region = default_phone_region
    db.session.flush()
    cache.forget("zone")
    return settings


ZONE_CACHE_SECONDS = 10.0


def business_zone() -> ZoneInfo:
    """Return the business time zone, which decides what a day is.

    Read on every redemption, so each process keeps it for a few seconds; saving the settings here
    forgets it at once, and other processes pick a change up within ZONE_CACHE_SECONDS.
    """
    return cache.remember("zone", ZONE_CACHE_SECONDS, lambda: ZoneInfo(get_settings().time_zone))


def list_locations(include_inactive: bool = True) -> list[Location]:
    """Return locations by name."""
    query = select(Location).order_by(Location.name)
    if not include_inactive:
        query = query.where(Location.active.is_(True))
    return list(db.session.scalars(query))


def location_named(name):
    """Return the condition that picks the location called `name` (text or a bound parameter), in any case and
    without surrounding spaces: the one location look-up, which the unique index on lower(name) serves."""
    # The table's column, not the ORM attribute: the redemption statement stays plain Core on the hot path.
    return func.lower(Location.__table__.c.name) == func.lower(func.trim(name))


def find_location(name: str) -> Location | None:
    """Return the location with this name (any case), or None."""
    return db.session.scalar(select(Location).where(location_named(name)))


def _save_location(location: Location, name: str, address: str) -> Location:
    """Name and address a location; location_exists when another one has the name in any case."""
    name = (name or "").strip()
    if not 1 <= len(name) <= 120:
        raise ValidationError({"name": "Give the location a name of 1 to 120 characters."})
    taken = AccountError("location_exists", f"There is already a location called {name}.",
                         {"fields": {"name": "already in use"}})
    clash = select(Location.id).where(location_named(name))
    if location.id is not None:
        clash = clash.where(Location.id != location.id)
    if db.session.scalar(clash) is not None:
        raise taken
    savepoint = db.session.begin_nested()
    try:
        location.name, location.address = name, (address or "").strip()[:255]
        db.session.add(location)
        db.session.flush()
    except IntegrityError:  # a twin was saved a moment ago: the unique index on lower(name) decides
        savepoint.rollback()
        raise taken from None
    savepoint.commit()
    return location


def create_location(name: str, address: str = "") -> Location:
    """Add a location with a name unique in any case."""
    return _save_location(Location(active=True), name, address)


def update_location(location: Location, *, name: str, address: str, active: bool) -> Location:
    """Rename, re-address, deactivate or reactivate a location."""
    location.active = active
    return _save_location(location, name, address)
