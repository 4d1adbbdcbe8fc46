"""The per-campaign figures of METRICS.md, each one aggregate in SQL, for every campaign at once or per segment.

Readings (README "The report"): a date range selects redemptions, so `redeemed` and the customer counts are
about the live redemptions made in the range and the purchases attributed to those very redemptions, whenever
they were bought; `issued` counts the vouchers issued in the range; the fixed cost is spent on the go-live day
(the local date the campaign first became active), so a range counts it only when that day is in it, and a
campaign that never went live costs nothing. A segment (a batch and channel, or a location) counts only the unit
cost of its own redemptions: the fixed cost belongs to the campaign as a whole. Rates are exact fractions, gross profit is exact cents; rounding is for display only.
"""
from datetime import date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, exists, func, literal, null, select

from campaigns.accounts.business import business_zone
from campaigns.extensions import db
from campaigns.giving.designs import day_start
from campaigns.models import Campaign, Location, Purchase, Redemption, Voucher, utcnow
from campaigns.models.purchase import positive_live
from campaigns.models.types import UTCDateTime
from campaigns.reports.attribution import minus_days
from campaigns.reports.attribution_store import as_found
from campaigns.reports.localtime import MICROS_PER_DAY, elapsed_micros
from campaigns.reports.verdict import judge

GROUPS = (None, "batch", "location")
COUNTS = ("issued", "redeemed", "identified_redemptions", "identified_customers", "anonymous", "converted_customers",
          "repeat_customers", "purchases", "refunds", "revenue_cents", "freebie_only")


def moment_range(since: date | None, until: date | None, zone: ZoneInfo | None = None) -> tuple:
    """Turn inclusive local dates into [from, to) UTC moments (None where open)."""
    zone = zone or business_zone()
    return (day_start(since, zone) if since else None,
            day_start(until + timedelta(days=1), zone) if until else None)


def in_range(column, since: date | None, until: date | None, zone: ZoneInfo | None = None) -> list:
    """The conditions that put a stored moment inside the inclusive local date range."""
    low, high = moment_range(since, until, zone)
    return ([column >= low] if low else []) + ([column < high] if high else [])


def redeemed_in(rows, campaign_ids, since: date | None, until: date | None, zone: ZoneInfo | None = None) -> list:
    """The conditions that pick rows (redemptions, or attributed rows, which keep their redemption's campaign and
    moment) of these campaigns (None: all) redeemed within the inclusive local date range."""
    chosen = [rows.c.campaign_id.in_(list(campaign_ids))] if campaign_ids is not None else []
    return chosen + in_range(rows.c.redeemed_at, since, until, zone)


def counted_fixed(campaign, since: date | None, until: date | None, zone: ZoneInfo | None = None):
    """SQL: the fixed cost a range counts (spent on the go-live day); nothing for a campaign that never went live."""
    return case((and_(campaign.c.went_live_at.is_not(None), *in_range(campaign.c.went_live_at, since, until, zone)),
                 campaign.c.fixed_cost_cents), else_=0)


def live_redemptions(campaign_ids, since=None, until=None, group=None, zone=None):
    """The live redemptions (of these campaigns, made in the range) with their segment as k1, k2: a subquery."""
    redemption, voucher, location = Redemption.__table__, Voucher.__table__, Location.__table__
    if group == "batch":
        keys = [voucher.c.batch_label.label("k1"), voucher.c.channel.label("k2")]
    elif group == "location":
        keys = [redemption.c.location_id.label("k1"), location.c.name.label("k2")]
    else:
        keys = [null().label("k1"), null().label("k2")]
    query = (select(redemption.c.id.label("redemption_id"), redemption.c.campaign_id, redemption.c.customer_id,
                    redemption.c.redeemed_at, redemption.c.voucher_id, *keys)
             .select_from(redemption)
             .where(redemption.c.undone_at.is_(None), *redeemed_in(redemption, campaign_ids, since, until, zone)))
    if group == "batch":  # only a segment needs another table (every redemption has its voucher)
        query = query.join(voucher, voucher.c.id == redemption.c.voucher_id)
    elif group == "location":
        query = query.outerjoin(location, location.c.id == redemption.c.location_id)
    return query.subquery("live")


def _keyed(rows, group) -> dict:
    """Rows of (campaign_id, k1, k2, values...) as {key: values}; the key is the campaign, or the segment."""
    return {(row[0] if group is None else (row[1], row[2])): row[3:] for row in rows}


def _issued(campaign_ids, since, until, group, zone) -> dict:
    voucher = Voucher.__table__
    keys = [voucher.c.batch_label, voucher.c.channel] if group == "batch" else [null(), null()]
    query = (select(voucher.c.campaign_id, *keys, func.count())
             .where(voucher.c.void_at.is_(None), *in_range(voucher.c.issued_at, since, until, zone))
             .group_by(voucher.c.campaign_id, *keys[:2 if group == "batch" else 0]))
    if campaign_ids is not None:
        query = query.where(voucher.c.campaign_id.in_(list(campaign_ids)))
    return _keyed(db.session.execute(query), group)


def _ripe(redeemed_at, now: datetime):
    """SQL: a redemption's attribution window has closed by `now` (needs the campaign table joined)."""
    campaign = Campaign.__table__
    return redeemed_at <= minus_days(literal(now, UTCDateTime()), campaign.c.attribution_window_days)


def _redemptions(live, group, now: datetime) -> dict:
    """Per campaign (or segment), in one pass over the live redemptions: redeemed, identified, identified customers,
    anonymous, matured redemptions and the first redemption's moment."""
    campaign, customer = Campaign.__table__, live.c.customer_id
    query = (select(live.c.campaign_id, live.c.k1, live.c.k2, func.count(), func.count(customer),
                    func.count(customer.distinct()), func.count().filter(customer.is_(None)),
                    func.count().filter(_ripe(live.c.redeemed_at, now)), func.min(live.c.redeemed_at))
             .join(campaign, campaign.c.id == live.c.campaign_id)
             .group_by(live.c.campaign_id, live.c.k1, live.c.k2))
    return _keyed(db.session.execute(query), group)


def redemption_sums(found, live=None, campaign_ids=None, since=None, until=None, zone=None):
    """Each live redemption's attributed sums (a Found's `redemptions`) with its segment as k1, k2 (a subquery).
    Given `live` (a segment's redemptions) they are joined to it; without, they are the sums of these campaigns'
    redemptions made in the range, read alone: only live redemptions have sums, so no join to every redemption."""
    sums = found.redemptions
    columns = (sums.c.customer_id, sums.c.redeemed_at, sums.c.first_sale, sums.c.net, sums.c.purchases,
               sums.c.refunds, sums.c.positive)
    if live is not None:
        return (select(live.c.campaign_id, live.c.k1, live.c.k2, *columns)
                .join(sums, and_(sums.c.redemption_id == live.c.redemption_id,
                                 sums.c.campaign_id == live.c.campaign_id))
                .subquery("per_redemption"))
    return (select(sums.c.campaign_id, null().label("k1"), null().label("k2"), *columns)
            .where(*redeemed_in(sums, campaign_ids, since, until, zone)).subquery("per_redemption"))


def customers_of(per_redemption):
    """One row per (segment, customer) with their attributed `net` amount, `purchases`, `refunds`, `positive`
    purchases, and `delay`: microseconds from the redemption their first positive purchase is attributed to, to
    that purchase (None without one), from redemption_sums(): one row per redemption, not per sale (a subquery).

    A segment holds one campaign, so its redemptions share one window, and last touch gives each of a customer's
    redemptions the purchases between it and their next one: the earliest redemption with a positive purchase is
    the one the first such purchase is attributed to. So a grouping finds it; no ranking (a sort) is needed."""
    return _per_customer(per_redemption).subquery("customers")


def _per_customer(per_redemption):
    each = per_redemption.c
    part = (each.campaign_id, each.k1, each.k2, each.customer_id)
    first_sale = func.min(each.first_sale)
    its_redemption = func.min(each.redeemed_at).filter(each.first_sale.is_not(None))
    return (select(*part, *(func.sum(getattr(each, name)).label(name)
                            for name in ("net", "purchases", "refunds", "positive")),
                   elapsed_micros(first_sale, its_redemption).label("delay"))
            .group_by(*part))


def first_purchases(per_redemption):
    """Each converted customer's first attributed purchase of positive amount, as `delay` microseconds after the
    redemption it is attributed to (a subquery: campaign_id, k1, k2, customer_id, delay), from redemption_sums()."""
    each = customers_of(per_redemption)
    return (select(each.c.campaign_id, each.c.k1, each.c.k2, each.c.customer_id, each.c.delay)
            .where(each.c.net > 0, each.c.delay.is_not(None)).subquery("first_purchases"))


def _sales(per_redemption, group) -> dict:
    """Per segment, in one statement: converted and repeat customers, purchases, refunds, revenue, and the median
    delay to the first purchase (the middle value, or the two middle ones summed with their count: portable SQL).
    The customers are computed once (a CTE read twice); only the timed ones, narrow rows, are sorted for the median."""
    each = _per_customer(per_redemption).cte("customers")
    part = (each.c.campaign_id, each.c.k1, each.c.k2)
    converted = each.c.net > 0
    totals = (select(*part, func.count().filter(converted).label("converted"),
                     func.count().filter(and_(converted, each.c.positive >= 2)).label("repeating"),
                     func.sum(each.c.purchases).label("purchases"), func.sum(each.c.refunds).label("refunds"),
                     func.sum(each.c.net).label("net"))
              .group_by(*part).subquery("totals"))
    timed = (select(*part, each.c.delay, func.row_number().over(partition_by=part, order_by=each.c.delay)
                    .label("position"), func.count().over(partition_by=part).label("size"))
             .where(converted, each.c.delay.is_not(None)).subquery("timed"))
    middle = (select(timed.c.campaign_id, timed.c.k1, timed.c.k2, func.sum(timed.c.delay).label("delays"),
                     func.count().label("middles"))
              .where(timed.c.position.in_([(timed.c.size + 1) // 2, (timed.c.size + 2) // 2]))
              .group_by(timed.c.campaign_id, timed.c.k1, timed.c.k2).subquery("middle"))
    query = (select(totals.c.campaign_id, totals.c.k1, totals.c.k2, totals.c.converted, totals.c.repeating,
                    totals.c.purchases, totals.c.refunds, totals.c.net, middle.c.delays,
                    func.coalesce(middle.c.middles, 0))
             .outerjoin(middle, and_(middle.c.campaign_id == totals.c.campaign_id,
                                     middle.c.k1.is_not_distinct_from(totals.c.k1),
                                     middle.c.k2.is_not_distinct_from(totals.c.k2))))
    return _keyed(db.session.execute(query), group)


def _matured_revenue(per_redemption, group, now: datetime) -> dict:
    """Per campaign (or segment): the attributed revenue in cents of the matured redemptions (redemption_sums())."""
    campaign, each = Campaign.__table__, per_redemption.c
    return _keyed(db.session.execute(
        select(each.campaign_id, each.k1, each.k2, func.sum(each.net))
        .join(campaign, campaign.c.id == each.campaign_id)
        .where(_ripe(each.redeemed_at, now)).group_by(each.campaign_id, each.k1, each.k2)), group)


def never_bought(customer_id):
    """The condition that a known customer has no live purchase of positive amount at all (freebie-only)."""
    purchase = Purchase.__table__
    return and_(customer_id.is_not(None), ~exists().where(purchase.c.customer_id == customer_id,
                                                          positive_live(purchase)))


def _freebie_only(live, group) -> dict:
    """Per campaign (or segment): the freebie-only customers. A statement of its own: as a WHERE, PostgreSQL turns
    the NOT EXISTS into one anti-join; inside an aggregate's FILTER it ran it once per redemption (3x the time)."""
    query = (select(live.c.campaign_id, live.c.k1, live.c.k2, func.count(live.c.customer_id.distinct()))
             .where(never_bought(live.c.customer_id))
             .group_by(live.c.campaign_id, live.c.k1, live.c.k2))
    return _keyed(db.session.execute(query), group)


def figures(campaign_ids=None, since: date | None = None, until: date | None = None, group: str | None = None,
            found=None, zone: ZoneInfo | None = None, now: datetime | None = None) -> dict:
    """Return every METRICS.md figure keyed by campaign id (group None: every campaign asked for, zeros included),
    or, for one campaign, by segment: (batch_label, channel) for group "batch", (location_id, name) for "location".
    Each campaign's values say `in_range`: whether it redeemed, issued or went live in the range."""
    if group not in GROUPS:
        raise ValueError(f"unknown group {group!r}")
    zone, now = zone or business_zone(), now or utcnow()
    found = as_found(found, campaign_ids)
    live = live_redemptions(campaign_ids, since, until, group, zone)
    issued = _issued(campaign_ids, since, until, group, zone) if group != "location" else {}
    per_redemption = (redemption_sums(found, live) if group is not None
                      else redemption_sums(found, None, campaign_ids, since, until, zone))
    redeemed, freebies = _redemptions(live, group, now), _freebie_only(live, group)
    sales = _sales(per_redemption, group)
    matured = _matured_revenue(per_redemption, group, now)
    campaign = Campaign.__table__
    went_live = and_(campaign.c.went_live_at.is_not(None), *in_range(campaign.c.went_live_at, since, until, zone))
    costs = {cid: rest for cid, *rest in db.session.execute(
        select(campaign.c.id, counted_fixed(campaign, since, until, zone), campaign.c.unit_cost_cents,
               campaign.c.gross_margin_bp, campaign.c.attribution_window_days, case((went_live, 1), else_=0))
        .where(campaign.c.id.in_(list(campaign_ids)) if campaign_ids is not None else literal(True)))}
    keys = set(costs) if group is None else set(issued) | set(redeemed)
    out = {}
    for key in keys:
        cid = key if group is None else next(iter(costs))
        fixed, unit, bp, window, live_in_range = costs[cid]
        fixed = fixed if group is None else 0
        count, identified, identified_customers, anonymous, ripe, first = redeemed.get(key, (0, 0, 0, 0, 0, None))
        converted, repeat, purchases, refunds, revenue, middle, middles = sales.get(key, (0, 0, 0, 0, 0, None, 0))
        values = {
            "issued": issued.get(key, (0,))[0] if group != "location" else None,
            "redeemed": count, "identified_redemptions": identified,
            "redeeming_customers": identified_customers + anonymous, "identified_customers": identified_customers,
            "converted_customers": converted, "repeat_customers": repeat,
            "purchases": int(purchases or 0), "refunds": int(refunds or 0), "revenue_cents": int(revenue or 0),
            "median_days_to_first_purchase": Fraction(int(middle), middles * MICROS_PER_DAY) if middles else None,
            "freebie_only": freebies.get(key, (0,))[0],
        }
        values["conversion_rate"] = Fraction(converted, values["redeeming_customers"]) if converted else Fraction(0)
        values["freebie_only_share"] = (Fraction(values["freebie_only"], identified_customers)
                                        if identified_customers else None)
        values["gross_profit"] = Fraction(values["revenue_cents"] * bp, 10000)
        values["fixed_cost_cents"] = fixed
        values["cost_cents"] = cost = fixed + unit * count
        values["roi"] = (values["gross_profit"] - cost) / cost if cost else None
        ripe_revenue = int((matured.get(key) or (0,))[0] or 0)
        values.update(judge(ripe, Fraction(ripe_revenue * bp, 10000), fixed + unit * ripe, first, window, now))
        values["in_range"] = bool(count or values["issued"] or live_in_range)
        out[key] = values
    return out
