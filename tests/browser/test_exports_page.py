"""The owner's exports page (issue 32) on a phone and a desktop: every table with its downloads, nothing wider than
the screen, reached from the Settings tabs."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


@pytest.mark.parametrize("size, name", [(PHONE, "phone"), (DESKTOP, "desktop")])
def test_the_exports_page_lists_every_table_with_its_downloads(open_page, make_user, make_campaign, size, name):
    make_campaign(name="Free Größe latte")
    page = open_page(size)
    sign_in(page, make_user("owner").email)
    page.goto("/settings/")
    page.get_by_role("link", name="Exports").click()
    expect(page.get_by_role("heading", name="Exports")).to_be_visible()
    for table in ("customers", "purchases", "redemptions", "vouchers", "campaigns", "feedback", "deliveries", "audit"):
        expect(page.locator(f'a[href="/exports/{table}.xlsx"]')).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
    screenshot(page, f"exports-{name}")
