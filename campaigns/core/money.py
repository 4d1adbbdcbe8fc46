"""Money as integer minor units: reading what people type in the business's locale and showing it back.

Typed amounts are read strictly with Babel (`parse_decimal(strict=True)`): the locale's decimal mark, its
grouping only where the locale groups, an optional symbol or code of the business currency. Anything else is
refused with a message showing how to type it; nothing is reinterpreted. A lone group of three digits
("1,234" in en_US, "1.234" in de_DE) is read as grouping, as the locale writes it: for a currency of two or no
decimals the other reading (1.234) is not an amount at all, and for a three-decimal currency (BHD) it is refused
as ambiguous. static/js/money.js reads the same way in the browser (tests/browser/test_money_preview.py).
"""
import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation, localcontext
from functools import lru_cache

from babel import Locale
from babel.core import get_global
from babel.numbers import (
    NumberFormatError,
    format_currency,
    format_decimal,
    get_currency_name,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
    get_territory_currencies,
    parse_decimal,
)

from campaigns.core.errors import ValidationError
from campaigns.core.inputs import MONEY_DIGITS, MONEY_MAX  # the same limits as every other amount: below ten million

# ISO 4217 currencies whose minor unit is not the usual 1/100.
_EXPONENTS = {"JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "VND": 0, "BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3, "TND": 3}
LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "nl_NL", "es_ES", "it_IT", "pt_BR", "sv_SE", "pl_PL", "ja_JP")
TYPED_MAX = 40
SPACES = " \t\u00a0\u202f\u2009"  # what people type, or paste, as a space-like grouping mark
MINUS = "-\u2212"


class MoneyError(ValueError):
    """A value that is not an amount of money in the installation's currency."""


def exponent(currency: str) -> int:
    """Return how many decimal places the currency's minor unit has."""
    return _EXPONENTS.get(currency.upper(), 2)


def parse_amount(value) -> Decimal:
    """Read a decimal string or number as an exact Decimal, refusing floats' rounding surprises."""
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, bool) or value is None:
        raise MoneyError("Enter an amount such as 12.50.")
    else:
        try:
            amount = Decimal(str(value).strip().replace(",", ""))
        except InvalidOperation:
            raise MoneyError(f"{value!r} is not an amount: write it like 12.50.") from None
    if not amount.is_finite():
        raise MoneyError("Enter a finite amount.")
    return amount


def to_cents(value, currency: str = "USD", allow_negative: bool = False) -> int:
    """Return an amount (a Decimal, or text or a number read by parse_amount) in minor units."""
    amount = parse_amount(value)
    places = exponent(currency)
    scaled = amount.scaleb(places)
    if scaled != scaled.to_integral_value():
        raise MoneyError(f"{currency} amounts have at most {places} decimal places.")
    if amount < 0 and not allow_negative:
        raise MoneyError("The amount cannot be negative.")
    return int(scaled)


def field_cents(field: str, amount: Decimal, currency: str) -> int:
    """Return an amount in minor units, or raise invalid_input naming `field` (too many decimal places)."""
    try:
        return to_cents(amount, currency)
    except MoneyError as error:
        raise ValidationError({field: str(error)}) from None


def to_decimal(cents: int, currency: str = "USD") -> Decimal:
    """Return minor units as an exact Decimal in major units."""
    places = exponent(currency)
    return Decimal(cents).scaleb(-places).quantize(Decimal(1).scaleb(-places))


def to_json(cents: int | None, currency: str = "USD") -> str | None:
    """Return minor units as the API's decimal string, e.g. "12.50"."""
    return None if cents is None else str(to_decimal(cents, currency))


@lru_cache(maxsize=64)
def _locale(locale: str) -> Locale:
    return Locale.parse(locale if locale in LOCALES else "en_US")


def _pattern(places: int, grouped: bool = True) -> str:
    return ("#,##0" if grouped else "0") + ("." + "0" * places if places else "")


def example(locale: str, places: int) -> str:
    """Return how 1234.50 is typed in the locale with this many decimals, e.g. "1.234,50" in de_DE."""
    return format_decimal(Decimal("1234.5"), format=_pattern(places), locale=_locale(locale))


@lru_cache(maxsize=256)
def marks(locale: str, currency: str = "", places: int = 2) -> dict:
    """Return what reading an amount in the locale needs (the browser's parser gets the same, as JSON)."""
    where = _locale(locale)
    symbols = {currency.upper(), get_currency_symbol(currency, where), get_currency_symbol(currency, "en")} \
        if currency else set()
    return {"locale": str(where), "decimal": get_decimal_symbol(where), "group": get_group_symbol(where),
            "spaces": SPACES, "minus": MINUS, "grouping": list(where.decimal_formats[None].grouping),
            "currency": currency.upper(), "symbols": sorted(symbols, key=lambda s: (-len(s), s)), "places": places,
            "example": example(locale, places), "maxDigits": MONEY_DIGITS,
            "limit": format_decimal(10 ** MONEY_DIGITS, locale=where)}


def _grouped(digits: str, grouping: list[int], group: str) -> str:
    """Return whole-number digits grouped as the locale writes them (primary group, then secondary)."""
    digits = digits.lstrip("0") or "0"
    parts, size = [], grouping[0]
    while len(digits) > size:
        parts.insert(0, digits[-size:])
        digits, size = digits[:-size], grouping[1]
    return group.join([digits] + parts)


def _reads(number: str, decimal: str, group: str, grouping: list[int]) -> Decimal | None:
    """Return the number read with these marks, or None unless its grouping is exactly the locale's."""
    whole, _, part = number.partition(decimal)
    if not re.fullmatch(r"[0-9][0-9" + re.escape(group) + "]*", whole) or (decimal in number and not
                                                                           re.fullmatch("[0-9]+", part)):
        return None
    if group in whole and whole != _grouped(whole.replace(group, ""), grouping, group):
        return None
    return Decimal(whole.replace(group, "") + ("." + part if part else ""))


def _decimals(value: Decimal) -> int:
    """How many decimals the value has, trailing zeros aside (exactly: no rounding to a context's precision)."""
    return len(format(value, "f").partition(".")[2].rstrip("0"))


def read_amount(text, field: str, locale: str, places: int, *, currency: str = "",
                maximum: Decimal = MONEY_MAX, negative: bool = False) -> Decimal:
    """Return what a person typed as an exact amount, read strictly in the locale, or raise a ValidationError
    naming `field` that shows how to type it there."""
    with localcontext() as context:
        context.prec = 2 * TYPED_MAX  # Babel re-formats what it reads: keep every digit typed, never round
        return _read(text, field, locale, places, currency, maximum, negative)


def _read(text, field: str, locale: str, places: int, currency: str, maximum: Decimal, negative: bool) -> Decimal:
    info = marks(locale, currency, places)
    decimal, group = info["decimal"], info["group"]

    def refuse(message: str):
        raise ValidationError({field: message})

    typed = text.strip(SPACES) if isinstance(text, str) else ""
    if not typed or len(typed) > TYPED_MAX:
        refuse(f"Type the amount like {info['example']}.")
    number, sign = _unsigned(typed)
    for symbol in info["symbols"]:
        if number[:len(symbol)].upper() == symbol.upper():
            number = number[len(symbol):].lstrip(SPACES)
            break
        if len(number) > len(symbol) and number[-len(symbol):].upper() == symbol.upper():
            number = number[:-len(symbol)].rstrip(SPACES)
            break
    if not sign:
        number, sign = _unsigned(number)
    if any(unicodedata.category(char) == "Sc" for char in number) or re.search("[A-Z]{3}", number):
        refuse(f"Amounts here are in {currency}: type it like {info['example']}." if currency
               else f"Type it like {info['example']}, with digits only.")
    if group in SPACES:
        number = re.sub("[" + SPACES + "]", group, number)
    read = _reads(number, decimal, group, info["grouping"])
    if read is not None:
        try:
            read = parse_decimal(number, _locale(locale), strict=True)
        except NumberFormatError:  # not expected: _reads accepts only what Babel's strict reading accepts
            read = None
    if read is None:
        other = _reads(number, *((".", ",") if decimal == "," else (",", ".")), info["grouping"]) \
            if decimal in ".," else None
        if other is not None and _decimals(other) <= places and len(str(int(other))) <= MONEY_DIGITS:
            refuse(f"Type it like {format_decimal(other, format=_pattern(places), locale=_locale(locale))}: "
                   f"the decimal mark here is “{decimal}”.")
        refuse(f"Type it like {info['example']}: the decimal mark here is “{decimal}”.")
    if places == 3 and group in number and decimal not in number:  # 1,234 BHD: a thousand, or 1.234?
        refuse(f"A thousand or a fraction? Type it like {info['example']}: the decimal mark here is “{decimal}”.")
    if sign and not negative:
        refuse("The amount cannot be negative.")
    if _decimals(read) > places:
        refuse(f"At most {places} decimal places, like {info['example']}." if places
               else f"No decimal places: type it like {info['example']}.")
    if len(str(int(read))) > MONEY_DIGITS:
        refuse(f"Less than {info['limit']}.")
    if read > maximum:
        refuse(f"At most {format_decimal(maximum, locale=_locale(locale))}.")
    return -read if sign else read


def _unsigned(typed: str) -> tuple[str, bool]:
    """Split a leading minus sign (ASCII or U+2212) from the rest."""
    if typed[:1] and typed[0] in MINUS:
        return typed[1:].lstrip(SPACES), True
    return typed, False


def typed(amount: Decimal | None, locale: str) -> str:
    """Return an amount as a person would type it in the locale (a form field's value), keeping its decimals."""
    if amount is None:
        return ""
    return format_decimal(amount, format=_pattern(max(0, -amount.as_tuple().exponent)), locale=_locale(locale))


def format_amount(cents: int | None, currency: str = "USD", locale: str = "en_US") -> str:
    """Return minor units for people in the locale with the currency's code: "USD 1,234.50", "1.234,50 EUR"."""
    if cents is None:
        return "—"
    where = _locale(locale)
    places = exponent(currency)
    pattern = where.currency_formats["standard"].pattern.replace("¤", "¤¤").replace(
        "0.00", "0" + ("." + "0" * places if places else ""))
    shown = format_currency(to_decimal(cents, currency), currency, format=pattern, locale=where,
                            currency_digits=False)
    return re.sub(r"(?<=[A-Z]{3})(?=[-\d])|(?<=\d)(?=[A-Z]{3})", "\u00a0", shown)  # CLDR's currency spacing


def display(cents: int | None, currency: str = "USD") -> str:
    """Return an amount as plain text in en_US, e.g. for logs and e-mails: "USD 1,234.50"."""
    if cents is None:
        return "—"
    return f"{currency} {to_decimal(cents, currency):,.{exponent(currency)}f}"


def locale_choices() -> list[tuple[str, str]]:
    """Return the offered locales with their own names and how an amount looks there."""
    return [(code, f"{_locale(code).get_display_name('en')} — {example(code, 2)}") for code in LOCALES]


@lru_cache(maxsize=1)
def currency_choices() -> list[tuple[str, str]]:
    """Return the ISO 4217 currencies some territory uses today, as (code, "EUR — Euro")."""
    today = date.today()
    codes = {code for territory in get_global("territory_currencies")
             for code in get_territory_currencies(territory, today, tender=True)}
    return [(code, f"{code} — {get_currency_name(code, locale='en')}") for code in sorted(codes)]
