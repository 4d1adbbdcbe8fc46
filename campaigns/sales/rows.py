"""What the ledger takes and gives back: purchase and customer rows as sent, and what became of each.
Plain values: point-of-sale files are read into these without the database."""
from dataclasses import dataclass
from datetime import datetime

from campaigns.core.errors import DomainError


class PurchaseError(DomainError):
    """A purchase that cannot be stored as sent (conflict, purchase_void, already_void)."""


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ cost an import 1.4 µs a row; none is ever changed
class PurchaseRow:
    """One purchase as sent: raw contact text (normalised here), amounts in cents, an aware time."""

    external_id: str
    amount_cents: int | None
    occurred_at: datetime
    email: str | None = None
    phone: str | None = None
    name: str | None = None
    customer_ref: str | None = None
    sale_ref: str | None = None  # the till's other id for the sale (source:id), searched, never fingerprinted
    voucher_code: str | None = None
    refund_of: str | int | None = None
    refunded_total_cents: int | None = None
    location: str | None = None
    line: int | None = None
    customer_id: int | None = None  # a customer the caller already holds (the demo, tests); no API sends it


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


# How a refused row names its fields: in the words of the mapping page, not the API's names.
_FIELD_WORDS = {"occurred_at": "Date", "external_id": "Sale id", "customer.email": "E-mail",
                "customer.phone": "Phone", "customer.name": "Name", "customer_ref": "Customer", "sale_ref": "Sale id"}


def reason(error: DomainError | None) -> str:
    """Say why a row was refused: what is wrong with each of its fields, else the error's message."""
    if error is None:
        return "Refused."
    fields = error.details.get("fields") or {}
    return " ".join(f"{_FIELD_WORDS.get(name) or name.replace('_', ' ').capitalize()}: {problem}"
                    for name, problem in fields.items()) or error.message
