"""Refunds, checked in one place for every way in: each names its original sale, inherits its customer, and the
live refunds of one sale never take back more than it was."""
from sqlalchemy import func, select

from campaigns.core.bulk_sql import chunked
from campaigns.core.errors import DomainError, ValidationError
from campaigns.extensions import db
from campaigns.models import Purchase
from campaigns.sales.checking import Sale
from campaigns.sales.rows import Outcome, PurchaseError


def refunded_cents(purchase_id: int) -> int:
    """Return how much of a purchase its live (not voided) refunds give back, as a positive number of cents."""
    return _refunded([purchase_id]).get(purchase_id, 0)


def _refunded(purchase_ids) -> dict[int, int]:
    """Map each purchase with live refunds to how much they give back, in positive cents (the one sum)."""
    refunded = {}
    for part in chunked(sorted(set(purchase_ids))):
        refunded.update(db.session.execute(
            select(Purchase.refund_of_id, -func.sum(Purchase.amount_cents))
            .where(Purchase.refund_of_id.in_(part), Purchase.voided_at.is_(None))
            .group_by(Purchase.refund_of_id)).all())
    return refunded


def prepare_refunds(refunds: list[Sale], outcomes: list) -> None:
    """Tie each refund to its original (by external_id or id), inherit its customer, and keep the refunds of
    one original within its amount; a refunded total becomes the part not refunded yet, capped."""
    by_text = sorted({s.row.refund_of.strip() for s in refunds if isinstance(s.row.refund_of, str)})
    by_id = sorted({s.row.refund_of for s in refunds if isinstance(s.row.refund_of, int)})
    columns = (Purchase.id, Purchase.external_id, Purchase.amount_cents, Purchase.refund_of_id, Purchase.voided_at,
               Purchase.customer_id, Purchase.voucher_id, Purchase.location_id, Purchase.customer_ref)
    originals = {}
    # Each original is locked (FOR NO KEY UPDATE, in id order) before its refunded total is read: two refunds of one
    # sale at once take turns, and the second sees the first's (the cap holds under concurrency).
    for part in chunked(by_text):
        originals.update({r.external_id: r for r in db.session.execute(
            select(*columns).where(Purchase.external_id.in_(part)).order_by(Purchase.id).with_for_update(key_share=True))})
    for part in chunked(by_id):
        originals.update({r.id: r for r in db.session.execute(
            select(*columns).where(Purchase.id.in_(part)).order_by(Purchase.id).with_for_update(key_share=True))})
    refunded = _refunded(r.id for r in originals.values())
    for sale in refunds:
        key = sale.row.refund_of.strip() if isinstance(sale.row.refund_of, str) else sale.row.refund_of
        original = originals.get(key)
        try:
            amount = _refund_amount(sale, original, refunded)
        except DomainError as error:
            outcomes[sale.index] = Outcome(sale.index, "error", error=error, line=sale.row.line,
                                           missing_original=original is None)
            sale.values = {}
            continue
        if amount == 0:
            sale.values = {}  # the refunded total holds nothing new: nothing to write
            continue
        refunded[original.id] = refunded.get(original.id, 0) - amount
        sale.values.update(amount_cents=amount, refund_of_id=original.id)
        if sale.values["customer_id"] is None:
            sale.values["customer_id"] = original.customer_id
        for inherited in ("voucher_id", "location_id", "customer_ref"):
            sale.values[inherited] = sale.values[inherited] or getattr(original, inherited)


def _refund_amount(sale: Sale, original, refunded: dict) -> int:
    if original is None or original.refund_of_id is not None or original.amount_cents <= 0:
        raise ValidationError({"refund_of": "Name the purchase being refunded (its external_id, or its id)."})
    if original.voided_at is not None:
        raise PurchaseError("purchase_void", "That purchase was voided: there is nothing to refund.",
                            {"id": original.id})
    already = refunded.get(original.id, 0)
    if sale.row.refunded_total_cents is not None:
        return -max(0, min(sale.row.refunded_total_cents, original.amount_cents) - already)
    if already - sale.row.amount_cents > original.amount_cents:
        raise ValidationError({"amount": "The refunds would be more than the purchase."})
    return sale.row.amount_cents
