"""Webhooks: the addresses other tools register, and the events written for them in the transaction that caused
them (one delivery row per webhook that asked for the event's type), so an event exists exactly when its change
does. The job queue sends them after the commit (mail/webhook_posts.py, mail/delivery_tasks.py)."""
import json
import secrets
import uuid
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import exists, insert, select, update

from campaigns.core import audit, inputs
from campaigns.core.errors import FieldErrors, NotFound, ValidationError
from campaigns.extensions import db
from campaigns.jobs.after_commit import enqueue_after_commit
from campaigns.models import WEBHOOK_EVENTS, Webhook, WebhookDelivery, utcnow

POST_TASK = "post_webhook"
SWEEP_TASK = "sweep_webhooks"
URL_MAX = 2000
_DELIVERY = WebhookDelivery.__table__
_WEBHOOK = Webhook.__table__


def create_webhook(url, events, user_id: int | None = None, token_id: int | None = None) -> tuple[Webhook, str]:
    """Register a webhook for `events` (a list of WEBHOOK_EVENTS); return it and its secret (shown only now)."""
    wrong = FieldErrors()
    url = wrong.check(_url, url)
    events = wrong.check(_events, events)
    wrong.raise_any()
    secret = "whsec_" + secrets.token_urlsafe(32)
    hook = Webhook(url=url, events=" " + " ".join(events) + " ", secret=secret, created_by_id=user_id,
                   token_id=token_id)
    db.session.add(hook)
    db.session.flush()
    audit.record("webhook", "created", user_id=user_id, token_id=token_id, subject=("webhook", hook.id),
                 details={"url": url, "events": events})
    return hook, secret


def _url(value) -> str:
    text = inputs.text(value, "url", URL_MAX, minimum=1)
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in text:
        raise ValidationError({"url": "An http:// or https:// address, like https://example.com/hooks/reciprocate"})
    if parts.username or parts.password:
        raise ValidationError({"url": "No user name or password in the address: check the signature instead."})
    return text


def _events(value) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(event, str) for event in value):
        raise ValidationError({"events": "A list of one or more of: " + ", ".join(WEBHOOK_EVENTS)})
    unknown = sorted(set(value) - set(WEBHOOK_EVENTS))
    if unknown:
        raise ValidationError({"events": f"Not events here: {', '.join(unknown)}. Events: {', '.join(WEBHOOK_EVENTS)}"})
    return [event for event in WEBHOOK_EVENTS if event in value]


def events_of(hook: Webhook) -> list[str]:
    """The event types a webhook asked for."""
    return hook.events.split()


def live_webhooks() -> list[Webhook]:
    """The registered webhooks, oldest first."""
    return db.session.scalars(select(Webhook).where(Webhook.deleted_at.is_(None)).order_by(Webhook.id)).all()


def webhook(webhook_id: int) -> Webhook:
    """One registered webhook, or raise unknown_webhook."""
    hook = db.session.get(Webhook, webhook_id)
    if hook is None or hook.deleted_at is not None:
        raise NotFound("unknown_webhook", "There is no such webhook.")
    return hook


def delete_webhook(webhook_id: int, now: datetime | None = None, user_id: int | None = None,
                   token_id: int | None = None) -> None:
    """Stop a webhook: nothing more is sent to it, what waits is cancelled; its delivery log stays."""
    hook = webhook(webhook_id)
    hook.deleted_at = now or utcnow()
    audit.record("webhook", "stopped", user_id=user_id, token_id=token_id, subject=("webhook", hook.id),
                 details={"url": hook.url}, now=now)
    db.session.execute(update(_DELIVERY).where(_DELIVERY.c.webhook_id == hook.id,
                                               _DELIVERY.c.status.in_(("queued", "retrying")))
                       .values(status="cancelled"))


def deliveries(webhook_id: int, limit: int = 50) -> list[WebhookDelivery]:
    """A webhook's latest deliveries, newest first."""
    return db.session.scalars(select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook(webhook_id).id)
                              .order_by(WebhookDelivery.id.desc()).limit(limit)).all()


def emit(event_type: str, data: dict, now: datetime | None = None) -> int:
    """Write one event for every webhook that asked for its type; return how many deliveries that made."""
    return _deliver(listening(event_type), event_type, [data], now or utcnow())


def listening(event_type: str) -> list[int]:
    """The ids of the webhooks that asked for `event_type` (bulk writers ask first, and build no events for none)."""
    return db.session.scalars(select(Webhook.id).where(*_asked(event_type))).all()


def anyone_listening(event_type: str):
    """A SQL condition: some webhook asked for `event_type` (a hot path folds it into a statement it runs anyway)."""
    # On the table, not the mapped class: an ORM entity would send the whole statement through the ORM's execution
    # path, which the redemption's one statement (plain Core) would pay at every scan.
    return exists(select(_WEBHOOK.c.id).where(*_asked(event_type)))


def _asked(event_type: str) -> tuple:
    return _WEBHOOK.c.deleted_at.is_(None), _WEBHOOK.c.events.contains(f" {event_type} ")


def emit_to(hooks: list[int], event_type: str, items: list[dict], now: datetime | None = None) -> int:
    """Write an event per item for the webhooks `hooks` (from `listening`); return how many deliveries."""
    return _deliver(hooks, event_type, items, now or utcnow())


def ping(webhook_id: int, now: datetime | None = None) -> None:
    """Send a `ping` event to one webhook (Settings' test button)."""
    _deliver([webhook(webhook_id).id], "ping", [{"message": "A test from Reciprocate: this webhook is set up."}],
             now or utcnow())


def _deliver(hooks: list[int], event_type: str, items: list[dict], now: datetime) -> int:
    if not hooks:
        return 0
    rows = []
    for data in items:
        event_id = "evt_" + uuid.uuid4().hex
        body = json.dumps({"id": event_id, "type": event_type, "created_at": now.isoformat(), "data": data},
                          separators=(",", ":"), ensure_ascii=False)
        rows += [{"webhook_id": hook, "event_id": event_id, "event_type": event_type, "body": body,
                  "status": "queued", "attempts": 0, "created_at": now, "next_attempt_at": now} for hook in hooks]
    db.session.execute(insert(_DELIVERY), rows)
    enqueue_after_commit(SWEEP_TASK)  # one task sends all that is due, whatever the batch's size
    return len(rows)
