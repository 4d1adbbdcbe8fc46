"""Designing campaigns (create, change, duplicate, move their status), listing them, and their calendar."""
import secrets
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, true

from campaigns.accounts.business import business_zone, get_settings
from campaigns.core import audit, inputs, money
from campaigns.core.errors import DomainError, FieldErrors, NotFound, ValidationError
from campaigns.core.words import N_
from campaigns.extensions import db
from campaigns.giving import codes
from campaigns.jobs import webhooks
from campaigns.models import CAMPAIGN_STATUSES, Campaign, utcnow

# The ranges of API.md's campaign fields, for every entry point to check its input against.
NAME_MAX = 120
TEXT_MAX = 500
WHOLE_RANGES = {"voucher_limit": (1, 10_000_000), "per_customer_limit": (1, 1_000), "attribution_window_days": (1, 730),
                "unreturned_gift_limit": (1, 1_000), "feedback_mail_delay_hours": (0, 720)}
DEFAULT_QUESTION = N_("What did you value most about it?")
DEFAULT_QUESTION_2 = N_("What would bring you back?")
# Kept as the app wrote them, the default questions reach customers in their language; typed ones stay as typed.
DEFAULT_QUESTIONS = frozenset({DEFAULT_QUESTION, DEFAULT_QUESTION_2})
# Which status may follow which; `ended` is final.
TRANSITIONS = {"draft": {"active", "ended"}, "active": {"paused", "ended"}, "paused": {"active", "ended"},
               "ended": set()}
assert set(TRANSITIONS) == set(CAMPAIGN_STATUSES)


class CampaignError(DomainError):
    """A campaign rule that the request breaks."""


@dataclass(frozen=True)
class CampaignDesign:
    """A campaign's design as typed values: money as Decimal in major units, whole numbers, dates."""

    name: str
    unit_cost: Decimal
    kind: str = "sample"
    offer: str = ""
    retail_value: Decimal | None = None
    fixed_cost: Decimal = Decimal(0)
    gross_margin_pct: Decimal = Decimal(100)
    starts_on: date | None = None
    ends_on: date | None = None
    voucher_limit: int | None = None
    per_customer_limit: int = 1
    attribution_window_days: int = 90
    unreturned_gift_limit: int | None = None  # refuse vouchers to customers holding this many unreturned gifts
    feedback_question: str = DEFAULT_QUESTION
    feedback_question_2: str = DEFAULT_QUESTION_2  # an optional second open question ("": none)
    feedback_mail_delay_hours: int | None = None  # e-mail the feedback link this long after redeeming; None: never
    claim_page: bool = False

    def changed(self, **changes) -> "CampaignDesign":
        """Return a copy with some fields changed."""
        return replace(self, **changes)


MONEY_COLUMNS = {"unit_cost": "unit_cost_cents", "retail_value": "retail_value_cents",
                 "fixed_cost": "fixed_cost_cents"}


def design_of(campaign: Campaign) -> CampaignDesign:
    """Return a campaign's current design."""
    currency = get_settings().currency
    return CampaignDesign(
        name=campaign.name, kind=campaign.kind, offer=campaign.offer,
        unit_cost=money.to_decimal(campaign.unit_cost_cents, currency),
        retail_value=None if campaign.retail_value_cents is None else money.to_decimal(campaign.retail_value_cents,
                                                                                      currency),
        fixed_cost=money.to_decimal(campaign.fixed_cost_cents, currency),
        gross_margin_pct=Decimal(campaign.gross_margin_bp) / 100, starts_on=campaign.starts_on,
        ends_on=campaign.ends_on, voucher_limit=campaign.voucher_limit,
        per_customer_limit=campaign.per_customer_limit, attribution_window_days=campaign.attribution_window_days,
        unreturned_gift_limit=campaign.unreturned_gift_limit, feedback_question=campaign.feedback_question,
        feedback_question_2=campaign.feedback_question_2, feedback_mail_delay_hours=campaign.feedback_mail_delay_hours,
        claim_page=campaign.claim_slug is not None)


def _columns(design: CampaignDesign, campaign: Campaign) -> dict:
    """Check the design against the rules that need the database (the currency's decimal places, the vouchers
    already made) and across fields; return its column values. Shape (types, ranges, lengths) is checked where
    the input arrives, and the database's constraints hold the rest."""
    wrong = FieldErrors()
    currency = get_settings().currency
    values = {"name": design.name.strip(), "kind": design.kind, "offer": design.offer.strip(),
              "starts_on": design.starts_on, "ends_on": design.ends_on, "voucher_limit": design.voucher_limit,
              "per_customer_limit": design.per_customer_limit, "unreturned_gift_limit": design.unreturned_gift_limit,
              "attribution_window_days": design.attribution_window_days,
              "feedback_question": design.feedback_question.strip() or DEFAULT_QUESTION,
              "feedback_question_2": design.feedback_question_2.strip(),
              "feedback_mail_delay_hours": design.feedback_mail_delay_hours}
    for field, column in MONEY_COLUMNS.items():
        amount = getattr(design, field)
        values[column] = None if amount is None else wrong.check(_cents, field, amount, currency)
    values["gross_margin_bp"] = int(design.gross_margin_pct * 100)
    for field in ("starts_on", "ends_on"):
        if getattr(design, field) is not None:
            wrong.check(inputs.in_years, getattr(design, field), field)
    if design.starts_on and design.ends_on and design.ends_on < design.starts_on:
        wrong.add("ends_on", "The end date cannot be before the start date.")
    if design.voucher_limit is not None and design.voucher_limit < (campaign.vouchers_issued or 0):
        wrong.add("voucher_limit", f"{campaign.vouchers_issued} vouchers exist already; the limit cannot be lower.")
    wrong.raise_any()
    return values


def _cents(field: str, amount: Decimal, currency: str) -> int:
    if abs(amount) > inputs.MONEY_MAX:
        raise ValidationError({field: f"Less than {10 ** inputs.MONEY_DIGITS:,}."})
    return money.field_cents(field, amount, currency)


def _apply(campaign: Campaign, design: CampaignDesign, columns: dict) -> None:
    for key, value in columns.items():
        setattr(campaign, key, value)
    if design.claim_page and campaign.claim_slug is None:
        campaign.claim_slug = new_claim_slug()
    elif not design.claim_page:
        campaign.claim_slug = None


SLUG_GROUPS = 3  # of four characters: 60 random bits, read aloud or typed off a poster without doubt


def new_claim_slug() -> str:
    """Return a new claim page slug in the voucher codes' unambiguous alphabet (no I, L, O or U), lower-cased
    and grouped for reading, e.g. "k3m9-x2pq-7vtn"; slugs made before keep working, as they are only looked up."""
    alphabet = codes.ALPHABET.lower()
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(SLUG_GROUPS))


def create_campaign(design: CampaignDesign, created_by_id: int | None = None, token_id: int | None = None) -> Campaign:
    """Create a draft campaign from its design."""
    campaign = Campaign(status="draft", vouchers_issued=0, created_by_id=created_by_id)
    _apply(campaign, design, _columns(design, campaign))
    db.session.add(campaign)
    db.session.flush()
    audit.record("campaign_create", "created", user_id=created_by_id, token_id=token_id,
                 subject=("campaign", campaign.id), details={"name": campaign.name})
    return campaign


def update_campaign(campaign: Campaign, design: CampaignDesign, status: str | None = None,
                    user_id: int | None = None, token_id: int | None = None) -> Campaign:
    """Give a campaign a new design and, when asked, a new status; nothing changes if any of it is refused.
    What changed is audited as done by the user or API token."""
    columns = _columns(design, campaign)
    if status is not None and status != campaign.status:
        _check_transition(campaign, status)
    before = {key: getattr(campaign, key) for key in [*columns, "claim_slug"]}
    _apply(campaign, design, columns)
    changed = audit.changes(before, {key: getattr(campaign, key) for key in before})
    if changed:
        audit.record("campaign_edit", "edited", user_id=user_id, token_id=token_id,
                     subject=("campaign", campaign.id), details={"changes": changed})
    if status is not None:
        _move(campaign, status, user_id=user_id, token_id=token_id)
    db.session.flush()
    return campaign


def _check_transition(campaign: Campaign, status: str) -> None:
    if status not in TRANSITIONS.get(campaign.status, set()):
        raise CampaignError("invalid_status_change", f"A {campaign.status} campaign cannot become {status}.",
                            {"from": campaign.status, "to": status})


def _move(campaign: Campaign, status: str, now: datetime | None = None, user_id: int | None = None,
          token_id: int | None = None) -> None:
    """Give a campaign its new status, audited; the first time it becomes active is its go-live moment."""
    if status != campaign.status:
        resumed = campaign.status == "paused" and status == "active"
        audit.record("campaign_status", "resumed" if resumed else status, user_id=user_id, token_id=token_id,
                     subject=("campaign", campaign.id), details={"from": campaign.status, "to": status}, now=now)
        webhooks.emit("campaign.status_changed", {
            "campaign": {"id": campaign.id, "name": campaign.name}, "from": campaign.status, "to": status,
            "changed_at": (now or utcnow()).isoformat()}, now)
    campaign.status = status
    if status == "active" and campaign.went_live_at is None:
        campaign.went_live_at = now or utcnow()


def set_status(campaign: Campaign, status: str, now: datetime | None = None, user_id: int | None = None,
               token_id: int | None = None) -> Campaign:
    """Move a campaign to a new status (at `now`, default the present), or raise invalid_status_change."""
    _check_transition(campaign, status)
    _move(campaign, status, now, user_id, token_id)
    db.session.flush()
    return campaign


def duplicate_campaign(campaign: Campaign, created_by_id: int | None = None) -> Campaign:
    """Copy a campaign's design into a new draft with no vouchers."""
    design = design_of(campaign)
    return create_campaign(design.changed(name=f"Copy of {design.name}"[:NAME_MAX]), created_by_id)


def get_campaign(campaign_id: int) -> Campaign:
    """Return a campaign, or raise unknown_campaign."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound("unknown_campaign", f"There is no campaign {campaign_id}.")
    return campaign


ARCHIVED_CHOICES = ("exclude", "include", "only")  # the default lists leave archived campaigns out


def archived_clause(archived: str = "exclude"):
    """Return the SQL condition on Campaign that leaves archived campaigns out, takes them in, or takes only them."""
    if archived not in ARCHIVED_CHOICES:
        raise ValueError(f"archived is one of {ARCHIVED_CHOICES}, not {archived!r}")
    return {"exclude": Campaign.archived_at.is_(None), "include": true(),
            "only": Campaign.archived_at.is_not(None)}[archived]


def list_campaigns(page: int = 1, per_page: int | None = 50, status: str | None = None,
                   archived: str = "exclude") -> tuple[list[Campaign], int]:
    """Return one page of campaigns (every one when per_page is None), newest first, and how many there are in all;
    archived campaigns are left out unless `archived` is "include" or "only"."""
    query = select(Campaign).where(archived_clause(archived))
    if status:
        query = query.where(Campaign.status == status)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    query = query.order_by(Campaign.created_at.desc(), Campaign.id.desc())
    if per_page is not None:
        query = query.limit(per_page).offset((page - 1) * per_page)
    return list(db.session.scalars(query)), total


def campaign_tally() -> dict[str, int]:
    """Count the campaigns on each list: each status among those not archived, "current", "archived" and "all"."""
    rows = db.session.execute(select(Campaign.status, Campaign.archived_at.is_not(None), func.count())
                              .group_by(Campaign.status, Campaign.archived_at.is_not(None))).all()
    tally = dict.fromkeys(CAMPAIGN_STATUSES, 0) | {"current": 0, "archived": 0, "all": 0}
    for status, archived, count in rows:
        tally["archived" if archived else status] += count
        tally["all"] += count
        if not archived:
            tally["current"] += count
    return tally


# The calendar: a campaign's dates are whole local days in the business time zone (METRICS.md).

def day_start(day: date, zone: ZoneInfo) -> datetime:
    """Return the moment a local calendar day starts."""
    return datetime.combine(day, time.min, tzinfo=zone)


def expires_at(campaign: Campaign, zone: ZoneInfo | None = None) -> datetime | None:
    """Return when the campaign's vouchers expire: the end of `ends_on`, local time."""
    if campaign.ends_on is None or campaign.ends_on >= date.max:  # a last day of 9999-12-31 never ends
        return None
    return day_start(campaign.ends_on + timedelta(days=1), zone or business_zone())


def campaign_state(campaign, now: datetime | None = None, zone: ZoneInfo | None = None) -> str:
    """Return active, draft, paused, ended, not_started or expired, for redeeming and claiming.

    `campaign` is anything with the campaign's status, starts_on and ends_on.
    """
    if campaign.status != "active":
        return campaign.status
    local_day = (now or utcnow()).astimezone(zone or business_zone()).date()
    if campaign.starts_on and local_day < campaign.starts_on:
        return "not_started"
    if campaign.ends_on and local_day > campaign.ends_on:
        return "expired"
    return "active"
