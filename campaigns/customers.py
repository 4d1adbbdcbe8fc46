"""Customers: read an e-mail or phone as people type them, and find or create the one person behind them."""
import unicodedata
from dataclasses import dataclass

import phonenumbers
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .accounts import normalise_email
from .business import get_settings
from .errors import FieldErrors, ValidationError
from .extensions import db
from .models import Customer


NAME_MAX = 120
CONTROL = {"Cc", "Cs"}  # control characters (NUL, CR, LF…) and lone surrogates: never part of a name


@dataclass(frozen=True)
class Contact:
    """A checked, normalised way to reach a customer: e-mail lower-cased, phone in E.164."""

    email: str | None
    phone: str | None
    name: str | None = None


def normalise_phone(raw: str, region: str | None = None) -> str:
    """Return a phone number in E.164, reading it in the default region when it has no +country."""
    region = region or get_settings().default_phone_region
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise ValidationError({"phone": f"{raw!r} is not a phone number."}) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError({"phone": f"{raw!r} is not a valid phone number for {region} (add +country)."})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def make_contact(email: str | None = None, phone: str | None = None, name: str | None = None,
                 region: str | None = None) -> Contact:
    """Normalise an e-mail and/or phone (at least one) and a name; raise ValidationError naming each bad one."""
    wrong = FieldErrors()
    email = wrong.check(normalise_email, email) if (email or "").strip() else None
    phone = wrong.check(normalise_phone, phone, region) if (phone or "").strip() else None
    if not wrong.fields and email is None and phone is None:
        wrong.add("customer", "Give an e-mail address or a phone number.")
    name = (name or "").strip() or None
    if name is not None and (len(name) > NAME_MAX or any(unicodedata.category(ch) in CONTROL for ch in name)):
        wrong.add("name", f"A name is text of at most {NAME_MAX} characters, on one line.")
    wrong.raise_any()
    return Contact(email, phone, name)


def find_customer(contact: Contact) -> Customer | None:
    """Return the customer with this e-mail, else with this phone, else None."""
    if contact.email:
        found = db.session.scalar(select(Customer).where(Customer.email == contact.email))
        if found is not None:
            return found
    if contact.phone:
        return db.session.scalar(select(Customer).where(Customer.phone == contact.phone))
    return None


def find_or_create(contact: Contact, fill_in: bool = True) -> Customer:
    """Return the matching customer (filling in what was missing), creating one when there is none.

    Matching is by e-mail first, then phone (API.md). With `fill_in=False` a matched customer is left
    exactly as stored: public pages, where anyone can type anyone's address, match without changing.
    A concurrent creation of the same person is settled by the unique indexes: the loser reads the winner's row.
    """
    for _ in range(3):
        customer = find_customer(contact)
        if customer is not None:
            if fill_in:
                _fill_in(customer, contact)
            return customer
        savepoint = db.session.begin_nested()
        try:
            customer = Customer(email=contact.email, phone=contact.phone, name=contact.name)
            db.session.add(customer)
            db.session.flush()
        except IntegrityError:
            savepoint.rollback()
            continue
        savepoint.commit()
        return customer
    raise RuntimeError("could not create or find the customer")


def _fill_in(customer: Customer, contact: Contact) -> None:
    """Add a phone, e-mail or name the customer did not have yet, unless another customer holds it."""
    if contact.name and not customer.name:
        customer.name = contact.name
    for field in ("email", "phone"):
        value = getattr(contact, field)
        if value and getattr(customer, field) is None:
            taken = db.session.scalar(select(Customer.id).where(getattr(Customer, field) == value))
            if taken is None:
                setattr(customer, field, value)
    db.session.flush()
