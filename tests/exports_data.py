"""A small business to export: a German café (or the same in en_US), made through the services, with umlauts, a
formula-looking batch label and subject, a sale with its refund, feedback, an e-mail and audit entries."""
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from campaigns.accounts import business
from campaigns.contacts.contact import make_contact
from campaigns.contacts.subscriptions import unsubscribe
from campaigns.core import audit
from campaigns.desk import redemption
from campaigns.extensions import db
from campaigns.feedback.answers import give, read_answer
from campaigns.giving import designs
from campaigns.giving.vouchers import issue_batch
from campaigns.models import Campaign, Customer, Delivery, Voucher
from campaigns.sales.corrections import refund_purchase
from tests.designs import design
from tests.ledger_rows import record_purchase

REDEEMED = datetime(2026, 12, 3, 5, 13, 44, 123456, tzinfo=UTC)  # 06:13:44 in Berlin
FORMULA = '=HYPERLINK("http://evil.example","click")'
CAMPAIGN = "Größe Probe"


@dataclass(frozen=True)
class Business:
    """The ids a test asks the exports about."""

    campaign_id: int
    other_campaign_id: int
    customer_id: int
    user_id: int
    code: str


def fill(locale: str = "de_DE", user_id: int | None = None) -> Business:
    """Make the business in the current app context and commit it."""
    business.update_settings(business_name="Café Jürgen", currency="EUR", time_zone="Europe/Berlin",
                             default_gross_margin_bp=6000, default_phone_region="DE", locale=locale)
    made = designs.create_campaign(design({"name": CAMPAIGN, "offer": "Ein Stück Kuchen", "unit_cost": "1.25",
                                           "fixed_cost": "1234.50", "gross_margin_pct": "62.5",
                                           "starts_on": "2026-11-01"}))
    designs.set_status(made, "active")
    other = designs.create_campaign(design({"name": "Other", "unit_cost": "0"}))
    codes = issue_batch(made, 3, "flyer")
    db.session.execute(update(Voucher).where(Voucher.code == codes[2]).values(batch_label=FORMULA))
    redeemed = redemption.redeem(codes[0], redemption.Attempt(
        user_id=user_id, customer=make_contact("juergen@example.com", "+49 30 1234567", "Jürgen Größe")),
        now=REDEEMED)
    customer_id = redeemed.customer_id
    sale, _ = record_purchase("till-1", 123450, REDEEMED + timedelta(hours=2), customer_id=customer_id)
    refund_purchase(sale, 450, "till-1-r", user_id, "zu viel", now=REDEEMED + timedelta(hours=3))
    give(codes[0], read_answer(9, "Die Größe war gut", "=1+1"), now=REDEEMED + timedelta(hours=4))
    unsubscribe(customer_id, how="link", now=REDEEMED + timedelta(days=1))
    db.session.add(Delivery(kind="test", recipient="juergen@example.com", subject="-2+3 Grüße", status="sent",
                            attempts=1, created_at=REDEEMED, sent_at=REDEEMED + timedelta(seconds=5)))
    audit.record("campaign_archive", "archived", user_id=user_id, subject=("campaign", other.id),
                 now=datetime(2026, 11, 30, 23, 30, tzinfo=UTC))  # 1 December, 00:30 in Berlin
    db.session.commit()
    voucher_code = db.session.scalar(select(Voucher.code).where(Voucher.code == codes[0]))
    assert db.session.get(Customer, customer_id).name == "Jürgen Größe"
    assert db.session.get(Campaign, made.id).name == CAMPAIGN
    return Business(made.id, other.id, customer_id, user_id or 0, voucher_code)
