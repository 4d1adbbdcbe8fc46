"""Voucher counts as METRICS.md defines them: `issued` (not void) and `redeemed`, per campaign and batch."""
from sqlalchemy import func, select

from campaigns.extensions import db
from campaigns.models import Campaign, Voucher

# METRICS.md: `issued` counts vouchers that exist and are not void; `redeemed` those redeemed.
ISSUED = Voucher.void_at.is_(None)
REDEEMED = Voucher.redeemed_at.is_not(None)


def issued_and_redeemed():
    """Return the per-campaign counts as a subquery (campaign_id, issued, redeemed)."""
    return (select(Voucher.campaign_id, func.count().filter(ISSUED).label("issued"),
                   func.count().filter(REDEEMED).label("redeemed"))
            .group_by(Voucher.campaign_id).subquery())


def voucher_counts() -> list[dict]:
    """Return each campaign with its `issued` and `redeemed` counts, newest campaign first."""
    counts = issued_and_redeemed()
    query = (select(Campaign, func.coalesce(counts.c.issued, 0), func.coalesce(counts.c.redeemed, 0))
             .outerjoin(counts, counts.c.campaign_id == Campaign.id)
             .order_by(Campaign.created_at.desc(), Campaign.id.desc()))
    return [{"campaign": c, "issued": i, "redeemed": r} for c, i, r in db.session.execute(query)]


def redeemed_count(campaign_id: int) -> int:
    """Count the campaign's redeemed vouchers."""
    return db.session.scalar(select(func.count()).select_from(Voucher)
                             .where(Voucher.campaign_id == campaign_id, REDEEMED))


def batches(campaign_id: int) -> list[dict]:
    """Return the campaign's vouchers grouped by batch label and channel, with `issued` and `redeemed`."""
    rows = db.session.execute(
        select(Voucher.batch_label, Voucher.channel, func.count().filter(ISSUED), func.count().filter(REDEEMED),
               func.min(Voucher.issued_at))
        .where(Voucher.campaign_id == campaign_id)
        .group_by(Voucher.batch_label, Voucher.channel)
        .order_by(func.min(Voucher.issued_at).desc())
    ).all()
    return [{"label": label, "channel": channel, "issued": issued, "redeemed": redeemed, "issued_at": first}
            for label, channel, issued, redeemed, first in rows]
