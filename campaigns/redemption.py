"""Redeeming vouchers at the counter: exactly one success per voucher, every attempt in the audit log."""
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from . import audit, codes
from .business import business_zone, find_location
from .customers import Contact, find_or_create
from .errors import DomainError
from .extensions import db
from .models import Location, Redemption, User, Voucher, utcnow
from .vouchers import attach_customer, campaign_state

OFFLINE_LIMIT = timedelta(days=7)
CLOCK_SKEW = timedelta(minutes=5)  # a device clock a little ahead is not "in the future"
UNDO_WINDOW = timedelta(minutes=15)


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


def redeem(text: str, attempt: Attempt, now: datetime | None = None) -> Redemption:
    """Redeem the voucher a typed or scanned code names, or raise RedemptionError.

    The work runs in a savepoint: a failure leaves nothing behind but its audit entry, which stays in
    the caller's transaction either way.
    """
    now = now or utcnow()
    try:
        location = _location(attempt.location)
    except RedemptionError as error:
        audit_attempt(attempt, None, text, error.code, {"message": error.message, **error.details})
        raise
    savepoint = db.session.begin_nested()
    try:
        redemption = _redeem(text, attempt, location, now)
    except RedemptionError as error:
        savepoint.rollback()
        audit_attempt(attempt, location, text, error.code, {"message": error.message, **error.details})
        raise
    savepoint.commit()
    audit_attempt(attempt, location, redemption.voucher.code, "redeemed", {"redemption_id": redemption.id})
    return redemption


def _redeem(text: str, attempt: Attempt, location: Location | None, now: datetime) -> Redemption:
    try:
        code = codes.normalise(text)
    except codes.CodeError as error:
        raise RedemptionError("invalid_code", f"Looks mistyped: {error}", status=422) from None
    redeemed_at = _redemption_time(attempt.scanned_at, now)
    voucher = db.session.scalar(select(Voucher).where(Voucher.code == code))
    if voucher is None:
        raise RedemptionError("unknown_code", "No voucher has this code. Check it was typed right.", status=404)
    zone = business_zone()
    _refuse_unless_redeemable(voucher, redeemed_at, zone)
    won = db.session.execute(
        update(Voucher).where(Voucher.id == voucher.id, Voucher.redeemed_at.is_(None), Voucher.void_at.is_(None))
        .values(redeemed_at=redeemed_at).execution_options(synchronize_session=False)
    ).rowcount == 1
    db.session.refresh(voucher)
    if not won:  # someone else redeemed (or voided) it between our read and our write
        _refuse_unless_redeemable(voucher, redeemed_at, zone)
        raise RedemptionError("already_redeemed", "Already redeemed.", status=409)
    redemption = Redemption(voucher_id=voucher.id, campaign_id=voucher.campaign_id, customer_id=voucher.customer_id,
                            redeemed_at=redeemed_at, recorded_at=now, location_id=location.id if location else None,
                            user_id=attempt.user_id, token_id=attempt.token_id)
    db.session.add(redemption)
    db.session.flush()
    if attempt.customer is not None:
        try:
            attach_customer(voucher, find_or_create(attempt.customer))
        except DomainError as error:
            raise RedemptionError(error.code, error.message + " Nothing was redeemed.", error.details,
                                  status=error.status) from None
        redemption.customer_id = voucher.customer_id
    return redemption


def _redemption_time(scanned_at: datetime | None, now: datetime) -> datetime:
    if scanned_at is None:
        return now
    if scanned_at.tzinfo is None:
        raise RedemptionError("invalid_input", "scanned_at needs a time zone offset.",
                              {"fields": {"scanned_at": "ISO 8601 with an offset, e.g. 2026-11-23T14:02:00+01:00"}})
    if scanned_at > now + CLOCK_SKEW or scanned_at < now - OFFLINE_LIMIT:
        raise RedemptionError("invalid_input", "scanned_at must be within the last 7 days and not in the future.",
                              {"fields": {"scanned_at": "within the last 7 days, not in the future"}})
    return scanned_at


def _refuse_unless_redeemable(voucher: Voucher, at: datetime, zone: ZoneInfo) -> None:
    """Raise the outcome of API.md that fits a voucher that cannot be redeemed at `at`."""
    if voucher.void_at is not None:
        raise RedemptionError("void", "This voucher was cancelled. Do not hand anything over.", status=409)
    if voucher.redeemed_at is not None:
        details = first_redemption(voucher, zone)
        raise RedemptionError("already_redeemed", f"Already redeemed {details['summary']}.", details, status=409)
    campaign = voucher.campaign
    state = campaign_state(campaign, at, zone)
    if state == "expired":
        raise RedemptionError("expired", f"Expired on {campaign.ends_on:%-d %b %Y}.",
                              {"ends_on": campaign.ends_on.isoformat()}, status=410)
    if state != "active":
        reasons = {"draft": "This campaign has not started: it is still a draft.",
                   "paused": "This campaign is paused right now.", "ended": "This campaign has ended.",
                   "not_started": f"Not valid until {campaign.starts_on:%-d %b %Y}." if campaign.starts_on else ""}
        raise RedemptionError("campaign_not_active", reasons[state], {"campaign_status": state}, status=422)


def first_redemption(voucher: Voucher, zone: ZoneInfo | None = None) -> dict:
    """Describe the live redemption of a voucher: when, where and by whom, for people and programs."""
    zone = zone or business_zone()
    row = db.session.execute(
        select(Redemption, Location.name, User.name)
        .outerjoin(Location, Location.id == Redemption.location_id).outerjoin(User, User.id == Redemption.user_id)
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


def _location(name: str | None) -> Location | None:
    if not name:
        return None
    location = find_location(name)
    if location is None or not location.active:
        raise RedemptionError("unknown_location", f"There is no open location called {name!r}.",
                              {"fields": {"location": "not a location of this business"}}, status=422)
    return location


def audit_attempt(attempt: Attempt, location: Location | None, subject: str, outcome: str, details: dict) -> None:
    """Write one redemption attempt to the audit log."""
    audit.record("redeem", outcome, user_id=attempt.user_id, token_id=attempt.token_id,
                 location_id=location.id if location else None, ip_address=attempt.ip_address,
                 device_time=attempt.scanned_at if attempt.scanned_at and attempt.scanned_at.tzinfo else None,
                 subject=("voucher", (subject or "")[:64]), details={**attempt.details, **details})


def undo(redemption_id: int, user: User, reason: str, now: datetime | None = None) -> Redemption:
    """Undo a redemption: its own staff member within 15 minutes, a marketer or owner at any time."""
    now = now or utcnow()
    reason = (reason or "").strip()
    redemption = db.session.get(Redemption, redemption_id)
    if redemption is None:
        raise RedemptionError("unknown_redemption", "There is no such redemption.", status=404)
    if not reason:
        raise RedemptionError("invalid_input", "Say why the redemption is undone.", {"fields": {"reason": "required"}})
    if redemption.undone_at is not None:
        raise RedemptionError("already_undone", "This redemption was already undone.", status=409)
    if user.role == "staff" and (redemption.user_id != user.id or now - redemption.recorded_at > UNDO_WINDOW):
        raise RedemptionError("undo_not_allowed", "Staff can undo only their own redemptions, within 15 minutes. "
                              "Ask a marketer or the owner.", status=403)
    undone = db.session.execute(
        update(Redemption).where(Redemption.id == redemption.id, Redemption.undone_at.is_(None))
        .values(undone_at=now, undone_by_id=user.id, undo_reason=reason[:500])
        .execution_options(synchronize_session=False)).rowcount == 1
    if not undone:
        raise RedemptionError("already_undone", "This redemption was already undone.", status=409)
    db.session.execute(update(Voucher).where(Voucher.id == redemption.voucher_id)
                       .values(redeemed_at=None).execution_options(synchronize_session=False))
    db.session.refresh(redemption)
    audit.record("undo_redemption", "undone", user_id=user.id, location_id=redemption.location_id,
                 subject=("redemption", redemption.id), details={"reason": reason[:500]})
    return redemption
