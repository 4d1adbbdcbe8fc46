"""A new business's first steps, each ticked by doing it: read from what the database already holds, in one query.

Only two things are written for this list alone, as audit entries of the action "first_steps": that a campaign
report was first read (nothing else records a read), and each time an owner hides or shows the list again.
"""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, select

from campaigns.accounts.business import DEFAULT_SETTINGS, get_settings
from campaigns.core import audit
from campaigns.extensions import db
from campaigns.models import AuditEntry, Campaign, Location, Purchase, PurchaseImport, Redemption, Voucher

ACTION = "first_steps"
# In the order a business takes them; the page names and links each one.
STEPS = ("details", "location", "campaign", "shared", "scanned", "sales", "report")
# Sales that came from the till, not typed at the desk: a file import, the API, and the demo's nightly till export.
TILL_SOURCES = ("import", "api", "demo")
# The settings a business sets for itself (its name is given at set-up), as they are before anyone saves them.
DEFAULTS = {field: value for field, value in DEFAULT_SETTINGS.items() if field != "business_name"}


@dataclass(frozen=True)
class FirstSteps:
    """Which first steps are done, whether an owner chose to hide or show the list (None: nobody chose), and the
    newest campaign (None: none yet), whose pages the later steps lead to."""

    done: dict[str, bool]
    choice: str | None = None
    campaign_id: int | None = None

    @property
    def count(self) -> int:
        """Return how many steps are done."""
        return sum(self.done.values())

    @property
    def total(self) -> int:
        """Return how many steps there are."""
        return len(STEPS)

    @property
    def all_done(self) -> bool:
        """Tell whether every step is done."""
        return self.count == self.total

    @property
    def showing(self) -> bool:
        """Tell whether the list shows: until every step is done, unless hidden; after that only when shown again."""
        return self.choice == "shown" or (self.choice is None and not self.all_done)


def _noted(outcome: str):
    """An EXISTS for a first-steps note with this outcome."""
    return exists().where(AuditEntry.action == ACTION, AuditEntry.outcome == outcome)


def _settings_differ() -> bool:
    """Tell whether one of the business's own settings differs from its default (however it was set)."""
    settings = get_settings()
    return any(getattr(settings, field) != value for field, value in DEFAULTS.items())


def progress() -> FirstSteps:
    """Return which first steps are done and what an owner chose for the list, in one query."""
    latest_choice = (select(AuditEntry.outcome)
                     .where(AuditEntry.action == ACTION, AuditEntry.outcome.in_(("hidden", "shown")))
                     .order_by(AuditEntry.id.desc()).limit(1).scalar_subquery())
    row = db.session.execute(select(
        exists().where(AuditEntry.action == "business_settings").label("details"),  # the Settings page saved a change
        select(Location.id).exists().label("location"),
        select(Campaign.id).exists().label("campaign"),
        select(Voucher.id).exists().label("shared"),  # a batch made, or a voucher claimed, sent or issued by the API
        (select(Redemption.id).exists() | exists().where(AuditEntry.action == "redeem")).label("scanned"),
        (exists().where(PurchaseImport.status == "done")
         | exists().where(Purchase.source.in_(TILL_SOURCES))).label("sales"),
        _noted("report_read").label("report"),
        latest_choice.label("choice"),
        select(Campaign.id).order_by(Campaign.id.desc()).limit(1).scalar_subquery().label("campaign_id"),
    )).one()
    done = {step: bool(getattr(row, step)) for step in STEPS}
    done["details"] = done["details"] or _settings_differ()
    return FirstSteps(done=done, choice=row.choice, campaign_id=row.campaign_id)


def note_report_read(user_id: int | None, now: datetime | None = None) -> bool:
    """Write down that a campaign report was read, the first time only; return whether this call wrote it."""
    if db.session.scalar(select(_noted("report_read"))):
        return False
    audit.record(ACTION, "report_read", user_id=user_id, now=now)
    return True


def hide(user_id: int | None) -> None:
    """Hide the list of first steps from the dashboard, whatever is left to do."""
    audit.record(ACTION, "hidden", user_id=user_id)


def show(user_id: int | None) -> None:
    """Show the list of first steps on the dashboard again, even once every step is done."""
    audit.record(ACTION, "shown", user_id=user_id)
