"""One sale (or customer) from the rows of each kind of file: Square's transactions and item details, Shopify's
orders, a plain file and Square's customer directory.

External ids (stable, so that the same or an overlapping file maps to the same ids):
- Square sale: "square:<Payment ID>" (else "square:<Transaction ID>"), the same from either Square export;
- Square refund: "square-refund:<Payment ID>:<its local date and time as written, 2026-05-12T12:54:01>",
  refunding "square:<Payment ID>";
- Shopify order: "shopify:<Id>" (else "shopify:<Name>", e.g. "shopify:#1001"); its refunded total:
  "shopify-refund:<same>" with refunded_total_cents, which the store caps and adds only what is new;
- plain file: the id column as written; Square customer: Square's customer id.
The till's other id for a sale, kept beside it so that a search finds the sale by either (`sale_ref`):
Square's Transaction ID when the sale is known by its Payment ID ("square:<Transaction ID>", a refund's own),
Shopify's order name when the order is known by its Id ("shopify:#1001").
"""
from datetime import datetime, tzinfo

from campaigns.sales.pos.dates import DateTextError, aware, iso_moment, moment, time_of_day
from campaigns.sales.pos.money_text import MoneyTextError, cents
from campaigns.sales.pos.options import Options
from campaigns.sales.pos.timezones import ZoneError, zone
from campaigns.sales.rows import CustomerRow, PurchaseRow

SQUARE, SHOPIFY = "square:", "shopify:"
REFUNDED = {"refunded", "partially_refunded"}
NOT_TAKEN = {"voided", "expired"}


class RowProblem(Exception):
    """Why a row (or a group of rows) cannot be imported, naming the column and the value."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message, self.line = message, line


class Cells:
    """Read a row's cells by field, through the column mapping."""

    def __init__(self, headers: list[str], index: dict[str, int | None], options: Options, where: tzinfo):
        self.headers, self.index, self.options, self.where = headers, index, options, where
        self.wanted: dict[tuple[str, ...], list[int | None]] = {}
        self.amounts: dict[str, int] = {}  # amount text -> cents, for this chunk: files repeat their prices
        # An ISO date and time is the whole moment when no time-zone column could give it another zone.
        self.plain_iso = options.date_order == "ymd" and index.get("time_zone") is None

    def mapped(self, field: str) -> bool:
        """Return whether the field has a column."""
        return self.index.get(field) is not None

    def name(self, field: str) -> str:
        """Return the file's own name for the field's column."""
        index = self.index.get(field)
        return self.headers[index] if index is not None else field

    def get(self, row: list[str], field: str) -> str:
        """Return the field's cell, stripped ("" when unmapped or missing)."""
        index = self.index.get(field)
        if index is None:
            return ""
        try:
            return row[index].strip()
        except IndexError:  # a short row (a spreadsheet dropped its empty trailing cells)
            return ""

    def read(self, row: list[str], fields: tuple[str, ...]) -> list[str]:
        """Return the fields' cells, each as `get` reads it, looking the columns up once per tuple of fields."""
        indexes = self.wanted.get(fields)
        if indexes is None:
            indexes = self.wanted[fields] = [self.index.get(field) for field in fields]
        width = len(row)
        return [row[index].strip() if index is not None and index < width else "" for index in indexes]

    def money(self, row: list[str], field: str, line: int | None = None) -> int:
        """Return the field's amount in cents, or raise RowProblem naming the column and value."""
        return self.amount(self.get(row, field), field, line)

    def amount(self, text: str, field: str, line: int | None = None) -> int:
        """Return a cell's amount in cents, or raise RowProblem naming the field's column and the value."""
        found = self.amounts.get(text)
        if found is not None:
            return found
        try:
            found = self.amounts[text] = cents(text, decimal_mark=self.options.decimal_mark,
                                               currency=self.options.currency)
        except MoneyTextError as error:
            shown = f" “{text}”" if text else ""
            raise RowProblem(f"{self.name(field)}{shown}: {error}.", line) from None
        return found

    def check_currency(self, row: list[str], line: int | None = None) -> None:
        """Refuse a row whose currency column names another currency than the installation's."""
        self.currency(self.get(row, "currency"), line)

    def currency(self, written: str, line: int | None = None) -> None:
        """Refuse a currency cell that names another currency than the installation's."""
        if written and written.upper() != self.options.currency.upper():
            raise RowProblem(f"{self.name('currency')} “{written}”: amounts here are in {self.options.currency}.",
                             line)

    def when(self, row: list[str], text: str | None = None, local: bool = True) -> tuple[datetime, str | None]:
        """Return the row's moment (aware) and, with `local`, its local date and time as written, in ISO form;
        `text` is the date cell when the caller has read it."""
        text = self.get(row, "date") if text is None else text
        if not text:
            raise RowProblem(f"{self.name('date')} is empty.")
        if not local and self.plain_iso:  # the everyday ISO moment, read as below without its parts taken apart
            parsed = iso_moment(text)
            if parsed is not None:
                if parsed.tzinfo is not None:
                    return parsed, None
                return datetime.combine(parsed.date(), parsed.time(), self.where), None  # aware(), as below
        try:
            day, clock, where = moment(text, self.options.date_order)
        except DateTextError as error:
            raise RowProblem(f"{self.name('date')} “{text}”: {error}.") from None
        written = self.get(row, "time") if clock is None else ""
        if written:
            try:
                clock = time_of_day(written)
            except DateTextError as error:
                raise RowProblem(f"{self.name('time')} “{written}”: {error}.") from None
        written = self.get(row, "time_zone") if where is None else ""
        if written:
            try:
                where = zone(written)
            except ZoneError as error:
                raise RowProblem(f"{self.name('time_zone')} “{written}”: {error}.") from None
        if not local:
            return aware(day, clock, where or self.where), None
        written = day.isoformat() + (f"T{clock.isoformat('seconds')}" if clock else "")
        return aware(day, clock, where or self.where), written

    def first(self, rows: list[list[str]], field: str) -> str | None:
        """Return the first non-blank value of the field over a group's rows, else None."""
        return next((value for value in (self.get(row, field) for row in rows) if value), None)


def square_sale(cells: Cells, rows: list[list[str]], lines: list[int]) -> list[PurchaseRow]:
    """Return the sale or refund that Square rows make: one transactions row, or the item rows of one sale."""
    head = rows[0]
    transaction = cells.get(head, "transaction_id")
    pid = cells.get(head, "payment_id") or transaction
    other = SQUARE + transaction if transaction and transaction != pid else None
    if not pid:
        raise RowProblem(f"{cells.name('payment_id')} and {cells.name('transaction_id')} are empty: nothing "
                         "identifies this sale.")
    written = cells.get(head, "event_type")
    event = written.casefold()
    if event not in ("", "payment", "refund"):
        raise RowProblem(f"{cells.name('event_type')} “{written}”: only Payment and Refund rows are imported.")
    amount = sum(cells.money(row, "amount", line) for row, line in zip(rows, lines))
    when, local = cells.when(head)
    location = cells.get(head, "location") or None
    if event == "refund" or (not event and amount < 0):
        if amount == 0:
            raise RowProblem(f"{cells.name('amount')} is 0 on this refund (tip or tax only): nothing to record.")
        return [PurchaseRow(external_id=f"square-refund:{pid}:{local}", amount_cents=-abs(amount),
                            occurred_at=when, refund_of=f"square:{pid}", sale_ref=other, location=location,
                            line=lines[0])]
    if amount < 0:
        raise RowProblem(f"{cells.name('amount')} “{cells.get(head, 'amount')}” is negative on a Payment row.")
    customer = cells.get(head, "customer_id")
    return [PurchaseRow(external_id=f"square:{pid}", amount_cents=amount, occurred_at=when,
                        name=cells.get(head, "customer_name") or None,
                        customer_ref=f"square:{customer}" if customer else None, sale_ref=other, location=location,
                        line=lines[0])]


def shopify_order(cells: Cells, rows: list[list[str]], lines: list[int]) -> list[PurchaseRow]:
    """Return an order (its line items' rows) as a sale, and its refunded total when it has one."""
    name = cells.first(rows, "order") or cells.first(rows, "order_id")
    at = next((k for k, row in enumerate(rows) if cells.get(row, "amount")), None)
    if at is None:
        raise RowProblem(f"{cells.name('amount')} is empty on every row of order {name}.")
    row, line = rows[at], lines[at]
    status = cells.get(row, "financial_status").casefold()
    if status in NOT_TAKEN:
        raise RowProblem(f"{cells.name('financial_status')} “{status}”: the payment of order {name} was never "
                         "taken, so it is no sale.", line)
    cells.check_currency(row, line)
    amount = cells.money(row, "amount", line)
    if amount < 0:
        raise RowProblem(f"{cells.name('amount')} “{cells.get(row, 'amount')}” is negative.", line)
    try:
        when, _ = cells.when(row)
    except RowProblem as problem:
        raise RowProblem(problem.message, line) from None
    key = cells.get(row, "order_id") or name
    sale = PurchaseRow(external_id=f"shopify:{key}", amount_cents=amount, occurred_at=when,
                       email=cells.first(rows, "email"), phone=cells.first(rows, "phone"),
                       name=cells.first(rows, "name"), voucher_code=cells.first(rows, "voucher_code"),
                       location=cells.first(rows, "location"), line=line,
                       sale_ref=SHOPIFY + name if name and name != key else None)
    if cells.get(row, "refunded"):
        refunded = cells.money(row, "refunded", line)
    else:
        refunded = amount if status == "refunded" and not cells.mapped("refunded") else 0
    if refunded > 0 and (status in REFUNDED or not cells.mapped("financial_status")):
        return [sale, PurchaseRow(external_id=f"shopify-refund:{key}", amount_cents=None, occurred_at=when,
                                  refunded_total_cents=refunded, refund_of=f"shopify:{key}", line=line)]
    return [sale]


PLAIN_CELLS = ("external_id", "amount", "refund_of", "currency", "date", "email", "phone", "name", "voucher_code",
               "location")


def plain_sale(cells: Cells, rows: list[list[str]], lines: list[int]) -> list[PurchaseRow]:
    """Return the sale or refund of one row of a plain file (its cells read at once)."""
    row = rows[0]
    external_id, text, refund_of, currency, date, email, phone, name, code, location = cells.read(row, PLAIN_CELLS)
    if not external_id:
        raise RowProblem(f"{cells.name('external_id')} is empty: each sale needs the till's own id.")
    cells.currency(currency)
    amount = cells.amount(text, "amount")
    refund_of = refund_of or None
    if refund_of and amount == 0:
        raise RowProblem(f"{cells.name('amount')} is 0 on a refund of {refund_of}.")
    if refund_of:
        amount = -abs(amount)
    elif amount < 0:
        where = f"in {cells.name('refund_of')}" if cells.mapped("refund_of") else "in a “refund of” column"
        raise RowProblem(f"{cells.name('amount')} “{text}” is negative: a refund names the sale it refunds "
                         f"{where}.")
    when, _ = cells.when(row, date, local=False)
    return [PurchaseRow(external_id=external_id, amount_cents=amount, occurred_at=when, email=email or None,
                        phone=phone or None, name=name or None, voucher_code=code or None, refund_of=refund_of,
                        location=location or None, line=lines[0])]


def square_customer(cells: Cells, rows: list[list[str]], lines: list[int]) -> list[CustomerRow]:
    """Return one entry of Square's customer directory."""
    row = rows[0]
    external_id = cells.get(row, "customer_id")
    if not external_id:
        raise RowProblem(f"{cells.name('customer_id')} is empty: nothing ties this customer to Square's sales.")
    name = " ".join(part for part in (cells.get(row, "first_name"), cells.get(row, "last_name")) if part)
    return [CustomerRow(external_id=external_id, email=cells.get(row, "email") or None,
                        phone=cells.get(row, "phone") or None, name=name or cells.get(row, "company") or None,
                        line=lines[0])]


CONVERTERS = {"square_transactions": square_sale, "square_items": square_sale, "shopify_orders": shopify_order,
              "plain": plain_sale, "square_customers": square_customer}


def stored_ids(typed: str) -> list[str]:
    """Return the ids a till's own id, typed as the till shows it, may be stored under: as typed, as a Square
    sale's ("square:P1aaa…") and as a Shopify order's, with or without its "#" ("shopify:#1036")."""
    text = typed.strip()
    if not text:
        return []
    name = text if text.startswith("#") else "#" + text
    return list(dict.fromkeys([text, SQUARE + text, SHOPIFY + text, SHOPIFY + name]))
