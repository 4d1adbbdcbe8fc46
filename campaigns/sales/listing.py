"""The recorded sales as marketers and owners read them: newest first, searchable by what people remember, with
their refunds and the campaign each is attributed to."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from campaigns.contacts.contact import normalise_phone
from campaigns.core import feeds, inputs
from campaigns.core.errors import NotFound, ValidationError
from campaigns.extensions import db
from campaigns.giving import codes
from campaigns.models import Campaign, Customer, Location, Purchase, Voucher, utcnow
from campaigns.reports import attribution
from campaigns.sales.pos import stored_ids

PAGE_SIZE = 50


def _by_till_id(text: str):
    """The condition that finds a sale by an id its till shows, typed as the till shows it: the sale's own or its
    refund's, by external_id or by the till's other id (equality on indexed columns, never a scan)."""
    forms = stored_ids(text)
    named = aliased(Purchase)
    return Purchase.id.in_(select(func.coalesce(named.refund_of_id, named.id))
                           .where(or_(named.external_id.in_(forms), named.sale_ref.in_(forms))))


def _matching(search: str):
    """The condition a purchase list search puts on purchases: a voucher code, a phone, an e-mail, a name or
    an id of the till's (each read the way it is stored)."""
    text = search.strip()
    conditions = [_by_till_id(text), Customer.email.contains(text.lower(), autoescape=True),
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


@dataclass(frozen=True)
class PurchaseDetails:
    """One stored purchase with what it names: its customer, voucher code, refunded sale, location and campaign."""

    id: int
    external_id: str
    amount_cents: int
    occurred_at: datetime
    customer: Customer | None
    voucher_code: str | None
    refund_of: str | None
    location: str | None
    campaign_id: int | None
    voided: bool


def _details():
    """The statement behind PurchaseDetails: a purchase with its customer, code, location and refunded sale."""
    original = aliased(Purchase)
    return (select(Purchase, Customer, Voucher.code, Location.name, original.external_id)
            .outerjoin(Customer, Customer.id == Purchase.customer_id).outerjoin(Voucher, Voucher.id == Purchase.voucher_id)
            .outerjoin(Location, Location.id == Purchase.location_id)
            .outerjoin(original, original.id == Purchase.refund_of_id))


def _as_details(found, campaigns: dict) -> PurchaseDetails:
    purchase, customer, code, location, refunded = found
    return PurchaseDetails(purchase.id, purchase.external_id, purchase.amount_cents, purchase.occurred_at, customer,
                           code, refunded, location, campaigns.get(purchase.id), purchase.voided_at is not None)


def purchase_details(purchase_id: int) -> PurchaseDetails:
    """Return a stored purchase with what it names (one statement), or raise unknown_purchase."""
    found = db.session.execute(_details().where(Purchase.id == purchase_id)).first()
    if found is None:
        raise NotFound("unknown_purchase", "There is no such purchase.")
    return _as_details(found, attribution.campaign_of([purchase_id]))


def purchases_after(after: int, limit: int, now: datetime | None = None) -> list[PurchaseDetails]:
    """The purchases after id `after`, in id order, at most `limit`, that no open transaction can precede (feeds)."""
    rows = db.session.execute(_details().where(Purchase.id > after).order_by(Purchase.id).limit(limit)).all()
    rows = rows[:len(feeds.settled([row[0] for row in rows], after, now or utcnow()))]
    campaigns = attribution.campaign_of([row[0].id for row in rows]) if rows else {}
    return [_as_details(row, campaigns) for row in rows]
