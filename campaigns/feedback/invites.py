"""The e-mails asking free customers for feedback: which are due, and which sender takes each.

A campaign with `feedback_mail_delay_hours` set asks every customer with an e-mail address, that many hours after
their redemption was recorded (an offline scan synced late is not "stale" on arrival), unless they have answered
already. An invite is claimed by inserting its row (the voucher is unique), so however many processes look at
once, one takes it; just before sending, the sender renews its claim (`lease`), so a batch that is slow to send
is never taken over and sent twice. A send that fails is tried again later, at most MAX_ATTEMPTS times. An invite more than STALE_AFTER past its time is never sent: turning the e-mail on for an old
campaign does not write to everyone who ever redeemed.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, select, update
from sqlalchemy.exc import IntegrityError

from campaigns.extensions import db
from campaigns.models import Campaign, Customer, Feedback, FeedbackInvite, Redemption, Voucher, utcnow

STALE_AFTER = timedelta(days=2)
RETRY_AFTER = timedelta(minutes=15)
MAX_ATTEMPTS = 3
DELAY_MAX_HOURS = 720  # thirty days
BATCH = 50  # invites one sender claims at a time: sent well within RETRY_AFTER even when the mail server is slow


@dataclass(frozen=True)
class Invite:
    """One claimed invite: where it goes and what it is about (plain values for the letter)."""

    invite_id: int
    voucher_id: int
    code: str
    email: str
    offer: str
    question: str
    claimed_at: datetime


def _candidates(now: datetime) -> list:
    """Vouchers of campaigns that e-mail, with a live redemption recorded recently enough to be due soon or lately,
    a customer with an address, no answer and no invite sent (the exact due time is checked per row: the hours
    are per campaign)."""
    earliest = now - timedelta(hours=DELAY_MAX_HOURS) - STALE_AFTER
    sent_or_taken = select(FeedbackInvite.voucher_id).where(
        (FeedbackInvite.sent_at.is_not(None)) | (FeedbackInvite.attempts >= MAX_ATTEMPTS)
        | (FeedbackInvite.claimed_at > now - RETRY_AFTER))
    return db.session.execute(
        select(Voucher.id, Voucher.code, Redemption.recorded_at, Customer.email, Campaign.offer,
               Campaign.feedback_question, Campaign.feedback_mail_delay_hours)
        .join(Redemption, and_(Redemption.voucher_id == Voucher.id, Redemption.undone_at.is_(None)))
        .join(Campaign, Campaign.id == Voucher.campaign_id)
        .join(Customer, Customer.id == Redemption.customer_id)
        .where(Campaign.feedback_mail_delay_hours.is_not(None), Voucher.void_at.is_(None),
               Redemption.recorded_at >= earliest, Customer.email.is_not(None),
               Voucher.id.not_in(select(Feedback.voucher_id)), Voucher.id.not_in(sent_or_taken))
        .order_by(Redemption.recorded_at, Voucher.id)).all()


def due(now: datetime | None = None) -> list[tuple]:
    """Return (voucher_id, code, email, offer, question) of every invite due now and not yet claimed."""
    now = now or utcnow()
    rows = []
    for voucher_id, code, recorded_at, email, offer, question, hours in _candidates(now):
        at = recorded_at + timedelta(hours=hours)
        if at <= now < at + STALE_AFTER:
            rows.append((voucher_id, code, email, offer, question))
    return rows


def claim_due(now: datetime | None = None, limit: int = BATCH) -> list[Invite]:
    """Claim up to `limit` due invites for this sender and return them; the caller commits, then sends each and
    records each that went out with `sent` (one that failed is due again after RETRY_AFTER). An invite another sender claimed first is skipped."""
    now = now or utcnow()
    claimed = []
    for voucher_id, code, email, offer, question in due(now)[:limit]:
        invite = db.session.scalar(select(FeedbackInvite).where(FeedbackInvite.voucher_id == voucher_id))
        if invite is None:
            try:
                with db.session.begin_nested():
                    invite = FeedbackInvite(voucher_id=voucher_id, claimed_at=now, attempts=1)
                    db.session.add(invite)
            except IntegrityError:
                continue  # another sender took it
        else:  # a failed try due again (checked again here: another sender may have just claimed it)
            taken = db.session.execute(
                update(FeedbackInvite).where(FeedbackInvite.id == invite.id,
                                             FeedbackInvite.claimed_at == invite.claimed_at,
                                             FeedbackInvite.claimed_at <= now - RETRY_AFTER,
                                             FeedbackInvite.attempts < MAX_ATTEMPTS,
                                             FeedbackInvite.sent_at.is_(None))
                .values(claimed_at=now, attempts=FeedbackInvite.attempts + 1)
                .execution_options(synchronize_session=False)).rowcount
            if taken != 1:
                continue
        claimed.append(Invite(invite.id, voucher_id, code, email, offer, question, now))
    return claimed


def lease(invite: Invite, now: datetime | None = None) -> bool:
    """Renew this sender's claim on an invite just before sending it; False when another sender has taken it
    over since (then it must not be sent here). The caller commits before sending."""
    return db.session.execute(
        update(FeedbackInvite).where(FeedbackInvite.id == invite.invite_id,
                                     FeedbackInvite.claimed_at == invite.claimed_at, FeedbackInvite.sent_at.is_(None))
        .values(claimed_at=now or utcnow()).execution_options(synchronize_session=False)).rowcount == 1


def sent(invite_id: int, now: datetime | None = None) -> None:
    """Record that an invite went out."""
    db.session.execute(update(FeedbackInvite).where(FeedbackInvite.id == invite_id)
                       .values(sent_at=now or utcnow()).execution_options(synchronize_session=False))
