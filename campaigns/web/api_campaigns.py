"""API: campaigns and their vouchers (API.md, "Endpoints")."""
from flask import jsonify, request

from campaigns.accounts.business import get_settings
from campaigns.contacts.matching import find_or_create
from campaigns.core import inputs, money
from campaigns.core.errors import FieldErrors
from campaigns.giving import designs as campaigns
from campaigns.giving import retiring
from campaigns.giving.designs import ARCHIVED_CHOICES, NAME_MAX, TEXT_MAX, WHOLE_RANGES
from campaigns.giving.vouchers import MAX_BATCH, check_count, clean_label, issue_batch, issue_personal
from campaigns.models import CAMPAIGN_KINDS, CAMPAIGN_STATUSES
from campaigns.web import schemas
from campaigns.web.access import current_identity
from campaigns.web.api import operation
from campaigns.web.payloads import campaign_changes, json_body, new_campaign_design, parse_contact
from campaigns.web.serialisers import campaign_json, voucher_json

CAMPAIGN_SCHEMA = {"type": "object", "properties": {
    "id": {"type": "integer"}, "name": {"type": "string"}, "kind": {"type": "string", "enum": list(CAMPAIGN_KINDS)},
    "offer": {"type": "string"}, "unit_cost": {"type": "string", "example": "0.85"},
    "retail_value": {"type": "string", "nullable": True}, "fixed_cost": {"type": "string"},
    "gross_margin_pct": {"type": "number"}, "starts_on": {"type": "string", "format": "date", "nullable": True},
    "ends_on": {"type": "string", "format": "date", "nullable": True},
    "voucher_limit": {"type": "integer", "nullable": True}, "per_customer_limit": {"type": "integer"},
    "attribution_window_days": {"type": "integer"}, "unreturned_gift_limit": {"type": "integer", "nullable": True},
    "status": {"type": "string", "enum": list(CAMPAIGN_STATUSES)},
    "feedback_question": {"type": "string"}, "feedback_question_2": {"type": "string"},
    "feedback_mail_delay_hours": {"type": "integer", "nullable": True}, "claim_url": {"type": "string", "nullable": True},
    "vouchers_issued": {"type": "integer", "readOnly": True}, "currency": {"type": "string", "readOnly": True},
    "archived_at": {"type": "string", "format": "date-time", "nullable": True, "readOnly": True,
                    "description": "When an ended campaign was archived out of the app's default lists; null: not"},
    "created_at": {"type": "string", "format": "date-time", "readOnly": True},
    "updated_at": {"type": "string", "format": "date-time", "readOnly": True},
}}
VOUCHERS_SCHEMA = {"type": "object", "properties": {"vouchers": {"type": "array", "items": {
    "type": "object", "properties": {"code": {"type": "string"}, "formatted": {"type": "string"},
                                     "url": {"type": "string"}, "qr_svg_url": {"type": "string"}}}}}}
PAGE_MAX = 1_000_000
ERROR = {"schema": {"$ref": "#/components/schemas/Error"}}


def campaign_fields() -> dict:
    """The campaign fields a client may send, with the bounds the API checks (money in the set currency)."""
    places = money.exponent(get_settings().currency)
    low_high = {field: schemas.whole(*bounds) for field, bounds in WHOLE_RANGES.items()}
    return {
        "name": schemas.text(NAME_MAX, 1), "kind": {"type": "string", "enum": list(CAMPAIGN_KINDS)},
        "offer": schemas.text(TEXT_MAX, multiline=True), "unit_cost": schemas.money(places),
        "retail_value": schemas.money(places, nullable=True), "fixed_cost": schemas.money(places),
        "gross_margin_pct": {"anyOf": [{"type": "number", "minimum": 0, "maximum": 100},
                                       schemas.money(2) | {"pattern": r"^(100(\.0{1,2})?|[0-9]{1,2}(\.[0-9]{1,2})?)$"}],
                             "description": "A percentage from 0 to 100 with at most two decimals."},
        "starts_on": schemas.day(nullable=True), "ends_on": schemas.day(nullable=True),
        "voucher_limit": low_high["voucher_limit"] | {"nullable": True},
        "per_customer_limit": low_high["per_customer_limit"],
        "attribution_window_days": low_high["attribution_window_days"],
        "unreturned_gift_limit": low_high["unreturned_gift_limit"] | {"nullable": True},
        "status": {"type": "string", "enum": list(CAMPAIGN_STATUSES)},
        "feedback_question": schemas.text(TEXT_MAX), "feedback_question_2": schemas.text(TEXT_MAX),
        "feedback_mail_delay_hours": low_high["feedback_mail_delay_hours"] | {"nullable": True},
        "claim_page": {"type": "boolean"},
    }


def new_campaign_schema() -> dict:
    """A new campaign: name and unit_cost required; it starts as a draft."""
    return schemas.closed(campaign_fields() | {"status": {"type": "string", "enum": ["draft"]}}, ["name", "unit_cost"])


def campaign_change_schema() -> dict:
    """A PATCH of some campaign fields, status included."""
    return schemas.closed(campaign_fields())


def _actor_id() -> int | None:
    identity = current_identity()
    return identity.user_id if identity else None


def _token_id() -> int | None:
    identity = current_identity()
    return identity.token_id if identity else None


@operation("/campaigns", "POST", "marketer", "Create a campaign (it starts as a draft).",
           {"201": {"description": "Created", "schema": CAMPAIGN_SCHEMA}, "422": {"description": "Bad fields", **ERROR}},
           request_schema=new_campaign_schema)
def create_campaign():
    """Create a draft campaign."""
    campaign = campaigns.create_campaign(new_campaign_design(json_body()), _actor_id(), _token_id())
    return jsonify(campaign_json(campaign)), 201


@operation("/campaigns", "GET", "marketer", "List campaigns, newest first (?page=&per_page=&status=&archived=).",
           {"200": {"description": "One page of campaigns", "schema": {"type": "object", "properties": {
               "campaigns": {"type": "array", "items": CAMPAIGN_SCHEMA}, "page": {"type": "integer"},
               "per_page": {"type": "integer"}, "total": {"type": "integer"}}}}},
           parameters=[{"name": "page", "in": "query", "schema": schemas.whole(1, PAGE_MAX, default=1)},
                       {"name": "per_page", "in": "query", "schema": schemas.whole(1, 200, default=50)},
                       {"name": "status", "in": "query", "schema": {"type": "string", "enum": list(CAMPAIGN_STATUSES)}},
                       {"name": "archived", "in": "query", "description": "include (the default): every campaign; "
                        "only: the archived ones; exclude: those not archived, as the app's own list shows them",
                        "schema": {"type": "string", "enum": list(ARCHIVED_CHOICES), "default": "include"}}])
def list_campaigns():
    """List campaigns a page at a time."""
    wrong = FieldErrors()
    page = wrong.check(inputs.whole, request.args.get("page", "1"), "page", 1, PAGE_MAX)
    per_page = wrong.check(inputs.whole, request.args.get("per_page", "50"), "per_page", 1, 200)
    status = request.args.get("status")
    if status is not None and status not in CAMPAIGN_STATUSES:
        wrong.add("status", f"One of {', '.join(CAMPAIGN_STATUSES)}.")
    archived = request.args.get("archived", "include")
    if archived not in ARCHIVED_CHOICES:
        wrong.add("archived", f"One of {', '.join(ARCHIVED_CHOICES)}.")
    wrong.raise_any()
    rows, total = campaigns.list_campaigns(page, per_page, status, archived)
    return jsonify({"campaigns": [campaign_json(c) for c in rows], "page": page, "per_page": per_page,
                    "total": total})


@operation("/campaigns/<int:campaign_id>", "GET", "marketer", "One campaign.",
           {"200": {"description": "The campaign", "schema": CAMPAIGN_SCHEMA}, "404": {"description": "No such campaign", **ERROR}})
def get_campaign(campaign_id: int):
    """Return one campaign."""
    return jsonify(campaign_json(campaigns.get_campaign(campaign_id)))


@operation("/campaigns/<int:campaign_id>", "PATCH", "marketer", "Change fields of a campaign, including status.",
           {"200": {"description": "The changed campaign", "schema": CAMPAIGN_SCHEMA},
            "422": {"description": "Bad fields or status change", **ERROR}}, request_schema=campaign_change_schema)
def patch_campaign(campaign_id: int):
    """Change some fields of a campaign."""
    campaign = campaigns.get_campaign(campaign_id)
    changes, status = campaign_changes(json_body())
    campaign = campaigns.update_campaign(campaign, campaigns.design_of(campaign).changed(**changes), status,
                                         user_id=_actor_id(), token_id=_token_id())
    return jsonify(campaign_json(campaign))


@operation("/campaigns/<int:campaign_id>", "DELETE", "marketer",
           "Delete a draft campaign and its vouchers (printed ones stop working).",
           {"204": {"description": "Deleted"},
            "409": {"description": "campaign_not_draft: only a draft can be deleted; campaign_in_use: a customer, "
                                   "an audience, a redemption, feedback or a purchase names it or its vouchers",
                    **ERROR}})
def delete_campaign(campaign_id: int):
    """Delete a draft campaign with its vouchers."""
    identity = current_identity()
    retiring.delete_draft(campaigns.get_campaign(campaign_id), identity.user_id, identity.token_id)
    return "", 204


@operation("/campaigns/<int:campaign_id>/vouchers", "POST", "marketer",
           "Make N anonymous vouchers ({count, batch_label?}) or one personal voucher ({customer}).",
           {"201": {"description": "The vouchers made", "schema": VOUCHERS_SCHEMA},
            "409": {"description": "customer_limit_reached, voucher_limit_reached or unreturned_gift_limit_reached",
                    **ERROR},
            "422": {"description": "Bad input, or the campaign has ended", **ERROR},
            "503": {"description": "busy: simultaneous requests for one customer; try again", **ERROR}},
           request_schema=schemas.closed(
               {"count": schemas.whole(1, MAX_BATCH), "batch_label": schemas.text(120, nullable=True),
                "customer": schemas.CONTACT},
               oneOf=[{"required": ["count"], "not": {"required": ["customer"]}},
                      {"required": ["customer"], "not": {"required": ["count"]}}]))
def make_vouchers(campaign_id: int):
    """Make anonymous vouchers, or issue one personal voucher."""
    body = json_body()
    campaign = campaigns.get_campaign(campaign_id)
    wrong = FieldErrors({k: "Not a field here." for k in body if k not in ("count", "customer", "batch_label")})
    if ("count" in body) == ("customer" in body):
        wrong.add("count", "Send either count (anonymous vouchers) or customer (one personal voucher).")
    elif "count" in body:
        wrong.check(check_count, body["count"])
    label = wrong.check(clean_label, body.get("batch_label"))
    contact = wrong.check(parse_contact, body["customer"]) if "customer" in body else None
    wrong.raise_any()
    if contact is not None:
        made = [issue_personal(campaign, find_or_create(contact), channel="api", batch_label=label).code]
    else:
        made = issue_batch(campaign, body["count"], label, channel="api" if label is None else "batch")
    return jsonify({"vouchers": [voucher_json(code) for code in made]}), 201

