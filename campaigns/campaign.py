"""Designing campaigns: check their fields (API.md), create, change, duplicate, and move their status."""
import secrets
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select

from . import money
from .business import get_settings
from .errors import DomainError, NotFound, ValidationError
from .extensions import db
from .models import CAMPAIGN_KINDS, CAMPAIGN_STATUSES, Campaign, Voucher

MONEY_FIELDS = {"unit_cost": "unit_cost_cents", "retail_value": "retail_value_cents", "fixed_cost": "fixed_cost_cents"}
INT_FIELDS = {"voucher_limit": (1, None), "per_customer_limit": (1, None), "attribution_window_days": (1, 730)}
FIELDS = {"name", "kind", "offer", "gross_margin_pct", "starts_on", "ends_on", "status", "feedback_question",
          "claim_page", *MONEY_FIELDS, *INT_FIELDS}
# Which status may follow which; `ended` is final.
TRANSITIONS = {"draft": {"active", "ended"}, "active": {"paused", "ended"}, "paused": {"active", "ended"},
               "ended": set()}


class CampaignError(DomainError):
    """A campaign rule that the request breaks."""


def parse_fields(payload: dict, partial: bool = False) -> dict:
    """Check campaign fields as API.md names them; return model attributes, or raise naming each bad field."""
    if not isinstance(payload, dict):
        raise ValidationError({"body": "Send a JSON object of campaign fields."})
    errors: dict[str, str] = {f: "Not a campaign field." for f in payload if f not in FIELDS}
    values: dict = {}
    currency = get_settings().currency
    if "name" in payload or not partial:
        name = payload.get("name")
        if not isinstance(name, str) or not 1 <= len(name.strip()) <= 120:
            errors["name"] = "A name of 1 to 120 characters is required."
        else:
            values["name"] = name.strip()
    if "kind" in payload:
        if payload["kind"] not in CAMPAIGN_KINDS:
            errors["kind"] = "Kind is 'sample' or 'service'."
        else:
            values["kind"] = payload["kind"]
    for field in ("offer", "feedback_question"):
        if field in payload:
            if not isinstance(payload[field], str) or len(payload[field]) > 500:
                errors[field] = "Text of at most 500 characters."
            else:
                values[field] = payload[field].strip()
    for field, column in MONEY_FIELDS.items():
        if field in payload and not (field == "retail_value" and payload[field] in (None, "")):
            try:
                values[column] = money.to_cents(payload[field], currency)
            except money.MoneyError as error:
                errors[field] = str(error)
        elif field == "retail_value" and field in payload:
            values[column] = None
    if not partial and "unit_cost" not in payload:
        errors["unit_cost"] = "The unit cost is required (what one free item or service costs you)."
    if "gross_margin_pct" in payload:
        values["gross_margin_bp"] = _margin(payload["gross_margin_pct"], errors)
    for field, (low, high) in INT_FIELDS.items():
        if field in payload and not (field == "voucher_limit" and payload[field] in (None, "")):
            values[field] = _whole(field, payload[field], low, high, errors)
        elif field == "voucher_limit" and field in payload:
            values[field] = None
    for field in ("starts_on", "ends_on"):
        if field in payload:
            values[field] = _date(field, payload[field], errors)
    if "status" in payload:
        if payload["status"] not in CAMPAIGN_STATUSES:
            errors["status"] = f"Status is one of {', '.join(CAMPAIGN_STATUSES)}."
        else:
            values["status"] = payload["status"]
    if "claim_page" in payload:
        if not isinstance(payload["claim_page"], bool):
            errors["claim_page"] = "true or false."
        else:
            values["claim_page"] = payload["claim_page"]
    if errors:
        raise ValidationError(errors)
    return values


def _margin(value, errors) -> int | None:
    try:
        pct = Decimal(str(value)) if not isinstance(value, bool) else None
    except InvalidOperation:
        pct = None
    if pct is None or not pct.is_finite() or not 0 <= pct <= 100 or pct != pct.quantize(Decimal("0.01")):
        errors["gross_margin_pct"] = "A percentage from 0 to 100 (at most two decimals)."
        return None
    return int(pct * 100)


def _whole(field, value, low, high, errors) -> int | None:
    if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit())):
        errors[field] = "A whole number."
        return None
    number = int(value)
    if number < low or (high is not None and number > high):
        errors[field] = f"From {low} to {high}." if high else f"At least {low}."
        return None
    return number


def _date(field, value, errors) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors[field] = "A date like 2026-12-31."
        return None


def _check_whole(campaign: Campaign, values: dict) -> None:
    """Rules across fields, checked on the campaign as it would be saved, before anything changes."""
    starts = values.get("starts_on", campaign.starts_on)
    ends = values.get("ends_on", campaign.ends_on)
    limit = values.get("voucher_limit", campaign.voucher_limit)
    if starts and ends and ends < starts:
        raise ValidationError({"ends_on": "The end date cannot be before the start date."})
    if limit is not None and limit < (campaign.vouchers_issued or 0):
        raise ValidationError({"voucher_limit": f"{campaign.vouchers_issued} vouchers exist already; "
                                                f"the limit cannot be lower."})


def _apply(campaign: Campaign, values: dict) -> None:
    claim = values.pop("claim_page", None)
    for key, value in values.items():
        setattr(campaign, key, value)
    if claim is True and campaign.claim_slug is None:
        campaign.claim_slug = secrets.token_urlsafe(9)
    elif claim is False:
        campaign.claim_slug = None


def create_campaign(payload: dict, created_by_id: int | None = None) -> Campaign:
    """Create a draft campaign from API.md's fields."""
    values = parse_fields(payload)
    if values.get("status", "draft") != "draft":
        raise ValidationError({"status": "New campaigns start as draft; activate them once they are ready."})
    campaign = Campaign(kind="sample", offer="", fixed_cost_cents=0, gross_margin_bp=10000, per_customer_limit=1,
                        attribution_window_days=90, status="draft", vouchers_issued=0, created_by_id=created_by_id)
    _check_whole(campaign, values)
    _apply(campaign, values)
    db.session.add(campaign)
    db.session.flush()
    return campaign


def update_campaign(campaign: Campaign, payload: dict) -> Campaign:
    """Change some fields of a campaign, including its status."""
    values = parse_fields(payload, partial=True)
    status = values.pop("status", None)
    _check_whole(campaign, values)
    _apply(campaign, values)
    if status is not None and status != campaign.status:
        set_status(campaign, status)
    db.session.flush()
    return campaign


def set_status(campaign: Campaign, status: str) -> Campaign:
    """Move a campaign to a new status, or raise invalid_status_change."""
    if status not in TRANSITIONS.get(campaign.status, set()):
        raise CampaignError("invalid_status_change", f"A {campaign.status} campaign cannot become {status}.",
                            {"from": campaign.status, "to": status})
    campaign.status = status
    db.session.flush()
    return campaign


def duplicate_campaign(campaign: Campaign, created_by_id: int | None = None) -> Campaign:
    """Copy a campaign's design into a new draft with no vouchers."""
    copy = Campaign(
        name=f"Copy of {campaign.name}"[:120], kind=campaign.kind, offer=campaign.offer,
        unit_cost_cents=campaign.unit_cost_cents, retail_value_cents=campaign.retail_value_cents,
        fixed_cost_cents=campaign.fixed_cost_cents, gross_margin_bp=campaign.gross_margin_bp,
        starts_on=campaign.starts_on, ends_on=campaign.ends_on, voucher_limit=campaign.voucher_limit,
        per_customer_limit=campaign.per_customer_limit, attribution_window_days=campaign.attribution_window_days,
        feedback_question=campaign.feedback_question, status="draft", vouchers_issued=0,
        claim_slug=secrets.token_urlsafe(9) if campaign.claim_slug else None, created_by_id=created_by_id,
    )
    db.session.add(copy)
    db.session.flush()
    return copy


def get_campaign(campaign_id: int) -> Campaign:
    """Return a campaign, or raise unknown_campaign."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound("unknown_campaign", f"There is no campaign {campaign_id}.")
    return campaign


def list_campaigns(page: int = 1, per_page: int = 50, status: str | None = None) -> tuple[list[Campaign], int]:
    """Return one page of campaigns, newest first, and how many there are in all."""
    query = select(Campaign)
    if status:
        query = query.where(Campaign.status == status)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(query.order_by(Campaign.created_at.desc(), Campaign.id.desc())
                              .limit(per_page).offset((page - 1) * per_page)).all()
    return list(rows), total


def redeemed_count(campaign_id: int) -> int:
    """Count the campaign's redeemed vouchers."""
    return db.session.scalar(select(func.count()).select_from(Voucher)
                             .where(Voucher.campaign_id == campaign_id, Voucher.redeemed_at.is_not(None)))


def budget(campaign: Campaign, redeemed: int | None = None) -> dict:
    """Return what the campaign commits (fixed + unit × voucher limit) and what it has spent so far."""
    redeemed = redeemed_count(campaign.id) if redeemed is None and campaign.id else (redeemed or 0)
    committed = None
    if campaign.voucher_limit is not None:
        committed = campaign.fixed_cost_cents + campaign.unit_cost_cents * campaign.voucher_limit
    return {"committed_cents": committed, "spent_cents": campaign.fixed_cost_cents + campaign.unit_cost_cents * redeemed,
            "redeemed": redeemed}
