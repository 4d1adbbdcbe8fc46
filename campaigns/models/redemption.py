"""What happens at the counter: a voucher's redemption (one live per voucher), and its undoing."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
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
        # A device's scan, sent again after a dropped answer, finds the redemption it made: never a second one.
        Index("uq_redemption_scan_id", "scan_id", unique=True),
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
    scan_id: Mapped[str | None] = mapped_column(String(64))  # the scanning device's id for this scan, when sent

    voucher = relationship("Voucher")
    location = relationship("Location")
    user = relationship("User", foreign_keys=[user_id])

    def __repr__(self) -> str:
        return f"<Redemption {self.id} voucher={self.voucher_id} at={self.redeemed_at}>"
