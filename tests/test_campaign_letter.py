"""The campaign e-mail a treatment member gets: text and HTML with the voucher's QR inline (it scans to the
voucher's own page), the one-click unsubscribe headers (RFC 8058), and a message a real SMTP server accepts whole."""
import email
import email.policy
import io
from types import SimpleNamespace

import pytest
import zxingcpp
from PIL import Image

from campaigns.contacts import subscriptions
from campaigns.contacts.contact import make_contact
from campaigns.contacts.matching import find_or_create
from campaigns.extensions import db, mail
from campaigns.giving.vouchers import issue_personal
from campaigns.links import unsubscribe_url
from campaigns.mail.campaign_letter import CampaignMailRefused, member_message, write_campaign_delivery
from campaigns.models import Campaign
from tests.test_claim_page import SMTPServer

BUSINESS = 'Café "Zé" & Filhos'


@pytest.fixture
def member(ctx, make_campaign):
    """A voucher of a campaign with an offer and an end, and the customer it is for (on an https address)."""
    ctx.config["BASE_URL"] = "https://cafe.example"
    campaign = db.session.get(Campaign, make_campaign(status="active", offer="One free latte", ends_on="2099-06-30"))
    customer = find_or_create(make_contact("ana@example.com", None, "Ana"))
    voucher = issue_personal(campaign, customer, channel="audience")
    return voucher, customer


def _qr_texts(png: bytes) -> list[str]:
    image = Image.open(io.BytesIO(png)).convert("L")
    return [found.text for found in zxingcpp.read_barcodes(image) if found.format == zxingcpp.BarcodeFormat.QRCode]


def _check_received(message: email.message.EmailMessage, voucher, customer) -> None:
    """The structure, headers and words of a campaign e-mail as a mail client parses it."""
    link = f"https://cafe.example/v/{voucher.code}"
    unsubscribe = unsubscribe_url(customer.id)
    assert unsubscribe.startswith("https://cafe.example/u/")
    assert message["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["From"].addresses[0].display_name == BUSINESS and message["To"] == "ana@example.com"
    # (a long encoded subject is folded onto its own line; unfolding leaves the space before it)
    assert message["Subject"].strip() == f"A gift from {BUSINESS}: One free latte"
    assert message.get_content_type() == "multipart/alternative"
    text, related = message.get_payload()
    assert text.get_content_type() == "text/plain" and related.get_content_type() == "multipart/related"
    html, image = related.get_payload()
    assert html.get_content_type() == "text/html" and image.get_content_type() == "image/png"
    cid = image["Content-ID"].strip("<>")
    assert image.get_content_disposition() == "inline"
    assert f'src="cid:{cid}"' in html.get_content()
    for part in (text.get_content(), html.get_content()):
        assert unsubscribe in part and link in part and "June 30, 2099" in part
    assert "One free latte" in text.get_content() and "Caf\u00e9 &#34;Z\u00e9&#34; &amp; Filhos" in html.get_content()
    assert _qr_texts(image.get_content()) == [link]  # the inline QR scans to this voucher's own page


def test_the_campaign_email_is_text_and_html_with_its_qr_inline_and_one_click_unsubscribe(member):
    voucher, customer = member
    built = member_message(voucher, customer, BUSINESS, "vouchers@cafe.example")
    parsed = email.message_from_bytes(built.message().as_bytes(), policy=email.policy.default)
    _check_received(parsed, voucher, customer)
    assert parsed["From"].addresses[0].addr_spec == "vouchers@cafe.example"


def test_a_sender_with_a_name_of_its_own_keeps_it(member):
    voucher, customer = member
    built = member_message(voucher, customer, BUSINESS, "Zé's Café <hello@cafe.example>")
    parsed = email.message_from_bytes(built.message().as_bytes(), policy=email.policy.default)
    assert parsed["From"].addresses[0].display_name == "Zé's Café"


def test_no_campaign_email_is_built_for_an_unsubscribed_customer_or_one_without_an_address(member):
    voucher, customer = member
    subscriptions.unsubscribe(customer.id, how="one_click")
    assert member_message(voucher, customer, BUSINESS, "vouchers@cafe.example") is None
    queued = SimpleNamespace(voucher_id=voucher.id, customer_id=customer.id)
    with pytest.raises(CampaignMailRefused):  # unsubscribed after it was queued: the writer refuses at send time
        write_campaign_delivery(queued, "vouchers@cafe.example")
    by_phone = find_or_create(make_contact(None, "+14155550123", None))
    assert member_message(voucher, by_phone, BUSINESS, "vouchers@cafe.example") is None


def test_the_campaign_email_goes_whole_through_a_real_smtp_server(member):
    voucher, customer = member
    server = SMTPServer()
    try:
        built = write_campaign_delivery(SimpleNamespace(voucher_id=voucher.id, customer_id=customer.id),
                                        "vouchers@cafe.example")
        built.connection = mail.get_connection(backend="smtp", host="127.0.0.1", port=server.port, timeout=5)
        assert built.send() == 1
    finally:
        server.stop()
    received, = server.inbox.messages
    assert received["X-Envelope-To"] == "ana@example.com"
    assert received["From"].addresses[0].display_name == "My business"  # the settings' business name, as the send job gives it
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, related = received.get_payload()
    html, image = related.get_payload()
    assert _qr_texts(image.get_content()) == [f"https://cafe.example/v/{voucher.code}"]
    assert unsubscribe_url(customer.id) in text.get_content() and unsubscribe_url(customer.id) in html.get_content()
