"""Settings → Webhooks in Chromium, phone and desktop: an owner adds a webhook with the keyboard, copies its secret,
sends a test ping that a receiver on loopback checks and takes, and sees the delivery with its answer."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, screenshot, sign_in
from tests.test_webhooks import Receiver

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


@pytest.mark.parametrize("size,viewport", [("phone", PHONE), ("desktop", DESKTOP)])
def test_an_owner_adds_a_webhook_and_pings_it(open_page, make_user, size, viewport):
    page = open_page(viewport)
    sign_in(page, make_user("owner").email)
    page.goto("/settings/webhooks/")
    expect(page.get_by_text("No webhooks yet.")).to_be_visible()
    with Receiver() as receiver:
        page.get_by_label("Address (https://…)").fill(receiver.url)
        page.get_by_label("A voucher is redeemed").check()
        page.get_by_label("A purchase or refund is recorded").press("Space")
        page.get_by_role("button", name="Add webhook").press("Enter")
        receiver.secret = page.get_by_label("Webhook secret").input_value()
        assert receiver.secret.startswith("whsec_")
        screenshot(page, f"webhooks-added-{size}")
        page.get_by_role("link", name="Deliveries and test").click()
        page.get_by_role("button", name="Send a test ping").click()
        expect(page.get_by_text("Test sent: its delivery is below.")).to_be_visible()
        row = page.locator("tbody tr").first
        expect(row).to_contain_text("ping")
        expect(row).to_contain_text("delivered")
        expect(row).to_contain_text("200 ok")
        assert [good for _, good, _ in receiver.calls] == [True]
        screenshot(page, f"webhook-deliveries-{size}")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
