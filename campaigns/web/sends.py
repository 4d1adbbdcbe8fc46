"""Sending a campaign to its audience, for marketers: how many treatment members the next send would e-mail, the
button that sends, and each send's progress bar with its cancel while it can still stop something."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from campaigns.accounts.business import get_settings
from campaigns.core import numbers
from campaigns.extensions import db
from campaigns.giving import audiences
from campaigns.giving.designs import campaign_state
from campaigns.links import unreachable_address
from campaigns.mail import campaign_sends
from campaigns.mail.campaign_sends import CANCEL_WINDOW
from campaigns.models import Campaign, CampaignSend
from campaigns.web.access import requires
from campaigns.web.transaction import attempt


def _count(value: int) -> str:
    return numbers.count_text(value, get_settings().locale)


bp = Blueprint("sends", __name__, url_prefix="/campaigns/<int:campaign_id>/sends")


@bp.route("")
@requires("marketer")
def show(campaign_id: int):
    """The send page: who the next send reaches, and every send so far with its progress."""
    campaign = db.get_or_404(Campaign, campaign_id)
    state = campaign_state(campaign)
    return render_template("sends/show.html", campaign=campaign, counts=audiences.group_counts(campaign.id),
                           state=state.replace("_", " "), sendable=state in campaign_sends.SENDABLE,
                           to_send=campaign_sends.count_to_send(campaign.id), sends=campaign_sends.sends_of(campaign.id),
                           unreachable=unreachable_address(), cancel_minutes=CANCEL_WINDOW.seconds // 60)


@bp.route("", methods=["POST"])
@requires("marketer")
def start(campaign_id: int):
    """Queue the campaign's e-mail to the treatment members not yet sent it."""
    campaign = db.get_or_404(Campaign, campaign_id)
    send, error = attempt(lambda: campaign_sends.start_send(campaign, get_settings().business_name,
                                                             user_id=current_user.id))
    if error is not None:
        flash(error.message, "error")
        return redirect(url_for("sends.show", campaign_id=campaign.id))
    flash(f"Sending to {_count(send.total)} {'member' if send.total == 1 else 'members'}. You can cancel what is "
          f"not yet sent for {CANCEL_WINDOW.seconds // 60} minutes.", "success")
    return redirect(url_for("sends.show", campaign_id=campaign.id) + f"#send-{send.id}")


@bp.route("/<int:send_id>/cancel", methods=["POST"])
@requires("marketer")
def cancel(campaign_id: int, send_id: int):
    """Stop what a send has not yet sent."""
    db.first_or_404(db.select(CampaignSend).where(CampaignSend.id == send_id, CampaignSend.campaign_id == campaign_id))
    progress, error = attempt(lambda: campaign_sends.cancel(send_id, user_id=current_user.id))
    if error is not None:
        flash(error.message, "error")
    else:
        flash(f"Cancelled: {_count(progress.cancelled)} e-mails will not be sent; {_count(progress.sent)} had gone "
              "already.", "success")
    return redirect(url_for("sends.show", campaign_id=campaign_id) + f"#send-{send_id}")
