"""Purchases for tests that hold ids (a customer, a voucher, a location): the same row, check and writer as every
way in (campaigns/sales/ledger.py), named the way a test has them at hand."""
from datetime import datetime

from sqlalchemy import select

from campaigns.extensions import db
from campaigns.models import Location, Purchase, Voucher
from campaigns.sales.ledger import record_sale
from campaigns.sales.rows import PurchaseRow


def record_purchase(external_id: str, amount_cents: int, occurred_at: datetime, *, customer_id: int | None = None,
                    voucher_id: int | None = None, refund_of_id: int | None = None,
                    location_id: int | None = None, now: datetime | None = None,
                    source: str = "desk") -> tuple[Purchase, bool]:
    """Store one purchase or refund named by ids; return it and whether it is new, or raise its error."""
    code = db.session.scalar(select(Voucher.code).where(Voucher.id == voucher_id)) if voucher_id else None
    place = db.session.scalar(select(Location.name).where(Location.id == location_id)) if location_id else None
    row = PurchaseRow(external_id=external_id, amount_cents=amount_cents, occurred_at=occurred_at,
                      customer_id=customer_id, voucher_code=code, refund_of=refund_of_id, location=place)
    return record_sale(row, source=source, now=now)
