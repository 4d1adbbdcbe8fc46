"""Money as point-of-sale exports write it: "$22.50", "-$0.95", "($0.95)", "22,50 €", "1.234,56", "USD 22.50".

The decimal mark is chosen for the whole file (Options.decimal_mark); the other mark, spaces and "'" group
thousands, only in groups of three (or the Indian lakh groups of two). A currency sign or code must be one of the
installation's currency; amounts come out as integer minor units, within the money maximum.
"""
import re
from decimal import Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.numbers import get_currency_symbol

from campaigns.core.inputs import MONEY_MAX
from campaigns.core.money import exponent

SPACES = " \t\u00a0\u202f\u2009"
MINUS = "-\u2212"
_LANGUAGES = ("en", "fr", "de", "es", "pt", "it", "nl", "sv", "da", "nb", "pl", "ja", "zh", "ar")
_SIGN = re.compile(r"^[^\d\s.,'()+\-\u2212\u00a0\u202f\u2009]+|[^\d\s.,'()+\-\u2212\u00a0\u202f\u2009]+$")
_DIGITS = re.compile(r"[\d.,' \u00a0\u202f\u2009]*\d[\d.,' \u00a0\u202f\u2009]*")


class MoneyTextError(ValueError):
    """Text that is not an amount of the installation's currency (the message says why)."""


@lru_cache(maxsize=32)
def signs(currency: str) -> frozenset[str]:
    """Return the signs that stand for the currency: its code and its symbols where it is used (upper-cased)."""
    code = currency.upper()
    found = {code, get_currency_symbol(code, "en"), get_currency_symbol(code, "en_US")}
    territories = [t for t, spans in get_global("territory_currencies").items()
                   if any(span[0] == code for span in spans)]
    for territory in territories:
        for language in _LANGUAGES:
            try:
                found.add(get_currency_symbol(code, Locale(language, territory)))
            except (UnknownLocaleError, ValueError):
                continue
    return frozenset(sign.upper() for sign in found)


def _sign_and_number(text: str) -> tuple[bool, list[str], str]:
    """Split text into (negative, currency signs found, the bare number); an amount has one sign at most ("-5",
    "+5", "(5)", "5-"): a second ("--5", "-(5)", "+-5") is MoneyTextError, never two negations cancelling out."""
    rest, negative, found, marks = text.strip(SPACES), False, [], 0
    for _ in range(3):
        before = rest
        if rest[:1] == "(" and rest[-1:] == ")":
            rest, negative, marks = rest[1:-1].strip(SPACES), True, marks + 1
        if rest[:1] and rest[0] in MINUS:
            rest, negative, marks = rest[1:].strip(SPACES), True, marks + 1
        elif rest[:1] == "+":
            rest, marks = rest[1:].strip(SPACES), marks + 1
        if rest[-1:] and rest[-1] in MINUS and len(rest) > 1:  # "22.50-", as some tills write a refund
            rest, negative, marks = rest[:-1].strip(SPACES), True, marks + 1
        if marks > 1:
            raise MoneyTextError("it has more than one sign (+, − or brackets)")
        for match in reversed(list(_SIGN.finditer(rest))):
            found.append(match.group())
            rest = (rest[:match.start()] + rest[match.end():]).strip(SPACES)
        if rest == before:
            break
    return negative, found, rest


_ALL_DIGITS = re.compile(r"\d+")
_GROUP_MARKS = {".": ",' \u00a0\u202f\u2009", ",": ".' \u00a0\u202f\u2009"}
_GROUP_SPLIT = {mark: re.compile("[" + re.escape(marks) + "]") for mark, marks in _GROUP_MARKS.items()}


def _number(text: str, decimal_mark: str) -> Decimal:
    """Read digits with one decimal mark and optional thousands grouping, or raise MoneyTextError."""
    group_marks = _GROUP_MARKS[decimal_mark]
    whole, mark, part = text.partition(decimal_mark)
    if mark and not _ALL_DIGITS.fullmatch(part):
        raise MoneyTextError(f"the decimal mark here is “{decimal_mark}”")
    groups = _GROUP_SPLIT[decimal_mark].split(whole)
    if not all(_ALL_DIGITS.fullmatch(group) for group in groups):
        raise MoneyTextError(f"the decimal mark here is “{decimal_mark}”")
    if len(groups) > 1:
        inner_ok = all(len(group) in (2, 3) for group in groups[1:-1])
        if len(groups[0]) > 3 or len(groups[-1]) != 3 or not inner_ok:
            raise MoneyTextError(f"the decimal mark here is “{decimal_mark}”, and "
                                 f"“{group_marks[0]}” only groups thousands")
    return Decimal("".join(groups) + ("." + part if mark else ""))


_PLAIN = re.compile(r"(-?)(\d{1,7})(?:([.,])(\d{1,3}))?")


@lru_cache(maxsize=16384)  # exports repeat their prices: read each written amount once
def cents(text: str, *, decimal_mark: str, currency: str) -> int:
    """Return an amount as written in an export in the currency's minor units (negative when it says so);
    raise MoneyTextError with the reason when it is not an amount of this currency."""
    plain = _PLAIN.fullmatch(text)
    places = exponent(currency)
    if plain and (plain[3] is None or (plain[3] == decimal_mark and len(plain[4]) <= places)):
        value = int(plain[2]) * 10 ** places + int((plain[4] or "").ljust(places, "0") or 0)
        return -value if plain[1] else value  # the everyday "22.50": no signs, no grouping, nothing to look up
    if not text or not text.strip(SPACES):
        raise MoneyTextError("it is empty")
    if len(text) > 40:
        raise MoneyTextError("it is too long for an amount")
    negative, found, number = _sign_and_number(text)
    allowed = signs(currency)
    for sign in found:
        if sign.upper() not in allowed:
            raise MoneyTextError(f"“{sign}” is not part of an amount in {currency.upper()}")
    if not _DIGITS.fullmatch(number):
        raise MoneyTextError("it is not written as a number")
    value = _number(number, decimal_mark)
    places = exponent(currency)
    scaled = value.scaleb(places)
    if scaled != scaled.to_integral_value():
        raise MoneyTextError(f"{currency.upper()} has at most {places} decimal places" if places
                             else f"{currency.upper()} has no decimal places")
    if value > MONEY_MAX:
        raise MoneyTextError(f"amounts here are below {MONEY_MAX.to_integral_value():,}")
    return -int(scaled) if negative else int(scaled)


def decimal_vote(text: str) -> str | None:
    """Return the decimal mark a written amount shows ("." or ","), or None when it could be either."""
    try:
        _, _, number = _sign_and_number(text or "")
    except MoneyTextError:
        return None
    if re.search(r"\d,\d{1,2}$", number) or re.search(r"\d\.\d{3},\d*$", number):
        return ","
    if re.search(r"\d\.\d{1,2}$", number) or re.search(r"\d,\d{3}\.\d*$", number):
        return "."
    return None
