"""Each role logs in through the real page and sees only the navigation it may use."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, screenshot, sign_in

NAV = {
    "staff": ["Customers", "Front desk"],
    "marketer": ["Dashboard", "Campaigns", "Purchases", "Customers", "Front desk"],
    "owner": ["Dashboard", "Campaigns", "Purchases", "Customers", "Front desk", "Settings"],
}

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("role", ["staff", "marketer", "owner"])
def test_each_role_sees_its_navigation(open_page, make_user, backend, role):
    person = make_user(role)
    for size_name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page = open_page(viewport)
        sign_in(page, person.email)
        nav = page.get_by_role("navigation", name="Main")
        expect(nav.get_by_role("link")).to_have_text(NAV[role])
        expect(page.locator(".who")).to_contain_text(person.name)
        if backend == "sqlite":
            screenshot(page, f"home-{role}-{size_name}")


def test_staff_typing_an_owner_address_gets_a_clear_refusal(open_page, make_user):
    page = open_page(PHONE)
    sign_in(page, make_user("staff").email)
    response = page.goto("/settings/users")
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Not for your role")


def test_wrong_password_then_right_one(open_page, make_user):
    owner = make_user("owner")
    page = open_page(DESKTOP)
    sign_in(page, owner.email, "not the password")
    expect(page.get_by_role("status")).to_contain_text("do not match")
    sign_in(page, owner.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")


def test_first_run_setup_in_the_browser(open_page):
    page = open_page(PHONE)
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome to Reciprocate")
    screenshot(page, "setup-phone")
    page.get_by_label("Business name").fill("Tooth Fairy Dental")
    page.get_by_label("Your name").fill("Dr Ana")
    page.get_by_label("E-mail").fill("ana@example.com")
    page.get_by_label("Password", exact=True).fill("a long password")
    page.get_by_label("Repeat password").fill("a long password")
    page.get_by_role("button", name="Create owner account").click()
    # A new business lands on its dashboard's first steps, none done yet; doing one ticks it.
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    steps = page.get_by_role("region", name="Your first steps")
    expect(steps).to_contain_text("0 of 7 done")
    expect(steps.get_by_role("listitem")).to_have_count(7)
    screenshot(page, "first-steps-phone")
    badge, screen = page.locator(".who .role").bounding_box(), page.viewport_size["width"]
    assert page.locator(".who .role").is_visible() and badge["x"] + badge["width"] <= screen  # the role shows whole
    steps.get_by_role("link", name="Business details").click()
    expect(page.get_by_label("Business name")).to_have_value("Tooth Fairy Dental")
    page.get_by_label("Default gross margin (%)").fill("65")
    page.get_by_role("button", name="Save settings").click()
    page.goto("/dashboard/")
    expect(steps).to_contain_text("1 of 7 done")
    expect(steps.locator('[data-step="details"]')).to_contain_text("done")
    page.get_by_role("button", name="Hide this list").click()
    expect(steps).to_have_count(0)
    expect(page.get_by_text("First steps: 1 of 7 done.")).to_be_visible()
