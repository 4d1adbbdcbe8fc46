"""The per-campaign figures of METRICS.md, each one aggregate in SQL, for every campaign at once or per segment.

Readings (README "The report"): a date range selects redemptions, so `redeemed` and the customer counts are
about the live redemptions made in the range and the purchases attributed to those very redemptions, whenever
they were bought; `issued` counts the vouchers issued in the range; the fixed cost is counted whole. A segment
(a batch and channel, or a location) counts only the unit cost of its own redemptions: the fixed cost belongs to
the campaign as a whole. Rates are exact fractions, gross profit is exact cents; rounding is for display only.
"""
from datetime import date, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, exists, func, literal, null, select

from ..business import business_zone
from ..campaign import day_start
from ..extensions import db
from ..models import Campaign, Location, Purchase, Redemption, Voucher
from .attribution import attributed
from .localtime import MICROS_PER_DAY, elapsed_micros

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
             .join(voucher, voucher.c.id == redemption.c.voucher_id)
             .outerjoin(location, location.c.id == redemption.c.location_id)
             .where(redemption.c.undone_at.is_(None),
                    *in_range(redemption.c.redeemed_at, since, until, zone)))
    if campaign_ids is not None:
        query = query.where(redemption.c.campaign_id.in_(list(campaign_ids)))
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


def _redemptions(live, group) -> dict:
    query = (select(live.c.campaign_id, live.c.k1, live.c.k2, func.count(), func.count(live.c.customer_id),
                    func.count(live.c.customer_id.distinct()), func.count().filter(live.c.customer_id.is_(None)))
             .group_by(live.c.campaign_id, live.c.k1, live.c.k2))
    return _keyed(db.session.execute(query), group)


def _per_customer(live, found):
    """Each (segment, customer) with their attributed net amount, purchases, refunds and positive purchases."""
    mine = (select(live.c.campaign_id, live.c.k1, live.c.k2, found.c.customer_id, found.c.amount_cents,
                   found.c.refund_of_id)
            .join(found, and_(found.c.redemption_id == live.c.redemption_id, found.c.campaign_id == live.c.campaign_id))
            .subquery("mine"))
    sale = mine.c.refund_of_id.is_(None)
    return (select(mine.c.campaign_id, mine.c.k1, mine.c.k2, mine.c.customer_id,
                   func.sum(mine.c.amount_cents).label("net"), func.count().filter(sale).label("purchases"),
                   func.count().filter(mine.c.refund_of_id.is_not(None)).label("refunds"),
                   func.count().filter(and_(sale, mine.c.amount_cents > 0)).label("positive"))
            .group_by(mine.c.campaign_id, mine.c.k1, mine.c.k2, mine.c.customer_id).subquery("per_customer"))


def _sales(live, found, group) -> dict:
    each = _per_customer(live, found)
    converted = each.c.net > 0
    query = (select(each.c.campaign_id, each.c.k1, each.c.k2, func.count().filter(converted),
                    func.count().filter(and_(converted, each.c.positive >= 2)), func.sum(each.c.purchases),
                    func.sum(each.c.refunds), func.sum(each.c.net))
             .group_by(each.c.campaign_id, each.c.k1, each.c.k2))
    return _keyed(db.session.execute(query), group)


def first_purchases(live, found):
    """Each converted customer's first attributed purchase of positive amount, as `delay` microseconds after the
    redemption it is attributed to (a subquery: campaign_id, k1, k2, customer_id, delay). Grouped first by
    redemption (hash aggregation), so the ranking runs over one row per customer and redemption, not per sale."""
    sale = and_(found.c.refund_of_id.is_(None), found.c.amount_cents > 0)
    keys = (live.c.campaign_id, live.c.k1, live.c.k2, found.c.customer_id)
    per_redemption = (select(*keys, found.c.redeemed_at,
                             func.min(found.c.occurred_at).filter(sale).label("first_sale"),
                             func.sum(found.c.amount_cents).label("net"))
                      .join(found, and_(found.c.redemption_id == live.c.redemption_id,
                                        found.c.campaign_id == live.c.campaign_id))
                      .group_by(*keys, found.c.redemption_id, found.c.redeemed_at).subquery("per_redemption"))
    part = (per_redemption.c.campaign_id, per_redemption.c.k1, per_redemption.c.k2, per_redemption.c.customer_id)
    first = per_redemption.c.first_sale
    ranked = (select(*part, first, per_redemption.c.redeemed_at,
                     func.sum(per_redemption.c.net).over(partition_by=part).label("net"),
                     func.row_number().over(partition_by=part, order_by=(case((first.is_(None), 1), else_=0), first))
                     .label("rank"))
              .subquery("ranked_sales"))
    return (select(ranked.c.campaign_id, ranked.c.k1, ranked.c.k2, ranked.c.customer_id,
                   elapsed_micros(ranked.c.first_sale, ranked.c.redeemed_at).label("delay"))
            .where(ranked.c.rank == 1, ranked.c.net > 0, ranked.c.first_sale.is_not(None)).subquery("first_purchases"))


def _medians(live, found, group) -> dict:
    """The median delay per segment: the middle value, or the mean of the two middle ones (portable SQL)."""
    firsts = first_purchases(live, found)
    part = (firsts.c.campaign_id, firsts.c.k1, firsts.c.k2)
    ordered = select(*part, firsts.c.delay,
                     func.row_number().over(partition_by=part, order_by=firsts.c.delay).label("position"),
                     func.count().over(partition_by=part).label("size")).subquery("ordered")
    middle = ordered.c.position.in_([(ordered.c.size + 1) // 2, (ordered.c.size + 2) // 2])
    query = (select(ordered.c.campaign_id, ordered.c.k1, ordered.c.k2, func.sum(ordered.c.delay), func.count())
             .where(middle).group_by(ordered.c.campaign_id, ordered.c.k1, ordered.c.k2))
    return {key: Fraction(int(total), count * MICROS_PER_DAY) for key, (total, count)
            in _keyed(db.session.execute(query), group).items()}


def _freebie_only(live, group) -> dict:
    purchase = Purchase.__table__
    bought = exists().where(purchase.c.customer_id == live.c.customer_id, purchase.c.amount_cents > 0,
                            purchase.c.voided_at.is_(None))
    query = (select(live.c.campaign_id, live.c.k1, live.c.k2, func.count(live.c.customer_id.distinct()))
             .where(live.c.customer_id.is_not(None), ~bought)
             .group_by(live.c.campaign_id, live.c.k1, live.c.k2))
    return _keyed(db.session.execute(query), group)


def figures(campaign_ids=None, since: date | None = None, until: date | None = None, group: str | None = None,
            found=None, zone: ZoneInfo | None = None) -> dict:
    """Return every METRICS.md figure keyed by campaign id (group None: every campaign asked for, zeros included),
    or, for one campaign, by segment: (batch_label, channel) for group "batch", (location_id, name) for "location"."""
    if group not in GROUPS:
        raise ValueError(f"unknown group {group!r}")
    zone = zone or business_zone()
    found = found if found is not None else attributed(campaign_ids=campaign_ids)
    live = live_redemptions(campaign_ids, since, until, group, zone)
    issued = _issued(campaign_ids, since, until, group, zone) if group != "location" else {}
    redeemed, sales = _redemptions(live, group), _sales(live, found, group)
    medians, freebies = _medians(live, found, group), _freebie_only(live, group)
    costs = {cid: (fixed, unit, bp) for cid, fixed, unit, bp in db.session.execute(
        select(Campaign.id, Campaign.fixed_cost_cents, Campaign.unit_cost_cents, Campaign.gross_margin_bp)
        .where(Campaign.id.in_(list(campaign_ids)) if campaign_ids is not None else literal(True)))}
    keys = set(costs) if group is None else set(issued) | set(redeemed)
    out = {}
    for key in keys:
        cid = key if group is None else next(iter(costs))
        fixed, unit, bp = costs[cid]
        count, identified, identified_customers, anonymous = redeemed.get(key, (0, 0, 0, 0))
        converted, repeat, purchases, refunds, revenue = sales.get(key, (0, 0, 0, 0, 0))
        values = {
            "issued": issued.get(key, (0,))[0] if group != "location" else None,
            "redeemed": count, "identified_redemptions": identified,
            "redeeming_customers": identified_customers + anonymous, "identified_customers": identified_customers,
            "converted_customers": converted, "repeat_customers": repeat,
            "purchases": int(purchases or 0), "refunds": int(refunds or 0), "revenue_cents": int(revenue or 0),
            "median_days_to_first_purchase": medians.get(key),
            "freebie_only": freebies.get(key, (0,))[0],
        }
        values["conversion_rate"] = Fraction(converted, values["redeeming_customers"]) if converted else Fraction(0)
        values["freebie_only_share"] = (Fraction(values["freebie_only"], identified_customers)
                                        if identified_customers else None)
        values["gross_profit"] = Fraction(values["revenue_cents"] * bp, 10000)
        values["cost_cents"] = (fixed if group is None else 0) + unit * count
        cost = values["cost_cents"]
        values["roi"] = (values["gross_profit"] - cost) / cost if cost else None
        out[key] = values
    return out
