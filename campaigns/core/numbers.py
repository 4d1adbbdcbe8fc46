"""Counts, percentages and days written the business's way (its locale: Settings → Business, "Number format"),
with Babel, so a German business reads 1.134, 2,5 % and 31. Dez. 2026 where an American one reads 1,134, 2.5% and
Dec 31, 2026. Money is core.money's; the pages' charts write the same with Intl from the same locale."""
from datetime import date

from babel import Locale
from babel.dates import format_skeleton
from babel.numbers import format_decimal

from campaigns.core import words

FALLBACK = "en_US"


def _locale(locale: str | None) -> Locale:
    try:
        return Locale.parse(locale or FALLBACK)
    except (ValueError, TypeError):
        return Locale.parse(FALLBACK)


def count_text(value: int | None, locale: str | None) -> str:
    """Write a whole count with the locale's grouping (1,134 or 1.134); a dash for no value."""
    return "—" if value is None else format_decimal(value, format="#,##0", locale=_locale(locale))


def percent_text(value: float, decimals: int, locale: str | None) -> str:
    """Write a percentage already multiplied by 100 (25.0 for a quarter), unsigned, with `decimals` places, in the
    locale's pattern (25% or 25 %)."""
    number = decimal_text(abs(value), locale, decimals)
    pattern = _locale(locale).percent_formats[None].pattern  # e.g. "#,##0%" or "#,##0\u00a0%"
    return pattern.replace("#,##0", "\x00").replace("#", "").replace("0", "").replace("\x00", number)


def short_day_text(day: date, locale: str | None) -> str:
    """Write a day without its year, the locale's way (Dec 31; 31. Dez.), for a chart's axis."""
    return format_skeleton("MMMd", day, locale=_locale(locale))


def day_text(day: date | None, locale: str | None) -> str:
    """Write a day in short, the locale's way (Dec 31, 2026; 31. Dez. 2026); a dash for no day."""
    return "—" if day is None else words.day_text(str(_locale(locale)), day)


def decimal_text(value: float, locale: str | None, places: int = 1, trailing_zeros: bool = True) -> str:
    """Write a number with `places` decimals the locale's way (3.2 or 3,2); without trailing zeros when asked
    (3 rather than 3.0)."""
    digits = ("0" if trailing_zeros else "#") * places
    return format_decimal(value, format="#,##0" + ("." + digits if places else ""), locale=_locale(locale))
