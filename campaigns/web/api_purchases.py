"""API: purchases and refunds from a till, one at a time or in batches (API.md, "Purchases")."""
import json
from decimal import Decimal

from flask import jsonify, request

from campaigns.accounts.business import get_settings
from campaigns.core import inputs, money
from campaigns.core.errors import DomainError, FieldErrors, ValidationError
from campaigns.reports.attribution import campaign_of
from campaigns.sales import ledger
from campaigns.sales.rows import PurchaseRow
from campaigns.web import schemas
from campaigns.web.api import operation
from campaigns.web.api_desk import CODE_MAX
from campaigns.web.error_responses import error_body, json_error
from campaigns.web.payloads import CONTACT_MAX, json_body, parse_time
from campaigns.web.serialisers import purchase_json

BATCH_MAX = 1000
EXTERNAL_ID_MAX = 120  # purchase.external_id's length
FIELDS = ("external_id", "amount", "occurred_at", "customer", "voucher_code", "refund_of", "location")
ERROR = {"schema": {"$ref": "#/components/schemas/Error"}}
PURCHASE_SCHEMA = {"type": "object", "properties": {
    "id": {"type": "integer"}, "external_id": {"type": "string"}, "amount": {"type": "string", "example": "12.50"},
    "occurred_at": {"type": "string", "format": "date-time"}, "customer": {"type": "object", "nullable": True},
    "voucher_code": {"type": "string", "nullable": True}, "refund_of": {"type": "string", "nullable": True},
    "location": {"type": "string", "nullable": True}, "attributed_campaign_id": {"type": "integer", "nullable": True},
    "voided": {"type": "boolean"}}}
RESULTS_SCHEMA = {"type": "object", "properties": {"results": {"type": "array", "items": {
    "type": "object", "properties": {
        "index": {"type": "integer"}, "status": {"type": "string", "enum": ["created", "duplicate", "error"]},
        "id": {"type": "integer"}, "attributed_campaign_id": {"type": "integer", "nullable": True},
        "error": {"type": "object", "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                                                   "details": {"type": "object"}}}}}}}}


def amount_schema(places: int) -> dict:
    """An amount: a decimal string (negative only for a refund) or a JSON number with no more decimals."""
    fraction = rf"(\.[0-9]{{1,{places}}}0*)?" if places else r"(\.0+)?"
    limit = float(Decimal(10) ** inputs.MONEY_DIGITS - Decimal(1).scaleb(-places))
    return {"anyOf": [{"type": "string", "pattern": rf"^\s*-?[0-9]{{1,{inputs.MONEY_DIGITS}}}{fraction}\s*$",
                       "example": "12.50" if places else "1250"},
                      {"type": "number", "minimum": -limit, "maximum": limit, "example": 12.5}],
            "description": f"A decimal string, or a number, with at most {places} decimals and below "
                           f"{10 ** inputs.MONEY_DIGITS:,}; negative only for a refund (which names refund_of)."}


def purchase_fields() -> dict:
    """The fields of one purchase, with the bounds the API checks (the amount in the set currency)."""
    return {
        "external_id": schemas.text(EXTERNAL_ID_MAX, 1, description="The till's own id for this sale or refund."),
        "amount": amount_schema(money.exponent(get_settings().currency)),
        "occurred_at": schemas.moment(), "customer": schemas.CONTACT | {"nullable": True},
        "voucher_code": schemas.text(CODE_MAX, 1, nullable=True,
                                     description="A voucher the customer redeemed: it names the customer."),
        "refund_of": {"anyOf": [schemas.text(EXTERNAL_ID_MAX, 1), schemas.whole(1, inputs.ID_MAX)],
                      "nullable": True, "description": "For a refund: the original's external_id, or its id here."},
        "location": schemas.text(120, nullable=True, description="A location's name."),
    }


def request_schema() -> dict:
    """One purchase, or a batch of up to BATCH_MAX (each row checked, and answered, on its own)."""
    one = schemas.closed(purchase_fields(), ["external_id", "amount", "occurred_at"])
    batch = schemas.closed({"purchases": {"type": "array", "maxItems": BATCH_MAX, "items": {
        "type": "object", "description": "A purchase as above; a wrong one is an error in its result."}}},
        ["purchases"])
    return {"oneOf": [one, batch]}


def exact_body() -> dict:
    """The request's JSON object with its numbers exact (Decimal, never float), after json_body's checks."""
    json_body()
    return json.loads(request.get_data(), parse_float=Decimal)


def _amount(value, places: int, wrong: FieldErrors) -> int | None:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        return wrong.add("amount", 'An amount as a decimal string like "12.50", or a number like 12.5.')
    found = wrong.check(inputs.amount, value, "amount", places, negative=True)
    return None if found is None else int(found.scaleb(places))


def _refund_of(value, wrong: FieldErrors) -> str | int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return wrong.check(inputs.whole, value, "refund_of", 1, inputs.ID_MAX)
    if isinstance(value, str):
        return wrong.check(inputs.text, value, "refund_of", EXTERNAL_ID_MAX, minimum=1)
    return wrong.add("refund_of", "The original's external_id (text) or its id here (a whole number).")


def _optional_text(value, field: str, most: int, wrong: FieldErrors) -> str | None:
    found = None if value is None else wrong.check(inputs.text, value, field, most)
    return found or None


def _contact(payload, wrong: FieldErrors) -> dict:
    """Check a `customer` object's shape ({email?, phone?, name?}, an e-mail or a phone); the store normalises it."""
    if payload is None:
        return {}
    if not isinstance(payload, dict):
        return wrong.add("customer", "An object with an email and/or a phone.") or {}
    for field in payload.keys() - CONTACT_MAX.keys():
        wrong.add(f"customer.{field}", "Not a customer field.")
    if "email" not in payload and "phone" not in payload:
        wrong.add("customer", "Give an e-mail address or a phone number.")
    return {field: wrong.check(inputs.text, payload[field], f"customer.{field}", most, minimum=int(field != "name"))
            for field, most in CONTACT_MAX.items() if field in payload}


def purchase_row(payload, places: int) -> PurchaseRow:
    """Read one purchase of API.md into the store's row, or raise invalid_input naming every wrong field."""
    if not isinstance(payload, dict):
        raise ValidationError({"purchase": "Each purchase is an object."})
    wrong = FieldErrors({field: "Not a purchase field." for field in payload if field not in FIELDS})
    for field in ("external_id", "amount", "occurred_at"):
        if payload.get(field) is None:
            wrong.add(field, "Required.")
    external_id = wrong.check(inputs.text, payload.get("external_id", ""), "external_id", EXTERNAL_ID_MAX, minimum=1)
    cents = _amount(payload["amount"], places, wrong) if payload.get("amount") is not None else None
    occurred_at = wrong.check(parse_time, payload.get("occurred_at"), "occurred_at")
    contact = _contact(payload.get("customer"), wrong)
    voucher_code = _optional_text(payload.get("voucher_code"), "voucher_code", CODE_MAX, wrong)
    refund_of = _refund_of(payload.get("refund_of"), wrong)
    location = _optional_text(payload.get("location"), "location", 120, wrong)
    wrong.raise_any()  # the rules between fields (a refund is negative and names refund_of) are the store's
    return PurchaseRow(external_id=external_id, amount_cents=cents, occurred_at=occurred_at, **contact,
                       voucher_code=voucher_code, refund_of=refund_of, location=location)


def _error_json(error: DomainError) -> dict:
    return error_body(error)["error"]


def _one(body: dict, places: int):
    """Store one purchase: 201 created, 200 the same again, or its error."""
    outcome = ledger.store_purchases([purchase_row(body, places)], source="api")[0]
    if outcome.status == "error":
        return json_error(outcome.error)
    return jsonify(purchase_json(outcome.purchase_id)), 201 if outcome.status == "created" else 200


def _batch(body: dict, places: int):
    """Store a batch's good rows in one call; report each row's outcome by its index."""
    wrong = FieldErrors({field: "Not a field of a batch." for field in body if field != "purchases"})
    rows = body["purchases"]
    if not isinstance(rows, list) or len(rows) > BATCH_MAX:
        wrong.add("purchases", f"A list of at most {BATCH_MAX:,} purchases.")
    else:
        for index, row in enumerate(rows):
            if not isinstance(row, dict):
                wrong.add(f"purchases[{index}]", "Each purchase is an object.")
    wrong.raise_any()
    results: dict[int, dict] = {}
    good: list[tuple[int, PurchaseRow]] = []
    for index, payload in enumerate(rows):
        try:
            good.append((index, purchase_row(payload, places)))
        except ValidationError as error:
            results[index] = {"index": index, "status": "error", "error": _error_json(error)}
    outcomes = ledger.store_purchases([row for _, row in good], source="api") if good else []
    stored = [outcome.purchase_id for outcome in outcomes if outcome.status != "error"]
    campaigns = campaign_of(stored) if stored else {}
    for outcome in outcomes:
        index = good[outcome.index][0]
        if outcome.status == "error":
            results[index] = {"index": index, "status": "error", "error": _error_json(outcome.error)}
        else:
            results[index] = {"index": index, "status": outcome.status, "id": outcome.purchase_id,
                              "attributed_campaign_id": campaigns.get(outcome.purchase_id)}
    return jsonify({"results": [results[index] for index in sorted(results)]})


@operation("/purchases", "POST", "staff",
           "Record one purchase or refund ({external_id, amount, occurred_at, customer?, voucher_code?, refund_of?, "
           "location?}), or a batch ({purchases: [up to 1000]}); safe to retry.",
           {"201": {"description": "One purchase, stored now", "schema": PURCHASE_SCHEMA},
            "200": {"description": "One purchase stored before with the same content (a retry), or a batch's results "
                                   "by index: created, duplicate or error", "schema": {"anyOf": [PURCHASE_SCHEMA,
                                                                                                RESULTS_SCHEMA]}},
            "409": {"description": "conflict: another purchase has this external_id; purchase_void: the refunded "
                                   "purchase was voided", **ERROR},
            "422": {"description": "invalid_input: details.fields names each wrong field (also a refund over its "
                                   "original, a refund_of or voucher_code or location naming nothing, an occurred_at "
                                   "more than 10 minutes after now)", **ERROR},
            "503": {"description": "busy: simultaneous changes to the same customers; try again", **ERROR}},
           request_schema=request_schema)
def create_purchases():
    """Store one purchase, or a batch of them, idempotently on external_id."""
    body = exact_body()
    places = money.exponent(get_settings().currency)
    if "purchases" in body:
        return _batch(body, places)
    return _one(body, places)
