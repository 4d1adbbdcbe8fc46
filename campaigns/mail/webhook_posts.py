"""Sending webhook deliveries: claim one that is due, POST its event signed with the webhook's secret, and record
the answer. A delivery that gets no 2xx within TIMEOUT seconds is tried again after the next of RETRY_DELAYS (the
last one repeating) until GIVE_UP_AFTER has passed since its event, then it is failed. A claim that a dead
sender left is taken back after STUCK_AFTER: the receiver may then get an event twice, with the same id."""
import hashlib
import hmac
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, true, update

from campaigns.extensions import db
from campaigns.models import Webhook, WebhookDelivery, utcnow

TIMEOUT = 10
RETRY_DELAYS = (30, 120, 600, 1800, 3600, 7200, 14400)  # seconds; then every 4 hours
GIVE_UP_AFTER = timedelta(hours=24)
STUCK_AFTER = timedelta(minutes=2)
ANSWER_KEPT = 300
_DELIVERY = WebhookDelivery.__table__


@dataclass(frozen=True)
class Claimed:
    """A delivery taken for one try: where it goes, what it carries and the secret that signs it."""

    id: int
    webhook_id: int
    url: str
    secret: str
    body: str
    attempts: int
    created_at: datetime


def signature(secret: str, moment: int, body: bytes) -> str:
    """The Reciprocate-Signature header (API.md): t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">."""
    mac = hmac.new(secret.encode(), f"{moment}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={moment},v1={mac}"


def claim_next(now: datetime | None = None, skip: frozenset = frozenset()) -> Claimed | None:
    """Take the oldest due delivery (not of a webhook in `skip`) for a try; None when nothing is due."""
    now = now or utcnow()
    while True:
        found = db.session.execute(
            select(WebhookDelivery.id).where(WebhookDelivery.status.in_(("queued", "retrying")),
                                             WebhookDelivery.next_attempt_at <= now,
                                             WebhookDelivery.webhook_id.not_in(skip) if skip else true())
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(1)).scalar()
        if found is None:
            return None
        taken = claim(found, now)
        if taken is not None:
            return taken


def claim(delivery_id: int, now: datetime | None = None) -> Claimed | None:
    """Take one delivery for a try if it is still waiting (one statement: of two senders, one gets it)."""
    now = now or utcnow()
    row = db.session.execute(
        update(_DELIVERY).where(_DELIVERY.c.id == delivery_id, _DELIVERY.c.status.in_(("queued", "retrying")))
        .values(status="sending", attempts=_DELIVERY.c.attempts + 1, last_attempt_at=now)
        .returning(_DELIVERY.c.id, _DELIVERY.c.webhook_id, _DELIVERY.c.body, _DELIVERY.c.attempts,
                   _DELIVERY.c.created_at)).first()
    if row is None:
        return None
    hook = db.session.get(Webhook, row.webhook_id)
    return Claimed(row.id, row.webhook_id, hook.url, hook.secret, row.body, row.attempts, row.created_at)


def post(taken: Claimed, moment: datetime | None = None) -> tuple[int | None, str]:
    """POST the delivery's event; return the receiver's status (None when it never answered) and the start of
    its answer or why there was none."""
    body = taken.body.encode()
    stamp = int((moment or utcnow()).timestamp())
    request = urllib.request.Request(taken.url, data=body, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": "Reciprocate-Webhooks/1",
        "Reciprocate-Signature": signature(taken.secret, stamp, body)})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:  # noqa: S310 (http and https only)
            return answer.status, answer.read(ANSWER_KEPT).decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read(ANSWER_KEPT).decode("utf-8", "replace")
    except (OSError, ValueError) as error:  # refused, timed out, no such host, a broken answer
        reason = getattr(error, "reason", error)
        return None, f"No answer: {reason}"[:ANSWER_KEPT]


def record(taken: Claimed, status: int | None, answer: str, now: datetime | None = None) -> int | None:
    """Keep what the receiver answered; return in how many seconds the next try is due (None: none)."""
    now = now or utcnow()
    values = {"last_status": status, "last_answer": answer[:ANSWER_KEPT]}
    delay = None
    if status is not None and 200 <= status < 300:
        values |= {"status": "delivered", "delivered_at": now}
    else:
        delay = RETRY_DELAYS[min(taken.attempts, len(RETRY_DELAYS)) - 1]
        due = now + timedelta(seconds=delay)
        if due > taken.created_at + GIVE_UP_AFTER:
            values["status"], delay = "failed", None
        else:
            values |= {"status": "retrying", "next_attempt_at": due}
    db.session.execute(update(_DELIVERY).where(_DELIVERY.c.id == taken.id, _DELIVERY.c.status == "sending")
                       .values(**values))
    return delay


def take_back_stuck(now: datetime | None = None) -> int:
    """Put back the deliveries a sender claimed and never finished (it died); return how many."""
    now = now or utcnow()
    return db.session.execute(update(_DELIVERY).where(_DELIVERY.c.status == "sending",
                                                      _DELIVERY.c.last_attempt_at < now - STUCK_AFTER)
                              .values(status="retrying", next_attempt_at=now)).rowcount
