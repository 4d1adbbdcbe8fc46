"""Reading the API's JSON payloads into the typed values services take, naming every wrong field at once."""
from datetime import date, datetime
from decimal import Decimal

from flask import request

from campaigns.accounts.business import get_settings
from campaigns.contacts.contact import Contact, make_contact
from campaigns.core import inputs, money
from campaigns.core.errors import DomainError, FieldErrors, ValidationError
from campaigns.giving.designs import NAME_MAX, TEXT_MAX, WHOLE_RANGES, CampaignDesign
from campaigns.models import CAMPAIGN_KINDS, CAMPAIGN_STATUSES

CAMPAIGN_FIELDS = {"name", "kind", "offer", "unit_cost", "retail_value", "fixed_cost", "gross_margin_pct",
                   "starts_on", "ends_on", "voucher_limit", "per_customer_limit", "attribution_window_days",
                   "status", "feedback_question", "claim_page", "unreturned_gift_limit",
                   "feedback_question_2", "feedback_mail_delay_hours"}
_NULLABLE = {"retail_value", "voucher_limit", "starts_on", "ends_on", "unreturned_gift_limit",
             "feedback_mail_delay_hours"}


def sent_json():
    """Return the request's parsed JSON, or None when it is not JSON or nests deeper than the parser goes."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        return None


def json_body() -> dict:
    """Return the request's JSON object, or raise invalid_json (400): not JSON, not an object, too deep,
    or holding text that is not valid Unicode."""
    body = sent_json()
    if not isinstance(body, dict):
        raise DomainError("invalid_json", "Send a JSON object with Content-Type: application/json.")
    problem = inputs.tree_problem(body)
    if problem is not None:
        raise DomainError("invalid_json", problem)
    return body


def parse_time(value, field: str) -> datetime | None:
    """Read an ISO 8601 time with its offset (None when not sent), or raise invalid_input naming `field`."""
    if value is None:
        return None
    return inputs.moment(value, field)


CONTACT_MAX = {"email": 254, "phone": 32, "name": 120}


def parse_contact(payload) -> Contact:
    """Read a `customer` object of API.md ({email?, phone?, name?}) into a normalised Contact."""
    if not isinstance(payload, dict):
        raise ValidationError({"customer": "Give an object with an email and/or a phone."})
    wrong = FieldErrors({f"customer.{k}": "Not a customer field." for k in payload if k not in CONTACT_MAX})
    text = {field: None if payload.get(field) is None else wrong.check(inputs.text, payload[field], field, most)
            for field, most in CONTACT_MAX.items()}
    wrong.raise_any()
    return make_contact(text["email"], text["phone"], text["name"])


def _text(value, field: str, low: int, high: int, wrong: FieldErrors) -> str | None:
    return wrong.check(inputs.text, value, field, high, minimum=low, multiline=field == "offer")


def _money(value, field: str, wrong: FieldErrors) -> Decimal | None:
    if not isinstance(value, str):  # API.md: money travels as decimal strings, never as JSON numbers
        return wrong.add(field, 'An amount as a decimal string, like "12.50".')
    return wrong.check(inputs.amount, value, field, money.exponent(get_settings().currency))


def _whole(value, field: str, wrong: FieldErrors) -> int | None:
    low, high = WHOLE_RANGES[field]
    if isinstance(value, bool) or not isinstance(value, int):  # a JSON integer, not text
        return wrong.add(field, f"A whole number from {low} to {high}.")
    return wrong.check(inputs.whole, value, field, low, high)


def _date(value, field: str, wrong: FieldErrors) -> date | None:
    return wrong.check(inputs.day, value, field)


def _margin(value, wrong: FieldErrors) -> Decimal | None:
    return wrong.check(inputs.percent, value, "gross_margin_pct")


def _campaign_value(field: str, value, wrong: FieldErrors):
    """Read one campaign field of API.md into its typed value (None when it is wrong, noted in `wrong`)."""
    if field in _NULLABLE and value is None:
        return None
    if field == "name":
        return _text(value, field, 1, NAME_MAX, wrong)
    if field in ("offer", "feedback_question", "feedback_question_2"):
        return _text(value, field, 0, TEXT_MAX, wrong)
    if field == "kind":
        return value if value in CAMPAIGN_KINDS else wrong.add("kind", "Kind is 'sample' or 'service'.")
    if field in ("unit_cost", "retail_value", "fixed_cost"):
        return _money(value, field, wrong)
    if field == "gross_margin_pct":
        return _margin(value, wrong)
    if field in WHOLE_RANGES:
        return _whole(value, field, wrong)
    if field in ("starts_on", "ends_on"):
        return _date(value, field, wrong)
    if field == "claim_page":
        return value if isinstance(value, bool) else wrong.add("claim_page", "true or false.")
    if value not in CAMPAIGN_STATUSES:  # status
        wrong.add("status", f"Status is one of {', '.join(CAMPAIGN_STATUSES)}.")
    return value


def campaign_changes(payload) -> tuple[dict, str | None]:
    """Read the campaign fields a payload sends into typed design changes and a status (None when not sent)."""
    if not isinstance(payload, dict):
        raise DomainError("invalid_json", "Send a JSON object of campaign fields.")
    wrong = FieldErrors({field: "Not a campaign field." for field in payload if field not in CAMPAIGN_FIELDS})
    changes = {field: _campaign_value(field, value, wrong) for field, value in payload.items()
               if field in CAMPAIGN_FIELDS}
    wrong.raise_any()
    status = changes.pop("status", None)
    return changes, status


def new_campaign_design(payload) -> CampaignDesign:
    """Read a new campaign's fields (name and unit_cost required; it starts as a draft) into its design."""
    wrong = FieldErrors()
    if isinstance(payload, dict):
        for field, message in (("name", "A name of 1 to 120 characters is required."),
                               ("unit_cost", "The unit cost is required (what one free item or service costs you).")):
            if field not in payload:
                wrong.add(field, message)
    try:
        changes, status = campaign_changes(payload)
    except ValidationError as error:
        wrong.fields.update(error.details["fields"])
    else:
        if status not in (None, "draft"):
            wrong.add("status", "New campaigns start as draft; activate them once they are ready.")
    wrong.raise_any()
    return CampaignDesign(**changes)
