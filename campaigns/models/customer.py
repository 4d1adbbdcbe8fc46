"""Who receives: customers, audience assignments for holdout tests, and their feedback."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaigns.extensions import db
from campaigns.models.types import UTCDateTime, utcnow


class Customer(db.Model):
    __tablename__ = "customer"
    __table_args__ = (
        CheckConstraint("email IS NOT NULL OR phone IS NOT NULL", name="contact"),
        CheckConstraint("email IS NULL OR email = lower(email)", name="email_lowercase"),
        Index("uq_customer_email", "email", unique=True),
        Index("uq_customer_phone", "phone", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254))
    # E.164, e.g. +14155550123
    phone: Mapped[str | None] = mapped_column(String(20))
    name: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set by the one-click unsubscribe of a campaign e-mail: never sent a campaign e-mail again (API.md).
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<Customer {self.id} {self.email or self.phone}>"


class AudienceAssignment(db.Model):
    """A customer's group in a campaign's holdout test, drawn once and kept for good."""

    __tablename__ = "audience_assignment"
    __table_args__ = (
        CheckConstraint("group_name IN ('treatment', 'control')", name="group_name"),
        CheckConstraint("group_name = 'treatment' OR voucher_id IS NULL", name="control_no_voucher"),
        CheckConstraint("holdout_pct BETWEEN 0 AND 90", name="holdout_pct"),
        UniqueConstraint("campaign_id", "customer_id", name="uq_audience_member"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    group_name: Mapped[str] = mapped_column(String(16))
    holdout_pct: Mapped[int] = mapped_column(Integer)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("voucher.id"), unique=True)

    customer = relationship("Customer")

    def __repr__(self) -> str:
        return f"<AudienceAssignment campaign={self.campaign_id} customer={self.customer_id} {self.group_name}>"


class Feedback(db.Model):
    """A customer's answer about a redeemed voucher: one per voucher, changeable for a day, then final."""

    __tablename__ = "feedback"
    __table_args__ = (CheckConstraint("score BETWEEN 0 AND 10", name="score"),
                      CheckConstraint("version >= 1", name="version"))

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique: a second answer for a voucher is refused by the database, whatever the concurrency.
    voucher_id: Mapped[int] = mapped_column(ForeignKey("voucher.id"), unique=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    # "How likely are you to recommend us?" 0-10 (METRICS.md: 0-6 detractor, 7-8 passive, 9-10 promoter).
    score: Mapped[int] = mapped_column(Integer)
    answer: Mapped[str] = mapped_column(Text, default="", server_default=text("''"))  # to feedback_question
    answer_2: Mapped[str] = mapped_column(Text, default="", server_default=text("''"))  # to feedback_question_2
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Bumped by each change, so a form opened before another change cannot overwrite it unseen.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))

    def __repr__(self) -> str:
        return f"<Feedback voucher={self.voucher_id} score={self.score}>"


class FeedbackInvite(db.Model):
    """The e-mail asking for feedback about one redeemed voucher: claimed by one sender (the unique voucher),
    then sent, or retried a few times when the mail server fails."""

    __tablename__ = "feedback_invite"

    id: Mapped[int] = mapped_column(primary_key=True)
    voucher_id: Mapped[int] = mapped_column(ForeignKey("voucher.id"), unique=True)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))

    def __repr__(self) -> str:
        return f"<FeedbackInvite voucher={self.voucher_id} sent={self.sent_at}>"
