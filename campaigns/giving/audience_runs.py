"""One assignment of people to a campaign's audience, done and written down: the draw (audiences.send) and an
audit entry saying what came of it (new members by group, members kept, who was left out and why, the lines of a
list that were no one), so that its result can be shown after the page redirects, and read again later."""
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from campaigns.contacts.contact import Contact
from campaigns.core import audit
from campaigns.extensions import db
from campaigns.giving.audience_exclusions import REASONS
from campaigns.giving.audiences import Sent, send
from campaigns.models import AuditEntry, Campaign, Customer, utcnow

ACTION = "audience_assign"


@dataclass(frozen=True)
class Run:
    """What one assignment did, as written down."""

    id: int
    at: datetime
    source: str  # "list", "customers" or "api"
    holdout_pct: int
    treatment: int  # new members drawn to treatment
    control: int  # new members drawn to control
    kept: int  # members named again: they kept their group
    left_out: list[tuple[int, str]]  # (customer id, reason key of audience_exclusions.REASONS)
    problems: list[tuple[int, str]]  # (line of a list, what is wrong with it)

    @property
    def left_out_counts(self) -> dict[str, int]:
        """How many were left out for each reason, in the order audience_exclusions checks them."""
        counts = Counter(reason for _, reason in self.left_out)
        return {reason: counts[reason] for reason in REASONS if counts[reason]}


def assign_recorded(campaign: Campaign, people: Iterable[Contact | Customer], holdout_pct: int, *, source: str,
                    require_email: bool, user_id: int | None = None, token_id: int | None = None,
                    problems: Sequence[tuple[int, str]] = (), rng: random.Random | None = None,
                    now: datetime | None = None) -> tuple[Sent, int]:
    """Assign people to the campaign's audience (audiences.send) and write down the result; return it and the id
    of its record (for run_of)."""
    now = now or utcnow()
    sent = send(campaign, people, holdout_pct, rng, now, require_email=require_email)
    new = [(customer.id, group) for customer, group, _ in sent.members if customer.id not in sent.kept]
    details = {"source": source, "holdout_pct": holdout_pct,
               "treatment": sum(group == "treatment" for _, group in new),
               "control": sum(group == "control" for _, group in new),
               "kept": len(sent.members) - len(new),
               "left_out": [[customer.id, sent.reasons[customer.id]] for customer in sent.excluded],
               "problems": [list(problem) for problem in problems]}
    return sent, audit.record(ACTION, "assigned", user_id=user_id, token_id=token_id,
                              subject=("campaign", campaign.id), details=details, now=now)


def _of(campaign_id: int) -> list:
    return [AuditEntry.action == ACTION, AuditEntry.subject_type == "campaign",
            AuditEntry.subject_id == str(campaign_id)]


def run_of(campaign_id: int, run_id: int) -> Run | None:
    """Return one assignment of this campaign's audience, or None when it has no such one."""
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.id == run_id, *_of(campaign_id)))
    if entry is None:
        return None
    done = entry.details
    return Run(entry.id, entry.occurred_at, done["source"], done["holdout_pct"], done["treatment"], done["control"],
               done["kept"], [tuple(pair) for pair in done["left_out"]], [tuple(pair) for pair in done["problems"]])


def left_out_page(run: Run, page: int, per_page: int) -> list[tuple[Customer, str]]:
    """Return one page of the people a run left out, with the reason of each, in the order they were named."""
    chosen = run.left_out[(page - 1) * per_page:page * per_page]
    people = {c.id: c for c in db.session.scalars(select(Customer).where(Customer.id.in_([i for i, _ in chosen])))}
    return [(people[cid], reason) for cid, reason in chosen if cid in people]
