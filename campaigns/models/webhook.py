"""Webhooks: the addresses other tools gave for events, and each event's delivery to each of them."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from campaigns.extensions import db
from campaigns.models.types import UTCDateTime, utcnow

WEBHOOK_EVENTS = ("voucher.redeemed", "redemption.undone", "purchase.recorded", "campaign.status_changed",
                  "feedback.answered")
HOOK_STATUSES = ("queued", "sending", "retrying", "delivered", "failed", "cancelled")


class Webhook(db.Model):
    __tablename__ = "webhook"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[str] = mapped_column(String(400))  # " voucher.redeemed purchase.recorded ": matched with LIKE
    secret: Mapped[str] = mapped_column(String(80))  # signs each delivery, so it is kept as it is (shown once)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_token.id"))
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookDelivery(db.Model):
    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("webhook_id", "event_id", name="uq_webhook_delivery_event"),  # one delivery per event
        Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        CheckConstraint("status IN ('queued', 'sending', 'retrying', 'delivered', 'failed', 'cancelled')",
                        name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhook.id"), index=True)
    event_id: Mapped[str] = mapped_column(String(40))
    event_type: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)  # the exact bytes sent on every try (as UTF-8)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[int | None] = mapped_column(Integer)  # the receiver's HTTP status; None: no answer
    last_answer: Mapped[str | None] = mapped_column(Text)  # the start of its answer, or why there was none
