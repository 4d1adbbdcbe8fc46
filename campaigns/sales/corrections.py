"""Corrections of recorded sales, both audited: void one recorded by mistake (its refunds with it), or refund
(part of) one through the ledger."""
from datetime import datetime

from sqlalchemy import select

from campaigns.core import audit, inputs
from campaigns.core.errors import NotFound, ValidationError
from campaigns.core.locks import lock_rows
from campaigns.extensions import db
from campaigns.models import Purchase, utcnow
from campaigns.sales import ledger
from campaigns.sales.rows import PurchaseError, PurchaseRow


def get_purchase(purchase_id: int) -> Purchase:
    """Return a purchase, or raise unknown_purchase."""
    purchase = db.session.get(Purchase, purchase_id)
    if purchase is None:
        raise NotFound("unknown_purchase", "There is no such purchase.")
    return purchase


def void_purchase(purchase: Purchase, reason: str, user_id: int | None, now: datetime | None = None) -> Purchase:
    """Void a purchase recorded by mistake, and its refunds with it: kept as history, counted nowhere; audited.
    The purchase's row is locked first (a refund being stored locks it too), so what is read next is final: two
    voids at once are one void and one already_void, and no refund gets in beside a void."""
    reason = inputs.text(reason, "reason", 500, minimum=1, multiline=True)
    [purchase] = lock_rows(Purchase, [purchase.id])
    if purchase.voided_at is not None:
        raise PurchaseError("already_void", "That purchase is already voided.", {"id": purchase.id})
    now = now or utcnow()
    refunds = db.session.scalars(select(Purchase).where(Purchase.refund_of_id == purchase.id,
                                                         Purchase.voided_at.is_(None))).all()
    for voided in (purchase, *refunds):
        voided.voided_at, voided.voided_by_id, voided.void_reason = now, user_id, reason
        audit.record("purchase_void", "voided", user_id=user_id, subject=("purchase", voided.id), now=now,
                     details={"reason": reason, "amount_cents": voided.amount_cents,
                              "external_id": voided.external_id})
    db.session.flush()
    return purchase


def refund_purchase(purchase: Purchase, amount_cents: int, external_id: str, user_id: int | None,
                    reason: str = "", now: datetime | None = None) -> tuple[Purchase, bool]:
    """Record a refund of (part of) a purchase as its own negative purchase naming the original; audited.
    `external_id` is fixed when the refund is typed, so a retry is the same refund."""
    if amount_cents <= 0:
        raise ValidationError({"amount": "Refund an amount above zero."})
    reason = inputs.text(reason or "", "reason", 500, multiline=True)
    again = db.session.scalar(select(Purchase).where(Purchase.external_id == external_id))
    if again is not None and again.refund_of_id == purchase.id and again.amount_cents == -amount_cents:
        return again, False  # the same refund sent twice (a double tap, a retry): already recorded
    now = now or utcnow()
    refund, new = ledger.record_sale(PurchaseRow(external_id=external_id, amount_cents=-amount_cents, occurred_at=now,
                                                 refund_of=purchase.id), source="desk", now=now)
    if new:
        audit.record("purchase_refund", "refunded", user_id=user_id, subject=("purchase", purchase.id), now=now,
                     details={"refund_id": refund.id, "amount_cents": amount_cents, "reason": reason})
    return refund, new
