"""Attribution as METRICS.md defines it ("attributed purchase", "refund", `revenue`), computed in SQL at query time.

A live purchase P of customer X (not a refund) is attributed to campaign C when X has a live redemption of a
voucher of C at R with R < P.occurred_at <= R + window(C) days; the latest R wins across campaigns, ties go to
the lower voucher id. A live refund goes wherever its original went, whatever its own date. It is worked out from
the rows as they are, so arrival order, an undone redemption, a voided purchase, a changed window or a merge count
at once. This is the definition: the reports read a stored copy (attribution_store.py) that triggers and a refresh
keep equal to it, and compute here whatever the copy has marked as out of date.
"""
from sqlalchemy import Integer, and_, cast, func, null, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.expression import FunctionElement

from campaigns.extensions import db
from campaigns.models import Campaign, Purchase, Redemption, UTCDateTime


class _shifted_days(FunctionElement):
    """`moment ± days` exactly, to the microsecond, on SQLite (naive UTC text) and PostgreSQL (timestamptz)."""

    type = UTCDateTime()
    inherit_cache = True
    sign = "+"


class plus_days(_shifted_days):
    """`moment + days` (a window's end)."""

    inherit_cache = True
    name = "plus_days"


class minus_days(_shifted_days):
    """`moment - days`: `r + d <= now` is `r <= now - d`, where the stored moment is compared as it is."""

    inherit_cache = True
    name = "minus_days"
    sign = "-"


@compiles(_shifted_days)
def _shifted_days_default(element, compiler, **kw):
    """PostgreSQL (and the default): a day here is 24 hours, whatever the session's time zone and its DST."""
    moment, days = list(element.clauses)
    return (f"({compiler.process(moment, **kw)} {element.sign} "
            f"make_interval(hours => 24 * ({compiler.process(days, **kw)})))")


@compiles(_shifted_days, "sqlite")
def _shifted_days_sqlite(element, compiler, **kw):
    """SQLite: only the whole seconds go through datetime(), which would round a fraction to milliseconds
    (06:59:59.999999 becomes 07:00:00); the stored fraction (".ffffff", or nothing) is then put back as it was."""
    moment, days = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(datetime(substr({moment}, 1, 19), '{element.sign}' || ({days}) || ' days') || substr({moment}, 20))"


def _originals(purchase_ids=None, campaign_ids=None, customer_ids=None):
    """Each live, non-refund purchase of a known customer with the redemption it is attributed to."""
    redemption, campaign = Redemption.__table__, Campaign.__table__
    purchase = Purchase.__table__
    rank = func.row_number().over(partition_by=purchase.c.id,
                                  order_by=(redemption.c.redeemed_at.desc(), redemption.c.voucher_id.asc()))
    candidates = (
        select(purchase.c.id.label("purchase_id"), redemption.c.campaign_id, redemption.c.id.label("redemption_id"),
               redemption.c.voucher_id, purchase.c.customer_id, purchase.c.amount_cents, purchase.c.occurred_at,
               redemption.c.redeemed_at, rank.label("rank"))
        .select_from(purchase)
        .join(redemption, and_(redemption.c.customer_id == purchase.c.customer_id, redemption.c.undone_at.is_(None),
                               redemption.c.redeemed_at < purchase.c.occurred_at))
        .join(campaign, campaign.c.id == redemption.c.campaign_id)
        .where(purchase.c.voided_at.is_(None), purchase.c.refund_of_id.is_(None), purchase.c.customer_id.is_not(None),
               purchase.c.occurred_at <= plus_days(redemption.c.redeemed_at, campaign.c.attribution_window_days))
    )
    if purchase_ids is not None:
        # A refund asked about needs its original: look at the originals of everything asked about.
        named = aliased(Purchase)
        candidates = candidates.where(purchase.c.id.in_(
            select(func.coalesce(named.refund_of_id, named.id)).where(named.id.in_(purchase_ids))))
    if customer_ids is not None:
        candidates = candidates.where(purchase.c.customer_id.in_(customer_ids))
    if campaign_ids is not None:
        # Only customers who redeemed one of these campaigns can have purchases attributed to them; the ranking
        # still runs over all of those customers' redemptions, whatever their campaign.
        candidates = candidates.where(purchase.c.customer_id.in_(
            select(redemption.c.customer_id).where(redemption.c.campaign_id.in_(list(campaign_ids)),
                                                   redemption.c.undone_at.is_(None))))
    ranked = candidates.subquery("ranked")
    columns = [c for c in ranked.c if c.key != "rank"]
    return select(*columns, cast(null(), Integer).label("refund_of_id")).where(ranked.c.rank == 1)


def attributed(purchase_ids=None, campaign_ids=None, customer_ids=None):
    """Return every live attributed purchase and its live refunds as a subquery (purchase_id, campaign_id,
    redemption_id, voucher_id, customer_id, amount_cents, occurred_at, redeemed_at, refund_of_id).

    With `campaign_ids`, only the purchases of customers who redeemed one of those campaigns are looked at:
    the rows attributed to those campaigns are all there (rows of other campaigns may be too; filter them).
    With `customer_ids` (a list or a select of ids), only the purchases of those customers and their refunds."""
    # A nested CTE: the ranking runs once for both halves, and two uses of attributed() in one statement never clash.
    originals = _originals(purchase_ids, campaign_ids, customer_ids).cte("originals", nesting=True)
    refund = Purchase.__table__
    refunds = (select(refund.c.id.label("purchase_id"), originals.c.campaign_id, originals.c.redemption_id,
                      originals.c.voucher_id, originals.c.customer_id, refund.c.amount_cents, refund.c.occurred_at,
                      originals.c.redeemed_at, refund.c.refund_of_id)
               .join(originals, originals.c.purchase_id == refund.c.refund_of_id)
               .where(refund.c.voided_at.is_(None)))
    every = [c for c in originals.c]
    return union_all(select(*every), refunds).subquery("attributed")


def per_redemption(found, *where):
    """Sum attributed purchases (a table or subquery of ATTRIBUTED_COLUMNS) per redemption: the first sale of
    positive amount, the net amount, the sales, the refunds and the sales of positive amount (a subquery)."""
    sale = and_(found.c.refund_of_id.is_(None), found.c.amount_cents > 0)
    return (select(found.c.redemption_id, found.c.campaign_id, found.c.customer_id, found.c.redeemed_at,
                   func.min(found.c.occurred_at).filter(sale).label("first_sale"),
                   func.sum(found.c.amount_cents).label("net"),
                   func.count().filter(found.c.refund_of_id.is_(None)).label("purchases"),
                   func.count().filter(found.c.refund_of_id.is_not(None)).label("refunds"),
                   func.count().filter(sale).label("positive"))
            .where(*where)
            .group_by(found.c.redemption_id, found.c.campaign_id, found.c.customer_id, found.c.redeemed_at)
            .subquery("per_redemption"))


ATTRIBUTED_COLUMNS = ("purchase_id", "campaign_id", "redemption_id", "voucher_id", "customer_id", "amount_cents",
                      "occurred_at", "redeemed_at", "refund_of_id")


def campaign_of(purchase_ids: list[int]) -> dict[int, int]:
    """Return purchase id -> the campaign it is attributed to (an unattributed purchase is absent)."""
    purchase_ids = list(purchase_ids)
    if not purchase_ids:
        return {}
    found = attributed(purchase_ids=purchase_ids)
    rows = db.session.execute(select(found.c.purchase_id, found.c.campaign_id)
                              .where(found.c.purchase_id.in_(purchase_ids)))
    return {purchase_id: campaign_id for purchase_id, campaign_id in rows}


def customer_revenue(customer_id: int) -> dict[int, int]:
    """Return campaign id -> the revenue in cents of one customer's purchases attributed to it, refunds included."""
    found = attributed(customer_ids=[customer_id])
    rows = db.session.execute(select(found.c.campaign_id, func.sum(found.c.amount_cents))
                              .group_by(found.c.campaign_id))
    return {campaign_id: int(total) for campaign_id, total in rows}
