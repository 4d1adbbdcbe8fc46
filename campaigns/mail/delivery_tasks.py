"""The job queue's e-mail tasks, and the consumer's one commit edge: each task's writes commit here.

- `send_delivery(id)`: claim one delivery, send it, record what the server answered; a failure is tried again
  after the next of MAIL_RETRY_DELAYS (seconds), then given up.
- `sweep_deliveries` (each minute, and once as a consumer starts): queue again what is due or was lost; give up
  what a dead sender left.
- `queue_feedback_invites` (each minute): the feedback e-mails that are due become deliveries."""
import logging
from datetime import timedelta

from flask import Flask, current_app

from campaigns.accounts.business import get_settings
from campaigns.extensions import db
from campaigns.jobs.queue import define
from campaigns.mail import deliveries, mail_server
from campaigns.mail.feedback_invites import queue_feedback_invites
from campaigns.mail.sending import Refused, SendFailure, send

log = logging.getLogger(__name__)


def send_delivery(delivery_id: int) -> str:
    """Send one delivery if it is there to take; return what became of it (for the consumer's log)."""
    delivery = deliveries.claim(delivery_id)
    db.session.commit()  # the claim holds before the server is spoken to: a second run finds nothing to take
    if delivery is None:
        return "not taken"
    config = current_app.config
    try:
        send(delivery, mail_server.server(config, get_settings().business_name))
    except SendFailure as failure:
        delays = () if isinstance(failure, Refused) else config["MAIL_RETRY_DELAYS"]
        delay = deliveries.record_failure(delivery, str(failure), delays)
        db.session.commit()
        if delay is not None:
            _retry_in(delivery_id, delay)
        return f"failed: {failure}"
    deliveries.record_sent(delivery)
    db.session.commit()
    return "sent"


def _retry_in(delivery_id: int, seconds: int) -> None:
    try:
        current_app.extensions["queue_tasks"][deliveries.SEND_TASK].schedule((delivery_id,), delay=seconds)
    except Exception:  # the sweep queues it again once it is due
        log.exception("could not schedule delivery %s again", delivery_id)


def sweep_deliveries(lost_after_seconds: int | None = None) -> int:
    """Queue again the deliveries that are due or lost; give up those a dead sender left; return how many."""
    again = deliveries.sweep(lost_after=deliveries.LOST_AFTER if lost_after_seconds is None
                             else timedelta(seconds=lost_after_seconds))
    db.session.commit()
    return len(again)


def feedback_invites() -> int:
    """Queue the feedback e-mails that are due; return how many."""
    queued = queue_feedback_invites(get_settings().business_name)
    db.session.commit()
    return queued


def init_app(app: Flask) -> None:
    """Define the e-mail tasks on the app's queue."""
    define(app, deliveries.SEND_TASK, send_delivery)
    define(app, "sweep_deliveries", sweep_deliveries, every_minute=True)
    define(app, "queue_feedback_invites", feedback_invites, every_minute=True)
