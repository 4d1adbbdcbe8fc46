"""E-mail to customers: their voucher's link, sent once the request has answered and committed."""
import logging
from dataclasses import dataclass
from email.mime.image import MIMEImage
from email.utils import formataddr

from flask import Flask, Response, current_app, g
from flask_mailman import EmailMultiAlternatives
from flask_mailman.message import SafeMIMEMultipart

from campaigns.extensions import mail
from campaigns.giving import codes
from campaigns.links import voucher_url
from campaigns.models import Voucher

log = logging.getLogger(__name__)
SMTP_TIMEOUT = 10  # seconds; a hung mail server must not hold a worker for ever


@dataclass(frozen=True)
class Inline:
    """An image inside a letter's HTML part, which shows it as <img src="cid:{cid}">."""

    cid: str
    content: bytes
    filename: str
    subtype: str = "png"


@dataclass(frozen=True)
class Letter:
    """One e-mail to one address: plain text, and optionally an HTML part with its inline images, extra headers
    and the sender's display name (the address stays the mail settings' own)."""

    to: str
    subject: str
    body: str
    about: str  # what the log names when sending fails (never the address)
    html: str | None = None
    inline: tuple[Inline, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    sender_name: str | None = None


class _LetterMessage(EmailMultiAlternatives):
    """A text and HTML e-mail whose HTML travels with its images: alternative(text, related(html, images))."""

    def __init__(self, *args, inline: tuple[Inline, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.inline = inline

    def _create_mime_attachment(self, content, mimetype):
        part = super()._create_mime_attachment(content, mimetype)
        if mimetype != "text/html" or not self.inline:
            return part
        charset = self.encoding or current_app.extensions["mailman"].default_charset
        related = SafeMIMEMultipart(_subtype="related", encoding=charset)
        related.attach(part)
        for image in self.inline:
            picture = MIMEImage(image.content, image.subtype)
            picture.add_header("Content-ID", f"<{image.cid}>")
            picture.add_header("Content-Disposition", "inline", filename=image.filename)
            related.attach(picture)
        return related


def email_message(letter: Letter, connection=None, sender: str | None = None) -> EmailMultiAlternatives:
    """Build the message a letter stands for (in an app context), from `sender` or the mail settings' sender."""
    address = sender or current_app.extensions["mailman"].default_sender
    if letter.sender_name:
        address = formataddr((" ".join(letter.sender_name.split()), address))  # one line, quoted as needed
    message = _LetterMessage(letter.subject, letter.body, from_email=address, to=[letter.to],
                             connection=connection, headers=dict(letter.headers), inline=letter.inline)
    if letter.html is not None:
        message.attach_alternative(letter.html, "text/html")
    return message


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
            email_message(letter, connection).send()
        except Exception:  # the mail server is down or refuses: the customer still has the page
            log.exception("could not e-mail %s", letter.about)
            return False
    return True
