"""Dates and times as exports write them: ISO 8601 ("2026-05-12T12:54:01+02:00"), Shopify's
"2026-05-12 12:54:01 -0700", Square's separate "2026-05-12" / "12:54:01" / zone columns, and local dates such as
"12/27/2018 2:30 PM" or "27.12.2018 14:30" read in the file's date order (ymd, mdy or dmy).

A date without a time is read as midday in its zone, so that its day is the same in every zone nearby.
"""
import re
from datetime import date, datetime, time, tzinfo
from functools import lru_cache

from babel import Locale, UnknownLocaleError

from campaigns.core.inputs import YEAR_MAX, YEAR_MIN
from campaigns.sales.pos.timezones import ZoneError, zone

ORDERS = ("ymd", "mdy", "dmy")
NOON = time(12, 0)
_MONTHS = {name: number for number, names in enumerate(
    (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")), start=1) for name in names}
_NUMERIC = re.compile(r"(\d{1,4})([-/.])(\d{1,2})\2(\d{1,4})")
_NAMED_DAY_FIRST = re.compile(r"(\d{1,2})[ -]([A-Za-z]{3,9})\.?[ -](\d{4}|\d{2})(?!\d)")
_NAMED_MONTH_FIRST = re.compile(r"([A-Za-z]{3,9})\.? (\d{1,2}),? (\d{4})")
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(?:([AaPp])\.?[Mm]\.?)?")
_OFFSET = re.compile(r"(Z|[+\-\u2212]\d{2}(?::?\d{2})?)", re.IGNORECASE)


class DateTextError(ValueError):
    """Text that is not a date or time (the message says why)."""


def _year(text: str) -> int:
    year = int(text) + (2000 if len(text) <= 2 else 0)
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise DateTextError(f"the year must be from {YEAR_MIN} to {YEAR_MAX}")
    return year


def _make(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise DateTextError(f"there is no day {day} in month {month} of {year}") from None


def _numeric(first: str, middle: str, last: str, order: str) -> date:
    if len(first) == 4:
        return _make(_year(first), int(middle), int(last))
    if len(first) == 3 or len(middle) > 2:
        raise DateTextError("it is not a date")
    if order == "ymd" and len(last) != 4:
        return _make(_year(first), int(middle), int(last))
    if order == "ymd":  # year last in a file said to be year-first: only a part above 12 can tell
        if int(first) > 12:
            order = "dmy"
        elif int(middle) > 12:
            order = "mdy"
        else:
            raise DateTextError("is it day/month or month/day? Choose the date order")
    month, day = (int(first), int(middle)) if order == "mdy" else (int(middle), int(first))
    if month > 12 and day <= 12:
        raise DateTextError(f"there is no month {month} (the date order here is {order})")
    return _make(_year(last), month, day)


def _named(month_name: str) -> int:
    month = _MONTHS.get(month_name.casefold())
    if month is None:
        raise DateTextError(f"“{month_name}” is not a month")
    return month


def _date_part(text: str, order: str) -> tuple[date, str]:
    """Read the date at the start of text; return it and the rest."""
    found = _NUMERIC.match(text)
    if found:
        return _numeric(found.group(1), found.group(3), found.group(4), order), text[found.end():]
    found = _NAMED_DAY_FIRST.match(text)
    if found:
        return _make(_year(found.group(3)), _named(found.group(2)), int(found.group(1))), text[found.end():]
    found = _NAMED_MONTH_FIRST.match(text)
    if found:
        return _make(_year(found.group(3)), _named(found.group(1)), int(found.group(2))), text[found.end():]
    raise DateTextError("it is not a date")


def _time_part(text: str) -> tuple[time, str]:
    found = _TIME.match(text)
    if not found:
        raise DateTextError("it is not a time of day")
    hour, minute, second = int(found.group(1)), int(found.group(2)), int(found.group(3) or 0)
    micro = int((found.group(4) or "0")[:6].ljust(6, "0"))
    if found.group(5):
        if not 1 <= hour <= 12:
            raise DateTextError(f"{hour} is not an hour of a 12-hour clock")
        hour = hour % 12 + (12 if found.group(5) in "Pp" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise DateTextError("it is not a time of day")
    return time(hour, minute, second, micro), text[found.end():]


def _zone_part(text: str) -> tzinfo | None:
    rest = text.strip()
    if not rest:
        return None
    if _OFFSET.fullmatch(rest):
        rest = "UTC" if rest.upper() == "Z" else rest
    try:
        return zone(rest)
    except ZoneError:
        raise DateTextError(f"“{rest}” is not a time zone we know") from None


_ISO_MOMENT = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:\.\d{1,6})?)?(?:Z|[+-]\d\d:?\d\d)?")


def iso_moment(text: str) -> datetime | None:
    """Return the date and time of the everyday ISO form ("2026-05-12 12:54:01", "2026-05-12T12:54:01+02:00"),
    as moment() reads it in a year-first file, or None when the text is not of that form or out of the years."""
    if not _ISO_MOMENT.fullmatch(text):
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if YEAR_MIN <= parsed.year <= YEAR_MAX else None


@lru_cache(maxsize=4096)
def moment(text: str, order: str) -> tuple[date, time | None, tzinfo | None]:
    """Return (date, time or None, zone or None) read from a date, optionally with a time and an offset or zone."""
    value = " ".join(text.split())
    if not value:
        raise DateTextError("it is empty")
    parsed = iso_moment(value) if order == "ymd" else None  # the everyday ISO form: Python reads it, much faster
    if parsed is not None:
        return parsed.date(), parsed.time(), parsed.tzinfo
    day, rest = _date_part(value, order)
    rest = rest.lstrip(" ,")
    if rest[:1] in ("T", "t"):
        rest = rest[1:]
    if not rest:
        return day, None, None
    clock, rest = _time_part(rest)
    return day, clock, _zone_part(rest)


@lru_cache(maxsize=4096)
def time_of_day(text: str) -> time | None:
    """Return a time of day such as "21:50:48" or "2:30 PM", None when blank."""
    value = " ".join(text.split())
    if not value:
        return None
    clock, rest = _time_part(value)
    if rest.strip():
        raise DateTextError("it is not a time of day")
    return clock


def aware(day: date, clock: time | None, where: tzinfo) -> datetime:
    """Return the moment a local date and time (midday when none) stand for in the zone."""
    return datetime.combine(day, clock or NOON, tzinfo=where)


def order_vote(text: str) -> str | None:
    """Return the date order one written date proves ("ymd", "dmy" or "mdy"), or None when it could be either."""
    found = _NUMERIC.match(" ".join((text or "").split()))
    if not found:
        return None
    first, middle = found.group(1), found.group(3)
    if len(first) == 4:
        return "ymd"
    if int(first) > 12:
        return "dmy"
    if int(middle) > 12:
        return "mdy"
    return None


def year_last(text: str) -> bool:
    """Return whether a written date ends its date part with a four-digit year (03/04/2026)."""
    found = _NUMERIC.match(" ".join((text or "").split()))
    return bool(found) and len(found.group(4)) == 4 and len(found.group(1)) < 4


def locale_order(locale: str) -> str:
    """Return the date order of the locale's short date format (en_US: mdy, en_GB and de_DE: dmy)."""
    try:
        pattern = Locale.parse(locale).date_formats["short"].pattern
    except (UnknownLocaleError, ValueError, TypeError):
        return "mdy"
    positions = sorted((pattern.find(char), name) for char, name in (("y", "y"), ("M", "m"), ("d", "d"))
                       if char in pattern)
    found = "".join(name for _, name in positions)
    return found if found in ORDERS else "ymd"
