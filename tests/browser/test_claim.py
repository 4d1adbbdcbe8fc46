"""A customer claims a voucher; a stranger typing the same address sees no voucher, and the owner gets it by mail."""
import re
import time

import pytest
from playwright.sync_api import expect

from app import create_app
from campaigns.extensions import db
from campaigns.giving import codes
from campaigns.models import Campaign
from tests.browser.conftest import PHONE, screenshot
from tests.conftest import app_config
from tests.test_claim_page import SMTPServer

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


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


def _mail_to(smtp, address: str, count: int) -> list[str]:
    """Wait (the server sends after answering) until `count` messages reached `address`."""
    deadline = time.monotonic() + 10
    while len(smtp.inbox.to(address)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return smtp.inbox.to(address)


def test_a_stranger_typing_a_customers_address_gets_no_voucher(open_page, make_campaign, app, smtp):
    campaign_id = make_campaign(status="active", claim_page=True)
    with app.app_context():
        slug = db.session.get(Campaign, campaign_id).claim_slug
    customer = open_page(PHONE)
    customer.goto(f"/claim/{slug}")
    customer.get_by_label("E-mail").fill("ana@example.com")
    customer.get_by_role("button", name="Get my free voucher").click()
    expect(customer).to_have_url(re.compile(r"/v/[0-9A-Z]{13}$"))
    code = customer.url.rsplit("/", 1)[1]
    stranger = open_page(PHONE)
    stranger.goto(f"/claim/{slug}")
    stranger.get_by_label("E-mail").fill(" Ana@Example.com")
    stranger.get_by_role("button", name="Get my free voucher").click()
    expect(stranger.get_by_role("heading", level=1)).to_have_text("You already have this voucher")
    screenshot(stranger, "claim-held-phone")
    assert stranger.url.endswith(f"/claim/{slug}") and code not in stranger.content()
    assert codes.format_code(code) not in stranger.content()
    letters = _mail_to(smtp, "ana@example.com", 2)
    assert len(letters) == 2 and all(f"/v/{code}" in letter for letter in letters)
