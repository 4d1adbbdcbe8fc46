"""How a file writes its numbers and dates (decimal mark, date order, zone, currency), guessed from the file
and the business's settings, and checked when a person sets them on the mapping screen."""
from collections import Counter
from dataclasses import asdict, dataclass

from campaigns.core.errors import FieldErrors
from campaigns.core.money import marks
from campaigns.sales.pos.columns import SOURCES, header_for
from campaigns.sales.pos.dates import ORDERS, locale_order, order_vote, year_last
from campaigns.sales.pos.money_text import decimal_vote
from campaigns.sales.pos.reading import Sheet
from campaigns.sales.pos.timezones import iana_name

SAMPLE_ROWS = 500
DECIMAL_MARKS = (".", ",")


@dataclass
class Options:
    """How to read the file's amounts and dates: decimal mark, date order ("ymd", "mdy" or "dmy"), the IANA
    zone of times that carry none, and the installation's currency."""

    decimal_mark: str = "."
    date_order: str = "ymd"
    time_zone: str = "UTC"
    currency: str = "USD"

    def as_dict(self) -> dict:
        """Return the options as plain JSON-ready values."""
        return asdict(self)


def check_options(values: dict) -> Options:
    """Return Options from plain values (a form, a remembered mapping), or raise ValidationError naming each
    wrong one."""
    wrong = FieldErrors()
    mark = values.get("decimal_mark")
    if mark not in DECIMAL_MARKS:
        wrong.add("decimal_mark", "The decimal mark is “.” or “,”.")
    order = values.get("date_order")
    if order not in ORDERS:
        wrong.add("date_order", "The date order is year-month-day, month/day/year or day/month/year.")
    zone = iana_name(str(values.get("time_zone") or ""))
    if zone is None:
        wrong.add("time_zone", "Choose a time zone such as Europe/Paris or America/New_York.")
    currency = str(values.get("currency") or "").strip().upper()
    if not (len(currency) == 3 and currency.isascii() and currency.isalpha()):
        wrong.add("currency", "The currency is a three-letter code such as USD or EUR.")
    wrong.raise_any()
    return Options(decimal_mark=mark, date_order=order, time_zone=zone, currency=currency)


def _sample(sheet: Sheet, columns: dict, fields: tuple[str, ...]) -> list[str]:
    indexes = [i for i in (header_for(sheet.headers, columns.get(name)) for name in fields) if i is not None]
    return [row[i] for row in sheet.rows[:SAMPLE_ROWS] for i in indexes if i < len(row) and row[i].strip()]


def _majority(votes: list[str | None]) -> str | None:
    counted = Counter(vote for vote in votes if vote)
    return counted.most_common(1)[0][0] if counted else None


def suggest_options(sheet: Sheet, source: str, columns: dict, *, locale: str, time_zone: str,
                    currency: str, remembered: dict | None = None) -> Options:
    """Return the options a file most likely needs: decimal mark and date order from its own amounts and dates
    (a first part above 12 means day first, a middle one month first), else the ones last confirmed for this kind
    of file (`remembered`), else the business locale's; the time zone last confirmed, else the business's."""
    remembered = remembered or {}
    if source not in SOURCES:
        raise ValueError(f"unknown import source {source!r}")
    amounts = _sample(sheet, columns, ("amount", "refunded"))
    mark = _majority([decimal_vote(text) for text in amounts])
    if mark is None:
        mark = remembered.get("decimal_mark") or ("." if source == "shopify_orders" else marks(locale)["decimal"])
    if mark not in DECIMAL_MARKS:
        mark = "."
    dates = _sample(sheet, columns, ("date",))
    votes = [order_vote(text) for text in dates]
    order = _majority([vote for vote in votes if vote != "ymd"]) or ("ymd" if "ymd" in votes else None)
    if order is None and remembered.get("date_order") in ("ymd", "mdy", "dmy"):
        order = remembered["date_order"]
    if order is None:
        order = locale_order(locale)
        if order == "ymd" and any(year_last(text) for text in dates):  # 03/04/2026 cannot be year first
            order = "dmy"
    zone_name = iana_name(str(remembered.get("time_zone") or "")) or iana_name(time_zone) or "UTC"
    return Options(decimal_mark=mark, date_order=order, time_zone=zone_name,
                   currency=currency.upper())
