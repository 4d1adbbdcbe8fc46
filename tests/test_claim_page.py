"""The public claim page: it never shows a voucher someone already holds, never rewrites a customer,
e-mails the voucher through a real SMTP server on loopback, and limits each contact however it is typed."""
import email
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from app import create_app
from campaigns.accounts.business import get_settings
from campaigns.contacts.contact import make_contact
from campaigns.contacts.matching import find_or_create
from campaigns.extensions import db
from campaigns.giving import codes
from campaigns.models import Campaign, Customer, Delivery, Voucher
from tests.conftest import app_config, csrf_from


class Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[str]:
        """The plain-text bodies of the messages delivered to `address`."""
        return [m.get_body(("plain",)).get_content() for m in self.messages if m["X-Envelope-To"] == address]


class SMTPServer:
    """A real SMTP server on a free loopback port (aiosmtpd's Controller(port=0) fails: bind one first)."""

    def __init__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.inbox = Inbox()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        self.running = True

    def stop(self):
        if self.running:
            self.controller.stop()
            self.running = False


@pytest.fixture
def smtp():
    server = SMTPServer()
    yield server
    server.stop()


@pytest.fixture
def app(database_url, smtp):
    """The app on a fresh database, sending real mail to the loopback SMTP server (overrides conftest's)."""
    app = create_app(app_config(database_url, MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port,
                                MAIL_TIMEOUT=5))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def claim_url(app, make_campaign):
    campaign_id = make_campaign(status="active", claim_page=True, offer="One free latte", ends_on="2099-06-30")
    with app.app_context():
        return f"/claim/{db.session.get(Campaign, campaign_id).claim_slug}"


def claim(app, url, ip="10.0.0.1", **fields):
    """Post the claim form from a fresh browser at address `ip`; close the response so its mail goes out."""
    client = app.test_client()
    token = csrf_from(client.get(url, environ_base={"REMOTE_ADDR": ip}).get_data(as_text=True))
    form = {"email": "", "phone": "", "name": "", "csrf_token": token, **fields}
    response = client.post(url, data=form, environ_base={"REMOTE_ADDR": ip})
    response.close()  # the server does this after sending: mail is sent then, after the commit
    return response


def only_voucher(app, address: str) -> str:
    with app.app_context():
        return db.session.scalar(select(Voucher.code).join(Voucher.customer).where(Customer.email == address))


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_a_new_claim_shows_the_voucher_at_once_and_emails_it(app, smtp, claim_url):
    response = claim(app, claim_url, email="Ana@Example.com", name="Ana")
    code = only_voucher(app, "ana@example.com")
    assert response.status_code == 302 and response.location == f"/v/{code}"
    [letter] = smtp.inbox.to("ana@example.com")
    with app.app_context():
        business = get_settings().business_name
    assert f"http://testserver/v/{code}" in letter and "One free latte" in letter and business in letter
    assert codes.format_code(code) in letter and "June 30, 2099" in letter


def test_a_second_claim_never_shows_the_held_voucher_and_sends_it_to_its_address(app, smtp, claim_url):
    claim(app, claim_url, email="ana@example.com")
    code = only_voucher(app, "ana@example.com")
    stranger = claim(app, claim_url, ip="10.9.9.9", email=" ANA@example.COM ")
    page = stranger.get_data(as_text=True)
    assert stranger.status_code == 200 and stranger.location is None
    assert code not in page and codes.format_code(code) not in page and "/v/" not in page
    assert "already holds a voucher" in page and "e-mail it to the address it belongs to" in page
    assert [f"http://testserver/v/{code}" in body for body in smtp.inbox.to("ana@example.com")] == [True, True]
    assert count(app, Voucher) == 1 and count(app, Customer) == 1


def test_a_phone_that_holds_a_voucher_is_told_to_ask_at_the_counter(app, smtp, claim_url):
    claim(app, claim_url, email="ana@example.com", phone="+1 650 253 0000")
    code = only_voucher(app, "ana@example.com")
    stranger = claim(app, claim_url, ip="10.9.9.9", phone="(650) 253-0000")
    page = stranger.get_data(as_text=True)
    assert stranger.status_code == 200 and code not in page and codes.format_code(code) not in page
    assert "This phone number already holds a voucher" in page and "Ask at the counter" in page
    assert len(smtp.inbox.messages) == 1  # the first claim's; nothing goes to an address nobody typed


def test_a_held_voucher_is_never_mailed_to_an_address_the_claimant_made_up(app, smtp, claim_url):
    claim(app, claim_url, email="ana@example.com", phone="+1 650 253 0000")
    stranger = claim(app, claim_url, ip="10.9.9.9", email="mallory@example.com", phone="650.253.0000")
    assert stranger.status_code == 200 and "already holds a voucher" in stranger.get_data(as_text=True)
    assert smtp.inbox.to("mallory@example.com") == [] and len(smtp.inbox.to("ana@example.com")) == 2
    with app.app_context():
        assert db.session.scalar(select(Customer.id).where(Customer.email == "mallory@example.com")) is None


@pytest.mark.parametrize("held", [True, False], ids=["holding a voucher", "without a voucher"])
def test_a_claim_never_changes_an_existing_customer(app, smtp, claim_url, held):
    with app.app_context():
        find_or_create(make_contact("ana@example.com", "+1 650 253 0000", "Ana"))
        find_or_create(make_contact("rui@example.com"))
        db.session.commit()
    if held:
        claim(app, claim_url, email="ana@example.com")
        claim(app, claim_url, email="rui@example.com")
    ana = claim(app, claim_url, ip="10.9.9.9", email="ana@example.com", phone="+1 212 736 5000", name="Mallory")
    rui = claim(app, claim_url, ip="10.9.9.8", email="rui@example.com", phone="+1 212 736 5000", name="Mallory")
    assert ana.status_code == rui.status_code == (200 if held else 302)
    with app.app_context():
        people = {c.email: (c.name, c.phone) for c in db.session.scalars(select(Customer))}
    assert people == {"ana@example.com": ("Ana", "+16502530000"), "rui@example.com": (None, None)}


def test_the_mail_server_being_down_changes_nothing_on_the_page(app, smtp, claim_url):
    claim(app, claim_url, email="ana@example.com")
    up = claim(app, claim_url, ip="10.9.9.9", email="ana@example.com")
    smtp.stop()
    down = claim(app, claim_url, ip="10.9.9.8", email="ana@example.com")
    new = claim(app, claim_url, ip="10.9.9.7", email="eva@example.com")
    assert down.status_code == up.status_code == 200 and down.get_data() == up.get_data()
    assert new.status_code == 302 and new.location == f"/v/{only_voucher(app, 'eva@example.com')}"
    with app.app_context():  # each failure is written down with the server's answer, to be tried again
        rows = db.session.execute(select(Delivery.status, Delivery.last_error).order_by(Delivery.id)).all()
    assert [status for status, _ in rows] == ["sent", "sent", "failed", "failed"]
    assert all("Could not talk to 127.0.0.1" in error for _, error in rows[2:])
    assert count(app, Voucher) == 2 and count(app, Customer) == 2


EMAIL_VARIANTS = ["ana@example.com", "Ana@Example.com", " ANA@EXAMPLE.COM ", "ana@EXAMPLE.com", "ａｎａ@example.com",
                  "aNa@example.com", "ANA@example.com", "ana@example.COM", "Ana@example.com ", " ana@Example.COM"]
PHONE_VARIANTS = ["+1 650 253 0000", "(650) 253-0000", "650.253.0000", "1-650-253-0000", "６５０２５３００００",
                  "+16502530000", "650 253 0000", "+1 (650) 253-0000", "6502530000", "+1-650-253-0000"]
JUNK_VARIANTS = ["not-an-email", "NOT-AN-EMAIL", " Not-An-Email ", "ＮＯＴ-ＡＮ-ＥＭＡＩＬ", "not-an-EMAIL",
                 "nOt-an-email", "not-AN-email", "NOT-an-email", "Not-an-email", "not-an-emaiL"]


@pytest.mark.parametrize("field,variants,other", [
    ("email", EMAIL_VARIANTS, "eva@example.com"),
    ("phone", PHONE_VARIANTS, "+1 212 736 5000"),
    ("email", JUNK_VARIANTS, "not-an-email-either"),
], ids=["e-mail", "phone", "unparseable"])
def test_the_per_contact_limit_holds_however_the_contact_is_typed(app, claim_url, field, variants, other):
    statuses = [claim(app, claim_url, ip=f"10.1.0.{i}", **{field: typed}).status_code
                for i, typed in enumerate(variants)]  # a new address each time: only the contact's limit counts
    assert 429 not in statuses
    assert claim(app, claim_url, ip="10.1.1.1", **{field: variants[1]}).status_code == 429
    assert claim(app, claim_url, ip="10.1.1.2", **{field: other}).status_code != 429
