"""Putting campaigns out of the way: deleting a draft that came to nothing (with the vouchers it printed ahead),
archiving an ended one out of the default lists (still in "All" and in every total)."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from campaigns.core import audit
from campaigns.core.errors import NotFound
from campaigns.extensions import db
from campaigns.giving.designs import CampaignError
from campaigns.models import (
    AudienceAssignment,
    Campaign,
    Feedback,
    FeedbackInvite,
    Purchase,
    Redemption,
    Voucher,
    utcnow,
)

# What keeps a draft from being deleted: rows that name it or its vouchers and are about real people or sales.
HOLD_WORDS = {
    "personal_vouchers": ("voucher is held by a customer", "vouchers are held by customers"),
    "audience_members": ("customer is in its audience", "customers are in its audience"),
    "redemptions": ("redemption was made", "redemptions were made"),
    "feedback": ("feedback answer names it", "feedback answers name it"),
    "feedback_invites": ("feedback e-mail was sent", "feedback e-mails were sent"),
    "purchases": ("purchase names one of its vouchers", "purchases name its vouchers"),
}


@dataclass(frozen=True)
class DraftDeletion:
    """What deleting a draft removes (its vouchers, by batch, and its claim page), and what keeps it, if anything."""

    campaign_id: int
    name: str
    vouchers: int
    batches: list[tuple[str | None, int]]
    claim_page: bool
    holds: dict[str, int]

    def refusal(self) -> str:
        """Say in words why the draft cannot be deleted ("" when it can)."""
        if not self.holds:
            return ""
        parts = [f"{count:,} {HOLD_WORDS[name][count != 1]}" for name, count in self.holds.items()]
        listed = ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]
        return (f"“{self.name}” cannot be deleted: {listed}. End it instead, then archive it to take it out "
                "of the lists.")


def _holds(campaign_id: int) -> dict[str, int]:
    """Count what names the campaign or its vouchers and must stay: only the kinds with a count above zero."""
    its_vouchers = select(Voucher.id).where(Voucher.campaign_id == campaign_id)
    counts = {
        "personal_vouchers": select(func.count()).select_from(Voucher)
        .where(Voucher.campaign_id == campaign_id, Voucher.customer_id.is_not(None)),
        "audience_members": select(func.count()).select_from(AudienceAssignment)
        .where(AudienceAssignment.campaign_id == campaign_id),
        "redemptions": select(func.count()).select_from(Redemption).where(Redemption.campaign_id == campaign_id),
        "feedback": select(func.count()).select_from(Feedback).where(Feedback.campaign_id == campaign_id),
        "feedback_invites": select(func.count()).select_from(FeedbackInvite)
        .where(FeedbackInvite.voucher_id.in_(its_vouchers)),
        "purchases": select(func.count()).select_from(Purchase).where(Purchase.voucher_id.in_(its_vouchers)),
    }
    row = db.session.execute(select(*(query.scalar_subquery().label(name) for name, query in counts.items()))).one()
    return {name: count for name, count in row._mapping.items() if count}


def deletion_preview(campaign: Campaign) -> DraftDeletion:
    """Return what deleting this draft would remove and what keeps it, or raise campaign_not_draft."""
    _refuse_unless_draft(campaign.status)
    batches = db.session.execute(select(Voucher.batch_label, func.count()).where(Voucher.campaign_id == campaign.id)
                                 .group_by(Voucher.batch_label).order_by(func.min(Voucher.id))).all()
    return DraftDeletion(campaign.id, campaign.name, sum(count for _, count in batches),
                         [(label, count) for label, count in batches], campaign.claim_slug is not None,
                         _holds(campaign.id))


def _refuse_unless_draft(status: str) -> None:
    if status != "draft":
        raise CampaignError("campaign_not_draft", f"Only a draft can be deleted; this campaign is {status}. End it, "
                            "then archive it, to take it out of the lists.", {"status": status})


def delete_draft(campaign: Campaign, user_id: int | None = None, token_id: int | None = None,
                 now: datetime | None = None) -> DraftDeletion:
    """Delete a draft campaign and its vouchers in the caller's transaction and audit it; raise campaign_not_draft
    for any other status, campaign_in_use while a customer, a redemption, feedback or a purchase names it."""
    now = now or utcnow()
    # Take the campaign's row while it is still a draft: a status change or a new batch waits for this
    # transaction, and one that came first is seen here.
    taken = db.session.execute(update(Campaign).where(Campaign.id == campaign.id, Campaign.status == "draft")
                               .values(updated_at=now).execution_options(synchronize_session=False)).rowcount
    if not taken:
        status = db.session.scalar(select(Campaign.status).where(Campaign.id == campaign.id))
        if status is None:
            raise NotFound("unknown_campaign", f"There is no campaign {campaign.id}.")
        _refuse_unless_draft(status)
    removed = deletion_preview(campaign)
    if removed.holds:
        raise CampaignError("campaign_in_use", removed.refusal(), {"holds": removed.holds})
    savepoint = db.session.begin_nested()
    try:
        db.session.execute(delete(Voucher).where(Voucher.campaign_id == campaign.id)
                           .execution_options(synchronize_session=False))
        db.session.execute(delete(Campaign).where(Campaign.id == campaign.id)
                           .execution_options(synchronize_session=False))
    except IntegrityError:  # a purchase naming one of its codes came in meanwhile: the foreign key says no
        savepoint.rollback()
        raise CampaignError("campaign_in_use", f"“{removed.name}” cannot be deleted: something now names one of "
                            "its vouchers. End it instead, then archive it.", {"holds": {}}) from None
    savepoint.commit()
    db.session.expunge(campaign)
    audit.record("campaign_delete", "deleted", user_id=user_id, token_id=token_id, subject=("campaign", campaign.id),
                 now=now, details={"name": removed.name, "vouchers": removed.vouchers,
                                   "batches": [[label, count] for label, count in removed.batches],
                                   "claim_page": removed.claim_page})
    return removed


def archive(campaign: Campaign, user_id: int | None = None, token_id: int | None = None,
            now: datetime | None = None) -> Campaign:
    """Put an ended campaign out of the default lists (it stays in "All" and in every total); campaign_not_ended
    for any other status. Archiving an archived campaign changes nothing."""
    if campaign.status != "ended":
        raise CampaignError("campaign_not_ended", f"Only an ended campaign can be archived; this one is "
                            f"{campaign.status}. End it first.", {"status": campaign.status})
    if campaign.archived_at is None:
        campaign.archived_at = now or utcnow()
        audit.record("campaign_archive", "archived", user_id=user_id, token_id=token_id,
                     subject=("campaign", campaign.id), now=campaign.archived_at)
    db.session.flush()
    return campaign


def unarchive(campaign: Campaign, user_id: int | None = None, token_id: int | None = None,
              now: datetime | None = None) -> Campaign:
    """Bring an archived campaign back into the default lists; a campaign that is not archived stays as it is."""
    if campaign.archived_at is not None:
        audit.record("campaign_archive", "unarchived", user_id=user_id, token_id=token_id,
                     subject=("campaign", campaign.id), now=now or utcnow(),
                     details={"archived_at": campaign.archived_at.isoformat()})
        campaign.archived_at = None
    db.session.flush()
    return campaign
