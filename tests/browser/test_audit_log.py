"""The audit log page in Chromium, on a phone and a desktop: the owner filters it by what and campaign with the
keyboard, reads each entry in plain words, and nothing runs off the side of the screen."""
import pytest
from playwright.sync_api import expect

from campaigns.desk import redemption
from campaigns.extensions import db
from campaigns.giving.vouchers import issue_batch
from campaigns.models import Campaign
from tests.browser.conftest import DESKTOP, PHONE, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


@pytest.fixture
def logged(app, make_user, make_campaign):
    """An owner, two campaigns, a redemption and a refused second scan of the same voucher."""
    owner = make_user("owner", name="Olive Owner")
    latte = make_campaign(name="Free flat white", status="active")
    make_campaign(name="Free croissant", status="active")
    with app.app_context():
        code = issue_batch(db.session.get(Campaign, latte), 1, "flyer")[0]
        redemption.redeem(code, redemption.Attempt(user_id=owner.id))
        try:
            redemption.redeem(code, redemption.Attempt(user_id=owner.id))
        except redemption.RedemptionError:
            pass
        db.session.commit()
    return owner


@pytest.mark.parametrize("viewport, size", [(PHONE, "phone"), (DESKTOP, "desktop")])
def test_owner_filters_the_audit_log(open_page, logged, viewport, size):
    page = open_page(viewport)
    sign_in(page, logged.email)
    page.goto("/settings/")
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    expect(page.get_by_role("cell", name="Campaign started").first).to_be_visible()
    screenshot(page, f"audit-log-{size}")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

    page.get_by_label("What").select_option(label="Redemptions and refused attempts")
    page.get_by_label("Campaign").select_option(label="Free flat white")
    page.get_by_role("button", name="Show").press("Enter")  # the keyboard's way: Tab to Show, then Enter
    page.wait_for_url("**/audit?*action=redeem*")
    rows = page.locator("table.audit-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Redemption refused: already redeemed")
    expect(rows.nth(1)).to_contain_text("Redeemed")
    expect(rows.nth(1)).to_contain_text("Olive Owner")
    screenshot(page, f"audit-log-filtered-{size}")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

    page.get_by_label("From").fill("2000-01-01")
    page.get_by_label("To").fill("2000-01-02")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("Nothing matches these filters.")).to_be_visible()
    page.get_by_role("link", name="Clear filters").first.click()
    expect(page.get_by_role("cell", name="Campaign started").first).to_be_visible()
