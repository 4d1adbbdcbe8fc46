"""A marketer designs a campaign, makes a batch with a progress bar; a customer claims and opens a voucher; ending a
campaign asks first, in the page."""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from campaigns.extensions import db
from campaigns.giving.vouchers import issue_batch
from campaigns.models import Campaign
from tests.browser.conftest import DESKTOP, PHONE, screenshot, sign_in

# These flows run once, on SQLite (not twice with a PostgreSQL copy skipped): the service and API tests
# cover PostgreSQL, and what is tested here is the page.
pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


def test_marketer_designs_a_campaign_and_prints_a_batch(open_page, make_user, app):
    marketer = make_user("marketer")
    for size_name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = open_page(viewport)
        sign_in(page, marketer.email)
        page.goto("/campaigns/new")
        page.get_by_label("Name", exact=True).fill(f"Free latte ({size_name})")
        page.get_by_label("Offer (printed on the voucher)").fill("One free latte, any size")
        page.get_by_label("Unit cost (one item or service)").fill("0.85")
        page.get_by_label("Fixed costs (printing, staff time)").fill("120")
        page.get_by_label("Most vouchers in all").fill("20000")
        expect(page.locator("#budget-committed")).to_have_text("USD 17,120.00")
        page.get_by_label("Open a public claim page").check()
        screenshot(page, f"campaign-form-{size_name}")
        page.get_by_role("button", name="Create draft").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(f"Free latte ({size_name})")
        page.get_by_label("How many vouchers").fill("12000")
        page.get_by_label("Batch label (channel)").fill("flyer A")
        page.get_by_role("button", name="Make vouchers").click()
        expect(page.locator("#batch-progress progress")).to_be_visible()
        expect(page.get_by_role("cell", name="flyer A")).to_be_visible(timeout=30_000)
        expect(page.get_by_role("cell", name="12,000").first).to_be_visible()
        screenshot(page, f"campaign-detail-{size_name}")
    with app.app_context():
        assert db.session.scalar(select(Campaign.vouchers_issued).where(Campaign.name == "Free latte (desktop)")) == 12000


def test_customer_claims_a_voucher_on_a_phone(open_page, make_campaign, app):
    campaign_id = make_campaign(status="active", claim_page=True, ends_on="2099-06-30")
    with app.app_context():
        slug = db.session.get(Campaign, campaign_id).claim_slug
    page = open_page(PHONE)
    page.goto(f"/claim/{slug}")
    expect(page.get_by_role("heading", level=1)).to_have_text("One free latte")
    page.get_by_label("E-mail").fill("not-an-email")
    page.get_by_role("button", name="Get my free voucher").click()
    expect(page.locator(".error").first).to_be_visible()
    screenshot(page, "claim-error-phone")
    page.get_by_label("E-mail").fill("ana@example.com")
    page.get_by_role("button", name="Get my free voucher").click()
    expect(page).to_have_url(re.compile(r"/v/[0-9A-Z]{13}$"))
    expect(page.locator(".voucher-state")).to_have_text("Show this screen at the counter.")
    qr = page.get_by_role("img", name=re.compile("QR code of voucher"))
    expect(qr).to_be_visible()
    assert qr.bounding_box()["width"] >= 280
    screenshot(page, "voucher-phone")
    page.set_viewport_size(DESKTOP)
    screenshot(page, "voucher-desktop")
    page.goto(f"/claim/{slug}")
    screenshot(page, "claim-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, "claim-phone")


def test_marketer_deletes_a_draft_by_keyboard_on_a_phone(open_page, make_user, make_campaign, app):
    draft = make_campaign(name="Copy of Free latte")
    with app.app_context():
        issue_batch(db.session.get(Campaign, draft), 40, "flyer A")
        db.session.commit()
    page = open_page(PHONE)
    sign_in(page, make_user("marketer").email)
    page.goto(f"/campaigns/{draft}")
    page.get_by_role("link", name="Delete draft").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete the draft “Copy of Free latte”?")
    expect(page.locator("#delete-draft")).to_contain_text("Its 40 vouchers are deleted with it and stop working")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "campaign-delete-phone")
    button = page.get_by_role("button", name="Delete the draft and its 40 vouchers")
    button.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/campaigns/$"))
    expect(page.locator(".flash-success")).to_have_text("Deleted the draft Copy of Free latte and its 40 vouchers.")
    with app.app_context():
        assert db.session.get(Campaign, draft) is None


def test_ending_a_campaign_asks_first_in_the_page(open_page, make_user, make_campaign, app):
    campaign_id = make_campaign(status="active")
    page = open_page(PHONE)
    natives = []
    page.on("dialog", lambda dialog: (natives.append(dialog.message), dialog.dismiss()))
    sign_in(page, make_user("marketer").email)
    page.goto(f"/campaigns/{campaign_id}")
    end = page.get_by_role("button", name="End", exact=True)
    end.click()
    dialog = page.get_by_role("alertdialog", name="End Free latte?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Vouchers stop working at once; this cannot be undone.")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()  # the safe button, first
    assert dialog.get_by_role("button").all_inner_texts() == ["Cancel", "End campaign"]
    screenshot(page, "end-dialog-phone")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(end).to_be_focused()
    page.keyboard.press("Enter")  # asked again; Enter on the focused Cancel keeps it
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    page.wait_for_timeout(300)
    assert _status(app, campaign_id) == "active" and natives == []
    page.set_viewport_size(DESKTOP)
    end.click()
    screenshot(page, "end-dialog-desktop")
    dialog.get_by_role("button", name="End campaign").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("ended")
    assert _status(app, campaign_id) == "ended"


def _status(app, campaign_id: int) -> str:
    with app.app_context():
        return db.session.get(Campaign, campaign_id).status
