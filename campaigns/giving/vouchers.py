"""Issuing vouchers (anonymous batches and personal ones), reading their state, and the public claim."""
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from campaigns.contacts.contact import Contact
from campaigns.contacts.matching import find_or_create
from campaigns.core import inputs
from campaigns.core.errors import DomainError, NotFound, ValidationError
from campaigns.extensions import db
from campaigns.giving import codes
from campaigns.giving.designs import campaign_state
from campaigns.giving.gifts import check_gift_limit
from campaigns.models import Campaign, Customer, Purchase, Redemption, Voucher, utcnow

MAX_BATCH = 100_000
CHUNK = 5_000


class VoucherError(DomainError):
    """A voucher cannot be issued or found as asked."""


def refuse_if_ended(campaign: Campaign) -> None:
    """Raise campaign_ended when the campaign issues no more vouchers."""
    if campaign.status == "ended":
        raise VoucherError("campaign_ended", "This campaign has ended: it issues no more vouchers.")


def _reserve(campaign: Campaign, count: int) -> None:
    """Count `count` more vouchers against the campaign's limit in one conditional UPDATE.

    Concurrent issuers queue on the campaign row, and a CHECK constraint backs the limit.
    """
    refuse_if_ended(campaign)
    result = db.session.execute(
        update(Campaign)
        .where(Campaign.id == campaign.id,
               or_(Campaign.voucher_limit.is_(None), Campaign.vouchers_issued + count <= Campaign.voucher_limit))
        .values(vouchers_issued=Campaign.vouchers_issued + count)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.refresh(campaign)
        left = max(0, (campaign.voucher_limit or 0) - campaign.vouchers_issued)
        raise VoucherError("voucher_limit_reached",
                           f"This campaign allows {campaign.voucher_limit} vouchers; {left} are left.",
                           {"voucher_limit": campaign.voucher_limit, "left": left})
    db.session.refresh(campaign, ["vouchers_issued"])


def reserve(campaign: Campaign, count: int) -> None:
    """Count `count` more vouchers (fewer when negative: ones reserved and not made) against the campaign's limit,
    or raise voucher_limit_reached (campaign_ended when it has ended)."""
    _reserve(campaign, count)


def check_count(count) -> int:
    """Return `count` if it is a whole number of vouchers one batch may make; invalid_input otherwise."""
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_BATCH:
        raise ValidationError({"count": f"Make from 1 to {MAX_BATCH:,} vouchers at a time."})
    return count


def clean_label(batch_label) -> str | None:
    """Return a batch label stripped (None when empty); invalid_input unless it is one line of at most 120 characters."""
    if batch_label is None:
        return None
    return inputs.text(batch_label, "batch_label", 120) or None


def issue_batch_steps(campaign: Campaign, count: int, batch_label: str | None = None, channel: str = "batch",
                      now: datetime | None = None) -> Iterator[tuple[int, int, list[str]]]:
    """Make `count` anonymous vouchers with set-based inserts, yielding (done, total, codes) after each chunk.

    Everything happens in the caller's transaction: a progress bar can follow it, and nothing is
    committed unless the caller commits after the last step.
    """
    check_count(count)
    label = clean_label(batch_label)
    _reserve(campaign, count)
    now = now or utcnow()
    table = Voucher.__table__
    done = 0
    while done < count:
        chunk = codes.generate_many(min(CHUNK, count - done))
        rows = [{"campaign_id": campaign.id, "code": code, "channel": channel, "batch_label": label,
                 "issued_at": now} for code in chunk]
        savepoint = db.session.begin_nested()
        try:
            db.session.execute(insert(table), rows)
        except IntegrityError:  # a code collision (about 1 in 10^9 per batch): draw this chunk again
            savepoint.rollback()
            continue
        savepoint.commit()
        done += len(chunk)
        yield done, count, chunk


def issue_batch(campaign: Campaign, count: int, batch_label: str | None = None, channel: str = "batch",
                now: datetime | None = None) -> list[str]:
    """Make `count` anonymous vouchers with set-based inserts; return their codes."""
    made: list[str] = []
    for _, _, chunk in issue_batch_steps(campaign, count, batch_label, channel, now):
        made.extend(chunk)
    return made


def issue_personal(campaign: Campaign, customer: Customer, channel: str = "api", batch_label: str | None = None,
                   now: datetime | None = None) -> Voucher:
    """Issue one voucher to a customer, within per_customer_limit and voucher_limit.

    The customer's vouchers of a campaign take numbered slots 1..per_customer_limit under a unique index,
    so two concurrent issues cannot both take the last slot.
    """
    batch_label = clean_label(batch_label)
    check_gift_limit(campaign, customer.id)
    for _ in range(5):
        slot = _free_slot(campaign, customer.id)
        savepoint = db.session.begin_nested()
        try:
            _reserve(campaign, 1)
            voucher = Voucher(campaign_id=campaign.id, code=codes.generate(), channel=channel, batch_label=batch_label,
                              customer_id=customer.id, customer_slot=slot, issued_at=now or utcnow())
            db.session.add(voucher)
            db.session.flush()
        except IntegrityError:  # another request took that slot first: look again
            savepoint.rollback()
            continue
        except VoucherError:
            savepoint.rollback()
            raise
        savepoint.commit()
        return voucher
    raise VoucherError("busy", "Too many simultaneous requests for this customer; try again.")


def claim(slug: str, contact: Contact, now: datetime | None = None) -> tuple[Voucher, bool]:
    """Give a customer their voucher from a public claim page: the one they hold, or a new one.

    Returns the voucher and whether it is new. Anyone can type anyone's address here, so a matched
    customer's details are never changed, and the caller must not show a voucher that is not new.
    """
    campaign = db.session.scalar(select(Campaign).where(Campaign.claim_slug == slug))
    if campaign is None:
        raise NotFound("unknown_claim_page", "This claim page does not exist or has been closed.")
    now = now or utcnow()
    state = campaign_state(campaign, now)
    if state != "active":
        raise VoucherError("campaign_not_active", _CLOSED[state])
    customer = find_or_create(contact, fill_in=False)
    held = db.session.scalar(select(Voucher).where(
        Voucher.campaign_id == campaign.id, Voucher.customer_id == customer.id, Voucher.redeemed_at.is_(None),
        Voucher.void_at.is_(None)).order_by(Voucher.id).limit(1))
    if held is not None:
        return held, False
    return issue_personal(campaign, customer, channel="claim", batch_label="claim page", now=now), True


_CLOSED = {
    "draft": "This giveaway has not started yet.",
    "paused": "This giveaway is paused for now. Please try again later.",
    "ended": "This giveaway has ended.",
    "not_started": "This giveaway has not started yet.",
    "expired": "This giveaway has ended.",
}


def voucher_state(voucher: Voucher, now: datetime | None = None, zone: ZoneInfo | None = None) -> str:
    """Return valid, redeemed, void, expired, or why the campaign does not redeem yet (draft, paused, …)."""
    if voucher.void_at is not None:
        return "void"
    if voucher.redeemed_at is not None:
        return "redeemed"
    state = campaign_state(voucher.campaign, now, zone)
    return "valid" if state == "active" else state


def find_voucher(text: str) -> Voucher:
    """Return the voucher a typed or scanned code names; raise invalid_code or unknown_code."""
    try:
        code = codes.normalise(text)
    except codes.CodeError as error:
        raise VoucherError("invalid_code", str(error)) from None
    voucher = db.session.scalar(select(Voucher).where(Voucher.code == code))
    if voucher is None:
        raise VoucherError("unknown_code", "No voucher has this code. Check it was typed right.")
    return voucher


ALL_BATCHES = object()


def vouchers_of(campaign_id: int, batch_label=ALL_BATCHES, include_void: bool = True) -> list[Voucher]:
    """Return a campaign's vouchers in issue order: all, or one batch (None or "" for the unlabelled ones)."""
    query = select(Voucher).where(Voucher.campaign_id == campaign_id).order_by(Voucher.id)
    if not include_void:
        query = query.where(Voucher.void_at.is_(None))
    if batch_label is not ALL_BATCHES:
        query = query.where(Voucher.batch_label == batch_label if batch_label else Voucher.batch_label.is_(None))
    return list(db.session.scalars(query))


def _free_slot(campaign: Campaign, customer_id: int) -> int:
    """The lowest slot this customer does not hold yet; customer_limit_reached when all are taken."""
    held = set(db.session.scalars(select(Voucher.customer_slot).where(
        Voucher.campaign_id == campaign.id, Voucher.customer_id == customer_id, Voucher.customer_slot.is_not(None))))
    for slot in range(1, campaign.per_customer_limit + 1):
        if slot not in held:
            return slot
    raise VoucherError("customer_limit_reached",
                       f"This customer already holds {campaign.per_customer_limit} voucher(s) of this "
                       f"campaign, the most it allows.", {"per_customer_limit": campaign.per_customer_limit})


def attach_customer(voucher: Voucher, customer: Customer) -> Voucher:
    """Give an anonymous voucher its customer, so later purchases count; within per_customer_limit."""
    if voucher.customer_id == customer.id:
        return voucher
    if voucher.customer_id is not None:
        raise VoucherError("voucher_has_customer", "This voucher already belongs to another customer.")
    campaign = voucher.campaign
    check_gift_limit(campaign, customer.id, except_voucher_id=voucher.id)  # its own redemption never counts
    for _ in range(5):
        slot = _free_slot(campaign, customer.id)
        savepoint = db.session.begin_nested()
        try:
            changed = db.session.execute(
                update(Voucher).where(Voucher.id == voucher.id, Voucher.customer_id.is_(None))
                .values(customer_id=customer.id, customer_slot=slot).execution_options(synchronize_session=False)
            ).rowcount
        except IntegrityError:  # that slot was taken a moment ago: look again
            savepoint.rollback()
            continue
        savepoint.commit()
        db.session.refresh(voucher)
        if not changed and voucher.customer_id != customer.id:
            raise VoucherError("voucher_has_customer", "This voucher already belongs to another customer.")
        db.session.execute(update(Redemption).where(Redemption.voucher_id == voucher.id,
                                                    Redemption.undone_at.is_(None))
                           .values(customer_id=customer.id).execution_options(synchronize_session=False))
        # A purchase rung up with this voucher's code before anyone knew whose it was is theirs too.
        db.session.execute(update(Purchase).where(Purchase.voucher_id == voucher.id, Purchase.customer_id.is_(None))
                           .values(customer_id=customer.id).execution_options(synchronize_session=False))
        return voucher
    raise VoucherError("busy", "Too many simultaneous requests for this customer; try again.")
