"""Picking an audience among the customers already known, with the questions an owner asks: who bought at this
location, who has not bought for N days, who only ever took a campaign's freebie, who never took a gift at all.
Each filter is a condition on the customer row, so a selection is one set-based select of ids, never a loop."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, exists, func, select

from campaigns.core.errors import FieldErrors, ValidationError
from campaigns.extensions import db
from campaigns.giving.audience_exclusions import Preview, preview
from campaigns.giving.audience_runs import assign_recorded
from campaigns.giving.audiences import MAX_MEMBERS, check_holdout
from campaigns.models import AudienceAssignment, Campaign, Customer, Location, Purchase, Redemption, utcnow
from campaigns.models.purchase import positive_live
from campaigns.reports.figures import never_bought

DAYS_MAX = 3650


@dataclass(frozen=True)
class CustomerFilter:
    """Which known customers to pick; every condition given must hold (none given: every customer)."""

    bought_at: int | None = None  # a location id: bought there (a live purchase of positive amount)
    not_bought_days: int | None = None  # no live purchase of positive amount in the last N days
    freebie_only_of: int | None = None  # a campaign id: redeemed it and never bought anything (METRICS.md)
    no_gift_yet: bool = False  # no live redemption of any campaign, ever

    @property
    def is_empty(self) -> bool:
        """Tell whether no condition is set (the filter picks every customer)."""
        return self == CustomerFilter()


def check_filter(bought_at=None, not_bought_days=None, freebie_only_of=None, no_gift_yet=False) -> CustomerFilter:
    """Return a filter of plain values (ids, a day count), naming each wrong one (invalid_input)."""
    wrong = FieldErrors()
    if bought_at is not None and not _exists(Location, bought_at):
        wrong.add("bought_at", "Choose one of your locations.")
    if not_bought_days is not None and (isinstance(not_bought_days, bool) or not isinstance(not_bought_days, int)
                                        or not 1 <= not_bought_days <= DAYS_MAX):
        wrong.add("not_bought_days", f"A whole number of days from 1 to {DAYS_MAX:,}.")
    if freebie_only_of is not None and not _exists(Campaign, freebie_only_of):
        wrong.add("freebie_only_of", "Choose one of your campaigns.")
    wrong.raise_any()
    return CustomerFilter(bought_at, not_bought_days, freebie_only_of, bool(no_gift_yet))


def _exists(model, key) -> bool:
    return isinstance(key, int) and not isinstance(key, bool) and db.session.get(model, key) is not None


def _bought(customer_id, *where):
    purchase = Purchase.__table__
    return exists().where(purchase.c.customer_id == customer_id, positive_live(purchase), *where)


def _gift(customer_id, *where):
    redemption = Redemption.__table__
    return exists().where(redemption.c.customer_id == customer_id, redemption.c.undone_at.is_(None), *where)


def matching_ids(picked: CustomerFilter, now: datetime | None = None) -> Select:
    """A select of the ids of the customers the filter picks, in id order."""
    conditions = []
    if picked.bought_at is not None:
        conditions.append(_bought(Customer.id, Purchase.__table__.c.location_id == picked.bought_at))
    if picked.not_bought_days is not None:
        since = (now or utcnow()) - timedelta(days=picked.not_bought_days)
        conditions.append(~_bought(Customer.id, Purchase.__table__.c.occurred_at > since))
    if picked.freebie_only_of is not None:
        conditions += [_gift(Customer.id, Redemption.__table__.c.campaign_id == picked.freebie_only_of),
                       never_bought(Customer.id)]
    if picked.no_gift_yet:
        conditions.append(~_gift(Customer.id))
    return select(Customer.id).where(*conditions).order_by(Customer.id)


def count(picked: CustomerFilter, now: datetime | None = None) -> int:
    """Return how many customers the filter picks."""
    return db.session.scalar(select(func.count()).select_from(matching_ids(picked, now).order_by(None).subquery()))


def picked_customers(picked: CustomerFilter, exclude_members_of: int | None = None, limit: int | None = None,
                     now: datetime | None = None) -> list[Customer]:
    """Return the customers the filter picks in id order, leaving out members of campaign `exclude_members_of`'s
    audience (they keep their group), at most `limit` of them."""
    query = select(Customer).where(Customer.id.in_(matching_ids(picked, now).order_by(None))).order_by(Customer.id)
    if exclude_members_of is not None:
        query = query.where(~exists().where(AudienceAssignment.campaign_id == exclude_members_of,
                                            AudienceAssignment.customer_id == Customer.id))
    return list(db.session.scalars(query.limit(limit)))


def preview_picked(campaign: Campaign, picked: CustomerFilter, now: datetime | None = None) -> Preview:
    """Count the customers a filter picks by what the campaign's audience would do with them (preview())."""
    return preview(campaign, matching_ids(picked, now).order_by(None), require_email=True)


def assign_picked(campaign: Campaign, picked: CustomerFilter, holdout_pct: int, user_id: int | None = None,
                  now: datetime | None = None) -> int:
    """Draw the customers a filter picks (those not yet members) into the campaign's audience, as audience_runs
    writes it down; return the run's id. More than MAX_MEMBERS new people: invalid_input, nothing assigned."""
    check_holdout(holdout_pct)
    people = picked_customers(picked, exclude_members_of=campaign.id, limit=MAX_MEMBERS + 1, now=now)
    if len(people) > MAX_MEMBERS:
        raise ValidationError({"filters": f"These filters pick more than {MAX_MEMBERS:,} new people: narrow them "
                                          "(a location, fewer days) and add the rest in another round."})
    _, run_id = assign_recorded(campaign, people, holdout_pct, source="customers", require_email=True,
                                user_id=user_id, now=now)
    return run_id
