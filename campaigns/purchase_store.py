"""The one writer of purchases in bulk (API batches and imports): checked row by row, written set-based.

Every kind of row is written with one statement (customers, links, sales, refunds), guarded by the unique
keys: `INSERT … ON CONFLICT DO NOTHING` on `external_id`, so retries and overlapping files add nothing and
several processes writing the same purchase store it once. It never commits: the caller's edge does.
"""
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import UTC, datetime, timedelta

from collections import Counter

from sqlalchemy import bindparam, func, select, tuple_, update

from . import codes
from .business import get_settings
from .customers import Contact, make_contact
from .errors import DomainError, ValidationError
from .extensions import db
from .inputs import MONEY_DIGITS
from .money import exponent
from .models import Customer, CustomerLink, Location, Purchase, Redemption, Voucher, utcnow
from .purchases import PurchaseError
from .store_sql import chunked, insert_ignoring_conflicts

SOURCES = ("desk", "api", "import", "demo")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class PurchaseRow:
    """One purchase as sent: raw contact text (normalised here), amounts in cents, an aware time."""

    external_id: str
    amount_cents: int | None
    occurred_at: datetime
    email: str | None = None
    phone: str | None = None
    name: str | None = None
    customer_ref: str | None = None
    voucher_code: str | None = None
    refund_of: str | int | None = None
    refunded_total_cents: int | None = None
    location: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class CustomerRow:
    """One entry of a customer directory: the other system's id beside the contact details."""

    external_id: str
    email: str | None
    phone: str | None
    name: str | None = None
    line: int | None = None


@dataclass
class Outcome:
    """What became of one row: created, duplicate (already stored, or nothing new) or error."""

    index: int
    status: str
    purchase_id: int | None = None
    error: DomainError | None = None
    line: int | None = None
    missing_original: bool = False  # a refund whose sale is not stored (yet): worth sending again later


@dataclass
class _Sale:
    """A row checked and normalised, on its way to the table."""

    index: int
    row: PurchaseRow
    external_id: str
    contact: Contact | None
    code: str | None
    digest: str
    values: dict = field(default_factory=dict)


def _digest(parts: tuple) -> str:
    """A fingerprint of what was sent: the same content always gives the same digest, other content another."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _microseconds(moment: datetime) -> int:
    """The moment as whole microseconds since 1970 (UTC): one number whatever the offset it was written with."""
    return (moment - EPOCH) // MICROSECOND


@lru_cache(maxsize=65536)  # files repeat their customers, across chunks too: read each written contact once
def _contact(email: str | None, phone: str | None, name: str | None, region: str) -> Contact | ValidationError:
    try:
        return make_contact(email, phone, name, region)
    except ValidationError as error:
        return error


class _Contacts:
    """Normalise contact details once per distinct value, in the business's phone region (read once)."""

    def __init__(self, region: str):
        self.region = region

    def read(self, email, phone, name) -> Contact | None:
        email, phone = (email or "").strip() or None, (phone or "").strip() or None
        if email is None and phone is None:
            return None
        found = _contact(email, phone, name, self.region)
        if isinstance(found, ValidationError):
            raise found
        return found


def cents_max(places: int) -> int:
    """The largest amount in minor units: below ten million major units (inputs.MONEY_DIGITS), within int4."""
    return min(10 ** (MONEY_DIGITS + places) - 1, 2 ** 31 - 1)


def _check(index: int, row: PurchaseRow, contacts: _Contacts, maximum: int) -> _Sale:
    """Check one row's own values (nothing that needs the database) or raise a ValidationError naming fields."""
    wrong = {}
    external_id = (row.external_id or "").strip()
    if not 1 <= len(external_id) <= 120 or not external_id.isprintable():
        wrong["external_id"] = "Required: the till's own id for this sale (1-120 printable characters)."
    if not isinstance(row.occurred_at, datetime) or row.occurred_at.tzinfo is None:
        wrong["occurred_at"] = "Give the time with its offset."
    refund = row.refund_of is not None
    if row.refunded_total_cents is not None:
        if not refund:
            wrong["refund_of"] = "A refunded total names the purchase it refunds."
        elif not 0 < row.refunded_total_cents <= maximum:
            wrong["amount"] = f"A refunded total is above zero and below {10 ** MONEY_DIGITS:,}."
    elif not isinstance(row.amount_cents, int) or not -maximum <= row.amount_cents <= maximum:
        wrong["amount"] = f"Give an amount, below {10 ** MONEY_DIGITS:,} either way."
    elif row.amount_cents < 0 and not refund:
        wrong["amount"] = "Only a refund is negative, and a refund names refund_of."
    elif refund and row.amount_cents >= 0:
        wrong["amount"] = "A refund is a negative amount."
    if isinstance(row.refund_of, str) and not 1 <= len(row.refund_of.strip()) <= 120:
        wrong["refund_of"] = "Name the refunded purchase by its external_id."
    contact = code = None
    try:
        contact = contacts.read(row.email, row.phone, row.name)
    except ValidationError as error:
        wrong.update({f"customer.{name}" if name != "customer" else name: message
                      for name, message in error.details["fields"].items()})
    if row.voucher_code:
        try:
            code = codes.normalise(row.voucher_code)
        except codes.CodeError as error:
            wrong["voucher_code"] = str(error)
    if row.customer_ref is not None and not 3 <= len(row.customer_ref) <= 160:
        wrong["customer_ref"] = "A customer reference is source:id, at most 160 characters."
    if wrong:
        raise ValidationError(wrong)
    refund_of = row.refund_of.strip() if isinstance(row.refund_of, str) else row.refund_of
    digest = _digest((external_id, row.amount_cents, row.refunded_total_cents, _microseconds(row.occurred_at),
                      contact.email if contact else None, contact.phone if contact else None, row.customer_ref,
                      code, refund_of, (row.location or "").strip().casefold() or None))
    if row.refunded_total_cents is not None:  # each new refunded total is its own refund of what is new
        external_id = f"{external_id}:{row.refunded_total_cents}"[:120]
    return _Sale(index, row, external_id, contact, code, digest)


def resolve_customers(contacts: Sequence[Contact]) -> dict[Contact, int]:
    """Find or create the customer of each contact, set-based (e-mail first, then phone), filling in what was
    missing; return contact -> customer id. Concurrent creators are settled by the unique indexes."""
    ordered = list(dict.fromkeys(contact for contact in contacts if contact is not None))  # first row wins a fill-in
    wanted = set(ordered)
    found: dict[Contact, int] = {}
    for _ in range(3):
        by_email, by_phone = _lookup(wanted - found.keys())
        for contact in wanted - found.keys():
            cid = by_email.get(contact.email) if contact.email else None
            cid = cid or (by_phone.get(contact.phone) if contact.phone else None)
            if cid:
                found[contact] = cid
        _fill_in({c: found[c] for c in ordered if c in found}, by_email, by_phone)
        todo = [c for c in wanted if c not in found]
        if not todo:
            return found
        _create(todo, by_phone)
    raise DomainError("busy", "Too many simultaneous changes to these customers; try again.")


def _lookup(contacts) -> tuple[dict, dict]:
    emails = sorted({c.email for c in contacts if c.email})
    phones = sorted({c.phone for c in contacts if c.phone})
    by_email, by_phone = {}, {}
    for part in chunked(emails):
        by_email.update(db.session.execute(select(Customer.email, Customer.id).where(Customer.email.in_(part))).all())
    for part in chunked(phones):
        by_phone.update(db.session.execute(select(Customer.phone, Customer.id).where(Customer.phone.in_(part))).all())
    return by_email, by_phone


def _create(todo: list[Contact], phones_taken: dict) -> None:
    """Insert one customer per new person (one statement). A contact whose phone another new person of this
    batch has is left for the next pass, where it matches that person by phone (e-mail first, then phone)."""
    people: dict[str, dict] = {}
    claimed_phones = set(phones_taken)
    for contact in sorted(todo, key=lambda c: (c.email is None, c.email or "", c.phone or "")):
        key = f"e:{contact.email}" if contact.email else f"p:{contact.phone}"
        if key in people or (contact.phone and contact.phone in claimed_phones):
            continue
        if contact.phone:
            claimed_phones.add(contact.phone)
        people[key] = {"email": contact.email, "phone": contact.phone, "name": contact.name, "created_at": utcnow()}
    insert_ignoring_conflicts(Customer.__table__, list(people.values()))


def _fill_in(matched: dict[Contact, int], by_email: dict, by_phone: dict) -> None:
    """Give matched customers a name, e-mail or phone they lacked (API.md: matching fills in what was missing)."""
    # Only a contact with a name, or with both e-mail and phone, can add anything to the customer it matched.
    matched = {c: cid for c, cid in matched.items() if c.name or (c.email and c.phone)}
    if not matched:
        return
    ids = sorted(set(matched.values()))
    stored = {}
    for part in chunked(ids):
        stored.update({row.id: row for row in db.session.execute(
            select(Customer.id, Customer.email, Customer.phone, Customer.name).where(Customer.id.in_(part)))})
    changes: dict[int, dict] = {}
    for contact, cid in matched.items():
        have, change = stored[cid], changes.setdefault(cid, {})
        if contact.name and not have.name and "name" not in change:
            change["name"] = contact.name
        if contact.email and not have.email and contact.email not in by_email and "email" not in change:
            change["email"] = contact.email
        if contact.phone and not have.phone and contact.phone not in by_phone and "phone" not in change:
            change["phone"] = contact.phone
    for column in ("name", "email", "phone"):
        params = [{"cid": cid, "value": change[column]} for cid, change in sorted(changes.items()) if column in change]
        counts = Counter(p["value"] for p in params)
        params = [p for p in params if column == "name" or counts[p["value"]] == 1]  # two customers cannot take one address
        if not params:
            continue
        table = Customer.__table__
        statement = (update(table).where(table.c.id == bindparam("cid"), table.c[column].is_(None))
                     .values({column: bindparam("value")}))
        savepoint = db.session.begin_nested()
        try:
            db.session.execute(statement, params)
        except Exception:  # taken a moment ago by a concurrent writer: filling in is a courtesy, not a rule
            savepoint.rollback()
        else:
            savepoint.commit()


def _refs(sales: list[_Sale]) -> dict[str, int]:
    """Map each customer reference ("square:ID") that a directory has linked to its customer id."""
    wanted = sorted({s.row.customer_ref for s in sales if s.row.customer_ref and s.contact is None})
    linked = {}
    for part in chunked(wanted):
        pairs = [tuple(ref.split(":", 1)) for ref in part if ":" in ref]
        if pairs:
            rows = db.session.execute(select(CustomerLink.source, CustomerLink.external_id, CustomerLink.customer_id)
                                      .where(tuple_(CustomerLink.source, CustomerLink.external_id).in_(pairs)))
            linked.update({f"{source}:{ext}": cid for source, ext, cid in rows})
    return linked


def _vouchers(sales: list[_Sale]) -> dict[str, tuple[int, int | None]]:
    """Map each voucher code to (voucher id, the customer who redeemed it, else its holder)."""
    wanted = sorted({s.code for s in sales if s.code})
    found = {}
    for part in chunked(wanted):
        live = (select(Redemption.voucher_id, Redemption.customer_id)
                .where(Redemption.undone_at.is_(None)).subquery())
        rows = db.session.execute(select(Voucher.code, Voucher.id, func.coalesce(live.c.customer_id, Voucher.customer_id))
                                  .outerjoin(live, live.c.voucher_id == Voucher.id).where(Voucher.code.in_(part)))
        found.update({code: (vid, cid) for code, vid, cid in rows})
    return found


def _locations(sales: list[_Sale]) -> dict[str, int]:
    wanted = sorted({s.row.location.strip().casefold() for s in sales if (s.row.location or "").strip()})
    if not wanted:
        return {}
    rows = db.session.execute(select(func.lower(Location.name), Location.id)
                              .where(func.lower(Location.name).in_([w.lower() for w in wanted])))
    return {name.casefold(): lid for name, lid in rows}


def _existing(external_ids) -> dict[str, tuple[int, str]]:
    found = {}
    for part in chunked(sorted(set(external_ids))):
        found.update({ext: (pid, digest) for ext, pid, digest in db.session.execute(
            select(Purchase.external_id, Purchase.id, Purchase.content_hash).where(Purchase.external_id.in_(part)))})
    return found


def _conflict(external_id: str, pid: int) -> PurchaseError:
    return PurchaseError("conflict", f"A different purchase with external_id {external_id!r} is already stored.",
                         {"external_id": external_id, "id": pid})


def store_purchases(rows: Sequence[PurchaseRow], *, source: str, import_id: int | None = None,
                    now: datetime | None = None) -> list[Outcome]:
    """Store purchases and refunds set-based; return one Outcome per row, in order. Sales go first, so a refund
    may name a sale of the same batch; the same content again is a duplicate, other content a conflict."""
    if source not in SOURCES:
        raise ValueError(f"unknown purchase source {source!r}")
    now = now or utcnow()
    outcomes: list[Outcome | None] = [None] * len(rows)
    settings = get_settings()
    contacts, sales = _Contacts(settings.default_phone_region), []
    maximum = cents_max(exponent(settings.currency))
    for index, row in enumerate(rows):
        try:
            sales.append(_check(index, row, contacts, maximum))
        except DomainError as error:
            outcomes[index] = Outcome(index, "error", error=error, line=row.line)
    firsts: dict[str, _Sale] = {}
    for sale in sales:
        first = firsts.setdefault(sale.external_id, sale)
        if first is not sale and first.digest != sale.digest:
            outcomes[sale.index] = Outcome(sale.index, "error", error=PurchaseError(
                "conflict", f"external_id {sale.external_id!r} appears twice in this batch with other content.",
                {"external_id": sale.external_id}), line=sale.row.line)
    unique = list(firsts.values())
    customers = resolve_customers([s.contact for s in unique])
    links, vouchers, places = _refs(unique), _vouchers(unique), _locations(unique)
    stored = _existing(s.external_id for s in unique)
    for sale in unique:
        if sale.external_id in stored:
            continue
        try:
            sale.values = _values(sale, customers, links, vouchers, places, source, import_id, now)
        except DomainError as error:
            outcomes[sale.index] = Outcome(sale.index, "error", error=error, line=sale.row.line)
    originals = [s for s in unique if s.values and s.row.refund_of is None]
    _write(originals, stored)
    refunds = [s for s in unique if s.values and s.row.refund_of is not None]
    _prepare_refunds(refunds, outcomes)
    _write([s for s in refunds if s.values], stored)
    for sale in sales:
        if outcomes[sale.index] is not None:
            continue
        pid, digest = stored.get(sale.external_id, (None, None))
        if pid is None:  # a refunded total with nothing new to refund
            outcomes[sale.index] = Outcome(sale.index, "duplicate", line=sale.row.line)
        elif digest != sale.digest:
            outcomes[sale.index] = Outcome(sale.index, "error", error=_conflict(sale.external_id, pid),
                                           line=sale.row.line)
        else:
            new = sale.values.get("_new") and firsts[sale.external_id] is sale
            outcomes[sale.index] = Outcome(sale.index, "created" if new else "duplicate", pid, line=sale.row.line)
    return outcomes


def _values(sale, customers, links, vouchers, places, source, import_id, now) -> dict:
    """The table row of a checked sale: its customer (contact, else link, else the voucher's redeemer)."""
    row = sale.row
    voucher_id = customer_id = location_id = None
    if sale.code:
        if sale.code not in vouchers:
            raise ValidationError({"voucher_code": "No voucher has this code."})
        voucher_id, customer_id = vouchers[sale.code]
    if row.customer_ref and row.customer_ref in links:
        customer_id = links[row.customer_ref]
    if sale.contact is not None:
        customer_id = customers[sale.contact]
    if (row.location or "").strip():
        location_id = places.get(row.location.strip().casefold())
        if location_id is None:
            raise ValidationError({"location": f"There is no location called {row.location.strip()!r}."})
    return {"external_id": sale.external_id, "amount_cents": row.amount_cents, "occurred_at": row.occurred_at,
            "customer_id": customer_id, "voucher_id": voucher_id, "refund_of_id": None, "location_id": location_id,
            "content_hash": sale.digest, "recorded_at": now, "source": source, "import_id": import_id,
            "customer_ref": row.customer_ref, "voided_at": None, "voided_by_id": None, "void_reason": None}


def _write(sales: list[_Sale], stored: dict) -> None:
    """Insert the sales in one statement; a row already there (a retry racing us) is left as it is."""
    if not sales:
        return
    sales = sorted(sales, key=lambda sale: sale.external_id)  # one order for every writer: no deadlock between two
    table = Purchase.__table__
    params = [{k: v for k, v in s.values.items() if not k.startswith("_")} for s in sales]
    inserted = insert_ignoring_conflicts(table, params, returning=(table.c.external_id, table.c.id,
                                                                   table.c.content_hash), checked=True)
    mine = {external_id: (pid, digest) for external_id, pid, digest in inserted}
    for sale in sales:
        if sale.external_id in mine:
            stored[sale.external_id] = mine[sale.external_id]  # its own digest: another writer's may differ
            sale.values["_new"] = True
    late = [s.external_id for s in sales if s.external_id not in mine]
    stored.update(_existing(late))


def _prepare_refunds(refunds: list[_Sale], outcomes: list) -> None:
    """Tie each refund to its original (by external_id or id), inherit its customer, and keep the refunds of
    one original within its amount; a refunded total becomes the part not refunded yet, capped."""
    by_text = sorted({s.row.refund_of.strip() for s in refunds if isinstance(s.row.refund_of, str)})
    by_id = sorted({s.row.refund_of for s in refunds if isinstance(s.row.refund_of, int)})
    columns = (Purchase.id, Purchase.external_id, Purchase.amount_cents, Purchase.refund_of_id, Purchase.voided_at,
               Purchase.customer_id, Purchase.voucher_id, Purchase.location_id, Purchase.customer_ref)
    originals = {}
    for part in chunked(by_text):
        originals.update({r.external_id: r for r in db.session.execute(
            select(*columns).where(Purchase.external_id.in_(part)))})
    for part in chunked(by_id):
        originals.update({r.id: r for r in db.session.execute(select(*columns).where(Purchase.id.in_(part)))})
    refunded = {}
    ids = sorted({r.id for r in originals.values()})
    for part in chunked(ids):
        refunded.update(db.session.execute(
            select(Purchase.refund_of_id, -func.sum(Purchase.amount_cents))
            .where(Purchase.refund_of_id.in_(part), Purchase.voided_at.is_(None)).group_by(Purchase.refund_of_id)).all())
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


def _refund_amount(sale: _Sale, original, refunded: dict) -> int:
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


def store_customers(rows: Sequence[CustomerRow], *, source: str) -> list[Outcome]:
    """Store a customer directory: find or create each customer, link the other system's id to them, and give
    that system's purchases stored before (by customer_ref) their customer. Set-based; idempotent."""
    contacts, outcomes, good = _Contacts(get_settings().default_phone_region), [None] * len(rows), []
    for index, row in enumerate(rows):
        external_id = (row.external_id or "").strip()
        try:
            if not 1 <= len(external_id) <= 120 or not external_id.isprintable():
                raise ValidationError({"external_id": "Each customer needs the other system's id for them."})
            contact = contacts.read(row.email, row.phone, row.name)
            if contact is None:
                raise ValidationError({"customer": "No e-mail or phone: this customer cannot be matched."})
        except DomainError as error:
            outcomes[index] = Outcome(index, "error", error=error, line=row.line)
            continue
        good.append((index, external_id, contact))
    customers = resolve_customers([contact for _, _, contact in good])
    table = CustomerLink.__table__
    params = {ext: {"source": source, "external_id": ext, "customer_id": customers[contact], "created_at": utcnow()}
              for _, ext, contact in sorted(good, key=lambda entry: entry[1])}
    made = dict(insert_ignoring_conflicts(table, list(params.values()),
                                          returning=(table.c.external_id, table.c.id)))
    for index, ext, contact in good:
        new = ext in made and params[ext]["customer_id"] == customers[contact]
        outcomes[index] = Outcome(index, "created" if new else "duplicate", line=rows[index].line)
        made.pop(ext, None)
    _backfill(source, sorted(params))
    return outcomes


def _backfill(source: str, external_ids: list[str]) -> None:
    """Give purchases that named these customers only by the other system's id their customer now."""
    link = CustomerLink.__table__
    for part in chunked(external_ids):
        refs = [f"{source}:{ext}" for ext in part]
        customer = (select(link.c.customer_id)
                    .where(link.c.source == source, (source + ":" + link.c.external_id) == Purchase.customer_ref)
                    .scalar_subquery())
        db.session.execute(update(Purchase).where(Purchase.customer_id.is_(None), Purchase.customer_ref.in_(refs))
                           .values(customer_id=customer).execution_options(synchronize_session=False))
