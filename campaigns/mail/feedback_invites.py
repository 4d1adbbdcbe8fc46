"""The e-mails asking free customers for feedback: `flask --app app send-feedback-invites` sends the due ones,
and a serving app looks for them every FEEDBACK_MAIL_EVERY seconds itself, so `make run` needs no cron."""
import logging
import threading
from datetime import datetime

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from campaigns.accounts.business import get_settings
from campaigns.extensions import db
from campaigns.feedback import invites as feedback_invites
from campaigns.links import voucher_url
from campaigns.mail.sending import Letter, send_now

log = logging.getLogger(__name__)


def feedback_letter(invite: feedback_invites.Invite, business: str) -> Letter:
    """Write the e-mail that asks a customer what they thought, with the link to their voucher's feedback form."""
    offer = invite.offer or "your free offer"
    body = (f"Hello,\n\nThank you for visiting {business}. How was {offer}?\n\n"
            f"A few quick questions, under a minute, no account needed:\n{voucher_url(invite.code)}\n\n"
            f"{invite.question}\n\nYou can change your answer for a day after you send it.\n\n{business}\n")
    subject = " ".join(f"How was {offer}? A quick question from {business}".split())  # one line
    return Letter(invite.email, subject[:200], body, f"feedback invite {invite.invite_id}")


def send_feedback_invites(app: Flask, now: datetime | None = None) -> tuple[int, int]:
    """Claim the due invites, commit, then renew each claim and send it; return (sent, failed). Safe in any number
    of processes, however slow the mail server."""
    with app.app_context():  # its own session, removed (and rolled back if need be) when the context ends
        invites = feedback_invites.claim_due(now)
        db.session.commit()
        business = get_settings().business_name
        done = 0
        for invite in invites:
            mine = feedback_invites.lease(invite, now)
            db.session.commit()
            if not mine:  # taken over by another sender while this batch was being sent
                continue
            if send_now(app, feedback_letter(invite, business)):
                feedback_invites.sent(invite.invite_id, now)
                db.session.commit()
                done += 1
    return done, len(invites) - done


@click.command("send-feedback-invites")
@with_appcontext
def send_feedback_invites_command():
    """E-mail the feedback links that are due (campaigns with an e-mail delay; for cron, if the timer is off)."""
    done, failed = send_feedback_invites(current_app._get_current_object())
    click.echo(f"Sent {done} feedback e-mail(s); {failed} failed and will be tried again.")


def _every(app: Flask, seconds: int, stop: threading.Event) -> None:
    while not stop.wait(seconds):
        try:
            send_feedback_invites(app)
        except Exception:  # the database or mail server is away: try again next time
            log.exception("could not send feedback e-mails")


def init_app(app: Flask) -> None:
    """Register the command; start the timer with the first request served (never in a command or a test)."""
    app.cli.add_command(send_feedback_invites_command)
    seconds = app.config.get("FEEDBACK_MAIL_EVERY", 0)
    if not seconds:
        return
    started, stop = threading.Lock(), threading.Event()
    app.extensions["feedback_mail_stop"] = stop  # set it to end the timer (a test's app, a clean shutdown)

    def start_timer():
        if started.acquire(blocking=False):
            threading.Thread(target=_every, args=(app, seconds, stop), name="feedback-mail", daemon=True).start()

    app.before_request(start_timer)
