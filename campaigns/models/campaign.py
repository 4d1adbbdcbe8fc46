"""What is given away: campaigns and their vouchers."""
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaigns.extensions import db
from campaigns.models.types import UTCDateTime, utcnow

CAMPAIGN_STATUSES = ("draft", "active", "paused", "ended")
CAMPAIGN_KINDS = ("sample", "service")
VOUCHER_CHANNELS = ("batch", "claim", "audience", "api")


def _sql_list(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{value}'" for value in values) + ")"


class Campaign(db.Model):
    __tablename__ = "campaign"
    __table_args__ = (
        CheckConstraint("length(name) BETWEEN 1 AND 120", name="name_length"),
        CheckConstraint(f"kind IN {_sql_list(CAMPAIGN_KINDS)}", name="kind"),
        CheckConstraint(f"status IN {_sql_list(CAMPAIGN_STATUSES)}", name="status"),
        CheckConstraint("unit_cost_cents >= 0", name="unit_cost"),
        CheckConstraint("retail_value_cents IS NULL OR retail_value_cents >= 0", name="retail_value"),
        CheckConstraint("fixed_cost_cents >= 0", name="fixed_cost"),
        CheckConstraint("gross_margin_bp BETWEEN 0 AND 10000", name="margin"),
        CheckConstraint("ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on", name="dates"),
        CheckConstraint("voucher_limit IS NULL OR voucher_limit >= 1", name="voucher_limit"),
        CheckConstraint("unreturned_gift_limit IS NULL OR unreturned_gift_limit >= 1", name="unreturned_gift_limit"),
        CheckConstraint("per_customer_limit >= 1", name="per_customer_limit"),
        CheckConstraint("feedback_mail_delay_hours IS NULL OR feedback_mail_delay_hours BETWEEN 0 AND 720",
                        name="feedback_mail_delay"),
        CheckConstraint("attribution_window_days BETWEEN 1 AND 730", name="window"),
        # voucher_limit holds under concurrency: issuing bumps this counter in one conditional UPDATE.
        CheckConstraint("voucher_limit IS NULL OR vouchers_issued <= voucher_limit", name="within_voucher_limit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16), default="sample")
    offer: Mapped[str] = mapped_column(Text, default="")
    unit_cost_cents: Mapped[int] = mapped_column(Integer)
    retail_value_cents: Mapped[int | None] = mapped_column(Integer)
    fixed_cost_cents: Mapped[int] = mapped_column(Integer, default=0)
    # Basis points (1/100 of a percent): 10000 is 100%.
    gross_margin_bp: Mapped[int] = mapped_column(Integer, default=10000)
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    voucher_limit: Mapped[int | None] = mapped_column(Integer)
    per_customer_limit: Mapped[int] = mapped_column(Integer, default=1)
    # Refuse a voucher to a customer who already holds this many unreturned gifts (METRICS.md); None: never.
    unreturned_gift_limit: Mapped[int | None] = mapped_column(Integer)
    attribution_window_days: Mapped[int] = mapped_column(Integer, default=90)
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    vouchers_issued: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Set while the public claim page is open; unguessable, so only the poster leads to it.
    claim_slug: Mapped[str | None] = mapped_column(String(16), unique=True)
    feedback_question: Mapped[str] = mapped_column(Text, default="What did you value most about it?")
    # An optional second open question; empty: only the first is asked.
    feedback_question_2: Mapped[str] = mapped_column(Text, default="What would bring you back?", server_default="")
    # Hours after redeeming to e-mail a customer the link to the feedback form; None: never e-mailed.
    feedback_mail_delay_hours: Mapped[int | None] = mapped_column(Integer)
    # When it first became active: its fixed cost is spent on that local day (METRICS.md); None: never went live.
    went_live_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # An ended campaign put out of the default lists (still in "All" and in every total).
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    vouchers = relationship("Voucher", back_populates="campaign", lazy="dynamic")

    def __repr__(self) -> str:
        return f"<Campaign {self.id} {self.name!r} {self.status}>"


class Voucher(db.Model):
    __tablename__ = "voucher"
    __table_args__ = (
        CheckConstraint(f"channel IN {_sql_list(VOUCHER_CHANNELS)}", name="channel"),
        # A personal voucher takes one of the customer's numbered slots in the campaign, so a
        # unique index (not a count-then-insert) enforces per_customer_limit under concurrency.
        CheckConstraint("customer_slot IS NULL OR customer_slot >= 1", name="customer_slot"),
        CheckConstraint("customer_slot IS NULL OR customer_id IS NOT NULL", name="slot_needs_customer"),
        UniqueConstraint("campaign_id", "customer_id", "customer_slot", name="uq_voucher_customer_slot"),
        Index("ix_voucher_campaign_batch", "campaign_id", "batch_label"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    # Normalised code: Crockford base 32 without separators, check character last.
    code: Mapped[str] = mapped_column(String(32), unique=True)
    channel: Mapped[str] = mapped_column(String(16), default="batch")
    batch_label: Mapped[str | None] = mapped_column(String(120))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    customer_slot: Mapped[int | None] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    void_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set by the single conditional UPDATE that redeems; cleared when a redemption is undone.
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    campaign = relationship("Campaign", back_populates="vouchers")
    customer = relationship("Customer")

    def __repr__(self) -> str:
        return f"<Voucher {self.id} {self.code} campaign={self.campaign_id}>"
