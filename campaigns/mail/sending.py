"""Writing and sending e-mail: the letters the app writes, and one delivery sent through the mail server.

Nothing here runs inside a request: a request queues a delivery (campaigns/mail/deliveries.py) and the job
queue's tasks send it (campaigns/mail/delivery_tasks.py), through an Outbox (campaigns/mail/smtp_outbox.py)."""
from collections.abc import Callable
from dataclasses import dataclass

from flask_mailman import EmailMessage

from campaigns.core import words
from campaigns.core.words import N_
from campaigns.giving import codes
from campaigns.links import voucher_url
from campaigns.mail.campaign_letter import write_campaign_delivery
from campaigns.mail.smtp_outbox import InDoubt, Outbox, SendFailure, Superseded, Unreachable
from campaigns.models import Delivery, Voucher

SMTP_TIMEOUT = 10  # seconds; a hung mail server must not hold a sender for ever


@dataclass(frozen=True)
class Letter:
    """One plain-text e-mail to one address."""

    to: str
    subject: str
    body: str


@dataclass(frozen=True)
class Server:
    """Where and as whom to send: the owner's settings over the MAIL_* configuration."""

    host: str
    port: int
    use_tls: bool
    username: str | None
    password: str | None
    sender: str  # "Name <address>" or an address
    timeout: int = SMTP_TIMEOUT


__all__ = [
    "WRITERS",
    "InDoubt",
    "Letter",
    "Outbox",
    "Refused",
    "SendFailure",
    "Server",
    "Superseded",
    "Unreachable",
    "build",
    "send",
    "voucher_letter",
]


class Refused(SendFailure):
    """A message that must not be sent at all (a writer's refusal: the customer unsubscribed); never tried again."""


# How a delivery of each kind becomes a message. Plain letters are stored whole in the row; a kind that builds
# its message when it is sent (a campaign's HTML letter with its QR code) puts its own writer here; a writer
# raises Refused for a message that must not go.
Writer = Callable[[Delivery, str], EmailMessage]
WRITERS: dict[str, Writer] = {"campaign": write_campaign_delivery}


VOUCHER_LETTER = N_("Hello,\n\nHere is your voucher from %(business)s: %(offer)s.\n\n"
                     "Open it and show it at the counter:\n%(voucher_url)s\n\n"
                     "Code: %(code)s\n%(valid)s\n\n"
                     "If you did not ask for this voucher, you can ignore this e-mail.\n\n%(business)s\n")


def plain_message(delivery: Delivery, sender: str) -> EmailMessage:
    """Build the message of a delivery whose subject and body are stored in its row."""
    return EmailMessage(delivery.subject, delivery.body, from_email=sender, to=[delivery.recipient])


def voucher_letter(voucher: Voucher, to: str, business: str, language: str = words.SOURCE,
                   locale: str | None = None) -> Letter:
    """Write the e-mail that brings a customer their voucher, in `language` (the page they claimed it on): the
    business, the offer, the link."""
    campaign = voucher.campaign
    offer = campaign.offer or words.translate(language, "your free voucher")  # never the internal campaign name
    valid = words.translate(language, "Valid until %(day)s.", day=words.date_text(
        words.date_locale(language, locale), campaign.ends_on)) if campaign.ends_on \
        else words.translate(language, "It has no expiry date.")
    body = words.translate(
        language, VOUCHER_LETTER, business=business, offer=offer, voucher_url=voucher_url(voucher.code),
        code=codes.format_code(voucher.code), valid=valid)
    subject = " ".join(words.translate(language, "Your voucher from %(business)s: %(offer)s", business=business,
                                       offer=offer).split())  # one line: no header injection
    return Letter(to, subject[:200], body)


def build(delivery: Delivery, sender: str) -> EmailMessage:
    """Build the message of one delivery from `sender`, or raise Refused when it must not be sent at all."""
    try:
        return WRITERS.get(delivery.kind, plain_message)(delivery, sender)
    except SendFailure:
        raise
    except Exception as error:  # a writer that cannot or may not build its message: never tried again
        raise Refused(str(error) or error.__class__.__name__) from None


def send(delivery: Delivery, outbox: Outbox, hand_over: Callable[[], bool]) -> None:
    """Send one delivery through `outbox` (hand_over: see smtp_outbox); raise Refused, SendFailure or Superseded."""
    outbox.deliver(build(delivery, outbox.server.sender), hand_over)
