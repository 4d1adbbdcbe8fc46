"""The budget preview reads money as the server does (issue 16): the same typed inputs give the same amounts or the
same refusal in the page's script (static/js/money.js, with the marks from the page's JSON) as in
campaigns/core/money.py read_amount; it reads in words, and stays in view on a phone while the form is filled in."""
import json
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from campaigns.accounts import business
from campaigns.core import money
from campaigns.core.errors import ValidationError
from campaigns.extensions import db
from tests.browser.conftest import DESKTOP, PHONE, sign_in
from tests.money_cases import CASES

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
SHOTS = Path("/tmp/shots16")
EXTRA = ["", "0", "00,5", "5,", "5.", "1,,234", "1..5", "$", "-", "7 .50", "1\u2009234,50", "12345678,9", "0001,000",
         "R$7,50", "7,50R$", "kr 5", "€€5", "5 5", "1,234,567.891", "1.234.567,891", "٣,٥", "１２",
         "1,234,567,890,123,456,789,012,345,678", "1.234.567.890.123.456.789.012.345.678",
         "-1,234,567,890,123,456,789,012", "1,234.1234567890123456789012345678", "1.234,1234567890123456789012345678",
         "0.0000000000000000000000000000000001"]


def _configure(app, locale: str, currency: str) -> None:
    with app.app_context():
        business.update_settings(business_name="Café", currency=currency, time_zone="Europe/Berlin",
                                 default_gross_margin_bp=5000, default_phone_region="DE", locale=locale)
        db.session.commit()


def _server(typed: str, info: dict) -> dict:
    try:
        read = money.read_amount(typed, "unit_cost", info["locale"], info["places"], currency=info["currency"])
    except ValidationError as refused:
        return {"error": refused.details["fields"]["unit_cost"]}
    return {"amount": read}


def test_the_page_reads_every_typed_amount_as_the_server_does(open_page, make_user, app):
    page = open_page(PHONE)
    sign_in(page, make_user("marketer").email)
    combos = sorted({(case[1], case[2]) for case in CASES})
    compared = 0
    for (locale, currency) in combos:
        _configure(app, locale, currency)
        page.goto("/campaigns/new")
        info = json.loads(page.locator("#campaign-form-data").text_content())
        assert (info["locale"], info["currency"], info["places"]) == (locale, currency, money.exponent(currency))
        typed = [case[0] for case in CASES if case[1:3] == (locale, currency)] + EXTRA
        browser = page.evaluate("([typed, info]) => typed.map((t) => window.ReciprocateMoney.read(t, info))",
                                [typed, info])
        for text, answer in zip(typed, browser, strict=True):
            server = _server(text, info)
            if "amount" in server:
                assert "amount" in answer and Decimal(answer["amount"]) == server["amount"], (locale, text, answer)
            else:
                assert answer == server, (locale, currency, text)
            compared += 1
    assert compared >= len(CASES) + len(EXTRA) * len(combos)
    assert len({locale for locale, _ in combos}) >= 6


@pytest.mark.parametrize("locale, currency, unit, fixed, words", [
    ("en_US", "USD", "0.90", "60", "No voucher limit: USD 60.00 up front + USD 0.90 for each voucher redeemed"),
    ("de_DE", "EUR", "0,90", "1.060", "No voucher limit: 1.060,00 EUR up front + 0,90 EUR for each voucher redeemed"),
    ("en_US", "USD", "0,90", "60", "Unit cost: Type it like 0.90: the decimal mark here is “.”."),
    ("fr_FR", "EUR", "$0,90", "60", "Unit cost: Amounts here are in EUR: type it like 1 234,50."),
    ("ja_JP", "JPY", "￥1,500", "", "No voucher limit: JPY 0 up front + JPY 1,500 for each voucher redeemed")])
def test_the_preview_reads_in_words_as_it_is_typed(open_page, make_user, app, locale, currency, unit, fixed, words):
    _configure(app, locale, currency)
    page = open_page(DESKTOP)
    sign_in(page, make_user("marketer").email)
    page.goto("/campaigns/new")
    page.get_by_label("Unit cost (one item or service)").fill(unit)
    page.get_by_label("Fixed costs (printing, staff time)").fill(fixed)
    said = page.locator("#budget-explained")
    expect(said).to_have_text(words.replace("\u202f", " "))  # Playwright compares with spaces normalised


def test_on_a_phone_the_preview_stays_in_view_while_typing_the_last_field(open_page, make_user, app):
    page = open_page(PHONE)
    sign_in(page, make_user("marketer").email)
    page.goto("/campaigns/new")
    page.get_by_label("Unit cost (one item or service)").fill("0.90")
    page.get_by_label("Fixed costs (printing, staff time)").fill("60")
    said = page.locator("#budget-explained")
    expect(said).to_be_in_viewport()
    limit = page.get_by_label("Most vouchers in all")
    limit.fill("500")
    last = page.get_by_label("Attribution window (days)")  # the form's last field
    last.scroll_into_view_if_needed()
    last.press_sequentially("1")
    expect(said).to_have_text("At most USD 510.00: USD 60.00 up front + USD 0.90 × 500 vouchers")
    expect(said).to_be_in_viewport(ratio=1)
    box, field = said.bounding_box(), last.bounding_box()
    assert box["y"] + box["height"] <= PHONE["height"] and field["y"] + field["height"] <= box["y"]  # not covered
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "money-campaign-form-phone.png"))
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # the bar leaves room below the last field
    box, field = said.bounding_box(), last.bounding_box()
    assert field["y"] + field["height"] <= box["y"]
    page.screenshot(path=str(SHOTS / "money-campaign-form-phone-end.png"))


def test_on_a_desktop_the_preview_sticks_beside_the_form(open_page, make_user, app):
    _configure(app, "de_DE", "EUR")
    page = open_page(DESKTOP)
    sign_in(page, make_user("marketer").email)
    page.goto("/campaigns/new")
    page.get_by_label("Unit cost (one item or service)").fill("0,90")
    page.get_by_label("Fixed costs (printing, staff time)").fill("60")
    page.get_by_label("Most vouchers in all").fill("500")
    page.get_by_label("Attribution window (days)").scroll_into_view_if_needed()
    expect(page.locator("#budget-committed")).to_have_text("510,00 EUR")
    expect(page.locator("#budget-explained")).to_be_in_viewport(ratio=1)
    page.screenshot(path=str(SHOTS / "money-campaign-form-desktop.png"))


@pytest.mark.parametrize("size, viewport", [("phone", PHONE), ("desktop", DESKTOP)])
def test_settings_page_fits_and_offers_the_lists(open_page, make_user, app, size, viewport):
    _configure(app, "fr_FR", "EUR")
    page = open_page(viewport)
    sign_in(page, make_user("owner").email)
    page.goto("/settings/")
    expect(page.get_by_label("Time zone")).to_have_value("Europe/Berlin")
    expect(page.get_by_label("Currency")).to_have_value("EUR")
    expect(page.get_by_label("How amounts are typed and shown")).to_have_value("fr_FR")
    page.get_by_label("Ask again before recording a purchase over").fill("1 500,00")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    page.screenshot(path=str(SHOTS / f"money-settings-{size}.png"), full_page=True)
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".flash")).to_contain_text("Settings saved.")
    expect(page.get_by_label("Ask again before recording a purchase over")).to_have_value("1\u202f500,00")
