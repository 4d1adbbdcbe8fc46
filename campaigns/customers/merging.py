"""Merging two customer records found to be one person: everything of the merged one moves to the kept one."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from campaigns.contacts.matching import merged_into
from campaigns.core import audit
from campaigns.core.errors import DomainError, NotFound, ValidationError
from campaigns.core.locks import lock_rows
from campaigns.customers import records as people
from campaigns.extensions import db
from campaigns.models import (
    AudienceAssignment,
    Campaign,
    Customer,
    CustomerLink,
    Delivery,
    Purchase,
    Redemption,
    Voucher,
    utcnow,
)

CONTACT_FIELDS = ("email", "phone", "name")


class MergeError(DomainError):
    """Two records that cannot be merged as they stand."""


@dataclass(frozen=True)
class MergePreview:
    """Both records side by side before a merge, and the campaigns that would refuse it."""

    kept: people.CustomerSummary
    merged: people.CustomerSummary
    conflicts: list[dict]


def _two(keep_id: int, merge_id: int) -> tuple[Customer, Customer]:
    """Return both records, refusing one merged into itself and ids that name no one."""
    if keep_id == merge_id:
        raise ValidationError({"merge_id": "Choose another record: a record cannot be merged into itself."})
    return people.get_customer(keep_id), people.get_customer(merge_id)


def _conflicts(keep_id: int, merge_id: int) -> list[dict]:
    """The campaigns whose audience holds both records: a holdout test cannot hold one person twice."""
    both = (select(AudienceAssignment.campaign_id).where(AudienceAssignment.customer_id == keep_id)
            .intersect(select(AudienceAssignment.campaign_id).where(AudienceAssignment.customer_id == merge_id)))
    rows = db.session.execute(select(Campaign.id, Campaign.name).where(Campaign.id.in_(both))
                              .order_by(Campaign.id)).all()
    return [{"id": campaign_id, "name": name} for campaign_id, name in rows]


def preview_merge(keep_id: int, merge_id: int) -> MergePreview:
    """Return both records with their counts, and what would refuse the merge, for a confirmation screen."""
    kept, merged = _two(keep_id, merge_id)
    summaries = people.summaries([kept, merged])
    return MergePreview(summaries[0], summaries[1], _conflicts(kept.id, merged.id))


def merge_customers(keep_id: int, merge_id: int, user_id: int | None, now: datetime | None = None) -> Customer:
    """Move the merged record's vouchers, redemptions, purchases, links and audience places to the kept one,
    fill in the kept one's missing contact from it, delete it, and audit it all; merge_conflict when both are in
    one campaign's audience. The moved rows mark both customers' stored attribution stale, so it follows at once."""
    kept, merged = _locked(keep_id, merge_id)
    conflicts = _conflicts(kept.id, merged.id)
    if conflicts:
        names = ", ".join(f"“{campaign['name']}”" for campaign in conflicts)
        raise MergeError("merge_conflict", f"Both records are in the audience of {names}: a holdout test cannot "
                         "hold one person twice, so these records cannot be merged.", {"campaigns": conflicts})
    before = {"kept": _contact(kept), "merged": _contact(merged)}
    moved = {"vouchers": _move_vouchers(kept.id, merged.id)}
    # Deliveries too: a campaign e-mail sent to either stays "sent to this person" (both cannot hold one of the
    # same campaign: both would be in its audience, refused above).
    for name, model in (("redemptions", Redemption), ("purchases", Purchase), ("links", CustomerLink),
                        ("audiences", AudienceAssignment), ("deliveries", Delivery)):
        moved[name] = db.session.execute(update(model).where(model.customer_id == merged.id)
                                         .values(customer_id=kept.id)
                                         .execution_options(synchronize_session=False)).rowcount
    filled = _fill_in(kept, merged)
    audit.record("customer_merge", "merged", user_id=user_id, subject=("customer", kept.id), now=now or utcnow(),
                 details={**before, "moved": moved, "filled_in": filled})
    db.session.expire_all()  # the moved rows were changed behind the session's back
    return kept


def _locked(keep_id: int, merge_id: int) -> tuple[Customer, Customer]:
    """Lock both records in id order (two opposite merges at once take turns) and return them as committed. A
    record merged away meanwhile (the loser of a race) is merge_conflict; an id that names no one, 404."""
    if keep_id == merge_id:
        raise ValidationError({"merge_id": "Choose another record: a record cannot be merged into itself."})
    found = {customer.id: customer for customer in lock_rows(Customer, [keep_id, merge_id])}
    gone = sorted({keep_id, merge_id} - set(found))
    if not gone:
        return found[keep_id], found[merge_id]
    if any(merged_into(customer_id) in found for customer_id in gone):
        raise MergeError("merge_conflict", "One of these records was merged into the other a moment ago: reload "
                         "the customer to see it.", {"gone": gone})
    raise NotFound("unknown_customer", "There is no such customer (merged into another, perhaps).")


def _contact(customer: Customer) -> dict:
    return {"id": customer.id, **{name: getattr(customer, name) for name in CONTACT_FIELDS}}


def _move_vouchers(keep_id: int, merge_id: int) -> dict:
    """Give the merged record's vouchers to the kept one, numbering their slots after the kept one's highest in
    each campaign (the slots are unique per campaign and customer); return how many moved and the new slots."""
    highest = dict(db.session.execute(select(Voucher.campaign_id, func.max(Voucher.customer_slot))
                                      .where(Voucher.customer_id == keep_id).group_by(Voucher.campaign_id)).all())
    moving = db.session.execute(select(Voucher.id, Voucher.campaign_id, Voucher.customer_slot)
                                .where(Voucher.customer_id == merge_id)
                                .order_by(Voucher.campaign_id, Voucher.customer_slot, Voucher.id)).all()
    changes, slots = [], {}
    for voucher_id, campaign_id, slot in moving:
        if slot is not None:
            highest[campaign_id] = (highest.get(campaign_id) or 0) + 1
            slots[str(voucher_id)] = [slot, highest[campaign_id]]
        changes.append({"id": voucher_id, "customer_id": keep_id,
                        "customer_slot": highest[campaign_id] if slot is not None else None})
    if changes:
        db.session.execute(update(Voucher), changes)  # one executemany by primary key
    return {"count": len(changes), "slots": slots}


def _fill_in(kept: Customer, merged: Customer) -> list[str]:
    """Give the kept record the merged one's e-mail, phone, name and unsubscribe where it had none, then delete the
    merged record (first, since e-mail and phone are unique); return the fields filled in."""
    missing = {name: getattr(merged, name) for name in CONTACT_FIELDS
               if getattr(kept, name) is None and getattr(merged, name) is not None}
    if kept.unsubscribed_at is None and merged.unsubscribed_at is not None:  # either one's unsubscribe holds
        missing["unsubscribed_at"] = merged.unsubscribed_at
    db.session.delete(merged)
    db.session.flush()
    for name, value in missing.items():
        setattr(kept, name, value)
    db.session.flush()
    return sorted(missing)
