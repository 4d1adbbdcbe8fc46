"""What each kind of file holds: the fields a column can map to, the column names each export uses for them
(found by name, any case and spacing, never by position), and which kind a file's header line is."""
import re
from dataclasses import dataclass
from functools import lru_cache

SOURCES: dict[str, str] = {
    "square_transactions": "Square: transactions export",
    "square_items": "Square: item details export",
    "shopify_orders": "Shopify: orders export",
    "plain": "Plain file (date, amount, e-mail or phone, id)",
    "square_customers": "Square: customer directory export",
}
GROUPED = {"square_items", "shopify_orders"}  # several rows make one sale
CUSTOMER_SOURCES = {"square_customers"}

_SQUARE_SALE = [
    ("date", "Date", True, ["date"]),
    ("time", "Time", False, ["time"]),
    ("time_zone", "Time zone", False, ["time zone", "timezone"]),
    ("amount", "Amount (Square: Net Sales)", True, ["net sales"]),
    ("payment_id", "Payment ID (Square's id for the sale)", False, ["payment id"]),
    ("transaction_id", "Transaction ID (or this one)", False, ["transaction id"]),
    ("event_type", "Event type (Payment or Refund)", False, ["event type"]),
    ("customer_id", "Square customer ID", False, ["customer id"]),
    ("customer_name", "Customer name", False, ["customer name"]),
    ("location", "Location (the name of one of your locations)", False, []),
]
_SPEC: dict[str, list[tuple[str, str, bool, list[str]]]] = {
    "square_transactions": _SQUARE_SALE,
    "square_items": _SQUARE_SALE,
    "shopify_orders": [
        ("order", "Order name (such as #1001)", True, ["name", "order name", "order"]),
        ("order_id", "Order id (Shopify's number for it)", False, ["id", "order id"]),
        ("date", "Date (Shopify: Created at)", True, ["created at", "processed at", "paid at"]),
        ("amount", "Amount (Shopify: Subtotal)", True, ["subtotal"]),
        ("currency", "Currency", False, ["currency"]),
        ("financial_status", "Whether it was paid (Financial Status)", False, ["financial status"]),
        ("refunded", "Refunded amount", False, ["refunded amount"]),
        ("email", "E-mail", False, ["email", "e mail", "customer email"]),
        ("phone", "Phone", False, ["phone", "billing phone", "shipping phone"]),
        ("name", "Customer name", False, ["billing name", "shipping name"]),
        ("voucher_code", "Voucher code", False, []),
        ("location", "Location (the name of one of your locations)", False, []),
    ],
    "plain": [
        ("date", "Date (or date and time)", True,
         ["date", "datetime", "date time", "occurred at", "timestamp", "created at", "purchase date", "order date",
          "sale date", "transaction date", "purchased at", "datum", "fecha"]),
        ("time", "Time", False, ["time", "purchase time", "sale time", "uhrzeit", "heure", "hora"]),
        ("amount", "Amount", True,
         ["amount", "net sales", "net", "subtotal", "total", "sale amount", "purchase amount", "revenue", "value",
          "betrag", "montant", "importe", "bedrag"]),
        ("external_id", "Sale id (the till's receipt number)", True,
         ["id", "external id", "sale id", "purchase id", "order id", "transaction id", "receipt", "receipt number",
          "receipt no", "order", "order number", "invoice", "invoice number", "reference", "ticket"]),
        ("email", "E-mail", False, ["email", "e mail", "email address", "e mail address", "customer email", "mail"]),
        ("phone", "Phone", False,
         ["phone", "phone number", "mobile", "mobile number", "telephone", "tel", "customer phone", "telefon"]),
        ("name", "Name", False, ["name", "customer name", "customer", "full name"]),
        ("refund_of", "Refund of (the refunded sale's id)", False,
         ["refund of", "refunds", "original id", "original sale", "refunded sale"]),
        ("voucher_code", "Voucher code", False, ["voucher", "voucher code", "code", "coupon", "coupon code"]),
        ("location", "Location (the name of one of your locations)", False, ["location", "store", "shop", "branch"]),
        ("currency", "Currency", False, ["currency", "currency code"]),
    ],
    "square_customers": [
        ("customer_id", "Square customer ID", True, ["square customer id", "customer id"]),
        ("first_name", "First name", False, ["first name", "given name"]),
        ("last_name", "Last name", False, ["last name", "surname", "family name"]),
        ("email", "E-mail", False, ["email address", "email", "e mail"]),
        ("phone", "Phone", False, ["phone number", "phone", "mobile"]),
        ("company", "Company name", False, ["company name"]),
    ],
}
# A list of people to send a campaign to (an audience): not a kind of till file, but read and mapped the same way.
_CONTACT_SPEC = [
    ("email", "E-mail", True, _SPEC["plain"][4][3]),
    ("phone", "Phone", False, _SPEC["plain"][5][3]),
    ("name", "Name", False, ["name", "full name", "customer name", "customer", "contact name", "display name"]),
    ("first_name", "First name", False, ["first name", "given name", "firstname", "vorname", "prenom", "nombre"]),
    ("last_name", "Last name", False, ["last name", "surname", "family name", "lastname", "nachname", "nom"]),
]
FIELDS: dict[str, list[tuple[str, str, bool]]] = {
    source: [(name, label, required) for name, label, required, _ in spec] for source, spec in _SPEC.items()}
ALIASES: dict[str, dict[str, list[str]]] = {
    source: {name: aliases for name, _, _, aliases in spec} for source, spec in _SPEC.items()}
CONTACT_FIELDS: list[tuple[str, str, bool]] = [(name, label, required) for name, label, required, _ in _CONTACT_SPEC]
CONTACT_ALIASES: dict[str, list[str]] = {name: aliases for name, _, _, aliases in _CONTACT_SPEC}


@dataclass(frozen=True)
class Need:
    """A column the mapping needs before anything is imported, in plain words: any one of `fields` mapped meets
    it (the page marks it at the first); `short` names it in the line saying what is still missing."""

    fields: tuple[str, ...]
    text: str
    short: str


_SALE_DATE = Need(("date",), "Choose the column with the date of each sale.", "the date")
_SALE_AMOUNT = Need(("amount",), "Choose the column with the amount of each sale.", "the amount")
NEEDS: dict[str, list[Need]] = {
    "square_transactions": [
        _SALE_DATE, Need(("amount",), "Choose the column with the amount of each sale (Square calls it Net Sales).",
                         "the amount"),
        Need(("payment_id", "transaction_id"), "Choose the column with Square's id for each sale: Payment ID, or "
             "else Transaction ID.", "the sale's id")],
    "shopify_orders": [
        Need(("order",), "Choose the column with the order's name, such as #1001 (Shopify calls it Name).",
             "the order's name"),
        Need(("date",), "Choose the column with the date of each order (Shopify calls it Created at).", "the date"),
        Need(("amount",), "Choose the column with the amount of each order (Shopify calls it Subtotal).",
             "the amount")],
    "plain": [_SALE_DATE, _SALE_AMOUNT,
              Need(("external_id",), "Choose the column with the sale's id (the till's receipt number).",
                   "the sale's id")],
    "square_customers": [Need(("customer_id",), "Choose the column with Square's id for each customer (Square "
                                               "customer ID).", "the customer's id")],
}
NEEDS["square_items"] = NEEDS["square_transactions"]
CONTACT_NEEDS = [Need(("email",), "Choose the column with e-mail addresses.", "the e-mail addresses")]


def missing(needs: list[Need], columns: dict[str, str | None]) -> list[Need]:
    """Return the needs that `columns` (field -> the column chosen, None or "" for none) leave unmet, in order."""
    return [need for need in needs if not any(columns.get(field) for field in need.fields)]


def unmet(needs: list[Need], columns: dict[str, str | None]) -> dict[str, str]:
    """Return field -> what to choose there, for each unmet need, marked at its first field."""
    return {need.fields[0]: need.text for need in missing(needs, columns)}


@lru_cache(maxsize=4096)
def normal(header: str) -> str:
    """Return a header as compared: case-folded, any run of non-letters and non-digits as one space."""
    return " ".join(re.sub(r"[\W_]+", " ", header.replace("\ufeff", "")).casefold().split())


def detect_source(headers: list[str]) -> str:
    """Return the kind of file a header line shows (a key of SOURCES); "plain" when it is no known export."""
    have = {normal(header) for header in headers}
    if "lineitem name" in have or {"financial status", "subtotal", "name"} <= have:
        return "shopify_orders"
    if "net sales" in have and have & {"transaction id", "payment id"}:
        return "square_items" if {"item", "qty"} & have and "total collected" not in have else "square_transactions"
    if "square customer id" in have or ({"reference id", "email address"} <= have and "net sales" not in have):
        return "square_customers"
    return "plain"


def header_for(headers: list[str], wanted: str | None) -> int | None:
    """Return the index of the header named `wanted` (exactly, else compared as normal()), or None."""
    if not wanted:
        return None
    if wanted in headers:
        return headers.index(wanted)
    key = normal(wanted)
    return next((index for index, header in enumerate(headers) if normal(header) == key), None)


def suggest_columns(source: str, headers: list[str], remembered: dict | None = None) -> dict[str, str | None]:
    """Return field -> header of this file for each field of the source: the remembered choice when this file
    has that column, else the first known name the file uses. A field remembered as "not in this file" is
    guessed again: the last file may simply not have had it (a customer column left out would lose customers)."""
    if source not in SOURCES:
        raise ValueError(f"unknown import source {source!r}")
    return match_columns(ALIASES[source], headers, remembered)


def match_columns(aliases: dict[str, list[str]], headers: list[str],
                  remembered: dict | None = None) -> dict[str, str | None]:
    """Return field -> header of this file for each field of `aliases` (field -> the names a column of it goes
    by), as suggest_columns() does for a kind of till file; a contact list's columns are matched the same way."""
    remembered = remembered or {}
    by_normal: dict[str, str] = {}
    for header in headers:
        by_normal.setdefault(normal(header), header)
    chosen: dict[str, str | None] = {}
    used: set[str] = set()
    for name in aliases:  # remembered choices first: they win over guesses
        if remembered.get(name) is not None:
            index = header_for(headers, remembered[name])
            if index is not None:
                chosen[name] = headers[index]
                used.add(chosen[name])
    for name, names in aliases.items():
        if name in chosen:
            continue
        found = next((by_normal[alias] for alias in names if by_normal.get(alias) not in (None, *used)), None)
        chosen[name] = found
        if found is not None:
            used.add(found)
    return {name: chosen[name] for name in aliases}
