"""API: a campaign's holdout audience (API.md, `POST /api/v1/campaigns/{id}/audience`)."""
from flask import jsonify

from campaigns.core.errors import FieldErrors, ValidationError
from campaigns.giving import designs as campaigns
from campaigns.giving.audience_exclusions import REASONS
from campaigns.giving.audience_runs import assign_recorded
from campaigns.giving.audiences import HOLDOUT_RANGE, MAX_MEMBERS, Sent, check_holdout
from campaigns.web import schemas
from campaigns.web.access import current_identity
from campaigns.web.api import operation
from campaigns.web.payloads import json_body, parse_contact
from campaigns.web.serialisers import customer_json

ERROR = {"schema": {"$ref": "#/components/schemas/Error"}}
CUSTOMER = {"type": "object", "properties": {"id": {"type": "integer"}, "email": {"type": "string", "nullable": True},
                                             "phone": {"type": "string", "nullable": True},
                                             "name": {"type": "string", "nullable": True}}}
ASSIGNED_SCHEMA = {"type": "object", "properties": {
    "treatment": {"type": "integer", "description": "Members of this request in the treatment group"},
    "control": {"type": "integer", "description": "Members of this request in the control group"},
    "members": {"type": "array", "items": {"type": "object", "properties": {
        "customer": CUSTOMER, "group": {"type": "string", "enum": ["treatment", "control"]},
        "voucher_code": {"type": "string", "nullable": True}}}},
    "excluded": {"type": "array", "description": "People left out before the draw, and why", "items": {
        "type": "object", "properties": {"customer": CUSTOMER, "reason": {"type": "string", "enum": list(REASONS)}}}},
}}
REQUEST_SCHEMA = schemas.closed({
    "customers": {"type": "array", "minItems": 1, "maxItems": MAX_MEMBERS, "items": schemas.CONTACT},
    "holdout_pct": schemas.whole(*HOLDOUT_RANGE, description="The share, in percent, drawn to the control group"),
}, ["customers", "holdout_pct"])


def _field(index: int, name: str) -> str:
    """Name a wrong field of one customer of the list: customers[3].email, or customers[3] for the whole."""
    name = name.removeprefix("customer").lstrip(".")
    return f"customers[{index}]" + (f".{name}" if name else "")


def parse_audience(body: dict) -> tuple[list, int]:
    """Read {customers, holdout_pct} into contacts and a holdout share, naming every wrong field."""
    wrong = FieldErrors({field: "Not a field here." for field in body if field not in ("customers", "holdout_pct")})
    holdout = wrong.check(check_holdout, body.get("holdout_pct"))
    people, contacts = body.get("customers"), []
    if not isinstance(people, list) or not 1 <= len(people) <= MAX_MEMBERS:
        wrong.add("customers", f"A list of 1 to {MAX_MEMBERS:,} customers, each {{email?, phone?, name?}}.")
        people = []
    for index, person in enumerate(people):
        try:
            contacts.append(parse_contact(person))
        except ValidationError as error:
            wrong.fields.update({_field(index, name): problem for name, problem in error.details["fields"].items()})
    wrong.raise_any()
    return contacts, holdout


def audience_json(sent: Sent) -> dict:
    """Return what an assignment did as the API answers it."""
    return {"treatment": sent.treatment, "control": sent.control,
            "members": [{"customer": customer_json(customer), "group": group,
                         "voucher_code": voucher.code if voucher else None} for customer, group, voucher in sent.members],
            "excluded": [{"customer": customer_json(customer), "reason": sent.reasons[customer.id]}
                         for customer in sent.excluded]}


@operation("/campaigns/<int:campaign_id>/audience", "POST", "marketer",
           "Add people to the campaign's holdout audience: each new member is drawn once to treatment (a personal "
           "voucher) or control (nothing); a member already assigned keeps their group. People unsubscribed, at the "
           "campaign's per-customer limit or over its unreturned-gift limit are left out before the draw (excluded).",
           {"201": {"description": "The members of this request with their groups, and who was left out",
                    "schema": ASSIGNED_SCHEMA},
            "409": {"description": "voucher_limit_reached: the campaign has too few vouchers left for treatment",
                    **ERROR},
            "422": {"description": "invalid_input (details.fields names each wrong field, customers[i].email for "
                                   "one person's), or campaign_ended", **ERROR},
            "503": {"description": "busy: simultaneous changes to these customers; try again", **ERROR}},
           request_schema=REQUEST_SCHEMA)
def assign_audience(campaign_id: int):
    """Draw new members of a campaign's audience and issue the treatment group's vouchers."""
    campaign = campaigns.get_campaign(campaign_id)
    contacts, holdout = parse_audience(json_body())
    identity = current_identity()
    sent, _ = assign_recorded(campaign, contacts, holdout, source="api", require_email=False,
                              user_id=identity.user_id, token_id=identity.token_id)
    return jsonify(audience_json(sent)), 201
