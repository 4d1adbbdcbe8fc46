"""The mapping page with script: Import waits, saying what is missing, until the column it needs is chosen, and the
mark at that column's select comes and goes with the choice."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
NEEDS_ID = "Choose the column with the sale's id (the till's receipt number)."


def test_import_is_disabled_until_the_needed_column_is_chosen(open_page, make_user, backend):
    page = open_page(DESKTOP)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, make_user("marketer").email)
    page.goto("/purchases/imports/")
    page.get_by_label("CSV file from your till or shop").set_input_files({
        "name": "kasse.csv", "mimeType": "text/csv",
        "buffer": b"Date,Amount,Email,Beleg\n2026-03-01 10:00,4.50,ana@example.com,B-1\n"})
    page.get_by_role("button", name="Upload").click()

    import_button = page.get_by_role("button", name="Import", exact=True)
    sale_id = page.get_by_label("Sale id (the till's receipt number) (required)")
    missing = page.locator("#mapping-missing")
    expect(import_button).to_be_disabled()
    expect(missing).to_have_text("Still to choose before importing: the sale's id.")
    expect(page.get_by_text(NEEDS_ID)).to_be_visible()
    expect(sale_id).to_have_attribute("aria-invalid", "true")

    sale_id.select_option("Beleg")
    expect(import_button).to_be_enabled()
    expect(missing).to_be_hidden()
    expect(page.get_by_text(NEEDS_ID)).to_be_hidden()
    sale_id.select_option("")
    expect(import_button).to_be_disabled()
    sale_id.select_option("Beleg")
    import_button.click()
    expect(page.locator("#import-state")).to_have_text("Imported", timeout=15000)
    expect(page.locator("#import-created")).to_have_text("1")
    assert errors == []
