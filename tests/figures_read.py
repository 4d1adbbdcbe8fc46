"""A campaign's revenue read as the pages read it: from the report's figures (campaigns/reports/figures.py)."""
from sqlalchemy import select

from campaigns.extensions import db
from campaigns.models import AttributedPurchase, AttributedRedemption
from campaigns.reports import assemble
from campaigns.reports.attribution import ATTRIBUTED_COLUMNS, attributed, per_redemption
from campaigns.reports.attribution_store import SUMMARY_COLUMNS


def revenue_by_campaign() -> dict[int, int]:
    """The campaign list's revenue, campaigns with none left out."""
    return {cid: cents for cid, cents in assemble.revenue_by_campaign().items() if cents}


def campaign_revenue(campaign_id: int, stored=None) -> dict:
    """The campaign page's revenue tile: revenue, purchases and paying customers (computed now, or from a
    `stored` attribution: attribution_store.current())."""
    found = assemble.figures([campaign_id], found=stored).get(campaign_id)
    if found is None:
        return {"revenue_cents": 0, "purchases": 0, "customers": 0}
    return {"revenue_cents": found["revenue_cents"], "purchases": found["purchases"],
            "customers": found["converted_customers"]}


def stored_attribution() -> tuple[set, set]:
    """The stored attribution: every attributed purchase and every redemption's sums, as sets of rows."""
    return (set(db.session.execute(select(*(AttributedPurchase.__table__.c[k] for k in ATTRIBUTED_COLUMNS)))),
            set(db.session.execute(select(*(AttributedRedemption.__table__.c[k] for k in SUMMARY_COLUMNS)))))


def attribution_from_scratch() -> tuple[set, set]:
    """The same rows computed now from the definition (attribution.attributed over everything)."""
    every = attributed()
    sums = per_redemption(every)
    return (set(db.session.execute(select(*(every.c[k] for k in ATTRIBUTED_COLUMNS)))),
            set(db.session.execute(select(*(sums.c[k] for k in SUMMARY_COLUMNS)))))
