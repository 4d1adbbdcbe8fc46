"""The one customer matcher: find the customer behind a contact (e-mail first, then phone), creating one when
there is none and filling in what was missing; one contact or thousands, with one set of rules."""
from collections import Counter
from collections.abc import Sequence

from sqlalchemy import bindparam, select, update

from campaigns.contacts.contact import Contact
from campaigns.core.bulk_sql import among, insert_ignoring_conflicts
from campaigns.core.errors import DomainError
from campaigns.extensions import db
from campaigns.models import AuditEntry, Customer, utcnow


def find_customer(contact: Contact) -> Customer | None:
    """Return the customer with this e-mail, else with this phone, else None (nothing is created)."""
    if contact.email:
        found = db.session.scalar(select(Customer).where(Customer.email == contact.email))
        if found is not None:
            return found
    if contact.phone:
        return db.session.scalar(select(Customer).where(Customer.phone == contact.phone))
    return None


def find_or_create(contact: Contact, fill_in: bool = True) -> Customer:
    """Return the matching customer (filling in what was missing), creating one when there is none.

    With `fill_in=False` a matched customer is left exactly as stored: public pages, where anyone can type
    anyone's address, match without changing."""
    customer = find_customer(contact)
    if customer is not None and not (fill_in and _adds_to(contact, customer)):
        return customer  # the everyday case, in one look-up: nothing to create, nothing to fill in
    customer_id = resolve_customers([contact], fill_in=fill_in)[contact]
    return db.session.get(Customer, customer_id, populate_existing=True)


def _adds_to(contact: Contact, customer: Customer) -> bool:
    """Tell whether a contact holds something its customer lacks (a name, an e-mail, a phone)."""
    return any(getattr(contact, field) and not getattr(customer, field) for field in ("name", "email", "phone"))


def resolve_customers(contacts: Sequence[Contact], fill_in: bool = True) -> dict[Contact, int]:
    """Find or create the customer of each contact, set-based (e-mail first, then phone), filling in what was
    missing unless `fill_in` is false; return contact -> customer id. Concurrent creators are settled by the
    unique indexes. Every way a customer comes in (claim page, desk, API, imports, audiences) goes through here."""
    ordered = list(dict.fromkeys(contact for contact in contacts if contact is not None))  # first row wins a fill-in
    wanted = set(ordered)
    # Only a contact with a name, or with both e-mail and phone, can add anything to the customer it matched.
    adding = [contact for contact in ordered if contact.name or (contact.email and contact.phone)] if fill_in else []
    found: dict[Contact, int] = {}
    for _ in range(3):
        by_email, by_phone = _lookup(wanted - found.keys())
        for contact in wanted - found.keys():
            cid = by_email.get(contact.email) if contact.email else None
            cid = cid or (by_phone.get(contact.phone) if contact.phone else None)
            if cid:
                found[contact] = cid
        if adding:
            _fill_in({c: found[c] for c in adding if c in found}, by_email, by_phone)
        todo = [c for c in wanted if c not in found]
        if not todo:
            return found
        _create(todo, by_phone)
    raise DomainError("busy", "Too many simultaneous changes to these customers; try again.")


def existing_customers(contacts: Sequence[Contact]) -> dict[Contact, int]:
    """Return contact -> id of the customer it matches (e-mail first, then phone), for those that match one;
    set-based, and nothing is created or filled in (a preview of what resolve_customers would find)."""
    by_email, by_phone = _lookup(set(contacts))
    found = {}
    for contact in contacts:
        cid = (by_email.get(contact.email) if contact.email else None) or \
            (by_phone.get(contact.phone) if contact.phone else None)
        if cid:
            found[contact] = cid
    return found


def _lookup(contacts) -> tuple[dict, dict]:
    emails = sorted({c.email for c in contacts if c.email})
    phones = sorted({c.phone for c in contacts if c.phone})
    by_email, by_phone = {}, {}
    for clause in among(Customer.email, emails):
        by_email.update(db.session.execute(select(Customer.email, Customer.id).where(clause)).all())
    for clause in among(Customer.phone, phones):
        by_phone.update(db.session.execute(select(Customer.phone, Customer.id).where(clause)).all())
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
    if not matched:
        return
    ids = sorted(set(matched.values()))
    stored = {}
    for clause in among(Customer.id, ids):
        stored.update({row.id: row for row in db.session.execute(
            select(Customer.id, Customer.email, Customer.phone, Customer.name).where(clause))})
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


def merged_into(customer_id: int) -> int | None:
    """The record a deleted record was merged into, as the merge's audit entry tells (None: never merged)."""
    kept = db.session.scalar(select(AuditEntry.subject_id).where(
        AuditEntry.action == "customer_merge",
        AuditEntry.details[("merged", "id")].as_integer() == customer_id).order_by(AuditEntry.id.desc()).limit(1))
    return int(kept) if kept else None
