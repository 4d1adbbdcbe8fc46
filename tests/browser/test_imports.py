"""A marketer imports a till's CSV on a phone and on a desktop: upload, check the columns and the preview (the
bad row in red with its line), press Import, watch the bar run chunk by chunk to the end, read the refused row."""
from pathlib import Path

import pytest
from playwright.sync_api import expect

from campaigns.extensions import db
from campaigns.models import Purchase
from campaigns.sales import import_runs
from tests.browser.conftest import DESKTOP, PHONE, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
SHOTS = Path("/tmp/shots17")


def _file(rows: int) -> bytes:
    lines = ["Date,Amount,Email,Phone,ID"]
    for n in range(rows):
        amount = "twelve" if n == 4 else f"{n + 3}.25"
        lines.append(f"2026-04-{n % 28 + 1:02d} 09:{n % 60:02d},{amount},guest{n % 5}@example.com,,till-{n}")
    return ("\n".join(lines) + "\n").encode()


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"imports-{name}.png"), full_page=True)


def _fits(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("viewport, label", [(PHONE, "phone"), (DESKTOP, "desktop")])
def test_upload_map_preview_and_import_to_the_end(open_page, app, make_user, backend, monkeypatch, viewport, label):
    monkeypatch.setattr(import_runs, "CHUNK_ROWS", 5)  # 12 rows: three chunks, three requests
    page = open_page(viewport)
    errors, chunks = [], []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: chunks.append(request.url) if request.url.endswith("/chunk") else None)
    sign_in(page, make_user("marketer").email)
    page.goto("/purchases/")
    page.get_by_role("link", name="Import", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import purchases")
    page.get_by_label("CSV file from your till or shop").set_input_files(
        {"name": "april-sales.csv", "mimeType": "text/csv", "buffer": _file(12)})
    _shot(page, f"upload-{label}")
    page.get_by_role("button", name="Upload").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("april-sales.csv")
    expect(page.get_by_label("Amount (required)")).to_have_value("Amount")
    expect(page.get_by_label("Kind of file")).to_have_value("plain")
    preview = page.locator("table.import-preview tbody tr")
    expect(preview).to_have_count(10)
    expect(preview.first).to_contain_text("till-0")
    problem = page.locator("table.import-preview tr.problem")
    expect(problem).to_have_count(1)
    expect(problem).to_contain_text("Line 6")
    assert problem.locator("td.error").evaluate("cell => getComputedStyle(cell).color") == "rgb(185, 28, 28)"
    _fits(page, viewport["width"])
    _shot(page, f"mapping-{label}")
    page.get_by_role("button", name="Import", exact=True).click()

    expect(page.locator("#import-state")).to_have_text("Imported", timeout=15000)
    expect(page.locator("#import-created")).to_have_text("11")
    expect(page.locator("#import-failed")).to_have_text("1")
    expect(page.locator("#import-bar")).to_have_attribute("value", "12")
    expect(page.locator("table.import-problems")).to_contain_text("6")
    expect(page.get_by_role("button", name="Continue")).to_have_count(0)
    assert len(chunks) == 3
    _fits(page, viewport["width"])
    _shot(page, f"done-{label}")
    page.get_by_role("link", name="Import another file").click()
    expect(page.locator("table.imports-list tbody tr")).to_have_count(1)
    _shot(page, f"list-{label}")
    with app.app_context():
        assert db.session.query(Purchase).count() == 11
    assert errors == []
