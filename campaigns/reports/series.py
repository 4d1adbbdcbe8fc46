"""The series a campaign report draws, aggregated in SQL: gross profit against cost by local day (and the
payback date), cumulative conversion by days since redemption, and weekly cohort retention.

Same readings as figures.py: a date range selects redemptions, and everything follows from those redemptions.
Days since redemption are elapsed 24-hour days (day d counts delays up to d x 24 h); calendar days and weeks
are the business's local ones (weeks start on Monday).
"""
from datetime import date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, literal, select, union_all

from campaigns.accounts.business import business_zone
from campaigns.extensions import db
from campaigns.models import Campaign, Purchase, utcnow
from campaigns.models.purchase import positive_live
from campaigns.reports.attribution_store import as_found, local_day
from campaigns.reports.figures import counted_fixed, first_purchases, live_redemptions, redeemed_in, redemption_sums
from campaigns.reports.localtime import MICROS_PER_DAY, as_date, days_apart, elapsed_micros, local_date, week_start

MAX_COHORT_WEEKS = 26


def _today(zone: ZoneInfo) -> date:
    return utcnow().astimezone(zone).date()


def _earliest(live):
    """Each known customer's first redemption in `live`: a subquery (customer_id, redeemed_at)."""
    return (select(live.c.customer_id, func.min(live.c.redeemed_at).label("redeemed_at"))
            .where(live.c.customer_id.is_not(None)).group_by(live.c.customer_id).subquery("earliest"))


def _first_moment(live) -> datetime | None:
    return db.session.scalar(select(func.min(live.c.redeemed_at)))


def _daily(live, found, zone: ZoneInfo, first: datetime, campaign_ids, since, until):
    """Per campaign and local day: live redemptions and attributed amounts (refunds on their own day)."""
    now = utcnow()
    # The local day is computed in a subquery and grouped outside: PostgreSQL cannot match an expression with
    # bound parameters in GROUP BY against the same expression in the select list.
    redemptions = select(live.c.campaign_id, local_date(live.c.redeemed_at, zone, first, now).label("day")
                         ).subquery("redemptions_on")
    # Every attributed row names a live redemption and keeps its moment: the range selects the rows themselves.
    bought = found.purchases
    amounts = (select(bought.c.campaign_id, local_day(found, zone, first, now).label("day"), bought.c.amount_cents)
               .where(*redeemed_in(bought, campaign_ids, since, until, zone)).subquery("amounts_on"))
    events = union_all(
        select(redemptions.c.campaign_id, redemptions.c.day, func.count().label("redeemed"), literal(0).label("revenue"))
        .group_by(redemptions.c.campaign_id, redemptions.c.day),
        select(amounts.c.campaign_id, amounts.c.day, literal(0).label("redeemed"),
               func.sum(amounts.c.amount_cents).label("revenue"))
        .group_by(amounts.c.campaign_id, amounts.c.day),
    ).subquery("events")
    return (select(events.c.campaign_id, events.c.day, func.sum(events.c.redeemed).label("redeemed"),
                   func.sum(events.c.revenue).label("revenue"))
            .group_by(events.c.campaign_id, events.c.day).subquery("daily"))


def payback_dates(campaign_ids=None, since: date | None = None, until: date | None = None,
                  zone: ZoneInfo | None = None, found=None) -> dict[int, tuple[date, int]]:
    """Return campaign id -> (payback date, days from the first redemption), for the campaigns that paid back:
    the first local day, up to today, on which cumulative gross profit reaches cumulative cost."""
    zone = zone or business_zone()
    found = as_found(found, campaign_ids)
    live = live_redemptions(campaign_ids, since, until, None, zone)
    first = _first_moment(live)
    if first is None:
        return {}
    daily = _daily(live, found, zone, first, campaign_ids, since, until)
    part = {"partition_by": daily.c.campaign_id, "order_by": daily.c.day}  # one window, so one sort
    running = select(daily.c.campaign_id, daily.c.day,
                     func.sum(daily.c.redeemed).over(**part).label("redeemed"),
                     func.sum(daily.c.revenue).over(**part).label("revenue"),
                     func.min(daily.c.day).over(**part).label("first_day")).subquery("running")  # running min: 1st day
    campaign = Campaign.__table__
    cost = counted_fixed(campaign, since, until, zone) + campaign.c.unit_cost_cents * running.c.redeemed
    query = (select(running.c.campaign_id, func.min(running.c.day), running.c.first_day)
             .join(campaign, campaign.c.id == running.c.campaign_id)
             .where(running.c.revenue * campaign.c.gross_margin_bp >= cost * 10000, running.c.day <= _today(zone))
             .group_by(running.c.campaign_id, running.c.first_day))
    out = {}
    for campaign_id, day, first_day in db.session.execute(query):
        day, first_day = as_date(day), as_date(first_day)
        out[campaign_id] = (day, (day - first_day).days)
    return out


def profit_by_day(campaign_id: int, since: date | None = None, until: date | None = None,
                  zone: ZoneInfo | None = None, found=None) -> dict:
    """Return each local day from the first redemption (or the go-live day, when the range counts the fixed cost
    spent on it) to today with its `redeemed`, `cost_cents`, `revenue_cents` and exact `gross_profit`, plus
    `payback_date` and `payback_days`."""
    zone = zone or business_zone()
    found = as_found(found, [campaign_id])
    campaign = db.session.get(Campaign, campaign_id)
    live = live_redemptions([campaign_id], since, until, None, zone)
    first = _first_moment(live)
    if first is None:
        return {"days": [], "payback_date": None, "payback_days": None}
    daily = _daily(live, found, zone, first, [campaign_id], since, until)
    known = {as_date(day): (int(redeemed), int(revenue)) for day, redeemed, revenue
             in db.session.execute(select(daily.c.day, daily.c.redeemed, daily.c.revenue))}
    table = Campaign.__table__
    fixed = db.session.scalar(select(counted_fixed(table, since, until, zone)).where(table.c.id == campaign_id))
    live_day = campaign.went_live_at.astimezone(zone).date() if fixed else None
    start, end = min(set(known) | ({live_day} if live_day else set())), max(max(known), _today(zone))
    days = []
    for offset in range((end - start).days + 1):
        day = start + timedelta(days=offset)
        redeemed, revenue = known.get(day, (0, 0))
        days.append({"date": day, "redeemed": redeemed,
                     "cost_cents": campaign.unit_cost_cents * redeemed + (fixed if day == live_day else 0),
                     "revenue_cents": revenue, "gross_profit": Fraction(revenue * campaign.gross_margin_bp, 10000)})
    payback_date, payback_days = payback_dates([campaign_id], since, until, zone, found).get(campaign_id, (None, None))
    return {"days": days, "payback_date": payback_date, "payback_days": payback_days}


def _buckets(delays, horizon: int) -> list[int]:
    """Cumulative counts per day 1..horizon from (delay microseconds) rows, bucketed in SQL."""
    bucketed = select(((delays.c.delay + (MICROS_PER_DAY - 1)) // MICROS_PER_DAY).label("bucket")).subquery("bucketed")
    counts = dict(db.session.execute(select(bucketed.c.bucket, func.count()).group_by(bucketed.c.bucket)).all())
    out, total = [], 0
    for day in range(1, horizon + 1):
        total += counts.get(day, 0)
        out.append(total)
    return out


def conversion_by_day(campaign_id: int, since: date | None = None, until: date | None = None, found=None,
                      zone: ZoneInfo | None = None) -> dict:
    """Return `window`, `redeeming_customers` and, for each day d after redemption up to past the window, the
    customers `converted` (first attributed purchase within d days) and those who `bought` anything at all; only
    the days that have come for the first redemption (day d begins (d - 1) x 24 h after it), never days to come."""
    zone = zone or business_zone()
    found = as_found(found, [campaign_id])
    window = db.session.get(Campaign, campaign_id).attribution_window_days
    horizon = min(window * 2, window + 60)
    live = live_redemptions([campaign_id], since, until, None, zone)
    identified, anonymous, first = db.session.execute(
        select(func.count(live.c.customer_id.distinct()), func.count().filter(live.c.customer_id.is_(None)),
               func.min(live.c.redeemed_at))).one()
    if first is None:
        return {"window": window, "redeeming_customers": 0, "days": []}
    horizon = min(horizon, (utcnow() - first) // timedelta(days=1) + 1)
    converted = _buckets(first_purchases(redemption_sums(found, None, [campaign_id], since, until, zone)), horizon)
    earliest = _earliest(live)
    purchase = Purchase.__table__
    bought = (select(elapsed_micros(func.min(purchase.c.occurred_at), earliest.c.redeemed_at).label("delay"))
              .join(purchase, and_(purchase.c.customer_id == earliest.c.customer_id,
                                   purchase.c.occurred_at > earliest.c.redeemed_at, positive_live(purchase)))
              .group_by(earliest.c.customer_id, earliest.c.redeemed_at).subquery("bought"))
    any_purchase = _buckets(bought, horizon)
    return {"window": window, "redeeming_customers": identified + anonymous,
            "days": [{"day": day, "converted": converted[day - 1], "bought": any_purchase[day - 1]}
                     for day in range(1, horizon + 1)]}


def cohorts(campaign_id: int, since: date | None = None, until: date | None = None, zone: ZoneInfo | None = None,
            found=None) -> list[dict]:
    """Return the known customers grouped by the local week (Monday) of their first redemption, each with
    `customers` and `weeks`: how many bought (attributed, positive) in week 0, 1, ... after; None for weeks to come."""
    zone = zone or business_zone()
    found = as_found(found, [campaign_id])
    window = db.session.get(Campaign, campaign_id).attribution_window_days
    live = live_redemptions([campaign_id], since, until, None, zone)
    first = _first_moment(live)
    if first is None:
        return []
    now = utcnow()
    earliest = _earliest(live)
    cohort_week = week_start(local_date(earliest.c.redeemed_at, zone, first, now))
    members = select(earliest.c.customer_id, cohort_week.label("week")).subquery("members")
    sizes = {as_date(week): size for week, size in db.session.execute(
        select(members.c.week, func.count()).group_by(members.c.week))}
    sold = found.purchases
    week_index = (days_apart(local_day(found, zone, first, now), members.c.week) // 7).label("k")
    purchases = (select(members.c.week, week_index, sold.c.customer_id)
                 .select_from(live)
                 .join(sold, and_(sold.c.redemption_id == live.c.redemption_id,
                                  sold.c.campaign_id == live.c.campaign_id))
                 .join(members, members.c.customer_id == sold.c.customer_id)
                 .where(sold.c.refund_of_id.is_(None), sold.c.amount_cents > 0)).subquery("weekly")
    bought = (select(purchases.c.week, purchases.c.k, func.count(purchases.c.customer_id.distinct()))
              .group_by(purchases.c.week, purchases.c.k))
    cells = {(as_date(week), int(k)): n for week, k, n in db.session.execute(bought)}
    today = _today(zone)
    this_week = today - timedelta(days=today.weekday())
    width = min(MAX_COHORT_WEEKS, window // 7 + 2)
    out = []
    for week in sorted(sizes):
        lived = (this_week - week).days // 7 + 1
        out.append({"week": week, "customers": sizes[week],
                    "weeks": [cells.get((week, k), 0) if k < lived else None for k in range(width)]})
    return out
