"""Reading the API's JSON payloads into the typed values services take, naming every wrong field at once."""
from datetime import date, datetime
from decimal import Decimal

from flask import request

from .. import money
from ..campaign import NAME_MAX, TEXT_MAX, WHOLE_RANGES, CampaignDesign
from ..customers import Contact, make_contact
from ..errors import DomainError, FieldErrors, ValidationError
from ..models import CAMPAIGN_KINDS, CAMPAIGN_STATUSES

CAMPAIGN_FIELDS = {"name", "kind", "offer", "unit_cost", "retail_value", "fixed_cost", "gross_margin_pct",
                   "starts_on", "ends_on", "voucher_limit", "per_customer_limit", "attribution_window_days",
                   "status", "feedback_question", "claim_page"}
_NULLABLE = {"retail_value", "voucher_limit", "starts_on", "ends_on"}


def json_body() -> dict:
    """Return the request's JSON object, or raise invalid_json (400)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise DomainError("invalid_json", "Send a JSON object with Content-Type: application/json.")
    return body


def parse_time(value, field: str) -> datetime | None:
    """Read an ISO 8601 time with its offset (None when empty), or raise invalid_input naming `field`."""
    if value in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError({field: "ISO 8601 with an offset, e.g. 2026-11-23T14:02:00+01:00"}) from None
    if moment.tzinfo is None:
        raise ValidationError({field: "Add the time zone offset, e.g. +01:00 or Z."})
    return moment


def parse_contact(payload) -> Contact:
    """Read a `customer` object of API.md ({email?, phone?, name?}) into a normalised Contact."""
    if not isinstance(payload, dict):
        raise ValidationError({"customer": "Give an object with an email and/or a phone."})
    wrong = FieldErrors()
    text = {}
    for field in ("email", "phone", "name"):
        value = payload.get(field)
        if isinstance(value, bool) or (value is not None and not isinstance(value, str | int)):
            wrong.add(field, "Text, please.")
        text[field] = None if value is None else str(value)
    wrong.raise_any()
    return make_contact(text["email"], text["phone"], text["name"])


def _text(value, field: str, low: int, high: int, wrong: FieldErrors) -> str | None:
    if not isinstance(value, str) or not low <= len(value.strip()) <= high:
        wrong.add(field, f"Text of {low} to {high} characters." if low else f"Text of at most {high} characters.")
        return None
    return value.strip()


def _money(value, field: str, wrong: FieldErrors) -> Decimal | None:
    try:
        amount = money.parse_amount(value)
    except money.MoneyError as error:
        wrong.add(field, str(error))
        return None
    if amount < 0:
        wrong.add(field, "The amount cannot be negative.")
        return None
    return amount


def _whole(value, field: str, wrong: FieldErrors) -> int | None:
    low, high = WHOLE_RANGES[field]
    text = value.strip() if isinstance(value, str) else ""
    digits = text.isascii() and text.isdigit() and len(text) < 19  # ASCII only: int("²") fails
    if isinstance(value, bool) or not (isinstance(value, int) or digits):
        wrong.add(field, "A whole number.")
        return None
    number = int(value)
    if number < low or (high is not None and number > high):
        wrong.add(field, f"From {low} to {high}." if high else f"At least {low}.")
        return None
    return number


def _date(value, field: str, wrong: FieldErrors) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        wrong.add(field, "A date like 2026-12-31.")
        return None


def _margin(value, wrong: FieldErrors) -> Decimal | None:
    try:
        pct = money.parse_amount(value)
    except money.MoneyError:
        pct = None
    if pct is None or not 0 <= pct <= 100 or pct != pct.quantize(Decimal("0.01")):
        wrong.add("gross_margin_pct", "A percentage from 0 to 100 (at most two decimals).")
        return None
    return pct


def _campaign_value(field: str, value, wrong: FieldErrors):
    """Read one campaign field of API.md into its typed value (None when it is wrong, noted in `wrong`)."""
    if field in _NULLABLE and value in (None, ""):
        return None
    if field == "name":
        return _text(value, field, 1, NAME_MAX, wrong)
    if field in ("offer", "feedback_question"):
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
