"""Customers in the browser: staff find one by phone on a phone and read the timeline; the owner merges two
records found to be one person, with the keyboard."""
import pytest
from playwright.sync_api import expect

from campaigns.extensions import db
from tests.browser.conftest import DESKTOP, PHONE, screenshot, sign_in
from tests.test_merging import two_records
from tests.test_people import story

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


def _fits(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_staff_find_a_customer_by_phone_and_read_the_timeline_on_a_phone(open_page, app, make_user, backend):
    with app.app_context():
        story()
        db.session.commit()
    page = open_page(PHONE)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, make_user("staff").email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Customers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Customers")
    expect(page.locator("table.customers tbody tr")).to_have_count(2)
    if backend == "sqlite":
        screenshot(page, "customers-list-phone")
    page.get_by_label("Find a customer").fill("(415) 555-0101")
    page.get_by_label("Find a customer").press("Enter")
    expect(page.locator("table.customers tbody tr")).to_have_count(1)
    _fits(page, PHONE["width"])
    page.get_by_role("link", name="Ana Lima").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ana Lima")
    timeline = page.locator("ol.timeline > li")
    expect(timeline).to_have_count(8)
    expect(timeline.first).to_contain_text("USD\u00a09.00")  # newest first: the purchase 40 days on
    expect(page.locator(".event-purchase.is-void")).to_contain_text("voided")
    expect(page.locator(".event-redemption.is-void")).to_contain_text("undone")
    expect(page.locator(".refunds")).to_contain_text("Refund USD\u00a02.00")
    expect(page.locator("#net-revenue")).to_have_text("USD\u00a019.00")
    expect(page.locator("#attributed-revenue")).to_have_text("USD\u00a010.00")
    expect(page.get_by_role("link", name="Merge another record into this one")).to_have_count(0)
    _fits(page, PHONE["width"])
    if backend == "sqlite":
        screenshot(page, "customers-timeline-phone")
    assert errors == []


def test_the_owner_merges_two_records_with_the_keyboard(open_page, app, make_user, backend):
    with app.app_context():
        world = two_records()
        kept_id, merged_id = world["kept"].id, world["merged"].id
        db.session.commit()
    owner = make_user("owner")
    page = open_page(DESKTOP)
    sign_in(page, owner.email)
    page.goto(f"/customers/{kept_id}")
    page.get_by_role("link", name="Merge another record into this one").click()
    page.get_by_label("Find the other record").fill("Ana Lima")
    page.get_by_label("Find the other record").press("Enter")
    page.get_by_role("link", name=f"Choose #{merged_id}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Merge #{merged_id} into #{kept_id}?")
    expect(page.get_by_role("region", name="Merged into it, then deleted")).to_contain_text("+14155550101")
    if backend == "sqlite":
        screenshot(page, "customers-merge-confirm-desktop")
    page.get_by_role("button", name="Merge these records").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".flash").first).to_contain_text(f"Record #{merged_id} merged into this one")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ana Lima")
    expect(page.locator("ol.timeline > li.event-redemption")).to_have_count(2)
    expect(page.locator("ol.timeline > li.event-purchase")).to_have_count(2)

    page = open_page(PHONE)  # the merged record, on the owner's phone
    sign_in(page, owner.email)
    page.goto(f"/customers/{kept_id}")
    expect(page.locator("ol.timeline > li.event-feedback")).to_contain_text("Lovely")
    _fits(page, PHONE["width"])
    if backend == "sqlite":
        screenshot(page, "customers-merged-phone")
    assert page.goto(f"/customers/{merged_id}").status == 404
