"""Deliveries: one row per e-mail, the record of what was queued, sent, failed and given up.

Anything that e-mails (a claimed voucher, a feedback invite, a test send, a campaign send) calls `queue_letter`
inside its transaction; the `send_delivery` task is enqueued when that transaction commits. The task `claim`s
the row with one conditional UPDATE (queued, or failed and due again → sending; `attempts` + 1 is the claim's
fence), so however many times it runs, one run sends. Just before the message's last line reaches the server, the
sender `hand_over`s it: a conditional UPDATE that holds only while the row is still `sending` under its fence.
A failure is tried again after growing delays, then given up. A row a dead sender left `sending`:
- not handed over: nothing of it reached the server, so it is queued again (`sweep`); if that sender was only
  slow, its own hand-over now fails and it drops the message, so one sender sends;
- handed over: it may have gone out, so it is given up as in doubt, never sent twice."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update

from campaigns.extensions import db
from campaigns.jobs.after_commit import enqueue_after_commit
from campaigns.mail.sending import Letter
from campaigns.models import Delivery, utcnow

SEND_TASK = "send_delivery"
SEND_RUN_TASK = "run_campaign_send"  # sends a campaign send's deliveries one after another on one connection
RETRY_DELAYS = (60, 300, 1800, 7200)  # seconds after the 1st, 2nd, 3rd and 4th failure; the 5th gives up
LOST_AFTER = timedelta(minutes=10)  # a queued row this old with no sender: its task was lost, queue it again
STUCK_AFTER = timedelta(minutes=10)  # a send takes MAIL_TIMEOUT at most: a row `sending` this long was orphaned
EARLY = timedelta(seconds=2)  # a retry that the queue runs a moment before its time is still taken
MAX_CLAIMS = 10  # a row taken this often without an answer from the server (its sender died each time) is given up
ABANDONED = "Its sender stopped before the mail server took it, time after time; it was not sent, and is not tried again."
IN_DOUBT = ("The sender stopped just as the mail server was taking this message, so it may have gone out; it is "
            "not tried again, so it is never sent twice.")


def queue_letter(letter: Letter, kind: str, *, voucher_id: int | None = None, campaign_id: int | None = None,
                 customer_id: int | None = None, send_id: int | None = None,
                 now: datetime | None = None) -> Delivery:
    """Record one e-mail as queued and have it sent once the current transaction commits."""
    delivery = Delivery(kind=kind, recipient=letter.to, subject=letter.subject, body=letter.body, status="queued",
                        attempts=0, created_at=now or utcnow(), voucher_id=voucher_id, campaign_id=campaign_id,
                        customer_id=customer_id, send_id=send_id)
    db.session.add(delivery)
    db.session.flush()
    enqueue_after_commit(SEND_TASK, delivery.id)
    return delivery


@dataclass(frozen=True)
class Claim:
    """A delivery taken for sending, and the claim's fence: its `attempts` when taken (the row may be reloaded
    later, after another sender has taken it back)."""

    delivery: Delivery
    fence: int


def claim(delivery_id: int, now: datetime | None = None) -> Claim | None:
    """Take a delivery for sending (queued, or failed and due again) in one conditional UPDATE; None when it is
    not there to take (sent, given up, taken by another sender, or not due yet). The caller commits, then sends."""
    now = now or utcnow()
    takeable = or_(Delivery.status == "queued",
                   and_(Delivery.status == "failed", Delivery.next_try_at <= now + EARLY))
    taken = db.session.execute(
        update(Delivery).where(Delivery.id == delivery_id, takeable)
        .values(status="sending", claimed_at=now, attempts=Delivery.attempts + 1, next_try_at=None)
        .execution_options(synchronize_session=False)).rowcount
    if taken != 1:
        return None
    delivery = db.session.get(Delivery, delivery_id, populate_existing=True)
    return Claim(delivery, delivery.attempts)


def hand_over(taken: Claim, now: datetime | None = None) -> bool:
    """Mark a claimed delivery as handed to the server, if it is still this claim's (sending, same fence, not
    cancelled or taken back); tell whether it is. The caller commits before the server gets the last line."""
    return _settle(taken, Delivery.handed_at.is_(None), handed_at=now or utcnow())


def record_sent(taken: Claim, now: datetime | None = None) -> None:
    """Mark a claimed delivery as sent."""
    _settle(taken, status="sent", sent_at=now or utcnow(), last_error=None)


def record_failure(taken: Claim, answer: str, delays: tuple[int, ...] = RETRY_DELAYS,
                   now: datetime | None = None) -> int | None:
    """Mark a claimed delivery as failed with the server's answer; return the seconds until it is tried again,
    or None when that was its last try (it is given up) or the claim was no longer this sender's."""
    now = now or utcnow()
    if taken.fence > len(delays) or not delays:
        _settle(taken, status="given_up", last_error=answer[:2000], next_try_at=None)
        return None
    delay = delays[taken.fence - 1]
    settled = _settle(taken, status="failed", last_error=answer[:2000], next_try_at=now + timedelta(seconds=delay),
                      handed_at=None)
    return delay if settled else None


def _settle(taken: Claim, *also, **values) -> bool:
    """Change this claim of the delivery (no other: one taken back or cancelled meanwhile is left alone)."""
    return db.session.execute(
        update(Delivery).where(Delivery.id == taken.delivery.id, Delivery.status == "sending",
                               Delivery.attempts == taken.fence, *also)
        .values(**values).execution_options(synchronize_session=False)).rowcount == 1


def sweep(now: datetime | None = None, lost_after: timedelta = LOST_AFTER,
          stuck_after: timedelta = STUCK_AFTER) -> list[int]:
    """Settle what dead senders left and return the ids queued again (enqueued when the caller commits, the rows
    of a campaign send through their send's task):
    - `sending` and handed over longer than STUCK_AFTER ago: given up as in doubt (it may have gone out);
    - `sending`, not handed over, claimed longer than `stuck_after` ago: queued again (nothing of it went out);
    - failed and now due, or queued longer than `lost_after` ago (its task may have been lost).
    A consumer starting up passes 0 for both: a killed one took its running tasks with it, and a claim taken back
    from a sender that is merely slow is safe (its hand-over fails)."""
    now = now or utcnow()
    sending = Delivery.status == "sending"
    db.session.execute(update(Delivery).where(sending, Delivery.handed_at < now - STUCK_AFTER)
                       .values(status="given_up", last_error=IN_DOUBT)
                       .execution_options(synchronize_session=False))
    abandoned = and_(sending, Delivery.handed_at.is_(None), Delivery.claimed_at <= now - stuck_after)
    db.session.execute(update(Delivery).where(abandoned, Delivery.attempts >= MAX_CLAIMS)
                       .values(status="given_up", last_error=ABANDONED).execution_options(synchronize_session=False))
    db.session.execute(update(Delivery).where(abandoned).values(status="queued")
                       .execution_options(synchronize_session=False))
    due = db.session.execute(select(Delivery.id, Delivery.send_id, Delivery.status).where(or_(
        and_(Delivery.status == "failed", Delivery.next_try_at <= now),
        and_(Delivery.status == "queued", or_(Delivery.created_at <= now - lost_after,
                                              Delivery.claimed_at.is_not(None))))).order_by(Delivery.id).limit(5000))
    rows = due.all()
    for send_id in sorted({send_id for _, send_id, status in rows if send_id is not None and status == "queued"}):
        enqueue_after_commit(SEND_RUN_TASK, send_id)  # a send's queued rows go in order over one connection
    for delivery_id, send_id, status in rows:
        if send_id is None or status == "failed":  # the run takes only queued rows: a due retry goes on its own
            enqueue_after_commit(SEND_TASK, delivery_id)
    return [delivery_id for delivery_id, _, _ in rows]
