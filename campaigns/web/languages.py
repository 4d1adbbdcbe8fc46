"""The language of each page. Customers' pages (the voucher, the claim page, unsubscribing, and the error pages they
meet) speak the customer's language: `?lang=` when given, else the browser's Accept-Language among the languages
offered, else the business's customer language (Settings → Customer pages). Staff pages stay English. Dates and
times on customers' pages are written their language's way, in the business's time zone."""
from datetime import date, datetime

from flask import Flask, has_request_context, request
from flask_babel import Babel, get_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import SQLAlchemyError

from campaigns.accounts.business import business_zone, get_settings
from campaigns.core import words
from campaigns.core.errors import DomainError
from campaigns.giving.designs import DEFAULT_QUESTIONS

CUSTOMER_BLUEPRINTS = frozenset({"public", "unsubscribe"})
babel = Babel()

# What a customer is told about a field whose value was refused, in words that do not depend on the value (the
# services' own messages name the value's fault in English; English pages show those).
FIELD_MESSAGES = {
    "email": words.N_("This does not look like an e-mail address we can write to. Check it for typos."),
    "phone": words.N_("This does not look like a phone number. Check it, or add the country code (like +44)."),
    "customer": words.N_("Give an e-mail address or a phone number."),
    "name": words.N_("Write your first name in plain letters, at most 120 of them."),
    "score": words.N_("Choose a number from 0 to 10."),
    "answer": words.N_("Write your answer as plain text, at most 1,000 characters."),
    "answer_2": words.N_("Write your answer as plain text, at most 1,000 characters."),
}


def customer_page() -> bool:
    """Tell whether this request's page is one of the customers'."""
    return has_request_context() and request.blueprint in CUSTOMER_BLUEPRINTS


def page_language() -> str:
    """Return the language of this request's page (a key of words.LANGUAGES)."""
    if not customer_page():
        return words.SOURCE
    asked = request.args.get("lang", "")
    if asked in words.LANGUAGES:
        return asked
    browser = request.accept_languages.best_match(list(words.LANGUAGES))
    if browser:
        return browser
    try:
        return words.customer_language(get_settings())
    except SQLAlchemyError:  # the page saying the database is down must not need it
        return words.SOURCE


def field_message(field: str, message: str) -> str:
    """Return what a customer's page says about a refused field: the service's own words on an English page, the
    field's translated sentence on any other (the exact message where the catalogue has it)."""
    language = str(get_locale() or words.SOURCE)
    if language == words.SOURCE:
        return message
    translated = gettext(message)
    if translated != message:
        return translated
    return gettext(FIELD_MESSAGES[field]) if field in FIELD_MESSAGES else gettext("Check this field.")


# What a customer reads for each refusal a customer's page can meet (the services' own words are for staff and
# programs, in English).
CUSTOMER_MESSAGES = {
    "voucher_limit_reached": _l("All the vouchers of this offer have been given out."),
    "campaign_not_active": _l("This offer is not open now."),
    "campaign_ended": _l("This offer has ended: no more vouchers are being given out."),
    "unknown_claim_page": _l("This offer is not available."),
    "busy": _l("Too many requests at once: please try again in a moment."),
    "not_redeemed": _l("Feedback opens once the voucher has been redeemed."),
    "feedback_final": _l("This answer was given more than a day ago and is final."),
    "not_answered": _l("There is no answer to change yet."),
}


def customer_message(error: DomainError) -> str:
    """What a customer's page says about a refusal, in the page's language."""
    if error.code in CUSTOMER_MESSAGES:
        return str(CUSTOMER_MESSAGES[error.code])
    if str(get_locale() or words.SOURCE) == words.SOURCE:
        return error.message
    return gettext("That did not work. Please try again, or ask at the counter.")


def customer_fields(error: DomainError) -> dict[str, str]:
    """The refused fields of an error, each with what a customer's page says about it."""
    return {name: field_message(name, message) for name, message in error.details.get("fields", {}).items()}


def region_name(region: str) -> str:
    """The name of a phone region in the page's language (DE: Deutschland), or its code when it has none."""
    return get_locale().territories.get(region, region) if get_locale() else region


def business_text(text: str | None) -> str:
    """Return text shown to customers on the business's behalf: a default the app wrote (the feedback questions) in
    the page's language, anything the business typed as it is."""
    return gettext(text) if text in DEFAULT_QUESTIONS else (text or "")


def _formats() -> str:
    return words.date_locale(str(get_locale() or words.SOURCE), get_settings().locale)


def init_app(app: Flask) -> None:
    """Choose each page's language and time zone, and give templates the customer's date formats."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(words.DIRECTORY))
    babel.init_app(app, locale_selector=page_language)
    app.add_template_global(lambda: str(get_locale() or words.SOURCE), "page_language")

    app.add_template_filter(business_text, "business_text")

    @app.template_filter("customer_day")
    def customer_day(day: date | None) -> str:
        return words.day_text(_formats(), day) if day else ""

    @app.template_filter("customer_moment")
    def customer_moment(moment: datetime | None) -> str:
        return words.moment_text(_formats(), moment, business_zone()) if moment else ""

    @app.after_request
    def vary_by_language(response):
        if customer_page():  # a cache must not hand one customer's language to another
            response.vary.add("Accept-Language")
        return response
