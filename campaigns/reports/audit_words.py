"""The audit log in plain words: what each action and outcome means, and an entry's details in a short line."""
from datetime import date, datetime

# Every action the app writes to the audit log, in the order the page's "What" filter offers them.
ACTIONS = {
    "redeem": "Redemptions and refused attempts",
    "undo_redemption": "Redemptions undone",
    "purchase_void": "Purchases voided",
    "purchase_refund": "Purchases refunded",
    "purchase_import": "Purchase imports",
    "customer_merge": "Customers merged",
    "campaign_create": "Campaigns created",
    "campaign_edit": "Campaigns edited",
    "campaign_status": "Campaigns started, paused, ended",
    "campaign_archive": "Campaigns archived",
    "campaign_delete": "Campaigns deleted",
    "audience_assign": "Audiences drawn",
    "campaign_send": "Campaign e-mails sent",
    "campaign_send_cancel": "Campaign e-mail sends cancelled",
    "campaign_mail": "Unsubscribes",
    "user_create": "Users added",
    "user_role": "Roles changed",
    "user_active": "Users deactivated or reactivated",
    "user_rename": "Users renamed",
    "user_password": "Passwords changed or reset",
    "token_create": "API tokens created",
    "token_revoke": "API tokens revoked",
    "token_use": "API tokens used",
    "webhook": "Webhooks added or stopped",
    "business_settings": "Business settings changed",
    "location": "Locations added or changed",
    "customer_page": "Customer page changed",
    "email_settings": "E-mail settings changed",
    "first_steps": "First steps: a report first read, the list hidden or shown",
}

# What happened, for each (action, outcome) that is not simply "<action>: <outcome>".
WORDS = {
    ("redeem", "redeemed"): "Redeemed",
    ("redeem", "repeated"): "Redemption sent again (already recorded)",
    ("undo_redemption", "undone"): "Redemption undone",
    ("purchase_void", "voided"): "Purchase voided",
    ("purchase_refund", "refunded"): "Purchase refunded",
    ("purchase_import", "started"): "Purchase import started",
    ("purchase_import", "finished"): "Purchase import finished",
    ("customer_merge", "merged"): "Customers merged",
    ("campaign_create", "created"): "Campaign created",
    ("campaign_edit", "edited"): "Campaign edited",
    ("campaign_status", "active"): "Campaign started",
    ("campaign_status", "paused"): "Campaign paused",
    ("campaign_status", "resumed"): "Campaign resumed",
    ("campaign_status", "ended"): "Campaign ended",
    ("campaign_archive", "archived"): "Campaign archived",
    ("campaign_archive", "unarchived"): "Campaign brought back from the archive",
    ("campaign_delete", "deleted"): "Campaign deleted",
    ("audience_assign", "assigned"): "Audience drawn (holdout set aside)",
    ("campaign_send", "ok"): "Campaign e-mail send started",
    ("campaign_send_cancel", "ok"): "Campaign e-mail send cancelled",
    ("campaign_mail", "unsubscribed"): "Customer unsubscribed from campaign e-mails",
    ("campaign_mail", "resubscribed"): "Customer subscribed again to campaign e-mails",
    ("user_create", "created"): "User added",
    ("user_role", "changed"): "Role changed",
    ("user_active", "deactivated"): "User deactivated",
    ("user_active", "reactivated"): "User reactivated",
    ("user_rename", "renamed"): "User renamed",
    ("user_password", "reset"): "Password reset (by an owner)",
    ("user_password", "changed"): "Password changed by its user",
    ("token_create", "created"): "API token created",
    ("token_revoke", "revoked"): "API token revoked",
    ("token_use", "used"): "API token used (first use this hour)",
    ("webhook", "created"): "Webhook added",
    ("webhook", "stopped"): "Webhook stopped",
    ("business_settings", "changed"): "Business settings changed",
    ("location", "created"): "Location added",
    ("location", "changed"): "Location changed",
    ("customer_page", "changed"): "Customer page changed",
    ("customer_page", "logo_set"): "Logo set for customers' pages",
    ("customer_page", "logo_removed"): "Logo removed from customers' pages",
    ("email_settings", "changed"): "E-mail settings changed",
    ("first_steps", "report_read"): "A campaign report read for the first time",
    ("first_steps", "hidden"): "First-steps list hidden from the dashboard",
    ("first_steps", "shown"): "First-steps list shown again on the dashboard",
}

# The details' keys in people's words; keys not listed read with their underscores as spaces.
_KEYS = {"amount_cents": "amount", "redemption_id": "redemption", "send_id": "send", "refund_id": "refund",
         "external_id": "purchase id", "scan_id": "scan", "queued": "e-mails queued", "device_time": "device time"}
# Keys a redemption's refusal carries twice: its message already says when, where and by whom.
_SAID_IN_MESSAGE = ("summary", "redeemed_at", "by", "location")
DETAILS_MAX = 200
_VALUE_MAX = 60


def outcome_words(action: str, outcome: str) -> str:
    """Say what an entry's action and outcome mean, e.g. "Redemption refused: already redeemed"."""
    if (action, outcome) in WORDS:
        return WORDS[action, outcome]
    spoken = outcome.replace("_", " ")
    if action == "redeem":
        return f"Redemption refused: {spoken}"
    return f"{ACTIONS.get(action, action.replace('_', ' ').capitalize())}: {spoken}"


def short_details(details: dict | None, limit: int = DETAILS_MAX) -> str:
    """Write an entry's details as one short line: "currency: USD → EUR; reason: mistyped"."""
    parts, details = [], details or {}
    for key, value in details.items():
        if value in (None, "", [], {}) or ("message" in details and key in _SAID_IN_MESSAGE):
            continue
        if key == "message":  # a refusal's own sentence reads best as it was said
            parts.append(" ".join(str(value).split()).rstrip("."))
        elif key == "changes" and isinstance(value, dict):
            parts += [f"{_key(field)}: {_change(change)}" for field, change in value.items()]
        else:
            parts.append(f"{_key(key)}: {_value(value)}")
    line = "; ".join(parts)
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def _key(key: str) -> str:
    return _KEYS.get(key, str(key).replace("_", " "))


def _change(change) -> str:
    if isinstance(change, (list, tuple)) and len(change) == 2:
        return f"{_value(change[0])} → {_value(change[1])}"
    return _value(change)


def _value(value) -> str:
    if value is None or value == "":
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return ", ".join(f"{_key(key)} {_value(item)}" for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(_value(item) for item in value)
    text = " ".join(str(value).split())
    return text if len(text) <= _VALUE_MAX else text[: _VALUE_MAX - 1] + "…"
