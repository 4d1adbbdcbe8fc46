"""Audiences for holdout tests: each member drawn once and for good to treatment (a voucher) or control."""
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from campaigns.contacts.contact import Contact
from campaigns.contacts.matching import find_or_create
from campaigns.core.errors import DomainError, ValidationError
from campaigns.extensions import db
from campaigns.giving.gifts import over_gift_limit
from campaigns.giving.vouchers import issue_personal, refuse_if_ended
from campaigns.models import AudienceAssignment, Campaign, Customer, Voucher, utcnow

HOLDOUT_RANGE = (0, 90)

_ASSIGNMENT = AudienceAssignment.__table__


def check_holdout(holdout_pct) -> int:
    """Return `holdout_pct` if it is a whole percentage from 0 to 90; invalid_input otherwise."""
    low, high = HOLDOUT_RANGE
    if isinstance(holdout_pct, bool) or not isinstance(holdout_pct, int) or not low <= holdout_pct <= high:
        raise ValidationError({"holdout_pct": f"A whole percentage from {low} to {high}."})
    return holdout_pct


Member = tuple[Customer, str, Voucher | None]


@dataclass(frozen=True)
class Sent:
    """What sending a campaign to an audience did: its members, and the customers its gift limit left out."""
    members: list[Member]
    excluded: list[Customer]

    @property
    def treatment(self) -> int:
        """How many members are in the treatment group (got a voucher)."""
        return sum(group == "treatment" for _, group, _ in self.members)

    @property
    def control(self) -> int:
        """How many members are in the control group (got nothing)."""
        return sum(group == "control" for _, group, _ in self.members)


def assign(campaign: Campaign, contacts_or_customers: Iterable[Contact | Customer], holdout_pct: int,
           rng: random.Random | None = None, now: datetime | None = None,
           batch_label: str | None = "audience") -> list[Member]:
    """Put each member in the campaign's audience; return (customer, group, voucher or None) per member (send())."""
    return send(campaign, contacts_or_customers, holdout_pct, rng, now, batch_label).members


def send(campaign: Campaign, contacts_or_customers: Iterable[Contact | Customer], holdout_pct: int,
         rng: random.Random | None = None, now: datetime | None = None, batch_label: str | None = "audience") -> Sent:
    """Put each member in the campaign's audience; return the members and the customers left out.

    A new member is drawn at random to control (with probability holdout_pct / 100) or treatment, and a
    treatment member is issued a personal voucher; a member already assigned keeps their group and voucher.
    A new member the campaign's unreturned-gift limit would refuse is left out before the draw (in `excluded`, not in
    `members`), so that control and treatment are drawn from the same people and the holdout test stays fair.
    The unique (campaign, customer) constraint keeps the first draw when two imports race.
    """
    holdout_pct = check_holdout(holdout_pct)
    refuse_if_ended(campaign)  # before any draw: a control member gets no voucher to be refused
    rng = rng or random.SystemRandom()
    now = now or utcnow()
    customers = [member if isinstance(member, Customer) else find_or_create(member) for member in contacts_or_customers]
    assigned = set(db.session.scalars(select(AudienceAssignment.customer_id).where(
        AudienceAssignment.campaign_id == campaign.id, AudienceAssignment.customer_id.in_([c.id for c in customers]))))
    refused = over_gift_limit(campaign, [c.id for c in customers if c.id not in assigned])
    members, excluded = [], []
    for customer in customers:
        if customer.id in refused:
            excluded.append(customer)
            continue
        group = "control" if rng.random() * 100 < holdout_pct else "treatment"
        members.append(_assign_one(campaign, customer, group, holdout_pct, now, batch_label))
    return Sent(members, excluded)


def _assign_one(campaign: Campaign, customer: Customer, group: str, holdout_pct: int, now: datetime,
                batch_label: str | None) -> tuple[Customer, str, Voucher | None]:
    """Record a member's group (and a treatment member's voucher), or read the group they already have."""
    savepoint = db.session.begin_nested()
    try:
        assignment_id = db.session.execute(insert(_ASSIGNMENT).values(
            campaign_id=campaign.id, customer_id=customer.id, group_name=group, holdout_pct=holdout_pct,
            assigned_at=now).returning(_ASSIGNMENT.c.id)).scalar_one()
    except IntegrityError:  # assigned before (or a moment ago by another import): that draw stands
        savepoint.rollback()
        return _existing(campaign, customer)
    voucher = None
    if group == "treatment":
        try:
            voucher = issue_personal(campaign, customer, channel="audience", batch_label=batch_label, now=now)
        except DomainError:  # a voucher refused (limits, gift limit): no member without their voucher
            savepoint.rollback()
            raise
        db.session.execute(_ASSIGNMENT.update().where(_ASSIGNMENT.c.id == assignment_id)
                           .values(voucher_id=voucher.id))
    savepoint.commit()
    return customer, group, voucher


def _existing(campaign: Campaign, customer: Customer) -> tuple[Customer, str, Voucher | None]:
    assignment = db.session.scalar(select(AudienceAssignment).where(
        AudienceAssignment.campaign_id == campaign.id, AudienceAssignment.customer_id == customer.id))
    if assignment is None:  # the IntegrityError was not about membership
        raise RuntimeError(f"could not assign customer {customer.id} to campaign {campaign.id}")
    voucher = db.session.get(Voucher, assignment.voucher_id) if assignment.voucher_id else None
    return customer, assignment.group_name, voucher


def members_of(campaign_id: int) -> list[AudienceAssignment]:
    """Return a campaign's audience assignments in the order they were made."""
    return list(db.session.scalars(select(AudienceAssignment).where(AudienceAssignment.campaign_id == campaign_id)
                                   .order_by(AudienceAssignment.id)))
