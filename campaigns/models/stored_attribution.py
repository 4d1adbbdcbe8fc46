"""Attribution kept stored: each attributed purchase (and refund) with its redemption, one summary row per
redemption, and the customers whose stored rows a write has made stale.

Derived data only (reports/attribution_store.py keeps it): database triggers on purchase, redemption and campaign
(and on the business's time zone, which the stored local dates follow) mark a customer stale in the transaction that
changes what their purchases are attributed to, and a refresh recomputes the marked customers. A reader takes the
stored rows of every customer not marked, and computes the marked ones afresh, so a figure is never stale, whenever
the refresh runs. No foreign keys: deleting a campaign or a customer marks the rows stale rather than being blocked
by them.
"""
from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from campaigns.extensions import db
from campaigns.models.types import UTCDateTime


class AttributedPurchase(db.Model):
    """A live purchase of a known customer attributed to a campaign, or a live refund of one (METRICS.md)."""

    __tablename__ = "attributed_purchase"
    __table_args__ = (Index("ix_attributed_purchase_customer", "customer_id"),
                      # A campaign's rows, and its amounts per local day read from the index alone.
                      Index("ix_attributed_purchase_campaign", "campaign_id", "occurred_on", "amount_cents"))

    purchase_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    campaign_id: Mapped[int] = mapped_column(Integer)
    redemption_id: Mapped[int] = mapped_column(Integer)
    voucher_id: Mapped[int] = mapped_column(Integer)
    customer_id: Mapped[int] = mapped_column(Integer)  # the original's customer, for a refund too
    amount_cents: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The business's local date of occurred_at, in the zone of the refresh that wrote it (a new zone marks all).
    occurred_on: Mapped[date] = mapped_column(Date)
    redeemed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    refund_of_id: Mapped[int | None] = mapped_column(Integer)


class AttributedRedemption(db.Model):
    """One redemption's attributed purchases summed: what the report's per-customer figures are made of."""

    __tablename__ = "attributed_redemption"
    __table_args__ = (Index("ix_attributed_redemption_customer", "customer_id"),
                      Index("ix_attributed_redemption_campaign", "campaign_id"))

    redemption_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    campaign_id: Mapped[int] = mapped_column(Integer)
    customer_id: Mapped[int] = mapped_column(Integer)
    redeemed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_sale: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the first attributed sale of positive amount
    net: Mapped[int] = mapped_column(BigInteger)  # attributed sales and their refunds, in cents
    purchases: Mapped[int] = mapped_column(Integer)
    refunds: Mapped[int] = mapped_column(Integer)
    positive: Mapped[int] = mapped_column(Integer)  # sales of positive amount


class AttributionStale(db.Model):
    """A customer whose stored attribution a write changed (a trigger adds one; repeats are harmless)."""

    __tablename__ = "attribution_stale"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(Integer)
