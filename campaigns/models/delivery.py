"""Outgoing e-mail: one delivery row per message, and the owner's mail server settings."""
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from campaigns.extensions import db
from campaigns.models.types import UTCDateTime, utcnow

DELIVERY_KINDS = ("voucher", "feedback_invite", "test", "campaign")
DELIVERY_STATUSES = ("queued", "sending", "sent", "failed", "given_up", "cancelled")
# A campaign delivery in one of these holds its member: no second one of the campaign can be queued for them.
# (A cancelled one, or one given up before the server took it, leaves them free for a later send.)
HOLDING = "status IN ('queued', 'sending', 'failed', 'sent')"


class Delivery(db.Model):
    """One e-mail to one address: queued, claimed by one sender (`sending`, its `attempts` the claim's fence),
    handed over to the server (`handed_at`, just before the message's last line), then sent, failed (to be tried
    again at `next_try_at`), given up, or cancelled with its send. Claim and hand-over are conditional UPDATEs, so
    a message is never sent twice."""

    __tablename__ = "delivery"
    __table_args__ = (
        CheckConstraint("kind IN ('voucher', 'feedback_invite', 'test', 'campaign')", name="kind"),
        CheckConstraint("status IN ('queued', 'sending', 'sent', 'failed', 'given_up', 'cancelled')", name="status"),
        CheckConstraint("attempts >= 0", name="attempts"),
        Index("ix_delivery_status_next_try", "status", "next_try_at"),
        Index("ix_delivery_created", "created_at"),
        Index("ux_delivery_campaign_member", "campaign_id", "customer_id", unique=True,
              sqlite_where=text(f"kind = 'campaign' AND {HOLDING}"),
              postgresql_where=text(f"kind = 'campaign' AND {HOLDING}")),
        Index("ix_delivery_send_status", "send_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)  # the mail server's answer, as it gave it
    next_try_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the server had all but the last line
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("voucher.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaign.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    send_id: Mapped[int | None] = mapped_column(ForeignKey("campaign_send.id"))  # a campaign send's, when one

    def __repr__(self) -> str:
        return f"<Delivery {self.id} {self.kind} {self.status}>"


class CampaignSend(db.Model):
    """One send of a campaign to its audience's treatment members: a delivery per member (their `send_id`); what
    is not yet sent can be cancelled until `cancel_until`. Its progress is read from its deliveries."""

    __tablename__ = "campaign_send"
    __table_args__ = (CheckConstraint("total >= 0", name="total"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    total: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancel_until: Mapped[datetime] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_token.id"))

    def __repr__(self) -> str:
        return f"<CampaignSend {self.id} campaign={self.campaign_id} total={self.total}>"


class MailServer(db.Model):
    """The owner's outgoing mail server (one row); an empty field falls back to the MAIL_* configuration."""

    __tablename__ = "mail_server"
    __table_args__ = (CheckConstraint("port IS NULL OR port BETWEEN 1 AND 65535", name="port"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    host: Mapped[str | None] = mapped_column(String(253))
    port: Mapped[int | None] = mapped_column(Integer)
    use_tls: Mapped[bool | None] = mapped_column(Boolean)
    username: Mapped[str | None] = mapped_column(String(254))
    password: Mapped[str | None] = mapped_column(String(254))  # never shown back on any page
    sender_name: Mapped[str | None] = mapped_column(String(120))
    sender_address: Mapped[str | None] = mapped_column(String(254))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<MailServer {self.host}:{self.port}>"
