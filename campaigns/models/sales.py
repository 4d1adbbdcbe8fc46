"""What happens at the counter: redemptions of vouchers and purchases (with refunds)."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaigns.extensions import db
from campaigns.models.types import UTCDateTime, utcnow


class Redemption(db.Model):
    __tablename__ = "redemption"
    __table_args__ = (
        # One live redemption per voucher, whatever the concurrency; an undone one stays as history.
        Index(
            "uq_redemption_live_voucher",
            "voucher_id",
            unique=True,
            sqlite_where=text("undone_at IS NULL"),
            postgresql_where=text("undone_at IS NULL"),
        ),
        CheckConstraint("undone_at IS NULL OR undo_reason IS NOT NULL", name="undo_reason"),
        # Attribution looks up a customer's redemptions before each purchase.
        Index("ix_redemption_customer_time", "customer_id", "redeemed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    voucher_id: Mapped[int] = mapped_column(ForeignKey("voucher.id"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    redeemed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_token.id"))
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    undo_reason: Mapped[str | None] = mapped_column(Text)

    voucher = relationship("Voucher")
    location = relationship("Location")
    user = relationship("User", foreign_keys=[user_id])

    def __repr__(self) -> str:
        return f"<Redemption {self.id} voucher={self.voucher_id} at={self.redeemed_at}>"


class Purchase(db.Model):
    __tablename__ = "purchase"
    __table_args__ = (
        CheckConstraint("amount_cents >= 0 OR refund_of_id IS NOT NULL", name="negative_only_refund"),
        CheckConstraint("refund_of_id IS NULL OR amount_cents < 0", name="refund_negative"),
        CheckConstraint("refund_of_id IS NULL OR refund_of_id <> id", name="refund_not_self"),
        CheckConstraint("voided_at IS NULL OR void_reason IS NOT NULL", name="void_reason"),
        Index("ix_purchase_customer_time", "customer_id", "occurred_at"),
        # A customer's purchases of positive amount: freebie-only customers and unreturned gifts.
        Index("ix_purchase_customer_positive", "customer_id", "occurred_at",
              sqlite_where=text("amount_cents > 0 AND voided_at IS NULL"),
              postgresql_where=text("amount_cents > 0 AND voided_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(120), unique=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("voucher.id"))
    refund_of_id: Mapped[int | None] = mapped_column(ForeignKey("purchase.id"), index=True)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    # Where it came from: desk, api, import or demo; an import's file; the customer's id in the till's system
    # (e.g. "square:JDKYHBWT1D4F8MFH63DBMEN8Y4") until a customer directory links it to one of ours.
    source: Mapped[str | None] = mapped_column(String(16))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_import.id"))
    customer_ref: Mapped[str | None] = mapped_column(String(160), index=True)
    # Hash of the content as first posted: a retry with the same content is a duplicate,
    # the same external_id with different content is a conflict.
    content_hash: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A purchase recorded by mistake is voided, never deleted: it stays as history and counts nowhere.
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    void_reason: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"<Purchase {self.id} {self.external_id} {self.amount_cents}>"
