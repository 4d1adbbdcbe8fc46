"""The front desk in Chromium: a keyboard-wedge scan and a camera scan turn the screen green; a second
scan of the same code turns it red with when, where and by whom."""
import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from campaigns import business, codes, qr
from campaigns.extensions import db
from campaigns.models import Campaign
from campaigns.vouchers import issue_batch
from tests.browser.conftest import DESKTOP, PHONE, screenshot, sign_in

# Runs once, on SQLite: the redemption service and API tests cover PostgreSQL, including its races.
pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


@pytest.fixture
def counter(app, make_campaign, make_user):
    """An active campaign with vouchers, a location, and a staff member called Ana."""
    campaign_id = make_campaign(status="active", offer="One free latte")
    with app.app_context():
        made = issue_batch(db.session.get(Campaign, campaign_id), 4, "flyer")
        business.create_location("Main St")
        business.create_location("Harbour kiosk")
        db.session.commit()
    return {"codes": made, "ana": make_user("staff", name="Ana")}


def _scan_with_keyboard(page, text: str, enter: bool = True) -> None:
    """Type as a keyboard-wedge scanner does: fast keystrokes, then (usually) Enter."""
    page.keyboard.type(text, delay=5)
    if enter:
        page.keyboard.press("Enter")


def test_wedge_scan_green_then_red_with_time_place_and_person(counter, open_page):
    page = open_page(PHONE)
    sign_in(page, counter["ana"].email)
    page.goto("/desk/")
    page.get_by_label("Location").select_option("Main St")
    expect(page.locator("#scan-input")).to_be_focused()
    code = counter["codes"][0]
    _scan_with_keyboard(page, f"http://testserver/v/{code}")
    result = page.locator("#result")
    expect(result).to_have_class(re.compile("result-ok"))
    expect(page.locator("#result-verdict")).to_have_text("Give: One free latte")
    expect(page.locator("#count-mine")).to_have_text("1")
    screenshot(page, "desk-green-phone")
    expect(page.locator("#scan-input")).to_be_focused()  # ready for the next scan
    _scan_with_keyboard(page, codes.format_code(code).lower())
    expect(result).to_have_class(re.compile("result-bad"))
    expect(page.locator("#result-verdict")).to_have_text(re.compile(r"^Already redeemed today \d\d:\d\d at Main St by Ana\.$"))
    screenshot(page, "desk-red-phone")
    page.keyboard.press("Escape")
    expect(result).to_be_hidden()


def test_a_scanner_that_sends_no_enter_and_a_typo(counter, open_page):
    page = open_page(DESKTOP)
    sign_in(page, counter["ana"].email)
    page.goto("/desk/")
    _scan_with_keyboard(page, counter["codes"][1], enter=False)
    expect(page.locator("#result")).to_have_class(re.compile("result-ok"))
    screenshot(page, "desk-green-desktop")
    code = counter["codes"][2]
    typo = code[:5] + ("0" if code[5] != "0" else "1") + code[6:]
    _scan_with_keyboard(page, typo)
    expect(page.locator("#result")).to_have_class(re.compile("result-bad"))
    expect(page.locator("#result-verdict")).to_contain_text("Looks mistyped")


def test_attach_a_customer_and_record_a_purchase_after_redeeming(counter, open_page):
    page = open_page(PHONE)
    sign_in(page, counter["ana"].email)
    page.goto("/desk/")
    _scan_with_keyboard(page, counter["codes"][3])
    expect(page.locator("#result")).to_have_class(re.compile("result-ok"))
    page.get_by_label("Customer's e-mail or phone").fill("rui@example.com")
    page.get_by_role("button", name="Attach").click()
    expect(page.locator("#attach-note")).to_contain_text("Attached")
    page.get_by_label(re.compile("Record a purchase")).fill("12.50")
    page.get_by_role("button", name="Record").click()
    expect(page.locator("#purchase-note")).to_have_text("Recorded USD 12.50.")


def _y4m_of_qr(path: Path, text: str) -> Path:
    """Write a one-frame Y4M video of a QR code, for Chromium's fake camera."""
    width, height = 640, 480
    modules = qr.matrix(text)
    scale = 320 // len(modules)
    size = len(modules) * scale
    image = Image.new("L", (width, height), 255)
    code = Image.new("L", (len(modules), len(modules)), 255)
    code.putdata([0 if dark else 255 for row in modules for dark in row])
    image.paste(code.resize((size, size), Image.NEAREST), ((width - size) // 2, (height - size) // 2))
    chroma = bytes([128]) * (width // 2 * height // 2)
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F30:1 Ip A1:1 C420jpeg\n".encode())
        out.write(b"FRAME\n" + image.tobytes() + chroma + chroma)
    return path


def test_camera_scan_turns_the_screen_green(counter, browser_type, browser_type_launch_args, live_server, tmp_path):
    code = counter["codes"][0]
    video = _y4m_of_qr(tmp_path / "qr.y4m", f"http://testserver/v/{code}")
    args = browser_type_launch_args["args"] + ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                                               f"--use-file-for-fake-video-capture={video}"]
    browser = browser_type.launch(executable_path=browser_type_launch_args["executable_path"], args=args)
    try:
        context = browser.new_context(viewport=PHONE, base_url=live_server)
        context.grant_permissions(["camera"])
        page = context.new_page()
        sign_in(page, counter["ana"].email)
        page.goto("/desk/")
        page.get_by_role("button", name="Camera").click()
        expect(page.locator("#result")).to_have_class(re.compile("result-ok"), timeout=30_000)
        expect(page.locator("#result-verdict")).to_have_text("Give: One free latte")
        screenshot(page, "desk-camera-green-phone")
        page.keyboard.press("Escape")
        expect(page.locator("#camera-video")).to_be_visible()
        screenshot(page, "desk-camera-phone")
    finally:
        browser.close()
