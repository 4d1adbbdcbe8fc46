"""Sending a campaign to its audience (API.md, `POST /api/v1/campaigns/{id}/sends`): one delivery per treatment
member not yet sent this campaign, written set-based in the request and sent by the job queue.

The database holds "one campaign e-mail per member": a unique index over (campaign, customer) for every campaign
delivery that is queued, sending, failing or sent (models/delivery.py HOLDING). A member whose e-mail was
cancelled, or given up before the server took it, may be sent again by a later send; one in doubt (the server may
have taken it) is not. Control members are never sent anything; unsubscribed customers never."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, insert, literal, or_, select, update

from campaigns.accounts.business import get_settings
from campaigns.core import audit, words
from campaigns.core.errors import DomainError
from campaigns.core.locks import lock_rows
from campaigns.extensions import db
from campaigns.giving.audiences import treatment_to_mail
from campaigns.giving.designs import campaign_state
from campaigns.jobs.after_commit import enqueue_after_commit
from campaigns.mail.campaign_letter import subject_of
from campaigns.mail.deliveries import SEND_RUN_TASK
from campaigns.models import Campaign, CampaignSend, Delivery, utcnow

CANCEL_WINDOW = timedelta(minutes=30)  # how long after starting a send what is not yet sent can be stopped
WAITING = ("queued", "sending", "failed")  # on their way: failed ones are tried again
SENDABLE = ("active", "not_started")  # a campaign live, or live from a later day: its vouchers will redeem


class SendError(DomainError):
    """A campaign send refused: nothing to send, the campaign not live, too late to cancel."""


@dataclass(frozen=True)
class Progress:
    """Where a send stands, as API.md reads it: status, total, sent, failed (given up or waiting for a retry),
    cancelled, and until when what is not yet sent can be cancelled."""

    id: int
    campaign_id: int
    status: str  # queued, sending, done or cancelled
    total: int
    sent: int
    failed: int
    cancelled: int
    waiting: int
    created_at: datetime
    cancel_until: datetime
    cancelled_at: datetime | None

    @property
    def finished(self) -> int:
        """How many of its e-mails have come to an end, for now (sent, failed or cancelled): the progress bar."""
        return self.sent + self.failed + self.cancelled

    def can_cancel(self, now: datetime | None = None) -> bool:
        """Tell whether cancelling would still stop something."""
        return self.waiting > 0 and (now or utcnow()) <= self.cancel_until


def to_send(campaign_id: int):
    """A select of (customer_id, voucher_id, email) for the treatment members this campaign's next send would
    e-mail: an address, not unsubscribed, not sent this campaign yet."""
    members = treatment_to_mail(campaign_id).subquery()
    held = exists().where(Delivery.kind == "campaign", Delivery.campaign_id == campaign_id,
                          Delivery.customer_id == members.c.customer_id,
                          or_(Delivery.status.in_(("queued", "sending", "failed", "sent")),
                              Delivery.handed_at.is_not(None)))
    return (select(members.c.customer_id, members.c.voucher_id, members.c.email)
            .where(~held, members.c.voucher_id.is_not(None)).order_by(members.c.assignment_id))


def count_to_send(campaign_id: int) -> int:
    """How many members the campaign's next send would e-mail."""
    return db.session.scalar(select(func.count()).select_from(to_send(campaign_id).subquery()))


def start_send(campaign: Campaign, business: str, *, user_id: int | None = None, token_id: int | None = None,
               now: datetime | None = None) -> CampaignSend:
    """Queue the campaign's e-mail to every treatment member not yet sent it; the job queue sends them once this
    transaction commits. Raise campaign_not_active (a draft, paused or ended campaign's vouchers would not redeem)
    or nothing_to_send."""
    now = now or utcnow()
    [campaign] = lock_rows(Campaign, [campaign.id])  # one send of a campaign at a time picks its members
    state = campaign_state(campaign, now)
    if state not in SENDABLE:
        raise SendError("campaign_not_active", f"This campaign is {state.replace('_', ' ')}: its vouchers would not "
                        "redeem. Make it active before sending.", {"campaign_status": state})
    members = to_send(campaign.id).subquery()
    send = CampaignSend(campaign_id=campaign.id, total=0, created_at=now, cancel_until=now + CANCEL_WINDOW,
                        user_id=user_id, token_id=token_id)
    db.session.add(send)
    db.session.flush()
    subject = subject_of(business, campaign.offer, words.customer_language(get_settings()))  # as the letter's
    columns = ("kind", "recipient", "subject", "body", "status", "attempts", "created_at", "voucher_id",
               "campaign_id", "customer_id", "send_id")
    rows = select(literal("campaign"), members.c.email, literal(subject), literal(""), literal("queued"), literal(0),
                  literal(now, Delivery.created_at.type), members.c.voucher_id, literal(campaign.id),
                  members.c.customer_id, literal(send.id))
    db.session.execute(insert(Delivery).from_select(columns, rows))
    total = db.session.scalar(select(func.count()).where(Delivery.send_id == send.id))  # rowcount is not portable
    if not total:
        raise SendError("nothing_to_send", "Every treatment member who may get e-mail has been sent this campaign "
                        "already (or the audience has none yet): add people to the audience first.")
    send.total = total
    audit.record("campaign_send", "ok", user_id=user_id, token_id=token_id, subject=("campaign", campaign.id),
                 details={"send_id": send.id, "queued": total}, now=now)
    enqueue_after_commit(SEND_RUN_TASK, send.id)
    return send


def get_send(send_id: int) -> CampaignSend:
    """Return a send, or raise unknown_send."""
    send = db.session.get(CampaignSend, send_id)
    if send is None:
        raise SendError("unknown_send", f"There is no send {send_id}.")
    return send


def progress(send: CampaignSend) -> Progress:
    """Read where a send stands from its deliveries."""
    counts = dict(db.session.execute(select(Delivery.status, func.count()).where(Delivery.send_id == send.id)
                                     .group_by(Delivery.status)).all())
    waiting = sum(counts.get(status, 0) for status in WAITING)
    started = sum(counts.get(status, 0) for status in ("sending", "sent", "failed", "given_up"))
    if send.cancelled_at is not None:
        status = "cancelled"
    elif not waiting:
        status = "done"
    else:
        status = "sending" if started else "queued"
    return Progress(send.id, send.campaign_id, status, send.total, counts.get("sent", 0),
                    counts.get("given_up", 0) + counts.get("failed", 0), counts.get("cancelled", 0), waiting,
                    send.created_at, send.cancel_until, send.cancelled_at)


def cancel(send_id: int, *, user_id: int | None = None, token_id: int | None = None,
           now: datetime | None = None) -> Progress:
    """Stop what a send has not yet sent: its queued and failing e-mails, and one a sender holds but has not yet
    handed to the server (that sender drops it). Raise too_late after `cancel_until`, or when nothing is left."""
    now = now or utcnow()
    get_send(send_id)
    [send] = lock_rows(CampaignSend, [send_id])
    if now > send.cancel_until:
        raise SendError("too_late", f"A send can be cancelled for {CANCEL_WINDOW.seconds // 60} minutes after it "
                        "starts; this one's time has passed.", {"cancel_until": send.cancel_until.isoformat()})
    stopped = db.session.execute(
        update(Delivery).where(Delivery.send_id == send.id, or_(
            Delivery.status.in_(("queued", "failed")), and_(Delivery.status == "sending", Delivery.handed_at.is_(None))))
        .values(status="cancelled", next_try_at=None).execution_options(synchronize_session=False)).rowcount
    if not stopped:
        raise SendError("too_late", "Every e-mail of this send has already gone (or failed): there is nothing left "
                        "to stop.", {"cancel_until": send.cancel_until.isoformat()})
    send.cancelled_at = now
    audit.record("campaign_send_cancel", "ok", user_id=user_id, token_id=token_id,
                 subject=("campaign", send.campaign_id), details={"send_id": send.id, "cancelled": stopped}, now=now)
    db.session.flush()
    return progress(send)


def sends_of(campaign_id: int, limit: int = 20) -> list[Progress]:
    """Return the campaign's latest sends with their progress, newest first."""
    sends = db.session.scalars(select(CampaignSend).where(CampaignSend.campaign_id == campaign_id)
                               .order_by(CampaignSend.id.desc()).limit(limit))
    return [progress(send) for send in sends]
