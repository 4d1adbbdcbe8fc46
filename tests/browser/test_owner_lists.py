"""Owner pages from issue 16: a new API token has a Copy button (the clipboard, or the value selected where the
clipboard is not allowed), and each dashboard row opens its campaign, on a phone too."""
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, sign_in

SHOTS = Path("/tmp/shots16")
pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


def _new_token(page):
    page.goto("/settings/tokens")
    page.get_by_label("Token name").fill("Main St till")
    page.get_by_role("button", name="Create token").click()
    secret = page.get_by_label("New API token").input_value()
    assert len(secret) > 20
    return secret


def test_copy_puts_a_new_token_on_the_clipboard(open_page, make_user):
    page = open_page(PHONE)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, make_user("owner").email)
    secret = _new_token(page)
    page.get_by_role("button", name="Copy").click()
    expect(page.locator("#new-token-note")).to_have_text("Copied. Keep it somewhere safe.")
    assert page.evaluate("navigator.clipboard.readText()") == secret
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "money-token-copy-phone.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_without_the_clipboard_copy_selects_the_whole_token(open_page, make_user):
    page = open_page(PHONE)
    page.add_init_script("Object.defineProperty(navigator, 'clipboard', {value: undefined});"
                         "document.execCommand = () => false;")
    sign_in(page, make_user("owner").email)
    secret = _new_token(page)
    page.get_by_role("button", name="Copy").click()
    expect(page.locator("#new-token-note")).to_contain_text("press Ctrl+C")
    field = page.get_by_label("New API token")
    expect(field).to_be_focused()
    assert field.evaluate("(input) => [input.selectionStart, input.selectionEnd]") == [0, len(secret)]


def test_dashboard_rows_open_their_campaign_on_a_phone(open_page, make_user, make_campaign):
    first = make_campaign(name="Free flat white", status="active")
    make_campaign(name="Free croissant")
    page = open_page(PHONE)
    sign_in(page, make_user("owner").email)
    page.goto("/dashboard/")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    expect(page.get_by_role("table")).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "money-dashboard-phone.png"), full_page=True)
    page.get_by_role("link", name="Free flat white").click()
    expect(page).to_have_url(re.compile(rf"/campaigns/{first}$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Free flat white")
