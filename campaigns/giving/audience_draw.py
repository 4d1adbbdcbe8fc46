"""Writing an audience's draw: thousands of new members, and the treatment group's personal vouchers, in a few
set-based statements instead of a dozen per member, so that a list of 10,000 people is assigned within a request.

Everything happens in the caller's transaction. The vouchers are counted against the campaign's limit first (one
conditional UPDATE: voucher_limit_reached before anything is written). When another writer got there first (an
import racing this one for a member, a claim taking a customer's slot, or a code collision), the set-based write is
rolled back to its savepoint and the members are written one at a time, where the database settles each race."""
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from campaigns.core.bulk_sql import chunked, insert_ignoring_conflicts
from campaigns.core.errors import DomainError
from campaigns.extensions import db
from campaigns.giving import codes
from campaigns.giving.vouchers import issue_personal, reserve
from campaigns.models import AudienceAssignment, Campaign, Customer, Voucher

Placed = tuple[str, Voucher | None]  # a member's group and voucher
_ASSIGNMENT, _VOUCHER = AudienceAssignment.__table__, Voucher.__table__


class _Raced(Exception):
    """Another writer took a member, a slot or a code while this draw was being written."""


def draw(campaign: Campaign, customers: list[Customer], groups: dict[int, str], holdout_pct: int, now: datetime,
         batch_label: str | None) -> dict[int, Placed]:
    """Write new members in their drawn groups (customer id -> group), a voucher for each treatment member; return
    customer id -> (group, voucher or None). A member another writer assigned meanwhile keeps that draw."""
    if not customers:
        return {}
    treated = [c.id for c in customers if groups[c.id] == "treatment"]
    if treated:
        reserve(campaign, len(treated))
    savepoint = db.session.begin_nested()
    try:
        placed = _write(campaign, [c.id for c in customers], groups, treated, holdout_pct, now, batch_label)
    except (IntegrityError, _Raced):
        savepoint.rollback()
        if treated:
            reserve(campaign, -len(treated))
        return {c.id: _one(campaign, c, groups[c.id], holdout_pct, now, batch_label) for c in customers}
    savepoint.commit()
    return placed


def _write(campaign: Campaign, ids: list[int], groups: dict[int, str], treated: list[int], holdout_pct: int,
           now: datetime, batch_label: str | None) -> dict[int, Placed]:
    """Insert the vouchers, then the members naming them (each a statement skipping what another writer holds),
    and check that every row is this draw's; raise _Raced when one is not."""
    vouchers = _issue(campaign, treated, now, batch_label)
    insert_ignoring_conflicts(_ASSIGNMENT, [
        {"campaign_id": campaign.id, "customer_id": cid, "group_name": groups[cid], "holdout_pct": holdout_pct,
         "assigned_at": now, "voucher_id": vouchers[cid].id if cid in vouchers else None} for cid in ids])
    written = {}
    for part in chunked(ids):
        written.update({cid: (group, voucher_id) for cid, group, voucher_id in db.session.execute(
            select(_ASSIGNMENT.c.customer_id, _ASSIGNMENT.c.group_name, _ASSIGNMENT.c.voucher_id).where(
                _ASSIGNMENT.c.campaign_id == campaign.id, _ASSIGNMENT.c.customer_id.in_(part)))})
    if any(written.get(cid) != (groups[cid], vouchers[cid].id if cid in vouchers else None) for cid in ids):
        raise _Raced()
    return {cid: (groups[cid], vouchers.get(cid)) for cid in ids}


def _issue(campaign: Campaign, customer_ids: list[int], now: datetime, batch_label: str | None) -> dict[int, Voucher]:
    """Insert one personal voucher per customer, each in the lowest slot the customer does not hold yet (the
    exclusions left out anyone holding them all); return customer id -> voucher."""
    if not customer_ids:
        return {}
    held: dict[int, set[int]] = {}
    for part in chunked(customer_ids):
        for cid, slot in db.session.execute(select(Voucher.customer_id, Voucher.customer_slot).where(
                Voucher.campaign_id == campaign.id, Voucher.customer_id.in_(part), Voucher.customer_slot.is_not(None))):
            held.setdefault(cid, set()).add(slot)
    slots = {cid: min(set(range(1, len(held.get(cid, ())) + 2)) - held.get(cid, set())) for cid in customer_ids}
    if any(slot > campaign.per_customer_limit for slot in slots.values()):
        raise _Raced()  # given a voucher since the exclusions looked (a claim, the desk): one at a time decides
    made = dict(zip(customer_ids, codes.generate_many(len(customer_ids)), strict=True))
    rows = [{"campaign_id": campaign.id, "code": code, "channel": "audience", "batch_label": batch_label,
             "customer_id": cid, "customer_slot": slots[cid], "issued_at": now} for cid, code in made.items()]
    # Codes are fresh random ones, so none was there before (checked); one missing after is a slot or code taken.
    if len(insert_ignoring_conflicts(_VOUCHER, rows, returning=(_VOUCHER.c.code,), checked=True)) != len(rows):
        raise _Raced()
    by_code = {}
    for part in chunked(list(made.values())):
        by_code.update({v.code: v for v in db.session.scalars(select(Voucher).where(Voucher.code.in_(part)))})
    return {cid: by_code[code] for cid, code in made.items()}


def existing_many(campaign: Campaign, customer_ids: list[int]) -> dict[int, Placed]:
    """Return customer id -> (group, voucher or None) of these customers' assignments in the campaign."""
    found = {}
    for part in chunked(customer_ids):
        rows = db.session.execute(select(AudienceAssignment.customer_id, AudienceAssignment.group_name, Voucher)
                                  .outerjoin(Voucher, Voucher.id == AudienceAssignment.voucher_id)
                                  .where(AudienceAssignment.campaign_id == campaign.id,
                                         AudienceAssignment.customer_id.in_(part)))
        found.update({cid: (group, voucher) for cid, group, voucher in rows})
    return found


def _one(campaign: Campaign, customer: Customer, group: str, holdout_pct: int, now: datetime,
         batch_label: str | None) -> Placed:
    """Record one member's group (and a treatment member's voucher), or read the group they already have."""
    savepoint = db.session.begin_nested()
    try:
        assignment_id = db.session.execute(insert(_ASSIGNMENT).values(
            campaign_id=campaign.id, customer_id=customer.id, group_name=group, holdout_pct=holdout_pct,
            assigned_at=now).returning(_ASSIGNMENT.c.id)).scalar_one()
    except IntegrityError:  # assigned a moment ago by another import: that draw stands
        savepoint.rollback()
        placed = existing_many(campaign, [customer.id]).get(customer.id)
        if placed is None:  # the IntegrityError was not about membership
            raise RuntimeError(f"could not assign customer {customer.id} to campaign {campaign.id}") from None
        return placed
    voucher = None
    if group == "treatment":
        try:
            voucher = issue_personal(campaign, customer, channel="audience", batch_label=batch_label, now=now)
        except DomainError:  # a voucher refused (limits, gift limit): no member without their voucher
            savepoint.rollback()
            raise
        db.session.execute(update(_ASSIGNMENT).where(_ASSIGNMENT.c.id == assignment_id).values(voucher_id=voucher.id))
    savepoint.commit()
    return group, voucher
