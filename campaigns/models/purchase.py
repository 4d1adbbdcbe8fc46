"""What the till records: purchases, and refunds as negative purchases naming their original."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, and_, literal, text
from sqlalchemy.orm import Mapped, mapped_column

from campaigns.extensions import db
from campaigns.models.types import UTCDateTime, utcnow


class Purchase(db.Model):
    __tablename__ = "purchase"
    __table_args__ = (
        CheckConstraint("amount_cents >= 0 OR refund_of_id IS NOT NULL", name="negative_only_refund"),
        CheckConstraint("refund_of_id IS NULL OR amount_cents < 0", name="refund_negative"),
        CheckConstraint("refund_of_id IS NULL OR refund_of_id <> id", name="refund_not_self"),
        CheckConstraint("voided_at IS NULL OR void_reason IS NOT NULL", name="void_reason"),
        # A customer's purchases by time, with what the holdout test and attribution read of each (no row look-up).
        Index("ix_purchase_customer_time", "customer_id", "occurred_at", "amount_cents", "voided_at", "refund_of_id",
              postgresql_include=["id"]),  # SQLite's index entries hold the rowid (the id) anyway
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
    import_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_import.id"), index=True)
    customer_ref: Mapped[str | None] = mapped_column(String(160), index=True)
    # The till's other id for the sale, as source:id (Square's Transaction ID beside the Payment ID its external_id
    # is made of, Shopify's order name #1001 beside its Id): the purchases search finds a sale by either.
    sale_ref: Mapped[str | None] = mapped_column(String(160), index=True)
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


def positive_live(purchase):
    """SQL: a purchase (the table or an alias) of positive amount that is not voided, written as the partial index
    ix_purchase_customer_positive's own condition: with a literal 0 rather than a bound parameter, SQLite can
    tell that the index answers it and reads no purchase's row (the report's freebie check took half the time)."""
    return and_(purchase.c.amount_cents > literal(0, literal_execute=True), purchase.c.voided_at.is_(None))
