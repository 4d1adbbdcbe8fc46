"""Customers as people see them: find one by whatever they remember, and read one person's whole history."""
import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from campaigns.contacts.contact import normalise_phone
from campaigns.core import inputs
from campaigns.core.errors import NotFound, ValidationError
from campaigns.extensions import db
from campaigns.feedback.answers import band_of
from campaigns.giving import codes
from campaigns.models import Campaign, Customer, CustomerLink, Feedback, Location, Purchase, Redemption, Voucher
from campaigns.reports.attribution import campaign_of

PAGE_SIZE = 50
_PHONE_TYPED = re.compile(r"[\d\s()+./-]+")
_ID_TYPED = re.compile(r"#?([1-9][0-9]{0,8})")
# On one moment, the later step of a visit shows first (newest first): a purchase above its redemption.
_RANK = {"voucher": 0, "redemption": 1, "feedback": 2, "purchase": 3}


@dataclass(frozen=True)
class CustomerSummary:
    """One customer of a list, with how much of the business they have seen."""

    customer: Customer
    vouchers: int
    redemptions: int
    purchases: int
    net_cents: int


@dataclass
class Entry:
    """One line of a customer's timeline: a voucher issued, a redemption, a purchase (with its refunds) or
    feedback. `item` is the row itself; the rest is what the line shows beside it."""

    kind: str
    at: datetime
    item: object
    campaign: str | None = None
    code: str | None = None
    location: str | None = None
    refunds: list[Purchase] = field(default_factory=list)
    attributed_to: tuple[int, str] | None = None  # (campaign id, name) a purchase counts towards
    band: str | None = None  # feedback: the score's band
    question: str | None = None  # feedback: the campaign's questions it answers
    question_2: str | None = None


@dataclass
class History:
    """A customer's contact, timeline (newest first) and totals."""

    customer: Customer
    links: list[CustomerLink]
    entries: list[Entry]
    vouchers: int
    redemptions: int
    purchases: int
    net_cents: int
    attributed_cents: int


def get_customer(customer_id: int) -> Customer:
    """Return a customer, or raise unknown_customer."""
    customer = db.session.get(Customer, customer_id)
    if customer is None:
        raise NotFound("unknown_customer", "There is no such customer (merged into another, perhaps).")
    return customer


def _matching(search: str):
    """The condition a search puts on customers: part of an e-mail or name, a phone in any format, a voucher
    code they hold (typed any way), their id in a till's system, or our own id (#12)."""
    text = search.strip()
    lowered = text.lower()
    conditions = [Customer.email.contains(lowered, autoescape=True),
                  func.lower(Customer.name).contains(lowered, autoescape=True),
                  Customer.id.in_(select(CustomerLink.customer_id).where(CustomerLink.external_id == text))]
    try:
        conditions.append(Customer.phone == normalise_phone(text))
    except ValidationError:
        pass
    digits = re.sub(r"\D", "", text)
    if len(digits) >= 5 and _PHONE_TYPED.fullmatch(text):  # part of a number: its last digits, say
        conditions.append(Customer.phone.contains(digits, autoescape=True))
    try:
        code = codes.normalise(text)
    except codes.CodeError:
        pass
    else:
        conditions.append(Customer.id.in_(select(Voucher.customer_id).where(Voucher.code == code)))
    typed_id = _ID_TYPED.fullmatch(text)
    if typed_id:
        conditions.append(Customer.id == int(typed_id.group(1)))
    return or_(*conditions)


def find_customers(search: str = "", page: int = 1) -> tuple[list[CustomerSummary], int]:
    """Return a page of customers matching a search (all when empty), newest first, and how many match."""
    search = inputs.text(search or "", "q", 120)
    matching = select(Customer.id)
    if search:
        matching = matching.where(_matching(search))
    total = db.session.scalar(select(func.count()).select_from(matching.subquery()))
    customers = db.session.scalars(select(Customer).where(Customer.id.in_(matching))
                                   .order_by(Customer.created_at.desc(), Customer.id.desc())
                                   .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return summaries(customers), total


def summaries(customers: list[Customer]) -> list[CustomerSummary]:
    """Return each customer with their counts and net revenue, in four grouped queries whatever their number."""
    ids = [customer.id for customer in customers]

    def per_customer(query) -> dict[int, int]:
        return dict(db.session.execute(query).all()) if ids else {}

    vouchers = per_customer(select(Voucher.customer_id, func.count()).where(Voucher.customer_id.in_(ids))
                            .group_by(Voucher.customer_id))
    redemptions = per_customer(select(Redemption.customer_id, func.count()).where(
        Redemption.customer_id.in_(ids), Redemption.undone_at.is_(None)).group_by(Redemption.customer_id))
    sales = per_customer(select(Purchase.customer_id, func.count()).where(
        Purchase.customer_id.in_(ids), Purchase.refund_of_id.is_(None), Purchase.voided_at.is_(None))
        .group_by(Purchase.customer_id))
    original = aliased(Purchase)
    net = per_customer(select(original.customer_id, func.sum(Purchase.amount_cents))
                       .join(original, original.id == func.coalesce(Purchase.refund_of_id, Purchase.id))
                       .where(original.customer_id.in_(ids), original.voided_at.is_(None),
                              Purchase.voided_at.is_(None)).group_by(original.customer_id))
    return [CustomerSummary(customer, vouchers.get(customer.id, 0), redemptions.get(customer.id, 0),
                            sales.get(customer.id, 0), int(net.get(customer.id) or 0)) for customer in customers]


def history(customer_id: int) -> History:
    """Return a customer's contact, one timeline of everything that happened to them (newest first) and their
    net and attributed revenue, in a fixed handful of queries however long the history."""
    customer = get_customer(customer_id)
    entries = _vouchers(customer.id) + _redemptions(customer.id) + _feedback(customer.id)
    purchases = _purchases(customer.id)
    links = list(db.session.scalars(select(CustomerLink).where(CustomerLink.customer_id == customer.id)
                                    .order_by(CustomerLink.source, CustomerLink.external_id)))
    live = [entry for entry in purchases if entry.item.voided_at is None]
    net = sum(_net(entry) for entry in live)
    attributed = sum(_net(entry) for entry in live if entry.attributed_to is not None)
    entries = sorted(entries + purchases, key=lambda entry: (entry.at, _RANK[entry.kind], entry.item.id),
                     reverse=True)
    return History(customer, links, entries,
                   vouchers=sum(entry.kind == "voucher" for entry in entries),
                   redemptions=sum(entry.kind == "redemption" and entry.item.undone_at is None for entry in entries),
                   purchases=len(live), net_cents=net, attributed_cents=attributed)


def _net(entry: Entry) -> int:
    """A live sale's amount less its live refunds."""
    return entry.item.amount_cents + sum(refund.amount_cents for refund in entry.refunds if refund.voided_at is None)


def _vouchers(customer_id: int) -> list[Entry]:
    rows = db.session.execute(select(Voucher, Campaign.name).join(Campaign, Campaign.id == Voucher.campaign_id)
                              .where(Voucher.customer_id == customer_id)).all()
    return [Entry("voucher", voucher.issued_at, voucher, campaign=name, code=codes.format_code(voucher.code))
            for voucher, name in rows]


def _redemptions(customer_id: int) -> list[Entry]:
    held = select(Voucher.id).where(Voucher.customer_id == customer_id)
    rows = db.session.execute(
        select(Redemption, Campaign.name, Voucher.code, Location.name)
        .join(Campaign, Campaign.id == Redemption.campaign_id).join(Voucher, Voucher.id == Redemption.voucher_id)
        .outerjoin(Location, Location.id == Redemption.location_id)
        .where(or_(Redemption.customer_id == customer_id, Redemption.voucher_id.in_(held)))).all()
    return [Entry("redemption", redemption.redeemed_at, redemption, campaign=name, code=codes.format_code(code),
                  location=place) for redemption, name, code, place in rows]


def _feedback(customer_id: int) -> list[Entry]:
    redeemed = select(Redemption.voucher_id).where(Redemption.customer_id == customer_id)
    rows = db.session.execute(
        select(Feedback, Campaign.name, Voucher.code, Campaign.feedback_question, Campaign.feedback_question_2)
        .join(Voucher, Voucher.id == Feedback.voucher_id)
        .join(Campaign, Campaign.id == Feedback.campaign_id)
        .where(or_(Voucher.customer_id == customer_id, Feedback.voucher_id.in_(redeemed)))).all()
    return [Entry("feedback", feedback.created_at, feedback, campaign=name, code=codes.format_code(code),
                  band=band_of(feedback.score), question=question, question_2=question_2)
            for feedback, name, code, question, question_2 in rows]


def _purchases(customer_id: int) -> list[Entry]:
    """The customer's sales with their refunds under them and the campaign each is attributed to."""
    rows = db.session.execute(
        select(Purchase, Voucher.code, Location.name).outerjoin(Voucher, Voucher.id == Purchase.voucher_id)
        .outerjoin(Location, Location.id == Purchase.location_id)
        .where(Purchase.customer_id == customer_id, Purchase.refund_of_id.is_(None))).all()
    sale_ids = [sale.id for sale, _, _ in rows]
    refunds: dict[int, list[Purchase]] = {}
    attributed: dict[int, int] = {}
    names: dict[int, str] = {}
    if sale_ids:
        for refund in db.session.scalars(select(Purchase).where(Purchase.refund_of_id.in_(sale_ids))
                                         .order_by(Purchase.occurred_at, Purchase.id)):
            refunds.setdefault(refund.refund_of_id, []).append(refund)
        attributed = campaign_of(sale_ids)
        if attributed:
            names = dict(db.session.execute(select(Campaign.id, Campaign.name)
                                            .where(Campaign.id.in_(set(attributed.values())))).all())
    return [Entry("purchase", sale.occurred_at, sale, code=codes.format_code(code) if code else None,
                  location=place, refunds=refunds.get(sale.id, []),
                  attributed_to=(attributed[sale.id], names.get(attributed[sale.id], "")) if sale.id in attributed
                  else None)
            for sale, code, place in rows]
