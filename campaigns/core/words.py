"""The words customers read, in their language: the message catalogues under campaigns/translations (the `.po`
files are the source; `make` compiles them), read with Babel by code that has no request (the poster and cards,
the e-mails the job queue writes) and through Flask-Babel by the customer pages. Staff pages stay English."""
from datetime import UTC, date, datetime, tzinfo
from functools import lru_cache
from pathlib import Path

from babel.dates import format_date, format_skeleton, format_time, get_datetime_format
from babel.support import NullTranslations, Translations

DIRECTORY = Path(__file__).resolve().parent.parent / "translations"
# The languages customers can read, each named in itself (as a customer looks for it).
LANGUAGES = {"en": "English", "de": "Deutsch", "fr": "Français", "es": "Español", "it": "Italiano",
             "nl": "Nederlands"}
SOURCE = "en"  # the language the messages are written in: it needs no catalogue


def N_(message: str) -> str:  # noqa: N802 (the name gettext's tools look for)
    """Mark a message for the catalogues where it is written, and return it as it is (translated where shown)."""
    return message


def language_of(locale: str | None) -> str:
    """Return the customer language a business locale implies (de_DE: de), English when it is not offered."""
    language = (locale or "").replace("-", "_").split("_")[0].lower()
    return language if language in LANGUAGES else SOURCE


def customer_language(settings) -> str:
    """Return the language the business's customers read: its own setting, else the language of its locale."""
    chosen = getattr(settings, "customer_language", None)
    return chosen if chosen in LANGUAGES else language_of(getattr(settings, "locale", None))


@lru_cache(maxsize=len(LANGUAGES))
def catalogue(language: str) -> NullTranslations:
    """Return the compiled catalogue of a language (no catalogue for the source language)."""
    if language == SOURCE or language not in LANGUAGES:
        return NullTranslations()
    return Translations.load(str(DIRECTORY), [language])


def translate(language: str, message: str, **values) -> str:
    """Return `message` in `language`, with %(name)s placeholders filled from `values`."""
    text = catalogue(language).gettext(message)
    return text % values if values else text


def date_text(locale: str, day: date) -> str:
    """Return a day as the locale writes it in full, e.g. 31. Dezember 2026 or 31 December 2026."""
    return format_date(day, "long", locale=locale)


def date_locale(language: str, business_locale: str | None) -> str:
    """Return the locale dates are written in for customers reading `language`: the business's own locale when it
    is of that language (en_GB: 3 Dec 2026), else the language's own way."""
    return business_locale if business_locale and language_of(business_locale) == language else language


def day_text(locale: str, day: date) -> str:
    """Return a day as the locale writes it in short, e.g. 31. Dez. 2026, 31 Dec 2026 or Dec 31, 2026."""
    return format_skeleton("yMMMd", day, locale=locale)


def moment_text(locale: str, moment: datetime, zone: tzinfo) -> str:
    """Return a moment in the business's time zone as the locale writes it: the day in short and the time to the
    minute, e.g. 3. Dez. 2026, 15:05 or Dec 3, 2026, 3:05 PM."""
    local = moment.astimezone(zone) if moment.tzinfo else moment.replace(tzinfo=UTC).astimezone(zone)
    glue = get_datetime_format("medium", locale=locale)
    day, time = day_text(locale, local.date()), format_time(local, "short", locale=locale)
    return glue.replace("{1}", day).replace("{0}", time)
