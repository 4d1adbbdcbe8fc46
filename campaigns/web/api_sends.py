"""API: sending a campaign to its audience's treatment members, and the send's progress and cancel (API.md,
`POST /api/v1/campaigns/{id}/sends`, `GET /api/v1/sends/{id}`, `POST /api/v1/sends/{id}/cancel`)."""
from flask import jsonify, request

from campaigns.accounts.business import get_settings
from campaigns.core.errors import ValidationError
from campaigns.giving import designs as campaigns
from campaigns.mail import campaign_sends
from campaigns.web.access import current_identity
from campaigns.web.api import operation
from campaigns.web.payloads import json_body

ERROR = {"schema": {"$ref": "#/components/schemas/Error"}}
_COUNT = {"type": "integer", "minimum": 0}
STARTED_SCHEMA = {"type": "object", "required": ["send_id", "queued"], "properties": {
    "send_id": {"type": "integer"},
    "queued": {"type": "integer", "minimum": 1, "description": "Treatment members this send e-mails"}}}
PROGRESS_SCHEMA = {"type": "object", "required": ["status", "total", "sent", "failed", "cancel_until"], "properties": {
    "id": {"type": "integer"}, "campaign_id": {"type": "integer"},
    "status": {"type": "string", "enum": ["queued", "sending", "done", "cancelled"]},
    "total": _COUNT, "sent": _COUNT,
    "failed": {**_COUNT, "description": "Given up, or failed and waiting to be tried again"},
    "cancelled": {**_COUNT, "description": "Stopped by a cancel before they were sent"},
    "cancel_until": {"type": "string", "format": "date-time"},
    "created_at": {"type": "string", "format": "date-time"}}}
EMPTY_BODY = {"type": "object", "additionalProperties": False, "properties": {}}


def progress_json(progress: campaign_sends.Progress) -> dict:
    """Return a send's progress as the API answers it."""
    return {"id": progress.id, "campaign_id": progress.campaign_id, "status": progress.status,
            "total": progress.total, "sent": progress.sent, "failed": progress.failed,
            "cancelled": progress.cancelled, "cancel_until": progress.cancel_until.isoformat(),
            "created_at": progress.created_at.isoformat()}


def _no_fields() -> None:
    """A send takes no fields: an empty body, or an empty JSON object."""
    if not request.get_data(cache=True).strip():
        return
    wrong = {field: "Not a field here: a send takes no fields." for field in json_body()}
    if wrong:
        raise ValidationError(wrong)


@operation("/campaigns/<int:campaign_id>/sends", "POST", "marketer",
           "E-mail every treatment member of the campaign's audience who has not yet been sent it (never a control "
           "member, never an unsubscribed customer): their voucher with its QR code and a one-click unsubscribe. "
           "The sending runs on the job queue; each member gets one e-mail whatever crashes or restarts happen.",
           {"202": {"description": "Queued; follow it at GET /sends/{send_id}", "schema": STARTED_SCHEMA},
            "404": {"description": "unknown_campaign", **ERROR},
            "409": {"description": "nothing_to_send: every treatment member who may get e-mail has been sent this "
                                   "campaign already, or the audience has none", **ERROR},
            "422": {"description": "campaign_not_active (a draft, paused or ended campaign), or invalid_input for "
                                   "a field sent", **ERROR},
            "503": {"description": "unavailable: the job queue or the database cannot be reached; nothing queued",
                    **ERROR}},
           request_schema=EMPTY_BODY)
def start_send(campaign_id: int):
    """Queue a campaign's e-mail to its treatment members not yet sent it."""
    campaign = campaigns.get_campaign(campaign_id)
    _no_fields()
    identity = current_identity()
    send = campaign_sends.start_send(campaign, get_settings().business_name, user_id=identity.user_id,
                                     token_id=identity.token_id)
    return jsonify(send_id=send.id, queued=send.total), 202


@operation("/sends/<int:send_id>", "GET", "marketer", "Where a send stands: queued, sending, done or cancelled, with "
           "how many of its e-mails were sent and failed, and until when it can be cancelled.",
           {"200": {"description": "The send's progress", "schema": PROGRESS_SCHEMA},
            "404": {"description": "unknown_send", **ERROR}})
def send_progress(send_id: int):
    """Answer a send's progress."""
    return jsonify(progress_json(campaign_sends.progress(campaign_sends.get_send(send_id))))


@operation("/sends/<int:send_id>/cancel", "POST", "marketer",
           "Stop what a send has not yet sent (an e-mail the server already has is not called back).",
           {"200": {"description": "Cancelled; its progress", "schema": PROGRESS_SCHEMA},
            "404": {"description": "unknown_send", **ERROR},
            "409": {"description": "too_late: cancel_until has passed, or nothing is left to stop", **ERROR}},
           request_schema=EMPTY_BODY)
def cancel_send(send_id: int):
    """Cancel what a send has not yet sent."""
    _no_fields()
    identity = current_identity()
    progress = campaign_sends.cancel(send_id, user_id=identity.user_id, token_id=identity.token_id)
    return jsonify(progress_json(progress))
