"""The desk's day: live redemptions today in the business time zone, by one user and by everyone."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select

from campaigns.extensions import db
from campaigns.giving.designs import day_start
from campaigns.models import Redemption, utcnow


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
