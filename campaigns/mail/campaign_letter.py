"""The campaign e-mail one treatment member of an audience gets: their voucher from the business, its QR inline,
and a one-click unsubscribe (RFC 8058). It is only built here; the send's job sends it."""
from datetime import date
from email.mime.image import MIMEImage
from email.utils import formataddr, parseaddr

from flask import current_app
from flask_babel import force_locale
from flask_mailman import EmailMultiAlternatives
from flask_mailman.message import SafeMIMEMultipart

from campaigns.accounts.business import get_settings
from campaigns.contacts.subscriptions import may_send_campaign_mail
from campaigns.core import words
from campaigns.core.words import N_
from campaigns.extensions import db
from campaigns.giving import codes, qr
from campaigns.links import unsubscribe_url, voucher_url
from campaigns.models import Customer, Voucher

QR_BOX = 8  # pixels a module: sharp when a mail client shows it at QR_SHOWN on a phone's dense screen
QR_SHOWN = 240  # CSS pixels


class CampaignMailRefused(Exception):
    """The customer may not be sent a campaign e-mail (unsubscribed since it was queued, or no address)."""


class RelatedMessage(EmailMultiAlternatives):
    """A text and HTML e-mail whose HTML travels with its images: alternative(text, related(html, image…)).
    `inline` holds (Content-ID, PNG bytes, file name) for each image the HTML shows as cid:…"""

    def __init__(self, *args, inline: tuple[tuple[str, bytes, str], ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.inline = inline

    def _create_mime_attachment(self, content, mimetype):
        part = super()._create_mime_attachment(content, mimetype)
        if mimetype != "text/html" or not self.inline:
            return part
        charset = self.encoding or current_app.extensions["mailman"].default_charset
        related = SafeMIMEMultipart(_subtype="related", encoding=charset)
        related.attach(part)
        for cid, png, filename in self.inline:
            picture = MIMEImage(png, "png")
            picture.add_header("Content-ID", f"<{cid}>")
            picture.add_header("Content-Disposition", "inline", filename=filename)
            related.attach(picture)
        return related


CAMPAIGN_LETTER = N_("Hello,\n\n%(business)s has a gift for you: %(offer)s.\n\n"
                      "Open your voucher and show it at the counter:\n%(voucher_url)s\n\n"
                      "Code: %(code)s\n%(valid)s\n\n%(business)s\n\n"
                      "--\nYou get this e-mail as a customer of %(business)s. To get no more offers by e-mail, "
                      "unsubscribe in one click:\n%(unsubscribe_url)s\n")


def write_campaign_delivery(delivery, sender: str) -> RelatedMessage:
    """Build the message of a queued campaign delivery (its voucher_id and customer_id) at the moment it is sent,
    from `sender` ("Name <address>" or an address); raise CampaignMailRefused when its customer unsubscribed
    meanwhile. The shape of the job queue's writers: (delivery, sender) -> message."""
    voucher, customer = db.session.get(Voucher, delivery.voucher_id), db.session.get(Customer, delivery.customer_id)
    message = member_message(voucher, customer, get_settings().business_name, sender) if voucher and customer \
        else None
    if message is None:
        raise CampaignMailRefused(f"customer {delivery.customer_id} may not be sent campaign e-mail")
    return message


def member_message(voucher: Voucher, customer: Customer, business: str, sender: str) -> RelatedMessage | None:
    """Build the campaign e-mail bringing `customer` their `voucher`, or return None when they may not be sent one
    (unsubscribed, or no e-mail address): the one check no send can skip. It is written in the business's customer
    language."""
    if not may_send_campaign_mail(customer):
        return None
    campaign, settings = voucher.campaign, get_settings()
    return campaign_message(code=voucher.code, offer=campaign.offer, ends_on=campaign.ends_on, to=customer.email,
                            business=business, unsubscribe=unsubscribe_url(customer.id), sender=sender,
                            language=words.customer_language(settings), locale=settings.locale)


def campaign_message(*, code: str, offer: str | None, ends_on: date | None, to: str, business: str,
                     unsubscribe: str, sender: str, language: str = words.SOURCE,
                     locale: str | None = None) -> RelatedMessage:
    """Build the campaign e-mail for one voucher code from plain values (in an app context), in `language` (dates
    the business `locale`'s way where it is of that language): text and HTML parts, the QR inline, the
    List-Unsubscribe headers pointing at `unsubscribe`, and the business's name on the From line when `sender`
    carries no name of its own."""
    business = " ".join(business.split())
    offer = _offer(offer, language)  # never the internal campaign name
    link = voucher_url(code)
    cid = f"voucher-qr-{code.lower()}@reciprocate"
    day = words.date_text(words.date_locale(language, locale), ends_on) if ends_on else None
    valid = words.translate(language, "Valid until %(day)s.", day=day) if day \
        else words.translate(language, "It has no expiry date.")
    values = {"business": business, "offer": offer, "voucher_url": link, "code": codes.format_code(code),
              "valid": valid, "unsubscribe_url": unsubscribe}
    subject = subject_of(business, offer, language)
    headers = {"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    message = RelatedMessage(subject, _text(language, **values), from_email=_from(sender, business), to=[to],
                             headers=headers,
                             inline=((cid, qr.png(link, box_size=QR_BOX, fixed_mask=True), f"voucher-{code}.png"),))
    with force_locale(language):
        html = current_app.jinja_env.get_template("mail/campaign_voucher.html").render(
            **values, qr_cid=cid, qr_size=QR_SHOWN, language=language)
    message.attach_alternative(html, "text/html")
    return message


def _offer(offer: str | None, language: str) -> str:
    return " ".join((offer or "").split()) or words.translate(language, "a free gift")


def subject_of(business: str, offer: str | None, language: str = words.SOURCE) -> str:
    """The subject line of a campaign e-mail in `language`: one line (both folded), so no header injection, at most
    200 long."""
    business = " ".join(business.split())
    return words.translate(language, "A gift from %(business)s: %(offer)s", business=business,
                           offer=_offer(offer, language))[:200]


def _from(sender: str, business: str) -> str:
    name, address = parseaddr(sender)
    return sender if name else formataddr((business, address or sender))


def _text(language: str, **values) -> str:
    return words.translate(language, CAMPAIGN_LETTER, **values)
