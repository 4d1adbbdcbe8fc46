"""Deliveries: one row per e-mail, the record of what was queued, sent, failed and given up.

Anything that e-mails (a claimed voucher, a feedback invite, a test send, a campaign send) calls `queue_letter`
inside its transaction; the `send_delivery` task is enqueued when that transaction commits. The task `claim`s
the row with one conditional UPDATE (queued, or failed and due again → sending), so however many times it runs,
one run sends. A failure is tried again after growing delays, then given up. A row left `sending` by a sender
that died is given up, not sent again: it may have gone out, and a message must never go twice."""
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update

from campaigns.extensions import db
from campaigns.jobs.after_commit import enqueue_after_commit
from campaigns.mail.sending import Letter
from campaigns.models import Delivery, utcnow

SEND_TASK = "send_delivery"
RETRY_DELAYS = (60, 300, 1800, 7200)  # seconds after the 1st, 2nd, 3rd and 4th failure; the 5th gives up
LOST_AFTER = timedelta(minutes=10)  # a queued row this old with no sender: its task was lost, queue it again
STUCK_AFTER = timedelta(minutes=10)  # a send takes MAIL_TIMEOUT at most: a row `sending` this long was orphaned
EARLY = timedelta(seconds=2)  # a retry that the queue runs a moment before its time is still taken
INTERRUPTED = "The sender stopped while sending this message; it is not tried again, so it is never sent twice."


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


def claim(delivery_id: int, now: datetime | None = None) -> Delivery | None:
    """Take a delivery for sending (queued, or failed and due again) in one conditional UPDATE; None when it is
    not there to take (sent, given up, taken by another sender, or not due yet). The caller commits, then sends."""
    now = now or utcnow()
    takeable = or_(Delivery.status == "queued",
                   and_(Delivery.status == "failed", Delivery.next_try_at <= now + EARLY))
    taken = db.session.execute(
        update(Delivery).where(Delivery.id == delivery_id, takeable)
        .values(status="sending", claimed_at=now, attempts=Delivery.attempts + 1, next_try_at=None)
        .execution_options(synchronize_session=False)).rowcount
    return db.session.get(Delivery, delivery_id, populate_existing=True) if taken == 1 else None


def record_sent(delivery: Delivery, now: datetime | None = None) -> None:
    """Mark a claimed delivery as sent."""
    _settle(delivery, status="sent", sent_at=now or utcnow(), last_error=None)


def record_failure(delivery: Delivery, answer: str, delays: tuple[int, ...] = RETRY_DELAYS,
                   now: datetime | None = None) -> int | None:
    """Mark a claimed delivery as failed with the server's answer; return the seconds until it is tried again,
    or None when that was its last try (it is given up)."""
    now = now or utcnow()
    if delivery.attempts > len(delays) or not delays:
        _settle(delivery, status="given_up", last_error=answer[:2000], next_try_at=None)
        return None
    delay = delays[delivery.attempts - 1]
    _settle(delivery, status="failed", last_error=answer[:2000], next_try_at=now + timedelta(seconds=delay))
    return delay


def _settle(delivery: Delivery, **values) -> None:
    db.session.execute(update(Delivery).where(Delivery.id == delivery.id, Delivery.status == "sending")
                       .values(**values).execution_options(synchronize_session=False))


def sweep(now: datetime | None = None, lost_after: timedelta = LOST_AFTER) -> list[int]:
    """Give up the deliveries a dead sender left `sending`, and return the ids queued again (enqueued when the
    caller commits): failed ones now due, and queued ones older than `lost_after`, whose task may have been lost
    (a consumer starting up passes 0: a killed one took its running tasks with it)."""
    now = now or utcnow()
    db.session.execute(update(Delivery).where(Delivery.status == "sending", Delivery.claimed_at < now - STUCK_AFTER)
                       .values(status="given_up", last_error=INTERRUPTED)
                       .execution_options(synchronize_session=False))
    due = db.session.scalars(select(Delivery.id).where(or_(
        and_(Delivery.status == "failed", Delivery.next_try_at <= now),
        and_(Delivery.status == "queued", Delivery.created_at <= now - lost_after))).order_by(Delivery.id).limit(5000))
    ids = list(due)
    for delivery_id in ids:
        enqueue_after_commit(SEND_TASK, delivery_id)
    return ids
