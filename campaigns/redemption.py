"""Redeeming vouchers at the counter: exactly one success per voucher, every attempt in the audit log."""
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, update
from sqlalchemy import text as sql_text

from . import audit, codes
from .business import business_zone, find_location
from .customers import Contact, find_or_create
from .errors import DomainError
from .extensions import db
from .models import ApiToken, Campaign, Location, Redemption, User, Voucher, utcnow
from .vouchers import attach_customer, campaign_state

OFFLINE_LIMIT = timedelta(days=7)
CLOCK_SKEW = timedelta(minutes=5)  # a device clock this little ahead is read as "now", not refused
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


@dataclass(frozen=True)
class Redeemed:
    """A redemption that happened: what the counter needs to show and act on."""

    id: int
    code: str
    redeemed_at: datetime
    recorded_at: datetime
    campaign_id: int
    campaign_name: str
    offer: str
    customer_id: int | None
    location_name: str | None


def redeem(text: str, attempt: Attempt, now: datetime | None = None) -> Redeemed:
    """Redeem the voucher a typed or scanned code names, or raise RedemptionError.

    A failure leaves nothing behind but its audit entry, which stays in the caller's transaction. The
    happy path runs at every scan: one statement on PostgreSQL, four plain ones elsewhere.
    """
    now = now or utcnow()
    location = None
    try:
        made = _redeem_in_one_statement(text, attempt, now)
        if made is not None:  # the statement wrote the redemption and its audit entry
            return made
        location = _location(attempt.location)
        # Only attaching a customer writes before it can still fail, so only that path needs a savepoint.
        savepoint = db.session.begin_nested() if attempt.customer is not None else None
        try:
            made = _redeem(text, attempt, location, now)
        except RedemptionError:
            if savepoint is not None:
                savepoint.rollback()
            raise
        if savepoint is not None:
            savepoint.commit()
    except RedemptionError as error:
        audit_attempt(attempt, location, text, error.code, {"message": error.message, **error.details})
        raise
    audit_attempt(attempt, location, made.code, "redeemed", {"redemption_id": made.id})
    return made


# PostgreSQL: the whole happy path in one round trip. The conditional UPDATE decides (of simultaneous
# attempts one finds redeemed_at empty; the others wait on the row lock and then find it set), and the
# same statement writes the redemption and its audit entry. Whatever it does not redeem goes the long
# way below, which says exactly why not.
_ONE_STATEMENT = sql_text("""
WITH place AS (
    SELECT id, name FROM location WHERE lower(name) = lower(trim(CAST(:location AS text))) AND active
    ORDER BY id LIMIT 1
), won AS (
    UPDATE voucher AS v SET redeemed_at = :redeemed_at
    FROM campaign AS c
    WHERE v.code = :code AND c.id = v.campaign_id AND v.redeemed_at IS NULL AND v.void_at IS NULL
      AND c.status = 'active' AND (c.starts_on IS NULL OR c.starts_on <= :local_day)
      AND (c.ends_on IS NULL OR c.ends_on >= :local_day)
      AND (CAST(:location AS text) IS NULL OR EXISTS (SELECT 1 FROM place))
    RETURNING v.id, v.campaign_id, v.customer_id, c.name, c.offer
), made AS (
    INSERT INTO redemption (voucher_id, campaign_id, customer_id, redeemed_at, recorded_at, location_id, user_id,
                            token_id)
    SELECT id, campaign_id, customer_id, :redeemed_at, :now, (SELECT id FROM place), :user_id, :token_id FROM won
    RETURNING id, voucher_id
), logged AS (
    INSERT INTO audit_entry (occurred_at, action, outcome, user_id, token_id, location_id, ip_address, device_time,
                             subject_type, subject_id, details)
    SELECT :now, 'redeem', 'redeemed', :user_id, :token_id, (SELECT id FROM place), :ip_address, :device_time,
           'voucher', :code, (CAST(:details AS jsonb) || jsonb_build_object('redemption_id', made.id))::json
    FROM made
)
SELECT made.id, won.campaign_id, won.customer_id, won.name, won.offer, (SELECT name FROM place) AS place
FROM made JOIN won ON won.id = made.voucher_id
""")


def _redeem_in_one_statement(text_in: str, attempt: Attempt, now: datetime) -> Redeemed | None:
    """Redeem in a single statement on PostgreSQL; None when that did not redeem (or does not apply).

    The location is looked up inside the statement: an unknown one redeems nothing here, and the long way
    then says so.
    """
    if db.session.get_bind().dialect.name != "postgresql" or attempt.customer is not None:
        return None
    try:
        code = codes.normalise(text_in)
        redeemed_at = _redemption_time(attempt.scanned_at, now)
    except (codes.CodeError, RedemptionError):
        return None
    local_day = redeemed_at.astimezone(business_zone()).date()
    row = db.session.execute(_ONE_STATEMENT, {
        "code": code, "redeemed_at": redeemed_at, "local_day": local_day, "now": now,
        "location": attempt.location or None, "user_id": attempt.user_id, "token_id": attempt.token_id,
        "ip_address": attempt.ip_address, "device_time": _device_time(attempt), "details": json.dumps(attempt.details),
    }).first()
    if row is None:
        return None
    return Redeemed(row.id, code, redeemed_at, now, row.campaign_id, row.name, row.offer, row.customer_id, row.place)


_VOUCHER = Voucher.__table__
_CAMPAIGN = Campaign.__table__
_FIND = (select(_VOUCHER.c.id, _VOUCHER.c.code, _VOUCHER.c.campaign_id, _VOUCHER.c.customer_id,
                _VOUCHER.c.redeemed_at, _VOUCHER.c.void_at, _CAMPAIGN.c.status, _CAMPAIGN.c.starts_on,
                _CAMPAIGN.c.ends_on, _CAMPAIGN.c.name, _CAMPAIGN.c.offer)
         .join(_CAMPAIGN, _CAMPAIGN.c.id == _VOUCHER.c.campaign_id))


def _redeem(text: str, attempt: Attempt, location: Location | None, now: datetime) -> Redeemed:
    try:
        code = codes.normalise(text)
    except codes.CodeError as error:
        raise RedemptionError("invalid_code", f"Looks mistyped: {error}", status=422) from None
    redeemed_at = _redemption_time(attempt.scanned_at, now)
    found = db.session.execute(_FIND.where(_VOUCHER.c.code == code)).first()
    if found is None:
        raise RedemptionError("unknown_code", "No voucher has this code. Check it was typed right.", status=404)
    zone = business_zone()
    _refuse_unless_redeemable(found, redeemed_at, zone)
    # The one write that decides: of any number of simultaneous attempts, one finds redeemed_at empty.
    won = db.session.execute(
        update(_VOUCHER).where(_VOUCHER.c.id == found.id, _VOUCHER.c.redeemed_at.is_(None),
                               _VOUCHER.c.void_at.is_(None)).values(redeemed_at=redeemed_at)).rowcount == 1
    if not won:  # someone else redeemed (or voided) it between our read and our write
        _refuse_unless_redeemable(db.session.execute(_FIND.where(_VOUCHER.c.id == found.id)).one(), redeemed_at, zone)
        raise RedemptionError("already_redeemed", "Already redeemed.", status=409)
    redemption_id = db.session.execute(insert(Redemption.__table__).values(
        voucher_id=found.id, campaign_id=found.campaign_id, customer_id=found.customer_id, redeemed_at=redeemed_at,
        recorded_at=now, location_id=location.id if location else None, user_id=attempt.user_id,
        token_id=attempt.token_id).returning(Redemption.__table__.c.id)).scalar_one()
    customer_id = found.customer_id
    if attempt.customer is not None:
        voucher = db.session.get(Voucher, found.id)
        try:
            attach_customer(voucher, find_or_create(attempt.customer))
        except DomainError as error:
            raise RedemptionError(error.code, error.message + " Nothing was redeemed.", error.details,
                                  status=error.status) from None
        customer_id = voucher.customer_id
    return Redeemed(redemption_id, code, redeemed_at, now, found.campaign_id, found.name, found.offer, customer_id,
                    location.name if location else None)


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
        raise RedemptionError("void", "This voucher was cancelled. Do not hand anything over.", status=409)
    if voucher.redeemed_at is not None:
        details = first_redemption(voucher, zone)
        raise RedemptionError("already_redeemed", f"Already redeemed {details['summary']}.", details, status=409)
    campaign = voucher
    state = campaign_state(campaign, at, zone)
    if state == "expired":
        raise RedemptionError("expired", f"Expired on {campaign.ends_on:%-d %b %Y}.",
                              {"ends_on": campaign.ends_on.isoformat()}, status=410)
    if state != "active":
        reasons = {"draft": "This campaign has not started: it is still a draft.",
                   "paused": "This campaign is paused right now.", "ended": "This campaign has ended.",
                   "not_started": f"Not valid until {campaign.starts_on:%-d %b %Y}." if campaign.starts_on else ""}
        raise RedemptionError("campaign_not_active", reasons[state], {"campaign_status": state}, status=422)


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


def _location(name: str | None) -> Location | None:
    if not name:
        return None
    location = find_location(name)
    if location is None or not location.active:
        raise RedemptionError("unknown_location", f"There is no open location called {name!r}.",
                              {"fields": {"location": "not a location of this business"}}, status=422)
    return location


def _device_time(attempt: Attempt) -> datetime | None:
    return attempt.scanned_at if attempt.scanned_at and attempt.scanned_at.tzinfo else None


def audit_attempt(attempt: Attempt, location: Location | None, subject: str, outcome: str, details: dict) -> None:
    """Write one redemption attempt to the audit log."""
    audit.record("redeem", outcome, user_id=attempt.user_id, token_id=attempt.token_id,
                 location_id=location.id if location else None, ip_address=attempt.ip_address,
                 device_time=_device_time(attempt),
                 subject=("voucher", (subject or "")[:64]), details={**attempt.details, **details})


def may_undo(redemption: Redemption, user: User, now: datetime | None = None) -> bool:
    """Whether `user` may undo `redemption`: their own within 15 minutes, any if a marketer or owner."""
    if user.role != "staff":
        return True
    return redemption.user_id == user.id and (now or utcnow()) - redemption.recorded_at <= UNDO_WINDOW


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
    if not may_undo(redemption, user, now):
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
