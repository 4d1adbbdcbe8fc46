"""The business's settings and its locations."""
import hashlib
from decimal import Decimal
from zoneinfo import ZoneInfo, available_timezones

import phonenumbers
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError

from campaigns.core import audit, cache, inputs, money
from campaigns.core.errors import AccountError, FieldErrors, ValidationError
from campaigns.core.inputs import MONEY_DIGITS
from campaigns.core.words import LANGUAGES
from campaigns.extensions import db
from campaigns.models import BusinessSettings, Location

UNCHANGED = object()  # an optional setting not given: keep what is stored
# The settings as they are before anyone saves the Settings page (accounts.first_steps tells a change by them).
DEFAULT_SETTINGS = {"business_name": "My business", "currency": "USD", "time_zone": "UTC",
                    "default_gross_margin_bp": 10000, "default_phone_region": "US", "locale": "en_US"}


def get_settings() -> BusinessSettings:
    """Return the installation's settings, creating the defaults on first use."""
    settings = db.session.get(BusinessSettings, 1)
    if settings is None:
        _make_defaults()
        settings = db.session.get(BusinessSettings, 1)
    return settings


def _make_defaults() -> None:
    """Store the default settings row. On PostgreSQL in a transaction of its own, committed at once: made inside the
    caller's transaction, the uncommitted row would make every other first user wait for that whole transaction, and
    two such waits across the campaign row deadlock. SQLite runs one writer at a time, so a savepoint serves there."""
    defaults = {"id": 1, **DEFAULT_SETTINGS}
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(pg_insert(BusinessSettings.__table__).values(defaults).on_conflict_do_nothing())
        return
    savepoint = db.session.begin_nested()
    try:
        db.session.add(BusinessSettings(**defaults))
        db.session.flush()
    except IntegrityError:  # another process made them a moment ago: theirs are the same defaults
        savepoint.rollback()
    else:
        savepoint.commit()


def update_settings(*, business_name: str, currency: str, time_zone: str, default_gross_margin_bp: int,
                    default_phone_region: str, locale: str | None = None,
                    large_purchase: Decimal | None | object = UNCHANGED, by_user_id: int | None = None) -> BusinessSettings:
    """Check and store new settings; nothing changes when any field is wrong. The locale and the threshold
    above which the desk asks again (`large_purchase`, in the new currency; None: never ask) change when given.
    What changed is audited as done by `by_user_id`."""
    errors = {}
    business_name = (business_name or "").strip()
    currency = (currency or "").strip().upper()
    default_phone_region = (default_phone_region or "").strip().upper()
    if not 1 <= len(business_name) <= 120:
        errors["business_name"] = "Give a name of 1 to 120 characters."
    if len(currency) != 3 or not currency.isalpha():
        errors["currency"] = "Use a three-letter ISO 4217 code such as USD or EUR."
    elif currency not in dict(money.currency_choices()):
        errors["currency"] = f"{currency} is not a currency in use today (ISO 4217), e.g. USD or EUR."
    if time_zone not in available_timezones():
        errors["time_zone"] = f"{time_zone!r} is not a known time zone (e.g. Europe/Lisbon)."
    if not isinstance(default_gross_margin_bp, int) or not 0 <= default_gross_margin_bp <= 10000:
        errors["default_gross_margin_pct"] = "Margin must be between 0 and 100 percent."
    if default_phone_region not in phonenumbers.SUPPORTED_REGIONS:
        errors["default_phone_region"] = "Use a two-letter country code such as US or PT."
    if locale is not None and locale not in money.LOCALES:
        errors["locale"] = f"Choose one of the offered formats ({', '.join(money.LOCALES)})."
    threshold = None
    if large_purchase is not None and large_purchase is not UNCHANGED and "currency" not in errors:
        try:
            threshold = money.to_cents(large_purchase, currency)
            if not 0 < threshold < 10 ** (MONEY_DIGITS + money.exponent(currency)):
                raise money.MoneyError(f"Give an amount above zero and below {10 ** MONEY_DIGITS:,}, "
                                       "or leave it empty to never ask.")
        except money.MoneyError as error:
            errors["large_purchase"] = str(error)
    if errors:
        raise ValidationError(errors)
    settings = get_settings()
    before = _readings(settings)
    settings.business_name = business_name
    settings.currency = currency
    settings.time_zone = time_zone
    settings.default_gross_margin_bp = default_gross_margin_bp
    settings.default_phone_region = default_phone_region
    if locale is not None:
        settings.locale = locale
    if large_purchase is not UNCHANGED:
        settings.large_purchase_cents = threshold
    db.session.flush()
    cache.forget("zone")
    _audit_changes("business_settings", before, _readings(settings), by_user_id)
    return settings


_AUDITED = ("business_name", "currency", "time_zone", "default_gross_margin_bp", "default_phone_region", "locale",
            "large_purchase_cents", "address", "opening_hours", "customer_language")


def _readings(settings: BusinessSettings) -> dict:
    return {field: getattr(settings, field, None) for field in _AUDITED}


def _audit_changes(action: str, before: dict, after: dict, by_user_id: int | None) -> None:
    """Write down which settings changed, old and new, when any did."""
    changed = audit.changes(before, after)
    if changed:
        audit.record(action, "changed", user_id=by_user_id, subject=("settings", 1), details={"changes": changed})


ZONE_CACHE_SECONDS = 10.0
ZONE_REGIONS = ("Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe", "Indian",
                "Pacific")


def zone_choices(current: str = "") -> dict[str, list[tuple[str, str]]]:
    """Return the IANA time zones by region ("Europe": [("Europe/Lisbon", "Lisbon"), …]), UTC first; a stored
    zone outside the regions (an old alias such as US/Eastern) is kept in the list under "Other"."""
    groups: dict[str, list[tuple[str, str]]] = {"Universal": [("UTC", "UTC")]}
    for zone in sorted(available_timezones()):
        region, _, place = zone.partition("/")
        if region in ZONE_REGIONS and place:
            groups.setdefault(region, []).append((zone, place.replace("_", " ").replace("/", " / ")))
    if current and current != "UTC" and not any(current == zone for items in groups.values() for zone, _ in items):
        groups["Other"] = [(current, current)]
    return groups



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


def create_location(name: str, address: str = "", by_user_id: int | None = None) -> Location:
    """Add a location with a name unique in any case."""
    location = _save_location(Location(active=True), name, address)
    audit.record("location", "created", user_id=by_user_id, subject=("location", location.id),
                 details={"name": location.name, "address": location.address})
    return location


def update_location(location: Location, *, name: str, address: str, active: bool,
                    by_user_id: int | None = None) -> Location:
    """Rename, re-address, deactivate or reactivate a location (audited as done by `by_user_id`)."""
    before = {"name": location.name, "address": location.address, "active": location.active}
    location.active = active
    _save_location(location, name, address)
    changed = audit.changes(before, {"name": location.name, "address": location.address, "active": location.active})
    if changed:
        audit.record("location", "changed", user_id=by_user_id, subject=("location", location.id),
                     details={"changes": changed})
    return location


# What customers' pages show about the business (issue 16): address, opening hours and a logo.
CUSTOMER_TEXT_MAX = 255
LOGO_MAX_BYTES = 500 * 1024
# Raster images only, known by their first bytes: an SVG can carry script, so it is never accepted.
LOGO_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WebP"}


def update_customer_page(address: str | None, opening_hours: str | None, by_user_id: int | None = None,
                         customer_language: str | None | object = UNCHANGED) -> BusinessSettings:
    """Store the address and opening hours customers' pages show (empty: not shown) and, when given, the language
    customers read (None: the business locale's); nothing changes on an error."""
    wrong = FieldErrors()
    if customer_language is not UNCHANGED and customer_language is not None and customer_language not in LANGUAGES:
        wrong.add("customer_language", f"Choose one of the offered languages ({', '.join(LANGUAGES)}).")
    address = wrong.check(inputs.text, address or "", "address", CUSTOMER_TEXT_MAX, multiline=True)
    hours = wrong.check(inputs.text, opening_hours or "", "opening_hours", CUSTOMER_TEXT_MAX, multiline=True)
    wrong.raise_any()
    settings = get_settings()
    before = _readings(settings)
    settings.address, settings.opening_hours = address or None, hours or None
    if customer_language is not UNCHANGED:
        settings.customer_language = customer_language
    db.session.flush()
    _audit_changes("customer_page", before, _readings(settings), by_user_id)
    return settings


def logo_type_of(data: bytes) -> str | None:
    """Return the media type a PNG, JPEG or WebP file's first bytes show, or None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def set_logo(data: bytes, content_type: str | None, by_user_id: int | None = None) -> BusinessSettings:
    """Store a PNG, JPEG or WebP logo of at most LOGO_MAX_BYTES whose bytes are what its type says."""
    declared = (content_type or "").split(";")[0].strip().lower()
    found = logo_type_of(data or b"")
    problem = None
    if not data:
        problem = "Choose an image file."
    elif len(data) > LOGO_MAX_BYTES:
        problem = f"This file is larger than {LOGO_MAX_BYTES // 1024} KB: save a smaller logo."
    elif declared == "image/svg+xml":
        problem = "SVG is not accepted (it can carry script): save the logo as PNG, JPEG or WebP."
    elif found is None:
        problem = "This file is not a PNG, JPEG or WebP image."
    elif declared in LOGO_TYPES and declared != found:
        problem = f"This file says it is {LOGO_TYPES[declared]} but holds {LOGO_TYPES[found]}: save it again."
    if problem:
        raise ValidationError({"logo": problem})
    settings = get_settings()
    settings.logo, settings.logo_type = bytes(data), found
    db.session.flush()
    audit.record("customer_page", "logo_set", user_id=by_user_id, subject=("settings", 1),
                 details={"type": found, "bytes": len(data)})
    return settings


def remove_logo(by_user_id: int | None = None) -> BusinessSettings:
    """Take the logo off customers' pages."""
    settings = get_settings()
    if settings.logo:
        audit.record("customer_page", "logo_removed", user_id=by_user_id, subject=("settings", 1))
    settings.logo, settings.logo_type = None, None
    db.session.flush()
    return settings


def logo_version(settings: BusinessSettings) -> str | None:
    """Return a short fingerprint of the stored logo (None without one), for its address and ETag."""
    return hashlib.sha256(settings.logo).hexdigest()[:16] if settings.logo else None
