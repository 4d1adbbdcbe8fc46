"""Checking a purchase row on its own (no database): its fields, its contact normalised, and its fingerprint,
the one digest that tells a retry (the same content) from a conflict (other content under the same id)."""
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache

from campaigns.contacts.contact import Contact, make_contact
from campaigns.core.errors import ValidationError
from campaigns.core.inputs import MONEY_DIGITS, bad_character
from campaigns.giving import codes
from campaigns.sales.rows import PurchaseRow

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
CLOCK_SKEW = timedelta(minutes=10)  # a till's clock this little ahead is not a sale from the future
_OUTSIDE_TEXT = ("customer_ref", "location", "refund_of")


@dataclass
class Sale:
    """A row checked and normalised, on its way to the table."""

    index: int
    row: PurchaseRow
    external_id: str
    contact: Contact | None
    code: str | None
    digest: str
    values: dict = field(default_factory=dict)
    new: bool = False  # written by this batch (not found stored, nor slipped in by another writer)


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


class Contacts:
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


def future_date(occurred_at: datetime, now: datetime, zone: tzinfo) -> str | None:
    """Say why a sale dated `occurred_at` is refused when it is after `now` by more than CLOCK_SKEW (None when it
    is not), both times written in the business's time zone: the one rule for imported sales and the API's."""
    if occurred_at <= now + CLOCK_SKEW:
        return None
    return (f"{occurred_at.astimezone(zone):%Y-%m-%d %H:%M} is in the future (it is now "
            f"{now.astimezone(zone):%Y-%m-%d %H:%M}, {zone}): a sale is recorded once it has happened.")


def check(index: int, row: PurchaseRow, contacts: Contacts, maximum: int,
          clock: tuple[datetime, tzinfo] | None = None) -> Sale:
    """Check one row's own values (nothing that needs the database) or raise a ValidationError naming fields;
    with `clock` (now, the business's time zone), a sale dated in the future is refused (future_date)."""
    wrong = {}
    external_id = (row.external_id or "").strip()
    if not 1 <= len(external_id) <= 120 or not external_id.isprintable():
        wrong["external_id"] = "Required: the till's own id for this sale (1-120 printable characters)."
    if not isinstance(row.occurred_at, datetime) or row.occurred_at.tzinfo is None:
        wrong["occurred_at"] = "Give the time with its offset."
    elif clock is not None and row.occurred_at > clock[0] + CLOCK_SKEW:  # future_date's test, without its call
        wrong["occurred_at"] = future_date(row.occurred_at, *clock)
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
    if row.sale_ref is not None and (not 3 <= len(row.sale_ref) <= 160 or not row.sale_ref.isprintable()):
        wrong["sale_ref"] = "The till's other id for a sale is source:id, at most 160 printable characters."
    for name in _OUTSIDE_TEXT if row.customer_ref or row.location or row.refund_of else ():
        value = getattr(row, name)  # the one rule for text from outside (core.inputs)
        bad = bad_character(value) if isinstance(value, str) else None
        if bad is not None and name not in wrong:
            wrong[name] = f"This text holds {bad}; remove it."
    if wrong:
        raise ValidationError(wrong)
    refund_of = row.refund_of.strip() if isinstance(row.refund_of, str) else row.refund_of
    parts = (external_id, row.amount_cents, row.refunded_total_cents, _microseconds(row.occurred_at),
             contact.email if contact else None, contact.phone if contact else None, row.customer_ref,
             code, refund_of, (row.location or "").strip().casefold() or None)
    if row.customer_id is not None:  # only the demo and tests name a customer by id: other digests stay as they were
        parts += (("customer_id", row.customer_id),)
    digest = _digest(parts)
    if row.refunded_total_cents is not None:  # each new refunded total is its own refund of what is new
        external_id = f"{external_id}:{row.refunded_total_cents}"[:120]
    return Sale(index, row, external_id, contact, code, digest)
