"""API: campaigns and their vouchers (API.md, "Endpoints")."""
from flask import jsonify, request

from .. import campaign as campaigns
from .. import codes, money
from ..business import get_settings
from ..customers import find_or_create
from ..errors import FieldErrors, ValidationError
from ..models import CAMPAIGN_KINDS, CAMPAIGN_STATUSES
from ..vouchers import check_count, clean_label, issue_batch, issue_personal
from .access import current_identity
from .api import operation
from .payloads import campaign_changes, json_body, new_campaign_design, parse_contact
from .urls import claim_url, qr_svg_url, voucher_url

CAMPAIGN_SCHEMA = {"type": "object", "properties": {
    "id": {"type": "integer"}, "name": {"type": "string"}, "kind": {"type": "string", "enum": list(CAMPAIGN_KINDS)},
    "offer": {"type": "string"}, "unit_cost": {"type": "string", "example": "0.85"},
    "retail_value": {"type": "string", "nullable": True}, "fixed_cost": {"type": "string"},
    "gross_margin_pct": {"type": "number"}, "starts_on": {"type": "string", "format": "date", "nullable": True},
    "ends_on": {"type": "string", "format": "date", "nullable": True},
    "voucher_limit": {"type": "integer", "nullable": True}, "per_customer_limit": {"type": "integer"},
    "attribution_window_days": {"type": "integer"},
    "status": {"type": "string", "enum": list(CAMPAIGN_STATUSES)},
    "feedback_question": {"type": "string"}, "claim_url": {"type": "string", "nullable": True},
    "vouchers_issued": {"type": "integer", "readOnly": True}, "currency": {"type": "string", "readOnly": True},
    "created_at": {"type": "string", "format": "date-time", "readOnly": True},
    "updated_at": {"type": "string", "format": "date-time", "readOnly": True},
}}
VOUCHERS_SCHEMA = {"type": "object", "properties": {"vouchers": {"type": "array", "items": {
    "type": "object", "properties": {"code": {"type": "string"}, "formatted": {"type": "string"},
                                     "url": {"type": "string"}, "qr_svg_url": {"type": "string"}}}}}}
ERROR = {"schema": {"$ref": "#/components/schemas/Error"}}


def campaign_json(campaign) -> dict:
    """Return a campaign as the API shows it (money as decimal strings)."""
    currency = get_settings().currency
    margin = campaign.gross_margin_bp / 100
    return {
        "id": campaign.id, "name": campaign.name, "kind": campaign.kind, "offer": campaign.offer,
        "unit_cost": money.to_json(campaign.unit_cost_cents, currency),
        "retail_value": money.to_json(campaign.retail_value_cents, currency),
        "fixed_cost": money.to_json(campaign.fixed_cost_cents, currency),
        "gross_margin_pct": int(margin) if margin == int(margin) else margin,
        "starts_on": campaign.starts_on.isoformat() if campaign.starts_on else None,
        "ends_on": campaign.ends_on.isoformat() if campaign.ends_on else None,
        "voucher_limit": campaign.voucher_limit, "per_customer_limit": campaign.per_customer_limit,
        "attribution_window_days": campaign.attribution_window_days, "status": campaign.status,
        "feedback_question": campaign.feedback_question, "claim_url": claim_url(campaign),
        "vouchers_issued": campaign.vouchers_issued, "currency": currency,
        "created_at": campaign.created_at.isoformat(), "updated_at": campaign.updated_at.isoformat(),
    }


def _actor_id() -> int | None:
    identity = current_identity()
    return identity.user_id if identity else None


@operation("/campaigns", "POST", "marketer", "Create a campaign (it starts as a draft).",
           {"201": {"description": "Created", "schema": CAMPAIGN_SCHEMA}, "422": {"description": "Bad fields", **ERROR}},
           request_schema={**CAMPAIGN_SCHEMA, "required": ["name", "unit_cost"]})
def create_campaign():
    """Create a draft campaign."""
    campaign = campaigns.create_campaign(new_campaign_design(json_body()), _actor_id())
    return jsonify(campaign_json(campaign)), 201


@operation("/campaigns", "GET", "marketer", "List campaigns, newest first (?page=&per_page=&status=).",
           {"200": {"description": "One page of campaigns", "schema": {"type": "object"}}})
def list_campaigns():
    """List campaigns a page at a time."""
    errors = {}
    page = request.args.get("page", "1")
    per_page = request.args.get("per_page", "50")
    status = request.args.get("status")
    if not page.isdigit() or int(page) < 1:
        errors["page"] = "A whole number from 1."
    if not per_page.isdigit() or not 1 <= int(per_page) <= 200:
        errors["per_page"] = "A whole number from 1 to 200."
    if status is not None and status not in CAMPAIGN_STATUSES:
        errors["status"] = "One of draft, active, paused, ended."
    if errors:
        raise ValidationError(errors)
    rows, total = campaigns.list_campaigns(int(page), int(per_page), status)
    return jsonify({"campaigns": [campaign_json(c) for c in rows], "page": int(page), "per_page": int(per_page),
                    "total": total})


@operation("/campaigns/<int:campaign_id>", "GET", "marketer", "One campaign.",
           {"200": {"description": "The campaign", "schema": CAMPAIGN_SCHEMA}, "404": {"description": "No such campaign", **ERROR}})
def get_campaign(campaign_id: int):
    """Return one campaign."""
    return jsonify(campaign_json(campaigns.get_campaign(campaign_id)))


@operation("/campaigns/<int:campaign_id>", "PATCH", "marketer", "Change fields of a campaign, including status.",
           {"200": {"description": "The changed campaign", "schema": CAMPAIGN_SCHEMA},
            "422": {"description": "Bad fields or status change", **ERROR}}, request_schema=CAMPAIGN_SCHEMA)
def patch_campaign(campaign_id: int):
    """Change some fields of a campaign."""
    campaign = campaigns.get_campaign(campaign_id)
    changes, status = campaign_changes(json_body())
    campaign = campaigns.update_campaign(campaign, campaigns.design_of(campaign).changed(**changes), status)
    return jsonify(campaign_json(campaign))


@operation("/campaigns/<int:campaign_id>/vouchers", "POST", "marketer",
           "Make N anonymous vouchers ({count, batch_label?}) or one personal voucher ({customer}).",
           {"201": {"description": "The vouchers made", "schema": VOUCHERS_SCHEMA},
            "409": {"description": "customer_limit_reached or voucher_limit_reached", **ERROR},
            "422": {"description": "Bad input", **ERROR}},
           request_schema={"type": "object", "properties": {
               "count": {"type": "integer", "minimum": 1, "maximum": 100000}, "batch_label": {"type": "string"},
               "customer": {"type": "object", "properties": {"email": {"type": "string"}, "phone": {"type": "string"},
                                                              "name": {"type": "string"}}}}})
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
    return jsonify({"vouchers": [{"code": code, "formatted": codes.format_code(code), "url": voucher_url(code),
                                  "qr_svg_url": qr_svg_url(code)} for code in made]}), 201

