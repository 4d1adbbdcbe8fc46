"""Purchases and refunds: stored once per external_id, safe to retry, a refund tied to its original."""
import hashlib
import json
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .errors import DomainError, ValidationError
from .extensions import db
from .models import Purchase, utcnow


class PurchaseError(DomainError):
    """A purchase that cannot be stored as sent."""

    status = 409


def _content_hash(fields: dict) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()


def record_purchase(external_id: str, amount_cents: int, occurred_at: datetime, *, customer_id: int | None = None,
                    voucher_id: int | None = None, refund_of_id: int | None = None,
                    location_id: int | None = None, now: datetime | None = None) -> tuple[Purchase, bool]:
    """Store a purchase; return it and whether it is new. The same content again is a duplicate, not a
    second purchase; the same external_id with other content is a conflict."""
    external_id = (external_id or "").strip()
    if not 1 <= len(external_id) <= 120:
        raise ValidationError({"external_id": "Required: the till's own id for this sale (1-120 characters)."})
    if occurred_at.tzinfo is None:
        raise ValidationError({"occurred_at": "Give the time with its offset."})
    if amount_cents < 0 and refund_of_id is None:
        raise ValidationError({"amount": "Only a refund is negative, and a refund names refund_of."})
    if refund_of_id is not None:
        _check_refund(refund_of_id, amount_cents)
    digest = _content_hash({"external_id": external_id, "amount_cents": amount_cents,
                            "occurred_at": occurred_at.timestamp(), "customer_id": customer_id,
                            "voucher_id": voucher_id, "refund_of_id": refund_of_id, "location_id": location_id})
    existing = db.session.scalar(select(Purchase).where(Purchase.external_id == external_id))
    if existing is None:
        savepoint = db.session.begin_nested()
        try:
            purchase = Purchase(external_id=external_id, amount_cents=amount_cents, occurred_at=occurred_at,
                                customer_id=customer_id, voucher_id=voucher_id, refund_of_id=refund_of_id,
                                location_id=location_id, content_hash=digest, recorded_at=now or utcnow())
            db.session.add(purchase)
            db.session.flush()
        except IntegrityError:  # the same external_id arrived a moment ago: treat it as a retry
            savepoint.rollback()
            existing = db.session.scalar(select(Purchase).where(Purchase.external_id == external_id))
        else:
            savepoint.commit()
            return purchase, True
    if existing.content_hash != digest:
        raise PurchaseError("conflict", f"A different purchase with external_id {external_id!r} is already stored.",
                            {"external_id": external_id, "id": existing.id})
    return existing, False


def _check_refund(refund_of_id: int, amount_cents: int) -> None:
    original = db.session.get(Purchase, refund_of_id)
    if original is None or original.amount_cents <= 0:
        raise ValidationError({"refund_of": "Name the purchase being refunded."})
    if amount_cents >= 0:
        raise ValidationError({"amount": "A refund is a negative amount."})
    refunded = db.session.scalar(select(func.coalesce(func.sum(Purchase.amount_cents), 0))
                                 .where(Purchase.refund_of_id == refund_of_id))
    if original.amount_cents + refunded + amount_cents < 0:
        raise ValidationError({"amount": "The refunds would be more than the purchase."})
