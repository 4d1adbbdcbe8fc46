"""The job queue's e-mail tasks, and the consumer's one commit edge: each task's writes commit here.

- `send_delivery(id)`: claim one delivery, send it, record what the server answered; a failure is tried again
  after the next of MAIL_RETRY_DELAYS (seconds), then given up.
- `run_campaign_send(send_id)`: the same for each queued delivery of a campaign send, in order, over one
  connection (deliveries.py says why a crash mid-send sends no member twice).
- `sweep_deliveries` (each minute, and once as a consumer starts): queue again what is due or was lost; give up
  what a dead sender left.
- `queue_feedback_invites` (each minute): the feedback e-mails that are due become deliveries.
- `sweep_webhooks` (each minute, after an event is written, and when a retry falls due): send the webhook
  deliveries that are due (mail/webhook_posts.py), a receiver that does not answer left for the next run."""
import logging
import time
from collections import Counter
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from campaigns.accounts.business import get_settings
from campaigns.core import words
from campaigns.extensions import db
from campaigns.jobs import webhooks
from campaigns.jobs.queue import define
from campaigns.mail import deliveries, mail_server, webhook_posts
from campaigns.mail.feedback_invites import queue_feedback_invites
from campaigns.mail.sending import InDoubt, Outbox, Refused, SendFailure, Superseded, Unreachable, send
from campaigns.models import Delivery

log = logging.getLogger(__name__)
RECORD_PAUSES = (0, 0.2, 0.5, 1, 2, 4)  # seconds before each try to record a sent message


def send_delivery(delivery_id: int) -> str:
    """Send one delivery if it is there to take; return what became of it (for the consumer's log)."""
    with Outbox(_server()) as outbox:
        return send_one(delivery_id, outbox)


def run_campaign_send(send_id: int) -> str:
    """Send a campaign send's queued deliveries one after another over one connection; stop early when the mail
    server cannot be reached (each failed delivery is tried again after its delay, and the sweep finds the rest);
    return what it did (for the consumer's log)."""
    done = Counter()
    with Outbox(_server()) as outbox:
        while True:
            delivery_id = db.session.scalar(select(Delivery.id).where(
                Delivery.send_id == send_id, Delivery.status == "queued").order_by(Delivery.id).limit(1))
            db.session.commit()  # the read ends its transaction: a cancel or another sender is seen at once
            if delivery_id is None:
                break
            outcome = send_one(delivery_id, outbox)
            done[outcome.split(":")[0]] += 1
            if outcome.startswith("unreachable"):
                _retry_run_in(send_id, current_app.config["MAIL_RETRY_DELAYS"][0])
                break
    return ", ".join(f"{count} {outcome}" for outcome, count in sorted(done.items())) or "nothing to send"


def _server() -> mail_server.Server:
    return mail_server.server(current_app.config, get_settings().business_name)


def send_one(delivery_id: int, outbox: Outbox) -> str:
    """Claim one delivery, send it through `outbox` with its hand-over, and record what came of it; return that
    ("sent", "not taken", "superseded", "failed: …" or "unreachable: …")."""
    taken = deliveries.claim(delivery_id)
    db.session.commit()  # the claim holds before the server is spoken to: a second run finds nothing to take
    if taken is None:
        return "not taken"

    def hand_over() -> bool:
        held = deliveries.hand_over(taken)
        db.session.commit()  # held or not, before the server gets the message's last line
        return held

    try:
        send(taken.delivery, outbox, hand_over)
    except Superseded:
        db.session.rollback()
        return "superseded"  # cancelled, or taken back and given to another sender: nothing of it went out
    except Exception as error:  # the server's refusal, or anything else before the message's last line
        db.session.rollback()
        if not isinstance(error, SendFailure):
            log.exception("delivery %s could not be sent", delivery_id)
            error = SendFailure(f"Could not send it: {error.__class__.__name__}: {error}"[:500])
        final = isinstance(error, (Refused, InDoubt))
        delay = deliveries.record_failure(taken, str(error), () if final else current_app.config["MAIL_RETRY_DELAYS"])
        db.session.commit()
        if delay is not None:
            _retry_in(delivery_id, delay)
        return f"{'unreachable' if isinstance(error, Unreachable) else 'failed'}: {error}"
    return _record_sent(taken)


def _record_sent(taken) -> str:
    """Write down that a message went out, trying again while the database is busy (a write lock held, a
    connection lost): left unwritten, the row would stay in doubt though it was sent."""
    delivery_id = taken.delivery.id
    for pause in RECORD_PAUSES:
        time.sleep(pause)
        try:
            deliveries.record_sent(taken)
            db.session.commit()
            return "sent"
        except OperationalError:
            db.session.rollback()
            log.warning("delivery %s was sent but could not be recorded yet", delivery_id, exc_info=True)
    return "in doubt: sent, but the database did not take it"


def _retry_in(delivery_id: int, seconds: int) -> None:
    _schedule(deliveries.SEND_TASK, delivery_id, seconds)


def _retry_run_in(send_id: int, seconds: int) -> None:
    _schedule(deliveries.SEND_RUN_TASK, send_id, seconds)


def _schedule(task: str, key: int, seconds: int) -> None:
    try:
        current_app.extensions["queue_tasks"][task].schedule((key,), delay=seconds)
    except Exception:  # the sweep queues it again once it is due
        log.exception("could not schedule %s(%s) again", task, key)


def sweep_deliveries(lost_after_seconds: int | None = None) -> int:
    """Queue again the deliveries that are due or lost, and those a dead sender held but never handed over; give
    up those it handed over; return how many were queued. A consumer starting up passes 0: whatever its killed
    predecessor held or had queued is taken back at once."""
    if lost_after_seconds is None:
        again = deliveries.sweep()
    else:
        lost = timedelta(seconds=lost_after_seconds)
        again = deliveries.sweep(lost_after=lost, stuck_after=lost)
    db.session.commit()
    return len(again)


def feedback_invites() -> int:
    """Queue the feedback e-mails that are due; return how many."""
    settings = get_settings()
    queued = queue_feedback_invites(settings.business_name, language=words.customer_language(settings))
    db.session.commit()
    return queued


def post_webhooks(budget: int = 200, now: datetime | None = None) -> str:
    """Send up to `budget` due webhook deliveries, oldest first (as of `now`, default the present); return what
    became of them (for the log)."""
    webhook_posts.take_back_stuck(now)
    db.session.commit()
    done, silent = Counter(), set()
    for _ in range(budget):
        taken = webhook_posts.claim_next(now, skip=frozenset(silent))
        db.session.commit()  # the claim holds before the receiver is called: another sender skips it
        if taken is None:
            break
        status, answer = webhook_posts.post(taken, now)
        delay = webhook_posts.record(taken, status, answer, now)
        db.session.commit()
        done["delivered" if status and 200 <= status < 300 else "not delivered"] += 1
        if status is None:
            silent.add(taken.webhook_id)  # its other deliveries wait for the next run, not TIMEOUT each
        if delay is not None:
            _schedule_sweep(delay)
    else:
        _schedule_sweep(0)  # more may be due than one run sends
    return ", ".join(f"{count} {outcome}" for outcome, count in sorted(done.items())) or "nothing due"


def _schedule_sweep(seconds: int) -> None:
    try:
        current_app.extensions["queue_tasks"][webhooks.SWEEP_TASK].schedule(delay=seconds)
    except Exception:  # the periodic run finds it once it is due
        log.exception("could not schedule the webhook sweep")


def init_app(app: Flask) -> None:
    """Define the e-mail tasks on the app's queue."""
    define(app, deliveries.SEND_TASK, send_delivery)
    define(app, deliveries.SEND_RUN_TASK, run_campaign_send)
    define(app, "sweep_deliveries", sweep_deliveries, every_minute=True)
    define(app, "queue_feedback_invites", feedback_invites, every_minute=True)
    define(app, webhooks.SWEEP_TASK, post_webhooks, every_minute=True)
