"""Redeeming vouchers at the counter: exactly one success per voucher, every attempt in the audit log."""
import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select

from campaigns.accounts.business import business_zone
from campaigns.contacts.contact import Contact
from campaigns.contacts.matching import find_or_create
from campaigns.core import audit, inputs
from campaigns.core.errors import DomainError
from campaigns.desk import rule
from campaigns.extensions import db
from campaigns.giving import codes
from campaigns.giving.designs import campaign_state
from campaigns.giving.vouchers import attach_customer
from campaigns.jobs import webhooks
from campaigns.models import ApiToken, Campaign, Location, Redemption, User, Voucher, utcnow

OFFLINE_LIMIT = timedelta(days=7)
CLOCK_SKEW = timedelta(minutes=5)  # a device clock this little ahead is read as "now", not refused


class RedemptionError(DomainError):
    """A redemption that did not happen, with the API.md outcome code and a reason in plain words."""


@dataclass
class Attempt:
    """Who is redeeming, from where, and when the device says it scanned."""

    user_id: int | None = None
    token_id: int | None = None
    location: str | None = None
    scanned_at: datetime | None = None
    ip_address: str | None = None
    customer: Contact | None = None
    details: dict = field(default_factory=dict)
    scan_id: str | None = None  # the device's id for this scan: sent again, it finds what the first sending did


@dataclass(frozen=True)
class Redeemed:
    """A redemption that happened: what the counter needs to show and act on."""

    id: int
    voucher_id: int
    code: str
    redeemed_at: datetime
    recorded_at: datetime
    campaign_id: int
    campaign_name: str
    offer: str
    customer_id: int | None
    location_name: str | None
    repeated: bool = False  # the same scan (scan_id) sent again: nothing new was written
    hooked: bool = False  # some webhook wants voucher.redeemed


def redeem(text: str, attempt: Attempt, now: datetime | None = None) -> Redeemed:
    """Redeem the voucher a typed or scanned code names, or raise RedemptionError.

    A refusal leaves nothing behind but its audit entry, which stays in the caller's transaction for the
    caller to keep. The happy path runs at every scan: one statement on PostgreSQL, four plain ones elsewhere.
    """
    now = now or utcnow()
    location = None
    # Only attaching a customer can fail after the redemption is written, so only then is a savepoint needed.
    savepoint = db.session.begin_nested() if attempt.customer is not None else None
    try:
        code = _code(text)
        redeemed_at = _redemption_time(attempt.scanned_at, now)
        made = _sent_before(attempt, code, now) or _write(code, redeemed_at, attempt, now)
        if made is None:
            # A simultaneous sending of the same scan may have won the voucher: then this one is its repeat.
            made = _sent_before(attempt, code, now)
        if made is None:
            location = _location(attempt.location)
            _explain(code, redeemed_at)
        if attempt.customer is not None and not made.repeated:
            made = _attach(made, attempt.customer)
    except RedemptionError as error:
        if savepoint is not None:
            savepoint.rollback()
        audit_attempt(attempt, location, text, error.code, {"message": error.message, **error.details})
        raise
    if savepoint is not None:
        savepoint.commit()
    if made.hooked and not made.repeated:
        webhooks.emit("voucher.redeemed", {
            "redemption_id": made.id, "code": made.code, "redeemed_at": made.redeemed_at.isoformat(),
            "campaign": {"id": made.campaign_id, "name": made.campaign_name}, "customer_id": made.customer_id,
            "location": made.location_name}, now)
    return made


def _params(code: str, redeemed_at: datetime, attempt: Attempt, now: datetime) -> dict:
    """The named parameters of the rule's statements (redemption_rule)."""
    return {"b_code": code, "b_redeemed_at": redeemed_at, "b_now": now, "b_location": attempt.location,
            "b_local_day": redeemed_at.astimezone(business_zone()).date(), "b_user_id": attempt.user_id,
            "b_token_id": attempt.token_id, "b_ip_address": attempt.ip_address, "b_device_time": _device_time(attempt),
            "b_details": json.dumps(attempt.details), "b_scan_id": attempt.scan_id}


def _write(code: str, redeemed_at: datetime, attempt: Attempt, now: datetime) -> Redeemed | None:
    """Write the redemption and its audit entry; None when the rule or the location refused it."""
    params = _params(code, redeemed_at, attempt, now)
    connection = db.session.connection()  # the session's bind, without working it out again (flask-sqlalchemy's)
    if connection.dialect.name == "postgresql":
        return _write_in_one_statement(connection, params, attempt)
    place = None
    if attempt.location:
        place = _open_location(attempt.location)
        if place is None:
            return None
    won = db.session.execute(rule.CLAIM, params).first()
    if won is None:
        return None
    campaign = db.session.execute(select(_CAMPAIGN.c.name, _CAMPAIGN.c.offer, rule.HOOKED)
                                  .where(_CAMPAIGN.c.id == won.campaign_id)).one()
    redemption_id = db.session.execute(insert(_REDEMPTION).values(
        voucher_id=won.id, campaign_id=won.campaign_id, customer_id=won.customer_id, redeemed_at=redeemed_at,
        recorded_at=now, location_id=place.id if place else None, user_id=attempt.user_id,
        token_id=attempt.token_id, scan_id=attempt.scan_id).returning(_REDEMPTION.c.id)).scalar_one()
    audit.record("redeem", "redeemed", **_audit_fields(attempt, place.id if place else None, code),
                 details={**attempt.details, "redemption_id": redemption_id}, now=now)
    return Redeemed(redemption_id, won.id, code, redeemed_at, now, won.campaign_id, campaign.name, campaign.offer,
                    won.customer_id, place.name if place else None, hooked=campaign.hooked)


def _write_in_one_statement(connection, params: dict, attempt: Attempt) -> Redeemed | None:
    """Redeem in the one PostgreSQL statement, on the session's connection; None when it redeemed nothing."""
    row = rule.redeem_in_one_statement(connection, bool(attempt.location), params)
    if row is None:
        return None
    return Redeemed(row.id, row.voucher_id, params["b_code"], params["b_redeemed_at"], params["b_now"],
                    row.campaign_id, row.name, row.offer, row.customer_id, row.place, hooked=row.hooked)


_VOUCHER = Voucher.__table__
_CAMPAIGN = Campaign.__table__
_REDEMPTION = Redemption.__table__
_FIND = (select(_VOUCHER.c.id, _VOUCHER.c.redeemed_at, _VOUCHER.c.void_at, _CAMPAIGN.c.status,
                _CAMPAIGN.c.starts_on, _CAMPAIGN.c.ends_on)
         .join(_CAMPAIGN, _CAMPAIGN.c.id == _VOUCHER.c.campaign_id))


def _sent_before(attempt: Attempt, code: str, now: datetime) -> Redeemed | None:
    """The redemption this scan (its scan_id) already made, audited as a repeat; None for a scan never seen.

    A scan_id that redeemed another voucher is refused: a device reusing ids would otherwise lose scans.
    """
    if not attempt.scan_id:
        return None
    row = db.session.execute(
        select(Redemption, _VOUCHER.c.code, _CAMPAIGN.c.name, _CAMPAIGN.c.offer, Location.name)
        .join(_VOUCHER, _VOUCHER.c.id == Redemption.voucher_id)
        .join(_CAMPAIGN, _CAMPAIGN.c.id == Redemption.campaign_id).outerjoin(Location, Location.id == Redemption.location_id).where(Redemption.scan_id == attempt.scan_id)
    ).first()
    if row is None:
        return None
    made, voucher_code, name, offer, place = row
    if voucher_code != code:
        raise RedemptionError("scan_id_taken", "This scan_id was sent before with another voucher's code.",
                              {"fields": {"scan_id": "already used for another code"}})
    audit.record("redeem", "repeated", **_audit_fields(attempt, made.location_id, code),
                 details={**attempt.details, "redemption_id": made.id, "scan_id": attempt.scan_id}, now=now)
    return Redeemed(made.id, made.voucher_id, code, made.redeemed_at, made.recorded_at, made.campaign_id, name, offer,
                    made.customer_id, place, repeated=True)


def _code(text: str) -> str:
    try:
        return codes.normalise(text)
    except codes.CodeError as error:
        raise RedemptionError("invalid_code", f"Looks mistyped: {error}") from None


def _explain(code: str, redeemed_at: datetime) -> None:
    """Raise the outcome of API.md that says why the rule refused this voucher."""
    found = db.session.execute(_FIND.where(_VOUCHER.c.code == code)).first()
    if found is None:
        raise RedemptionError("unknown_code", "No voucher has this code. Check it was typed right.")
    _refuse_unless_redeemable(found, redeemed_at, business_zone())
    # It looked redeemable: someone else redeemed it between the rule's write and this read, and undid it.
    raise RedemptionError("already_redeemed", "Already redeemed.")


def _attach(made: Redeemed, contact: Contact) -> Redeemed:
    """Attach the customer the desk named to the voucher just redeemed; on failure nothing is redeemed."""
    voucher = db.session.get(Voucher, made.voucher_id)
    try:
        attach_customer(voucher, find_or_create(contact))
    except DomainError as error:
        raise RedemptionError(error.code, error.message + " Nothing was redeemed.", error.details) from None
    return replace(made, customer_id=voucher.customer_id)


def _redemption_time(scanned_at: datetime | None, now: datetime) -> datetime:
    if scanned_at is None:
        return now
    if scanned_at.tzinfo is None:
        raise RedemptionError("invalid_input", "scanned_at needs a time zone offset.",
                              {"fields": {"scanned_at": "ISO 8601 with an offset, e.g. 2026-11-23T14:02:00+01:00"}})
    if scanned_at > now + CLOCK_SKEW or scanned_at < now - OFFLINE_LIMIT:
        raise RedemptionError("invalid_input", "scanned_at must be within the last 7 days and not in the future.",
                              {"fields": {"scanned_at": "within the last 7 days, not in the future"}})
    return min(scanned_at, now).astimezone(UTC)  # never in the future: a clock a little fast means now


def _refuse_unless_redeemable(voucher, at: datetime, zone: ZoneInfo) -> None:
    """Raise the outcome of API.md that fits a voucher that cannot be redeemed at `at`.

    `voucher` is a row with the voucher's id, redeemed_at and void_at and its campaign's status and dates.
    """
    if voucher.void_at is not None:
        raise RedemptionError("void", "This voucher was cancelled. Do not hand anything over.")
    if voucher.redeemed_at is not None:
        details = first_redemption(voucher, zone)
        raise RedemptionError("already_redeemed", f"Already redeemed {details['summary']}.", details)
    campaign = voucher
    state = campaign_state(campaign, at, zone)
    if state == "expired":
        raise RedemptionError("expired", f"Expired on {campaign.ends_on:%-d %b %Y}.",
                              {"ends_on": campaign.ends_on.isoformat()})
    if state != "active":
        reasons = {"draft": "This campaign has not started: it is still a draft.",
                   "paused": "This campaign is paused right now.", "ended": "This campaign has ended.",
                   "not_started": f"Not valid until {campaign.starts_on:%-d %b %Y}." if campaign.starts_on else ""}
        raise RedemptionError("campaign_not_active", reasons[state], {"campaign_status": state})


def first_redemption(voucher, zone: ZoneInfo | None = None) -> dict:
    """Describe the live redemption of a voucher: when, where and by whom, for people and programs."""
    zone = zone or business_zone()
    row = db.session.execute(
        select(Redemption, Location.name, func.coalesce(User.name, ApiToken.name))
        .outerjoin(Location, Location.id == Redemption.location_id).outerjoin(User, User.id == Redemption.user_id)
        .outerjoin(ApiToken, ApiToken.id == Redemption.token_id)
        .where(Redemption.voucher_id == voucher.id, Redemption.undone_at.is_(None))
    ).first()
    if row is None:
        when = voucher.redeemed_at
        return {"redeemed_at": when.isoformat() if when else None, "location": None, "by": None,
                "summary": _when(when, zone) if when else "earlier"}
    redemption, place, person = row
    summary = _when(redemption.redeemed_at, zone) + (f" at {place}" if place else "") + (f" by {person}" if person else "")
    return {"redeemed_at": redemption.redeemed_at.isoformat(), "location": place, "by": person, "summary": summary,
            "redemption_id": redemption.id}


def _when(moment: datetime, zone: ZoneInfo, now: datetime | None = None) -> str:
    """Say when in the words a counter uses: today 14:02, yesterday 14:02, on 3 Nov 14:02."""
    local = moment.astimezone(zone)
    today = (now or utcnow()).astimezone(zone).date()
    clock = local.strftime("%H:%M")
    if local.date() == today:
        return f"today {clock}"
    if local.date() == today - timedelta(days=1):
        return f"yesterday {clock}"
    return f"on {local:%-d %b %Y} {clock}"


def _open_location(name: str):
    """Return the open location called `name` (any case) as a row (id, name), or None."""
    return db.session.execute(rule.PLACE, {"b_location": name}).first()


def _location(name: str | None):
    """Return the open location the attempt names (None when it names none), or raise unknown_location."""
    if not name:
        return None
    location = _open_location(name)
    if location is None:
        raise RedemptionError("unknown_location", f"There is no open location called {name!r}.",
                              {"fields": {"location": "not a location of this business"}})
    return location


def _device_time(attempt: Attempt) -> datetime | None:
    return attempt.scanned_at if attempt.scanned_at and attempt.scanned_at.tzinfo else None


def _audit_fields(attempt: Attempt, location_id: int | None, subject: str) -> dict:
    """The audit entry's columns for an attempt, alike for every outcome."""
    return {"user_id": attempt.user_id, "token_id": attempt.token_id, "location_id": location_id,
            "ip_address": attempt.ip_address, "device_time": _device_time(attempt),
            "subject": ("voucher", inputs.printable(subject or "", 64))}


def audit_attempt(attempt: Attempt, location, subject: str, outcome: str, details: dict) -> None:
    """Write one redemption attempt to the audit log."""
    audit.record("redeem", outcome, **_audit_fields(attempt, location.id if location else None, subject),
                 details={**attempt.details, **details})
