"""API: webhooks (API.md, `POST/GET /api/v1/webhooks`, `DELETE /api/v1/webhooks/{id}`,
`GET /api/v1/webhooks/{id}/deliveries`): owners register an address for events; the job queue sends them."""
from flask import jsonify

from campaigns.jobs import webhooks
from campaigns.models import WEBHOOK_EVENTS, Webhook, WebhookDelivery
from campaigns.web import schemas
from campaigns.web.access import current_identity
from campaigns.web.api import operation
from campaigns.web.payloads import json_body

ERROR = {"schema": {"$ref": "#/components/schemas/Error"}}
_TIME = {"type": "string", "format": "date-time"}
HOOK_SCHEMA = {"type": "object", "properties": {
    "id": {"type": "integer"}, "url": {"type": "string"}, "created_at": _TIME,
    "events": {"type": "array", "items": {"type": "string", "enum": list(WEBHOOK_EVENTS)}},
    "secret": {"type": "string", "description": "Only in the answer that created it: keep it to check signatures"}}}
DELIVERY_SCHEMA = {"type": "object", "properties": {
    "id": {"type": "integer"}, "event_id": {"type": "string"}, "event_type": {"type": "string"},
    "status": {"type": "string", "enum": ["queued", "sending", "retrying", "delivered", "failed", "cancelled"]},
    "attempts": {"type": "integer"}, "created_at": _TIME, "last_attempt_at": {**_TIME, "nullable": True},
    "next_attempt_at": {**_TIME, "nullable": True}, "delivered_at": {**_TIME, "nullable": True},
    "last_status": {"type": "integer", "nullable": True}, "last_answer": {"type": "string", "nullable": True}}}


def hook_json(hook: Webhook, secret: str | None = None) -> dict:
    """Return a webhook as the API shows it (its secret only when just made)."""
    shown = {"id": hook.id, "url": hook.url, "events": webhooks.events_of(hook), "created_at": hook.created_at.isoformat()}
    return shown | {"secret": secret} if secret else shown


def delivery_json(delivery: WebhookDelivery) -> dict:
    """Return one delivery of an event to a webhook, with what its receiver last answered."""
    def moment(value):
        return value.isoformat() if value else None

    waiting = delivery.status in ("queued", "retrying")
    return {"id": delivery.id, "event_id": delivery.event_id, "event_type": delivery.event_type,
            "status": delivery.status, "attempts": delivery.attempts, "created_at": moment(delivery.created_at),
            "last_attempt_at": moment(delivery.last_attempt_at),
            "next_attempt_at": moment(delivery.next_attempt_at) if waiting else None,
            "delivered_at": moment(delivery.delivered_at), "last_status": delivery.last_status,
            "last_answer": delivery.last_answer}


@operation("/webhooks", "POST", "owner", "Register a webhook ({url, events}); the answer holds its secret, shown once. "
           "Each event is POSTed, signed with Reciprocate-Signature, from the job queue; no 2xx within 10 s is "
           "tried again with growing delays for 24 hours, with the same event id.",
           {"201": {"description": "Registered", "schema": HOOK_SCHEMA},
            "422": {"description": "invalid_input: the url or the events", **ERROR}},
           request_schema=schemas.closed({
               "url": schemas.text(webhooks.URL_MAX, 1, description="http:// or https:// address"),
               "events": {"type": "array", "minItems": 1, "items": {"type": "string", "enum": list(WEBHOOK_EVENTS)}}},
               ["url", "events"]))
def create_webhook():
    """Register a webhook and show its secret once."""
    body = json_body()
    identity = current_identity()
    hook, secret = webhooks.create_webhook(body.get("url"), body.get("events"), identity.user_id, identity.token_id)
    return jsonify(hook_json(hook, secret)), 201


@operation("/webhooks", "GET", "owner", "The registered webhooks (without their secrets).",
           {"200": {"description": "The webhooks", "schema": {"type": "object", "properties": {
               "webhooks": {"type": "array", "items": HOOK_SCHEMA}}}}})
def list_webhooks():
    """List the registered webhooks."""
    return jsonify({"webhooks": [hook_json(hook) for hook in webhooks.live_webhooks()]})


@operation("/webhooks/<int:webhook_id>", "DELETE", "owner", "Stop a webhook: nothing more is sent to it; deliveries "
           "still waiting are cancelled.",
           {"204": {"description": "Stopped"}, "404": {"description": "unknown_webhook", **ERROR}})
def delete_webhook(webhook_id: int):
    """Stop a webhook."""
    identity = current_identity()
    webhooks.delete_webhook(webhook_id, user_id=identity.user_id, token_id=identity.token_id)
    return "", 204


@operation("/webhooks/<int:webhook_id>/deliveries", "GET", "owner", "A webhook's latest 50 deliveries, newest first, "
           "each with its status, tries and the receiver's last answer.",
           {"200": {"description": "Deliveries", "schema": {"type": "object", "properties": {
               "deliveries": {"type": "array", "items": DELIVERY_SCHEMA}}}},
            "404": {"description": "unknown_webhook", **ERROR}})
def webhook_deliveries(webhook_id: int):
    """Show a webhook's deliveries."""
    return jsonify({"deliveries": [delivery_json(delivery) for delivery in webhooks.deliveries(webhook_id)]})
