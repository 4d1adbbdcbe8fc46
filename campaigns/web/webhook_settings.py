"""Settings → Webhooks (owner): register an address for events, see each delivery and what its receiver answered,
send a test ping, stop a webhook. The same service as the API's /webhooks."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from campaigns.jobs import webhooks
from campaigns.models import WEBHOOK_EVENTS
from campaigns.web.access import requires
from campaigns.web.transaction import attempt

bp = Blueprint("webhook_settings", __name__, url_prefix="/settings/webhooks")
EVENT_WORDS = {"voucher.redeemed": "A voucher is redeemed", "redemption.undone": "A redemption is undone",
               "purchase.recorded": "A purchase or refund is recorded (desk, API or import)",
               "campaign.status_changed": "A campaign starts, pauses, resumes or ends",
               "feedback.answered": "A customer answers the feedback form (or changes the answer)"}


@bp.route("/", methods=["GET", "POST"])
@requires("owner")
def index():
    """List the webhooks and register one; its secret is shown once."""
    secret, errors = None, {}
    typed = {"url": request.form.get("url", ""), "events": request.form.getlist("events")}
    if request.method == "POST":
        made, error = attempt(lambda: webhooks.create_webhook(typed["url"].strip(), typed["events"], current_user.id))
        if error is None:
            secret = made[1]
            typed = {"url": "", "events": []}
            flash("Webhook added. Copy its secret now: it is not shown again.", "success")
        else:
            errors = error.details.get("fields", {})
            flash(error.message, "error")
    return render_template("settings/webhooks.html", hooks=webhooks.live_webhooks(), secret=secret, errors=errors,
                           typed=typed, events=[(event, EVENT_WORDS[event]) for event in WEBHOOK_EVENTS])


@bp.route("/<int:webhook_id>")
@requires("owner")
def show(webhook_id: int):
    """One webhook's deliveries: status, tries, the receiver's last answer and when it is tried next."""
    hook = webhooks.webhook(webhook_id)
    return render_template("settings/webhook.html", hook=hook, deliveries=webhooks.deliveries(webhook_id, 100),
                           events=webhooks.events_of(hook))


@bp.route("/<int:webhook_id>/ping", methods=["POST"])
@requires("owner")
def ping(webhook_id: int):
    """Send a test event to one webhook."""
    _, error = attempt(lambda: webhooks.ping(webhook_id))
    flash(error.message if error else "Test sent: its delivery is below.", "error" if error else "success")
    return redirect(url_for("webhook_settings.show", webhook_id=webhook_id))


@bp.route("/<int:webhook_id>/stop", methods=["POST"])
@requires("owner")
def stop(webhook_id: int):
    """Stop a webhook; what waits to be sent to it is cancelled."""
    _, error = attempt(lambda: webhooks.delete_webhook(webhook_id, user_id=current_user.id))
    flash(error.message if error else "Webhook stopped: nothing more is sent to it.", "error" if error else "success")
    return redirect(url_for("webhook_settings.index"))
