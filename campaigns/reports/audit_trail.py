"""Reading the audit log for the owner: filtered by who, what, campaign and local dates, newest first, a page at a
time (keyset: a page starts below the last entry of the one before), each entry with its names in one query."""
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, and_, case, cast, func, or_, select
from sqlalchemy.orm import aliased

from campaigns.accounts.business import business_zone
from campaigns.extensions import db
from campaigns.giving.codes import format_code
from campaigns.giving.designs import day_start
from campaigns.models import (
    ApiToken,
    AuditEntry,
    Campaign,
    Customer,
    Location,
    Purchase,
    PurchaseImport,
    Redemption,
    User,
    Voucher,
)
from campaigns.reports.audit_words import ACTIONS, outcome_words, short_details

PER_PAGE = 50


@dataclass(frozen=True)
class AuditFilters:
    """What the owner asked to see: each None filters nothing; `before` is the id of the last entry already seen."""

    user_id: int | None = None
    token_id: int | None = None
    action: str | None = None
    campaign_id: int | None = None
    day_from: date | None = None
    day_to: date | None = None
    before: int | None = None

    def query_args(self) -> dict:
        """Return the filters as the page's (and the CSV's) query string names, without the page position."""
        given = {"user": self.user_id, "token": self.token_id, "action": self.action, "campaign": self.campaign_id,
                 "from": self.day_from and self.day_from.isoformat(), "to": self.day_to and self.day_to.isoformat()}
        return {name: value for name, value in given.items() if value not in (None, "")}


@dataclass(frozen=True)
class AuditLine:
    """One audit entry as the page shows it."""

    id: int
    when: str
    who: str
    who_kind: str  # "user", "token" or "system"
    what: str
    refused: bool
    subject: str
    code: str  # the voucher code the subject ends with, if any, to be kept on one line
    campaign: str
    location: str
    details: str
    ip_address: str


@dataclass(frozen=True)
class FilterChoices:
    """What the filters offer: people, API tokens, actions and campaigns, as (value, label) pairs."""

    users: list[tuple[int, str]]
    tokens: list[tuple[int, str]]
    actions: list[tuple[str, str]]
    campaigns: list[tuple[int, str]]


@dataclass(frozen=True)
class AuditPage:
    """A page of entries, newest first, the id to start the next (older) page from (None at the end), and what
    the filters offer."""

    lines: list[AuditLine]
    older: int | None
    choices: FilterChoices


def subject_id(kind: str):
    """The entry's subject id as a number when its subject is a `kind` (ids of other kinds are never read as one)."""
    return case((AuditEntry.subject_type == kind, cast(AuditEntry.subject_id, Integer)), else_=None)


@dataclass(frozen=True)
class Subjects:
    """The voucher and the redemption an audit entry may be about (aliases), and the id of the campaign it is about:
    its own subject, or its voucher's or its redemption's campaign."""

    voucher: type
    redeemed: type
    campaign_id: object


def subjects() -> Subjects:
    """Fresh aliases for an audit query's subjects (join them with `join_subjects`)."""
    voucher, redeemed = aliased(Voucher), aliased(Redemption)
    return Subjects(voucher, redeemed, func.coalesce(subject_id("campaign"), voucher.campaign_id, redeemed.campaign_id))


def join_subjects(query, about: Subjects):
    """Join an audit query to the voucher and the redemption its entries may be about."""
    return (query.outerjoin(about.voucher, and_(AuditEntry.subject_type == "voucher",
                                                about.voucher.code == AuditEntry.subject_id))
            .outerjoin(about.redeemed, about.redeemed.id == subject_id("redemption")))


def audit_page(filters: AuditFilters, per_page: int = PER_PAGE, zone: ZoneInfo | None = None) -> AuditPage:
    """Return one page of the audit log under these filters, newest first."""
    zone = zone or business_zone()
    entry, about, redeemed_voucher = AuditEntry, subjects(), aliased(Voucher)
    campaign, subject_user, subject_token = aliased(Campaign), aliased(User), aliased(ApiToken)
    subject_place = aliased(Location)
    query = join_subjects(
        select(entry, User.name.label("user_name"), ApiToken.name.label("token_name"), Location.name.label("place"),
               campaign.name.label("campaign_name"), redeemed_voucher.code.label("redeemed_code"),
               Purchase.external_id, Customer.name.label("customer_name"), Customer.email.label("customer_email"),
               subject_user.name.label("subject_user"), subject_token.name.label("subject_token"),
               PurchaseImport.filename, subject_place.name.label("subject_place"))
        .outerjoin(User, User.id == entry.user_id)
        .outerjoin(ApiToken, ApiToken.id == entry.token_id)
        .outerjoin(Location, Location.id == entry.location_id), about)
    query = (
        query.outerjoin(redeemed_voucher, redeemed_voucher.id == about.redeemed.voucher_id)
        .outerjoin(campaign, campaign.id == about.campaign_id)
        .outerjoin(Purchase, Purchase.id == subject_id("purchase"))
        .outerjoin(Customer, Customer.id == subject_id("customer"))
        .outerjoin(subject_user, subject_user.id == subject_id("user"))
        .outerjoin(subject_token, subject_token.id == subject_id("token"))
        .outerjoin(PurchaseImport, PurchaseImport.id == subject_id("import"))
        .outerjoin(subject_place, subject_place.id == subject_id("location"))
    )
    query = filtered(query, filters, zone, about.campaign_id)
    if filters.before is not None:
        seen = select(entry.occurred_at).where(entry.id == filters.before).scalar_subquery()
        query = query.where(or_(entry.occurred_at < seen, and_(entry.occurred_at == seen, entry.id < filters.before)))
    rows = db.session.execute(query.order_by(entry.occurred_at.desc(), entry.id.desc()).limit(per_page + 1)).all()
    lines = [_line(row, zone) for row in rows[:per_page]]
    return AuditPage(lines, lines[-1].id if len(rows) > per_page else None, filter_choices())


def filtered(query, filters: AuditFilters, zone: ZoneInfo, campaign_id):
    """Keep the entries of an audit query that the filters ask for (`campaign_id`: its Subjects' campaign_id)."""
    entry = AuditEntry
    if filters.user_id is not None:
        query = query.where(entry.user_id == filters.user_id)
    if filters.token_id is not None:
        query = query.where(entry.token_id == filters.token_id)
    if filters.action:
        query = query.where(entry.action == filters.action)
    if filters.campaign_id is not None:
        query = query.where(campaign_id == filters.campaign_id)
    if filters.day_from is not None:
        query = query.where(entry.occurred_at >= day_start(filters.day_from, zone))
    if filters.day_to is not None:
        query = query.where(entry.occurred_at < day_start(filters.day_to + timedelta(days=1), zone))
    return query


def _line(row, zone: ZoneInfo) -> AuditLine:
    entry = row.AuditEntry
    details = entry.details or {}
    if row.user_name is not None:
        who, kind = row.user_name, "user"
    elif row.token_name is not None:
        who, kind = f"API token “{row.token_name}”", "token"
    else:
        who, kind = ("Customer" if entry.action == "campaign_mail" else "System (no one signed in)"), "system"
    campaign = row.campaign_name or (details.get("name", "") if entry.subject_type == "campaign" else "")
    refused = entry.action == "redeem" and entry.outcome not in ("redeemed", "repeated")
    subject = _subject(row, entry, campaign)
    code = subject.rpartition(" ")[2] if entry.subject_type in ("voucher", "redemption") else ""
    return AuditLine(
        id=entry.id, when=entry.occurred_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"), who=who, who_kind=kind,
        what=outcome_words(entry.action, entry.outcome), refused=refused, subject=subject,
        code=code if subject.endswith(code) else "", campaign=campaign, location=row.place or "",
        details=short_details(details), ip_address=entry.ip_address or "")


def _subject(row, entry: AuditEntry, campaign: str) -> str:
    kind, key = entry.subject_type, entry.subject_id or ""
    if kind == "voucher":
        return f"Voucher {format_code(key) if row.campaign_name else key}"
    if kind == "redemption":
        return f"Redemption of {format_code(row.redeemed_code)}" if row.redeemed_code else f"Redemption {key}"
    named = {"campaign": campaign, "purchase": row.external_id and f"Purchase {row.external_id}",
             "customer": row.customer_name or row.customer_email, "user": row.subject_user,
             "token": row.subject_token and f"API token “{row.subject_token}”",
             "import": row.filename and f"Import of {row.filename}", "settings": "Business settings",
             "location": row.subject_place and f"Location {row.subject_place}",
             "mail_server": "E-mail settings"}
    if named.get(kind):
        return named[kind]
    return f"{kind.replace('_', ' ').capitalize()} {key}".strip() if kind else ""


def filter_choices() -> FilterChoices:
    """Return what each filter may pick from."""
    users = db.session.execute(select(User.id, User.name).order_by(User.name, User.id)).all()
    tokens = db.session.execute(select(ApiToken.id, ApiToken.name).order_by(ApiToken.name, ApiToken.id)).all()
    campaigns = db.session.execute(select(Campaign.id, Campaign.name).order_by(Campaign.name, Campaign.id)).all()
    return FilterChoices([tuple(row) for row in users], [tuple(row) for row in tokens], list(ACTIONS.items()),
                         [tuple(row) for row in campaigns])
