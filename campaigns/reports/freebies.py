"""The customers behind `freebie_only`: known customers who redeemed a campaign (in the range) and have never made
a live purchase of positive amount, anywhere; for them every live redemption is an unreturned gift."""
from datetime import date

from sqlalchemy import func, select

from campaigns.extensions import db
from campaigns.models import Customer, Redemption
from campaigns.reports.figures import live_redemptions, never_bought


def freebie_only_customers(campaign_id: int, since: date | None = None, until: date | None = None,
                           limit: int | None = None, offset: int = 0) -> list[dict]:
    """Return the campaign's freebie-only customers, most recent redemption first: customer_id, name, email,
    phone, redeemed_at (their latest redemption of the campaign) and unreturned_gifts (of any campaign)."""
    live = live_redemptions([campaign_id], since, until)
    redemption = Redemption.__table__
    latest = (select(live.c.customer_id, func.max(live.c.redeemed_at).label("redeemed_at"))
              .where(never_bought(live.c.customer_id)).group_by(live.c.customer_id).subquery("latest"))
    gifts = (select(func.count()).where(redemption.c.customer_id == latest.c.customer_id,
                                        redemption.c.undone_at.is_(None)).scalar_subquery())
    query = (select(latest.c.customer_id, Customer.name, Customer.email, Customer.phone, latest.c.redeemed_at,
                    gifts.label("unreturned_gifts"))
             .join(Customer, Customer.id == latest.c.customer_id)
             .order_by(latest.c.redeemed_at.desc(), latest.c.customer_id.desc()).offset(offset))
    if limit is not None:
        query = query.limit(limit)
    return [dict(row._mapping) for row in db.session.execute(query)]
