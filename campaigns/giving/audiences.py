"""Audiences for holdout tests: each member drawn once and for good to treatment (a voucher) or control."""
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, func, select

from campaigns.contacts.contact import Contact
from campaigns.contacts.matching import resolve_customers
from campaigns.contacts.subscriptions import campaign_mail_allowed
from campaigns.core.errors import ValidationError
from campaigns.extensions import db
from campaigns.giving.audience_draw import draw as _draw
from campaigns.giving.audience_draw import existing_many as _existing_many
from campaigns.giving.audience_exclusions import MEMBER, REASONS, standings
from campaigns.giving.vouchers import clean_label, refuse_if_ended
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
MAX_MEMBERS = 10_000  # people one assignment takes: each treatment member is a voucher written in the request


@dataclass(frozen=True)
class Sent:
    """What sending a campaign to an audience did: its members, and the customers left out before the draw with
    why (`reasons`: customer id -> a key of audience_exclusions.REASONS)."""
    members: list[Member]
    excluded: list[Customer]
    reasons: dict[int, str] = field(default_factory=dict)
    kept: frozenset[int] = frozenset()  # members who were in the audience before: they kept their group

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
         rng: random.Random | None = None, now: datetime | None = None, batch_label: str | None = "audience",
         require_email: bool = False) -> Sent:
    """Put each member in the campaign's audience; return the members and the customers left out.

    A new member is drawn at random to control (with probability holdout_pct / 100) or treatment, and a
    treatment member is issued a personal voucher; a member already assigned keeps their group and voucher.
    A new member audience_exclusions leaves out (unsubscribed, no e-mail when `require_email`, at the campaign's
    per-customer or unreturned-gift limit) is left out before the draw (in `excluded`, not in `members`), so that
    control and treatment are drawn from the same people and the holdout test stays fair.
    The unique (campaign, customer) constraint keeps the first draw when two imports race.
    """
    holdout_pct = check_holdout(holdout_pct)
    refuse_if_ended(campaign)  # before any draw: a control member gets no voucher to be refused
    now = now or utcnow()
    customers = _customers(contacts_or_customers)
    standing = standings(campaign, [c.id for c in customers], require_email)
    excluded, reasons, kept, new, unique = [], {}, [], [], {}
    for customer in customers:
        if customer.id in unique:  # named twice in one list: one member, one draw
            continue
        unique[customer.id] = customer
        if standing.get(customer.id) in REASONS:
            excluded.append(customer)
            reasons[customer.id] = standing[customer.id]
        else:
            (kept if standing.get(customer.id) == MEMBER else new).append(customer)
    groups = draw_groups([c.id for c in new], holdout_pct, rng)
    placed = _existing_many(campaign, [c.id for c in kept]) | _draw(campaign, new, groups, holdout_pct, now,
                                                                    clean_label(batch_label))
    members = [(c, *placed[c.id]) for c in unique.values() if c.id in placed]
    return Sent(members, excluded, reasons, frozenset(c.id for c in kept))


def draw_groups(customer_ids: list[int], holdout_pct: int, rng: random.Random | None = None) -> dict[int, str]:
    """Draw each customer to control (with probability holdout_pct / 100) or treatment, independently of the
    others and of their place in the list; `rng` defaults to the operating system's cryptographic source."""
    rng = rng or random.SystemRandom()
    return {cid: "control" if rng.random() * 100 < holdout_pct else "treatment" for cid in customer_ids}


def _customers(contacts_or_customers: Iterable[Contact | Customer]) -> list[Customer]:
    """The customer of each contact (found or created, set-based), customers as they are, in the order given."""
    given = list(contacts_or_customers)
    if len(given) > MAX_MEMBERS:
        raise ValidationError({"customers": f"At most {MAX_MEMBERS:,} people at a time."})
    ids = resolve_customers([c for c in given if isinstance(c, Contact)])
    loaded = {c.id: c for c in db.session.scalars(select(Customer).where(Customer.id.in_(list(set(ids.values())))))}
    return [c if isinstance(c, Customer) else loaded[ids[c]] for c in given]


def members_of(campaign_id: int) -> list[AudienceAssignment]:
    """Return a campaign's audience assignments in the order they were made."""
    return list(db.session.scalars(select(AudienceAssignment).where(AudienceAssignment.campaign_id == campaign_id)
                                   .order_by(AudienceAssignment.id)))


def treatment_to_mail(campaign_id: int) -> Select:
    """A select of (assignment_id, customer_id, voucher_id, email) for the campaign's treatment members a campaign
    e-mail may reach (an e-mail address, not unsubscribed), in assignment order; a send adds its own "not sent yet"
    (NOT EXISTS over its delivery rows) and reads the rest."""
    return (select(AudienceAssignment.id.label("assignment_id"), AudienceAssignment.customer_id,
                   AudienceAssignment.voucher_id, Customer.email)
            .join(Customer, Customer.id == AudienceAssignment.customer_id)
            .where(AudienceAssignment.campaign_id == campaign_id, AudienceAssignment.group_name == "treatment",
                   campaign_mail_allowed())
            .order_by(AudienceAssignment.id))


def group_counts(campaign_id: int) -> dict[str, int]:
    """Return how many members the campaign's audience has in each group (treatment, control)."""
    rows = db.session.execute(select(AudienceAssignment.group_name, func.count()).where(
        AudienceAssignment.campaign_id == campaign_id).group_by(AudienceAssignment.group_name)).all()
    return {"treatment": 0, "control": 0} | dict(rows)


def members_page(campaign_id: int, group: str | None, page: int, per_page: int) -> tuple[list, int]:
    """Return one page of the audience, newest first, as (assignment, customer, voucher code or None) rows, and
    how many members (of `group`, when given) there are."""
    where = [AudienceAssignment.campaign_id == campaign_id]
    if group is not None:
        where.append(AudienceAssignment.group_name == group)
    total = db.session.scalar(select(func.count()).select_from(AudienceAssignment).where(*where))
    rows = db.session.execute(
        select(AudienceAssignment, Customer, Voucher.code).join(Customer, Customer.id == AudienceAssignment.customer_id)
        .outerjoin(Voucher, Voucher.id == AudienceAssignment.voucher_id).where(*where)
        .order_by(AudienceAssignment.id.desc()).limit(per_page).offset((page - 1) * per_page)).all()
    return [tuple(row) for row in rows], total
