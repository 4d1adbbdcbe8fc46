"""The report pages in Chromium with the demo café's six months: every chart drawn by Chart.js under the strict
CSP, the numbers behind a chart one click away, the overview sorted by click and by keyboard, and nothing
wider than a phone."""
import shutil

import pytest

from campaigns import demo
from tests.browser.conftest import DESKTOP, PHONE, screenshot, sign_in

pytestmark = pytest.mark.browser
OWNER = demo.DEMO_USERS[0]
DRAWN = "(id) => { const canvas = document.getElementById(id); " \
        "return !!(canvas && window.Chart && Chart.getChart(canvas)); }"


@pytest.fixture(scope="module")
def demo_file(demo_sqlite, tmp_path_factory):
    """The demo café (seeded once per run, tests/conftest.py), copied for this module's tests to share."""
    target = tmp_path_factory.mktemp("reports") / "demo.db"
    shutil.copy(demo_sqlite.where, target)
    return target


@pytest.fixture
def database_url(demo_file):
    """Every test here reads the demo café (on SQLite: browser tests do not run on PostgreSQL)."""
    return f"sqlite:///{demo_file}"


@pytest.fixture
def owner_page(open_page):
    """open(viewport) gives a page signed in as the demo owner, with its script and CSP errors collected."""
    def open_(viewport=DESKTOP):
        page = open_page(viewport)
        page.problems = []
        page.on("pageerror", lambda error: page.problems.append(f"page error: {error}"))
        page.on("console", lambda message: page.problems.append(message.text) if message.type == "error" else None)
        sign_in(page, OWNER[0], OWNER[3])
        return page

    return open_


def column_values(page, column: int) -> list[str]:
    return page.eval_on_selector_all("#overview-table tbody tr",
                                     f"rows => rows.map(row => row.cells[{column}].dataset.value)")


def as_numbers(values: list[str]) -> list[float]:
    return [float(value) for value in values if value != ""]


def test_the_overview_draws_roi_side_by_side_and_sorts_by_click_and_keyboard(owner_page):
    page = owner_page(DESKTOP)
    page.goto("/dashboard/")
    page.wait_for_function(DRAWN, arg="chart-roi")
    assert page.locator("#overview-table tbody tr").count() == len(demo.CAMPAIGNS)
    assert page.locator("#overview-table tfoot").get_by_text("All campaigns").is_visible()

    page.get_by_role("link", name="Attributed ROI", exact=True).click()  # a click sorts in place, highest first
    roi = column_values(page, 7)
    assert as_numbers(roi) == sorted(as_numbers(roi), reverse=True) and len(set(roi)) > 1
    assert page.locator("th[aria-sort='descending']").inner_text().upper().startswith("ATTRIBUTED ROI")
    assert "sort=roi" in page.url and "dir=desc" in page.url
    page.get_by_role("link", name="Attributed ROI", exact=True).click()  # again: lowest first
    assert as_numbers(column_values(page, 7)) == sorted(as_numbers(roi))

    page.get_by_role("link", name="Cost (USD)", exact=True).focus()  # the keyboard: Enter on a heading
    page.keyboard.press("Enter")
    cost = as_numbers(column_values(page, 6))
    assert cost == sorted(cost, reverse=True)
    assert page.get_by_role("status").filter(has_text="Sorted by Cost").count() == 1
    page.reload()  # the address keeps the order, and the server sorts the same way
    assert as_numbers(column_values(page, 6)) == cost
    screenshot(page, "reports-overview-desktop")
    assert not page.problems, page.problems


def test_a_chart_has_its_numbers_one_click_away(owner_page):
    page = owner_page(DESKTOP)
    page.goto("/dashboard/")
    numbers = page.locator("details.chart-numbers").first
    assert not numbers.locator("table").is_visible()
    numbers.get_by_text("Show the numbers as a table").click()
    assert numbers.locator("table").is_visible()
    assert numbers.locator("tbody tr").count() == len(demo.CAMPAIGNS)
    assert page.get_by_role("link", name="Download these numbers (CSV)").first.get_attribute("href") \
        .startswith("/dashboard/overview.csv")


def test_a_campaign_report_draws_every_chart(owner_page):
    page = owner_page(DESKTOP)
    page.goto("/dashboard/?sort=redeemed&dir=desc")
    name = page.locator("#overview-table tbody tr").first.locator("a").first
    title = name.inner_text()
    name.click()
    page.wait_for_load_state("load")
    assert page.get_by_role("heading", level=1).inner_text().startswith(title)
    for chart in ("chart-funnel", "chart-conversion", "chart-profit"):
        page.wait_for_function(DRAWN, arg=chart)
    assert page.evaluate("Chart.getChart(document.getElementById('chart-funnel')).config.type") == "funnel"
    cohort = page.locator("table.cohort-table")
    assert cohort.locator("td.shade").count() > 0 and cohort.locator("td.not-yet").count() > 0
    page.locator("#payback-heading").locator("xpath=..").get_by_text("Show the numbers as a table").click()
    assert page.locator("#payback-heading").locator("xpath=..").locator("table").is_visible()
    assert page.get_by_role("link", name="Campaign page").is_visible()
    screenshot(page, "reports-campaign-desktop")
    assert not page.problems, page.problems


@pytest.mark.parametrize("path", ["/dashboard/", "first-campaign"])
def test_the_reports_fit_a_phone(owner_page, path):
    page = owner_page(PHONE)
    page.goto("/dashboard/?sort=redeemed&dir=desc")
    if path == "first-campaign":
        page.locator("#overview-table tbody tr").first.locator("a").first.click()
        page.wait_for_function(DRAWN, arg="chart-profit")
    else:
        page.wait_for_function(DRAWN, arg="chart-roi")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for details in page.locator("details.chart-numbers").all():  # opened tables scroll inside their own box
        details.locator("summary").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, f"reports-{'overview' if path == '/dashboard/' else 'campaign'}-phone")
    assert not page.problems, page.problems
