"""The redemptions as other tools sync them: in id order after the last one they have (the sync API)."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from campaigns.core import feeds
from campaigns.extensions import db
from campaigns.models import Campaign, Customer, Location, Redemption, Voucher, utcnow


@dataclass(frozen=True)
class RedemptionRow:
    """One redemption, undone or not, with its code, campaign and location."""

    id: int
    code: str
    campaign_id: int
    campaign_name: str
    customer: Customer | None
    location: str | None
    redeemed_at: datetime
    recorded_at: datetime
    undone_at: datetime | None
    undo_reason: str | None


def redemptions_after(after: int, limit: int, now: datetime | None = None) -> list[RedemptionRow]:
    """The redemptions after id `after`, in id order, at most `limit`, that no open transaction can precede."""
    rows = db.session.execute(
        select(Redemption.id, Voucher.code, Redemption.campaign_id, Campaign.name, Customer,
               Location.name, Redemption.redeemed_at, Redemption.recorded_at, Redemption.undone_at,
               Redemption.undo_reason)
        .join(Voucher, Voucher.id == Redemption.voucher_id).join(Campaign, Campaign.id == Redemption.campaign_id)
        .outerjoin(Customer, Customer.id == Redemption.customer_id).outerjoin(Location, Location.id == Redemption.location_id)
        .where(Redemption.id > after).order_by(Redemption.id).limit(limit)).all()
    return feeds.settled([RedemptionRow(*row) for row in rows], after, now or utcnow())
