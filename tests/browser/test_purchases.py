"""A marketer corrects a purchase on a phone: records a refund, then voids the sale; the total follows."""
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from campaigns.contacts.contact import make_contact
from campaigns.contacts.matching import find_or_create
from campaigns.extensions import db
from tests.browser.conftest import DESKTOP, PHONE, screenshot, sign_in
from tests.ledger_rows import record_purchase

pytestmark = pytest.mark.browser


def _sales(app):
    with app.app_context():
        customer = find_or_create(make_contact("noor@example.com", name="Noor"))
        sale, _ = record_purchase("till-501", 2000, datetime(2026, 11, 20, 15, 30, tzinfo=UTC),
                                            customer_id=customer.id)
        record_purchase("till-502", 750, datetime(2026, 11, 21, 9, 0, tzinfo=UTC),
                                  customer_id=customer.id)
        db.session.commit()
        return sale.id


def _fits(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_refund_then_void_on_a_phone(open_page, app, make_user, backend):
    sale_id = _sales(app)
    page = open_page(PHONE)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, make_user("marketer").email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Purchases").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Purchases")
    expect(page.locator("#net-revenue")).to_contain_text("27.50")
    _fits(page, PHONE["width"])
    row = page.locator(f"#purchase-{sale_id}")
    row.get_by_text("Refund", exact=True).click()
    row.get_by_label("Refund amount").fill("5.00")
    row.get_by_role("button", name="Record refund").click()
    expect(page.locator(".flash").first).to_contain_text("Refund recorded")
    expect(page.locator("#net-revenue")).to_contain_text("22.50")
    row = page.locator(f"#purchase-{sale_id}")
    expect(row).to_contain_text("refund")
    row.get_by_text("Void", exact=True).click()
    row.get_by_label("Why void it?").fill("Rang up the wrong table")
    row.get_by_role("button", name="Void purchase").click()
    page.get_by_role("alertdialog", name="Void this purchase of USD 20.00?").get_by_role("button", name="Void purchase").click()
    expect(page.locator(".flash").first).to_contain_text("voided")
    expect(page.locator(f"#purchase-{sale_id}")).to_contain_text("Rang up the wrong table")
    expect(page.locator("#net-revenue")).to_contain_text("7.50")
    _fits(page, PHONE["width"])
    if backend == "sqlite":
        screenshot(page, "purchases-corrected-phone")
    page.goto("/purchases/?q=noor")
    expect(page.locator("table.purchases tbody tr")).to_have_count(2)
    assert errors == []


def test_the_purchases_page_on_a_desktop(open_page, app, make_user, backend):
    _sales(app)
    page = open_page(DESKTOP)
    sign_in(page, make_user("owner").email)
    page.goto("/purchases/")
    expect(page.locator("table.purchases tbody tr")).to_have_count(2)
    if backend == "sqlite":
        screenshot(page, "purchases-desktop")
