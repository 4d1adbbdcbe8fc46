"""E-mail to customers: their voucher's link, sent once the request has answered and committed."""
import logging
from dataclasses import dataclass

from flask import Flask, Response, current_app, g
from flask_mailman import EmailMessage

from campaigns.extensions import mail
from campaigns.giving import codes
from campaigns.links import voucher_url
from campaigns.models import Voucher

log = logging.getLogger(__name__)
SMTP_TIMEOUT = 10  # seconds; a hung mail server must not hold a worker for ever


@dataclass(frozen=True)
class Letter:
    """One plain-text e-mail to one address."""

    to: str
    subject: str
    body: str
    about: str  # what the log names when sending fails (never the address)


def voucher_letter(voucher: Voucher, to: str, business: str) -> Letter:
    """Write the e-mail that brings a customer their voucher: the business, the offer, the link."""
    campaign = voucher.campaign
    offer = campaign.offer or "your free voucher"  # never the internal campaign name
    valid = f"Valid until {campaign.ends_on:%-d %B %Y}." if campaign.ends_on else "It has no expiry date."
    body = (f"Hello,\n\nHere is your voucher from {business}: {offer}.\n\n"
            f"Open it and show it at the counter:\n{voucher_url(voucher.code)}\n\n"
            f"Code: {codes.format_code(voucher.code)}\n{valid}\n\n"
            f"If you did not ask for this voucher, you can ignore this e-mail.\n\n{business}\n")
    subject = " ".join(f"Your voucher from {business}: {offer}".split())  # one line: no header injection
    return Letter(to, subject[:200], body, f"voucher {voucher.id}")


def send_after(response: Response, letter: Letter) -> None:
    """Send `letter` once the request that answers with `response` has committed, never failing it.

    The letters wait on `g` until the request's teardown, which comes after the commit. (The response's close
    callbacks were used before: Werkzeug's server skips them when the browser drops the connection first, and a
    claimed voucher's e-mail was then never sent.)"""
    pending = g.setdefault("letters_after", [])
    pending.append(letter)


def send_pending(error: BaseException | None = None) -> None:
    """At a request's teardown (after its commit, before its body goes out): send the letters it left, unless
    it failed. A slow mail server delays that answer by at most MAIL_TIMEOUT; a failure is logged, never shown."""
    letters = g.pop("letters_after", [])
    if error is None and letters:
        app = current_app._get_current_object()
        for letter in letters:
            send_now(app, letter)


def send_now(app: Flask, letter: Letter) -> bool:
    """Send one letter through the app's mail settings; log a failure and return False instead of raising."""
    with app.app_context():
        try:
            connection = mail.get_connection(timeout=app.config.get("MAIL_TIMEOUT") or SMTP_TIMEOUT)
            EmailMessage(letter.subject, letter.body, to=[letter.to], connection=connection).send()
        except Exception:  # the mail server is down or refuses: the customer still has the page
            log.exception("could not e-mail %s", letter.about)
            return False
    return True
