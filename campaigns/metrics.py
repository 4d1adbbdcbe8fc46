"""Figures for owners, computed in SQL (METRICS.md). The full campaign report grows here."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select

from .extensions import db
from .models import Campaign, Redemption, Voucher, utcnow
from .vouchers import day_start


def voucher_counts() -> list[dict]:
    """Return each campaign with its `issued` and `redeemed` counts, newest campaign first."""
    issued = (select(Voucher.campaign_id, func.count().label("issued"))
              .where(Voucher.void_at.is_(None)).group_by(Voucher.campaign_id).subquery())
    redeemed = (select(Voucher.campaign_id, func.count().label("redeemed"))
                .where(Voucher.redeemed_at.is_not(None)).group_by(Voucher.campaign_id).subquery())
    query = (
        select(Campaign, func.coalesce(issued.c.issued, 0), func.coalesce(redeemed.c.redeemed, 0))
        .outerjoin(issued, issued.c.campaign_id == Campaign.id)
        .outerjoin(redeemed, redeemed.c.campaign_id == Campaign.id)
        .order_by(Campaign.created_at.desc(), Campaign.id.desc())
    )
    return [{"campaign": c, "issued": i, "redeemed": r} for c, i, r in db.session.execute(query)]


def local_day_bounds(zone: ZoneInfo, now: datetime | None = None) -> tuple[datetime, datetime]:
    """Return the start and end, as aware datetimes, of the business's current day."""
    today = (now or utcnow()).astimezone(zone).date()
    return day_start(today, zone), day_start(today + timedelta(days=1), zone)


def redemptions_today(zone: ZoneInfo, user_id: int, now: datetime | None = None) -> dict:
    """Count live redemptions made today in the business's time zone: by one user, and by everyone."""
    start, end = local_day_bounds(zone, now)
    mine, everyone = db.session.execute(
        select(func.count().filter(Redemption.user_id == user_id), func.count()).select_from(Redemption).where(
            and_(Redemption.undone_at.is_(None), Redemption.redeemed_at >= start, Redemption.redeemed_at < end))
    ).one()
    return {"mine": mine, "everyone": everyone}
