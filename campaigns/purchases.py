"""Purchases and refunds: stored once per external_id, safe to retry, a refund tied to its original."""
import hashlib
import json
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from . import audit, codes, inputs
from .errors import DomainError, NotFound, ValidationError
from .extensions import db
from .customers import normalise_phone
from .metrics import attribution
from .models import Campaign, Customer, Location, Purchase, Voucher, utcnow


class PurchaseError(DomainError):
    """A purchase that cannot be stored as sent."""

    status = 409


def _content_hash(fields: dict) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()


def record_purchase(external_id: str, amount_cents: int, occurred_at: datetime, *, customer_id: int | None = None,
                    voucher_id: int | None = None, refund_of_id: int | None = None,
                    location_id: int | None = None, now: datetime | None = None,
                    source: str = "desk") -> tuple[Purchase, bool]:
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
                                location_id=location_id, content_hash=digest, recorded_at=now or utcnow(),
                                source=source)
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


def refunded_cents(purchase_id: int) -> int:
    """Return how much of a purchase its live (not voided) refunds give back, as a positive number of cents."""
    return -db.session.scalar(select(func.coalesce(func.sum(Purchase.amount_cents), 0))
                              .where(Purchase.refund_of_id == purchase_id, Purchase.voided_at.is_(None)))


def _check_refund(refund_of_id: int, amount_cents: int) -> None:
    original = db.session.get(Purchase, refund_of_id)
    if original is None or original.amount_cents <= 0:
        raise ValidationError({"refund_of": "Name the purchase being refunded."})
    if original.voided_at is not None:
        raise PurchaseError("purchase_void", "That purchase was voided: there is nothing to refund.",
                            {"id": original.id})
    if amount_cents >= 0:
        raise ValidationError({"amount": "A refund is a negative amount."})
    if refunded_cents(refund_of_id) - amount_cents > original.amount_cents:
        raise ValidationError({"amount": "The refunds would be more than the purchase."})


def get_purchase(purchase_id: int) -> Purchase:
    """Return a purchase, or raise unknown_purchase."""
    purchase = db.session.get(Purchase, purchase_id)
    if purchase is None:
        raise NotFound("unknown_purchase", "There is no such purchase.")
    return purchase


def void_purchase(purchase: Purchase, reason: str, user_id: int | None, now: datetime | None = None) -> Purchase:
    """Void a purchase recorded by mistake, and its refunds with it: kept as history, counted nowhere; audited."""
    reason = inputs.text(reason, "reason", 500, minimum=1, multiline=True)
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
    refund, new = record_purchase(external_id, -amount_cents, now, customer_id=purchase.customer_id,
                                  voucher_id=purchase.voucher_id, refund_of_id=purchase.id,
                                  location_id=purchase.location_id, now=now)
    if new:
        audit.record("purchase_refund", "refunded", user_id=user_id, subject=("purchase", purchase.id), now=now,
                     details={"refund_id": refund.id, "amount_cents": amount_cents, "reason": reason})
    return refund, new


PAGE_SIZE = 50


def _matching(search: str):
    """The condition a purchase list search puts on purchases: a voucher code, a phone, an e-mail, a name or
    the till's own id (each read the way it is stored)."""
    text = search.strip()
    conditions = [Purchase.external_id == text, Customer.email.contains(text.lower(), autoescape=True),
                  func.lower(Customer.name).contains(text.lower(), autoescape=True)]
    try:
        conditions.append(Voucher.code == codes.normalise(text))
    except codes.CodeError:
        pass
    try:
        conditions.append(Customer.phone == normalise_phone(text))
    except ValidationError:
        pass
    return or_(*conditions)


def recent_purchases(search: str = "", page: int = 1) -> tuple[list[dict], int, int]:
    """Return a page of sales (newest first) with their refunds and the campaign each is attributed to, how many
    sales match, and their net revenue in cents (voided ones left out, refunds included)."""
    search = inputs.text(search or "", "q", 120)
    sales = (select(Purchase.id).outerjoin(Customer, Customer.id == Purchase.customer_id)
             .outerjoin(Voucher, Voucher.id == Purchase.voucher_id).where(Purchase.refund_of_id.is_(None)))
    if search:
        sales = sales.where(_matching(search))
    matching = sales.subquery()
    total = db.session.scalar(select(func.count()).select_from(matching))
    revenue = db.session.scalar(select(func.coalesce(func.sum(Purchase.amount_cents), 0)).where(
        Purchase.voided_at.is_(None),
        func.coalesce(Purchase.refund_of_id, Purchase.id).in_(select(matching.c.id))))
    columns = (Purchase, Customer.email, Customer.phone, Customer.name, Voucher.code, Location.name)
    joined = (select(*columns).outerjoin(Customer, Customer.id == Purchase.customer_id)
              .outerjoin(Voucher, Voucher.id == Purchase.voucher_id)
              .outerjoin(Location, Location.id == Purchase.location_id))
    page_rows = db.session.execute(joined.where(Purchase.id.in_(select(matching.c.id)))
                                   .order_by(Purchase.occurred_at.desc(), Purchase.id.desc())
                                   .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    refunds = db.session.scalars(select(Purchase).where(Purchase.refund_of_id.in_([row[0].id for row in page_rows]))
                                 .order_by(Purchase.occurred_at)).all()
    attributed = attribution.campaign_of([row[0].id for row in page_rows])
    names = dict(db.session.execute(select(Campaign.id, Campaign.name)
                                    .where(Campaign.id.in_(set(attributed.values())))).all()) if attributed else {}
    rows = [{"purchase": sale, "email": email, "phone": phone, "name": name, "code": code, "location": place,
             "campaign": names.get(attributed.get(sale.id)),
             "refunds": [refund for refund in refunds if refund.refund_of_id == sale.id],
             "refunded_cents": -sum(r.amount_cents for r in refunds if r.refund_of_id == sale.id and not r.voided_at)}
            for sale, email, phone, name, code, place in page_rows]
    return rows, total, revenue
