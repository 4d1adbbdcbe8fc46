"""Values checked by class at the edge: text, whole numbers, money, dates and times, each within stated bounds.

Every entry point (the API's JSON, the pages' forms, the desk) reads its input through these, so a value
that could not be stored, compared or shown (a lone surrogate, a NUL, a year 9999, a number past 64 bits)
is refused with a message naming its field instead of failing further in.
"""
import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal

from campaigns.core.errors import ValidationError

YEAR_MIN, YEAR_MAX = 2000, 2100  # dates and times outside these years are typing mistakes
MONEY_DIGITS = 7  # an amount is below ten million in major units: at most seven digits before the '.'
MONEY_MAX = Decimal(10) ** MONEY_DIGITS - Decimal("0.001")
ID_MAX = 2**31 - 1  # the largest id the tables' integer keys hold
JSON_DEPTH_MAX = 32
_AMOUNT = re.compile(r"(?P<sign>-?)(?P<whole>\d+)(?:\.(?P<part>\d+))?", re.ASCII)
_WHOLE = re.compile(r"\+?\d{1,19}", re.ASCII)
MOMENT_PATTERN = (r"^(20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
                  r"(Z|z|[+-][0-9]{2}:[0-9]{2})$")
_LINE_BREAKS = {"\n", "\r"}
_SEPARATORS = {"\u2028", "\u2029"}  # line and paragraph separators: line breaks to anything that shows text
_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")  # reorder what is shown


def bad_character(text: str, multiline: bool = False) -> str | None:
    """Return a description of the first character that text may not hold, or None when it is clean."""
    if text.isascii() and text.isprintable():  # the common case at C speed: no control character, nothing else to find
        return None
    for char in text:
        if 0xD800 <= ord(char) <= 0xDFFF:
            return "a lone surrogate (not valid Unicode)"
        if char in _BIDI_CONTROLS:
            return f"a text-direction control (U+{ord(char):04X})"
        if char in _SEPARATORS and not multiline:
            return "a line break (keep it on one line)"
        if unicodedata.category(char) == "Cc" and not (multiline and (char in _LINE_BREAKS or char == "\t")):
            if char in _LINE_BREAKS:
                return "a line break (keep it on one line)"
            return f"a control character (U+{ord(char):04X})"
    return None


def text(value, field: str, maximum: int, *, minimum: int = 0, multiline: bool = False) -> str:
    """Return text stripped and checked: valid Unicode, no control characters (newlines only when multiline),
    between minimum and maximum characters."""
    if not isinstance(value, str):
        raise ValidationError({field: "Text, please."})
    bad = bad_character(value, multiline)
    if bad is not None:
        raise ValidationError({field: f"This text holds {bad}; remove it."})
    value = value.strip() if len(value) <= maximum else value
    if not minimum <= len(value) <= maximum:
        raise ValidationError({field: f"Text of {minimum} to {maximum} characters." if minimum
                               else f"Text of at most {maximum} characters."})
    return value


def whole(value, field: str, low: int, high: int) -> int:
    """Return a whole number (a JSON integer, or ASCII digits as text) from low to high."""
    if isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError({field: f"A whole number from {low} to {high}."})
    if not low <= value <= high:
        raise ValidationError({field: f"A whole number from {low} to {high}."})
    return value


def amount(value, field: str, places: int = 2, maximum: Decimal = MONEY_MAX, negative: bool = False) -> Decimal:
    """Return money as an exact Decimal: ASCII digits and at most one '.', at most `places` decimals,
    at most `maximum`; no exponents, NaN, Infinity or grouping marks."""
    if isinstance(value, Decimal):
        value = str(value) if value.is_finite() else "NaN"
    elif isinstance(value, int | float) and not isinstance(value, bool):
        value = repr(value)  # a JSON number: 62.5 reads as "62.5", 1e30 as "1e+30" (refused below)
    if not isinstance(value, str):
        raise ValidationError({field: "An amount as text, like \"12.50\"."})
    found = _AMOUNT.fullmatch(value.strip()) if len(value) <= 40 else None
    if found is None:
        example = "12.50" if places else "1250"
        raise ValidationError({field: f"Write the amount with digits and at most one '.', like {example}."})
    if found["sign"] and not negative:
        raise ValidationError({field: "The amount cannot be negative."})
    if len((found["part"] or "").rstrip("0")) > places:
        raise ValidationError({field: f"At most {places} decimal places." if places else "No decimal places."})
    result = Decimal(value.strip())
    if maximum == MONEY_MAX and len(found["whole"]) > MONEY_DIGITS:
        raise ValidationError({field: f"Less than {10 ** MONEY_DIGITS:,}, with at most {MONEY_DIGITS} digits before the '.'."})
    if abs(result) > maximum:
        raise ValidationError({field: f"At most {maximum:,}."})
    return result


def percent(value, field: str) -> Decimal:
    """Return a percentage from 0 to 100 with at most two decimals."""
    try:
        return amount(value, field, 2, Decimal(100))
    except ValidationError:
        raise ValidationError({field: "A percentage from 0 to 100, with at most two decimals."}) from None


def day(value, field: str) -> date:
    """Return a calendar date written YYYY-MM-DD in the years YEAR_MIN to YEAR_MAX."""
    try:
        if not isinstance(value, str) or not value.isascii() or len(value.strip()) != 10:
            raise ValueError
        result = date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError({field: "A date like 2026-12-31."}) from None
    return in_years(result, field)


def in_years(result, field: str):
    """Return a date or time when its year lies in the window, else raise naming the field."""
    if not YEAR_MIN <= result.year <= YEAR_MAX:
        raise ValidationError({field: f"A date in the years {YEAR_MIN} to {YEAR_MAX}."})
    return result


def moment(value, field: str) -> datetime:
    """Return an ISO 8601 time with its offset, in the years YEAR_MIN to YEAR_MAX."""
    try:
        if not isinstance(value, str) or not re.fullmatch(MOMENT_PATTERN, value.strip(), re.ASCII):
            raise ValueError
        result = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValidationError({field: "ISO 8601 with an offset, e.g. 2026-11-23T14:02:00+01:00"}) from None
    if result.tzinfo is None or result.utcoffset() is None:
        raise ValidationError({field: "Add the time zone offset, e.g. +01:00 or Z."})
    return in_years(result, field)


def tree_problem(value) -> str | None:
    """Return what is wrong with parsed JSON as a whole (too deep, text that is not valid Unicode), or None."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > JSON_DEPTH_MAX:
            return f"The JSON is nested more than {JSON_DEPTH_MAX} levels deep."
        if isinstance(item, dict):
            for key, inner in item.items():
                stack.append((key, depth))
                stack.append((inner, depth + 1))
        elif isinstance(item, list):
            stack.extend((inner, depth + 1) for inner in item)
        elif isinstance(item, str) and not item.isascii() and any(0xD800 <= ord(char) <= 0xDFFF for char in item):
            return "The JSON holds text that is not valid Unicode (a lone surrogate escape such as \\ud800)."
    return None


def printable(value, maximum: int) -> str:
    """Return text made safe to keep in a log: control characters and surrogates replaced, cut to maximum."""
    cleaned = "".join("\N{REPLACEMENT CHARACTER}" if 0xD800 <= ord(c) <= 0xDFFF or unicodedata.category(c) == "Cc"
                      else c for c in str(value)[:maximum])
    return cleaned
