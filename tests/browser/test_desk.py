"""The front desk in Chromium on a phone (390x844): a keyboard-wedge scan and a camera scan turn the screen
green; a second scan turns it red with when, where and by whom; a typo is caught in the page and never sent;
the device asks its location once; attaching says who; a second tap on Record is harmless; a large amount is
confirmed; "Check only" answers without redeeming and undo asks in the page; the page without its script redeems
too."""
import random
import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import func, select

from campaigns.accounts import business
from campaigns.desk import redemption
from campaigns.extensions import db
from campaigns.giving import codes, qr
from campaigns.giving.vouchers import issue_batch
from campaigns.models import Campaign, Location, Purchase, Redemption, Voucher
from tests.browser.conftest import DESKTOP, PHONE, screenshot, sign_in

# Runs once, on SQLite: the redemption service and API tests cover PostgreSQL, including its races.
pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
REDEEM = "/api/v1/redemptions"


@pytest.fixture
def counter(app, make_campaign, make_user):
    """An active campaign with vouchers, two locations, and a staff member called Ana."""
    campaign_id = make_campaign(status="active", offer="One free latte")
    with app.app_context():
        made = issue_batch(db.session.get(Campaign, campaign_id), 6, "flyer")
        business.create_location("Main St")
        business.create_location("Harbour kiosk")
        db.session.commit()
    return {"codes": made, "ana": make_user("staff", name="Ana"), "app": app}


def _scan_with_keyboard(page, text: str, enter: bool = True) -> None:
    """Type as a keyboard-wedge scanner does: fast keystrokes, then (usually) Enter."""
    page.keyboard.type(text, delay=5)
    if enter:
        page.keyboard.press("Enter")


def _count_redemption_requests(page) -> list:
    """Collect the page's requests to the redemption API, to tell what reached the server."""
    sent = []
    page.on("request", lambda request: sent.append(request.url) if REDEEM in request.url else None)
    return sent


def _open_desk(open_page, counter, viewport=PHONE, location="Main St"):
    """Sign Ana in and open the desk, answering the one-time location question."""
    page = open_page(viewport)
    sign_in(page, counter["ana"].email)
    page.goto("/desk/")
    if location:
        page.get_by_role("button", name=location, exact=True).click()
    return page


def _selected_all(page) -> bool:
    return page.evaluate("() => { const i = document.getElementById('scan-input');"
                         " return document.activeElement === i && i.selectionStart === 0"
                         " && i.selectionEnd === i.value.length && i.value.length > 0; }")


def _redeemed_at(app, code: str) -> str | None:
    with app.app_context():
        return db.session.scalar(select(Location.name).join(Redemption, Redemption.location_id == Location.id)
                                 .join(Voucher, Voucher.id == Redemption.voucher_id).where(Voucher.code == code))


def test_wedge_scan_green_then_red_keeps_the_code_selected(counter, open_page):
    page = _open_desk(open_page, counter)
    expect(page.locator("#scan-input")).to_be_focused()
    code = counter["codes"][0]
    _scan_with_keyboard(page, f"http://testserver/v/{code}")
    result = page.locator("#result")
    expect(result).to_have_class(re.compile("result-ok"))
    expect(page.locator("#result-verdict")).to_have_text("Give: One free latte")
    expect(page.locator("#result-verdict")).to_be_in_viewport()
    expect(page.locator("#count-mine")).to_have_text("1")
    expect(page.locator("#scan-input")).to_have_value("")  # ready for the next scan
    expect(page.locator("#scan-input")).to_be_focused()
    screenshot(page, "desk-green-phone")
    typed = codes.format_code(code).lower()
    _scan_with_keyboard(page, typed)
    expect(result).to_have_class(re.compile("result-bad"))
    used = re.compile(r"^Already redeemed today \d\d:\d\d at Main St by Ana\.$")
    expect(page.locator("#result-verdict")).to_have_text(used)
    expect(page.locator("#result-detail")).to_have_text("Do not hand it over again.")
    expect(page.locator("#result-verdict")).to_be_in_viewport()
    # The typed code stays, visible and selected: the next keystroke replaces it.
    expect(page.locator("#scan-input")).to_have_value(typed)
    expect(page.locator("#scan-input")).to_be_in_viewport()
    assert _selected_all(page)
    screenshot(page, "desk-red-phone")
    page.keyboard.type("k")
    expect(page.locator("#scan-input")).to_have_value("k")
    expect(result).to_be_hidden()
    page.keyboard.press("Escape")
    expect(result).to_be_hidden()


def test_a_typo_is_caught_in_the_page_and_never_reaches_the_server(counter, open_page):
    page = _open_desk(open_page, counter)
    sent = _count_redemption_requests(page)
    code = counter["codes"][1]
    typo = code[:5] + ("0" if code[5] != "0" else "1") + code[6:]
    _scan_with_keyboard(page, codes.format_code(typo))
    expect(page.locator("#result")).to_have_class(re.compile("result-bad"))
    expect(page.locator("#result-verdict")).to_have_text("One character looks wrong")
    expect(page.locator("#result-detail")).to_have_text("Check the code.")
    expect(page.locator("#scan-input")).to_have_value(codes.format_code(typo))
    assert _selected_all(page)
    screenshot(page, "desk-typo-phone")
    _scan_with_keyboard(page, typo, enter=False)  # a scanner without Enter: caught in the page as well
    expect(page.locator("#result-verdict")).to_have_text("One character looks wrong")
    for short in ("K7QM-3XTD", "K7QM-3XTD-9PRA-UU"):
        page.locator("#scan-input").fill(short)
        page.keyboard.press("Enter")
        expect(page.locator("#result-verdict")).to_have_text(re.compile("^(Code too short|Not a voucher code)$"))
    page.wait_for_timeout(500)
    assert sent == []
    page.locator("#scan-input").fill(code)  # fixed: now it goes to the server, once
    page.keyboard.press("Enter")
    expect(page.locator("#result")).to_have_class(re.compile("result-ok"))
    assert len(sent) == 1


def _variants(code: str, rng: random.Random) -> list[str]:
    """Ways people and scanners send a code: any case, separators, O/I/L, a voucher URL."""
    spaced = codes.format_code(code)
    forgiving = code.replace("0", "O").replace("1", rng.choice("IlL"))
    return [code.lower(), spaced, spaced.replace("-", " "), " " + spaced.replace("-", "_") + "\t",
            ".".join(code), forgiving, f"https://shop.example/v/{code}?utm=x", f"http://x/v/{spaced}#top",
            "\u3000" + code + "\u2009", code + "\x1c", code + "\ufeff", code + "U", code[:-1]]


def test_the_page_reads_codes_exactly_as_the_server_does(counter, open_page):
    page = _open_desk(open_page, counter)
    rng = random.Random(16)
    made = codes.generate_many(200)
    typos = []
    for code in made:
        position = rng.randrange(13)
        other = rng.choice([ch for ch in codes.ALPHABET if ch != code[position]])
        typos.append(code[:position] + other + code[position + 1:])
    swaps = [c[:4] + c[5] + c[4] + c[6:] for c in made[:50] if c[4] != c[5]]
    samples = made + typos + swaps + [v for code in made[:40] for v in _variants(code, rng)]
    samples += ["", "hello", "/v/", "http://x/v/?a", "O" * 13, "ß" * 13]
    in_page = page.evaluate("(samples) => samples.map((s) => window.deskCodes.read(s).code || null)", samples)
    expected = [codes.normalise(s) if codes.is_valid(s) else None for s in samples]
    assert in_page == expected
    assert sum(v is None for v in expected[200:400]) == 200  # every single-character typo is refused
    assert all(v is not None for v in expected[:200])


def test_a_device_chooses_its_location_once(counter, open_page, app):
    page = open_page(PHONE)
    sign_in(page, counter["ana"].email)
    page.goto("/desk/")
    chooser = page.locator("#location-chooser")
    expect(chooser).to_be_visible()
    expect(chooser).to_contain_text("Which location is this device at?")
    sent = _count_redemption_requests(page)
    page.locator("#scan-input").fill(counter["codes"][0])
    page.keyboard.press("Enter")
    expect(chooser).to_contain_text("First choose the location")
    assert sent == []  # never silently the alphabetically first location
    screenshot(page, "desk-location-phone")
    page.get_by_role("button", name="Main St", exact=True).click()
    expect(chooser).to_be_hidden()
    expect(page.locator("#desk-location")).to_have_text(re.compile(r"Location: Main St\s*\(change\)"))
    page.reload()
    expect(chooser).to_be_hidden()  # remembered on this device
    expect(page.locator("#desk-location-name")).to_have_text("Main St")
    page.get_by_role("button", name="(change)").click()
    page.get_by_role("button", name="Harbour kiosk", exact=True).click()
    expect(page.locator("#desk-location-name")).to_have_text("Harbour kiosk")
    _scan_with_keyboard(page, counter["codes"][0])
    expect(page.locator("#result")).to_have_class(re.compile("result-ok"))
    assert _redeemed_at(app, counter["codes"][0]) == "Harbour kiosk"


def test_with_one_location_the_desk_does_not_ask(counter, open_page, app):
    with app.app_context():
        place = db.session.scalar(select(Location).where(Location.name == "Harbour kiosk"))
        business.update_location(place, name=place.name, address="", active=False)
        db.session.commit()
    page = open_page(PHONE)
    sign_in(page, counter["ana"].email)
    page.goto("/desk/")
    expect(page.locator("#location-chooser")).to_be_hidden()
    expect(page.locator("#desk-location")).to_have_text("Location: Main St", use_inner_text=True)
    expect(page.locator("#desk-location-change")).to_be_hidden()
    _scan_with_keyboard(page, counter["codes"][0])
    expect(page.locator("#result")).to_have_class(re.compile("result-ok"))
    assert _redeemed_at(app, counter["codes"][0]) == "Main St"


def test_attaching_shows_who_and_closes_the_box(counter, open_page):
    page = _open_desk(open_page, counter)
    _scan_with_keyboard(page, counter["codes"][3])
    expect(page.locator("#result")).to_have_class(re.compile("result-ok"))
    page.get_by_label("Customer's e-mail or phone").fill("Rui@Example.com")
    page.get_by_role("button", name="Attach").click()
    expect(page.locator("#result-customer")).to_have_text("Attached: rui@example.com")
    expect(page.locator("#attach-form")).to_be_hidden()
    expect(page.locator("#purchase-form")).to_be_visible()
    screenshot(page, "desk-attached-phone")


def _attach(page, counter, index: int) -> None:
    _scan_with_keyboard(page, counter["codes"][index])
    expect(page.locator("#result")).to_have_class(re.compile("result-ok"))
    page.get_by_label("Customer's e-mail or phone").fill("+1 415 555 0100")
    page.get_by_role("button", name="Attach").click()
    expect(page.locator("#result-customer")).to_have_text(re.compile(r"^Attached: \+14155550100$"))


def _purchases(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(Purchase.amount_cents).order_by(Purchase.id)))


def test_a_second_tap_on_record_is_harmless_and_says_so(counter, open_page, app):
    page = _open_desk(open_page, counter)
    _attach(page, counter, 2)
    page.get_by_label(re.compile("Record a purchase")).fill("12.50")
    page.locator("#purchase-button").dblclick()
    expect(page.locator("#purchase-note")).to_have_text("Recorded USD 12.50.")
    page.locator("#purchase-button").click()
    expect(page.locator("#purchase-note")).to_have_text("Already recorded.")
    assert _purchases(app) == [1250]
    page.get_by_label(re.compile("Record a purchase")).fill("4.00")  # another sale is typed: a new purchase
    page.locator("#purchase-button").click()
    expect(page.locator("#purchase-note")).to_have_text("Recorded USD 4.00.")
    assert _purchases(app) == [1250, 400]


def test_a_large_amount_asks_once_more_with_the_keyboard(counter, open_page, app):
    page = _open_desk(open_page, counter)
    _attach(page, counter, 4)
    amount = page.get_by_label(re.compile("Record a purchase"))
    amount.fill("1250.00")
    amount.press("Enter")
    expect(page.locator("#purchase-note")).to_have_text("USD 1,250.00 is more than usual.")
    confirm = page.locator("#purchase-confirm-button")
    expect(confirm).to_have_text("Yes, record USD 1,250.00")
    expect(confirm).to_be_focused()
    expect(confirm).to_be_in_viewport()
    assert _purchases(app) == []
    screenshot(page, "desk-large-phone")
    page.keyboard.press("Enter")
    expect(page.locator("#purchase-note")).to_have_text("Recorded USD 1,250.00.")
    expect(confirm).to_be_hidden()
    assert _purchases(app) == [125000]


def test_the_page_without_javascript_redeems(counter, browser, live_server, app):
    context = browser.new_context(viewport=PHONE, base_url=live_server, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, counter["ana"].email)
        page.goto("/desk/")
        page.get_by_label("Scan or type a voucher code").fill(codes.format_code(counter["codes"][5]).lower())
        page.get_by_role("button", name="Redeem", exact=True).click()  # no script: the voucher's page, to redeem
        expect(page.get_by_role("button", name="Redeem: hand it over")).to_be_visible()
        page.get_by_role("button", name="Redeem: hand it over").click()
        expect(page.locator(".flash-error")).to_have_text("Choose the location first.")
        screenshot(page, "desk-nojs-red-phone")
        page.get_by_label("Location").select_option("Main St")
        page.get_by_role("button", name="Redeem: hand it over").click()
        expect(page.locator(".flash-success")).to_have_text("Give: One free latte")
        screenshot(page, "desk-nojs-green-phone")
        assert _redeemed_at(app, counter["codes"][5]) == "Main St"
        width = page.locator("html").evaluate("(e) => e.scrollWidth")
        assert width <= PHONE["width"]
    finally:
        context.close()


def _voucher(app, code: str) -> tuple:
    """The voucher's redeemed_at and its redemptions as (undo reason, undone?)."""
    with app.app_context():
        voucher = db.session.scalar(select(Voucher).where(Voucher.code == code))
        rows = db.session.execute(select(Redemption.undo_reason, Redemption.undone_at.is_not(None))
                                  .where(Redemption.voucher_id == voucher.id).order_by(Redemption.id)).all()
        return voucher.redeemed_at, [tuple(row) for row in rows]


def test_check_only_redeems_nothing_then_one_tap_redeems_and_undo_asks_in_the_page(counter, open_page, app):
    used = counter["codes"][1]
    with app.app_context():
        redemption.redeem(used, redemption.Attempt(user_id=counter["ana"].id, location="Harbour kiosk"))
        db.session.commit()
    page = _open_desk(open_page, counter)
    natives = []
    page.on("dialog", lambda dialog: (natives.append(dialog.message), dialog.dismiss()))
    sent = _count_redemption_requests(page)
    code, result = counter["codes"][0], page.locator("#result")
    page.get_by_role("button", name="Check only").click()  # on: the next scan only looks
    expect(page.get_by_role("button", name="Cancel check")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#check-armed")).to_be_visible()
    expect(page.locator("#scan-input")).to_be_focused()
    _scan_with_keyboard(page, f"http://testserver/v/{code}")  # the scanner's Enter: a check, not a redemption
    expect(result).to_have_class(re.compile("result-check"))
    expect(page.locator("#result-mode")).to_have_text("Check only · nothing was redeemed")
    expect(page.locator("#result-verdict")).to_have_text("Valid, not redeemed")
    expect(page.locator("#check-facts")).to_contain_text("One free latte")
    expect(page.locator("#check-facts")).to_contain_text("none attached")
    expect(page.locator("body")).to_have_class("desk-body has-result-check")  # not the full-screen green
    expect(page.get_by_role("button", name="Check only")).to_have_attribute("aria-pressed", "false")  # one check
    page.wait_for_timeout(400)
    assert sent == [] and _voucher(app, code) == (None, [])
    screenshot(page, "desk-check-phone")
    page.set_viewport_size(DESKTOP)
    screenshot(page, "desk-check-desktop")
    page.set_viewport_size(PHONE)
    page.get_by_role("button", name="Redeem now").click()  # one tap
    expect(result).to_have_class(re.compile("result-ok"))
    expect(page.locator("#result-verdict")).to_have_text("Give: One free latte")
    assert len(sent) == 1 and _redeemed_at(app, code) == "Main St"

    undo = page.get_by_role("button", name="Undo this redemption")
    undo.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Undo this redemption?")
    expect(dialog).to_be_visible()
    reason = dialog.get_by_label("Why undo it?")
    expect(reason).to_be_focused()
    expect(reason).to_have_value("Scanned by mistake")
    assert dialog.get_by_role("button").all_inner_texts() == ["Keep redemption", "Undo redemption"]
    screenshot(page, "desk-undo-dialog-phone")
    page.keyboard.press("Escape")  # Esc keeps it
    expect(dialog).to_be_hidden()
    expect(result).to_have_class(re.compile("result-ok"))
    assert _voucher(app, code)[1] == [(None, False)]
    expect(undo).to_be_focused()
    page.keyboard.press("Enter")
    expect(reason).to_be_focused()
    page.set_viewport_size(DESKTOP)
    screenshot(page, "desk-undo-dialog-desktop")
    page.keyboard.type("Customer changed their mind")  # replaces the usual reason, selected
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(page.locator("#result-verdict")).to_have_text("Redemption undone")
    expect(page.locator("#scan-input")).to_be_focused()
    redeemed_at, redemptions = _voucher(app, code)
    assert redeemed_at is None and redemptions == [("Customer changed their mind", True)]

    page.set_viewport_size(PHONE)
    page.locator("#scan-input").fill(codes.format_code(used))  # typed, then one tap on Check only
    page.get_by_role("button", name="Check only").click()
    expect(page.locator("#result-verdict")).to_have_text("Already redeemed")
    used_at = re.compile(r"^Redeemed today \d\d:\d\d at Harbour kiosk by Ana\.$")
    expect(page.locator("#result-detail")).to_have_text(used_at)
    expect(result).to_have_class(re.compile("check-bad"))
    expect(page.get_by_role("button", name="Redeem now")).to_be_hidden()
    screenshot(page, "desk-check-used-phone")
    assert len(sent) == 1 and natives == []


def test_desktop_green_and_red(counter, open_page):
    page = _open_desk(open_page, counter, DESKTOP)
    _scan_with_keyboard(page, counter["codes"][1], enter=False)  # a scanner that sends no Enter
    expect(page.locator("#result")).to_have_class(re.compile("result-ok"))
    screenshot(page, "desk-green-desktop")
    _scan_with_keyboard(page, counter["codes"][1])
    expect(page.locator("#result")).to_have_class(re.compile("result-bad"))
    screenshot(page, "desk-red-desktop")


def _y4m(path: Path, text: str | None) -> Path:
    """Write a one-frame Y4M video of a QR code (or of a blank card), for Chromium's fake camera."""
    width, height = 640, 480
    image = Image.new("L", (width, height), 255)
    if text:
        modules = qr.matrix(text)
        scale = 320 // len(modules)
        size = len(modules) * scale
        code = Image.new("L", (len(modules), len(modules)), 255)
        code.putdata([0 if dark else 255 for row in modules for dark in row])
        image.paste(code.resize((size, size), Image.NEAREST), ((width - size) // 2, (height - size) // 2))
    chroma = bytes([128]) * (width // 2 * height // 2)
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F30:1 Ip A1:1 C420jpeg\n".encode())
        out.write(b"FRAME\n" + image.tobytes() + chroma + chroma)
    return path


@pytest.fixture
def camera_page(browser_type, browser_type_launch_args, live_server, counter, tmp_path):
    """camera_page(text): a signed-in desk page whose fake camera shows a QR code of `text` (None: nothing)."""
    browsers = []

    def open_(text: str | None, viewport=PHONE):
        video = _y4m(tmp_path / f"camera{len(browsers)}.y4m", text)
        args = browser_type_launch_args["args"] + ["--use-fake-ui-for-media-stream",
                                                   "--use-fake-device-for-media-stream",
                                                   f"--use-file-for-fake-video-capture={video}"]
        browser = browser_type.launch(executable_path=browser_type_launch_args["executable_path"], args=args)
        browsers.append(browser)
        context = browser.new_context(viewport=viewport, base_url=live_server)
        context.grant_permissions(["camera"])
        page = context.new_page()
        sign_in(page, counter["ana"].email)
        page.goto("/desk/")
        page.get_by_role("button", name="Main St", exact=True).click()
        return page

    yield open_
    for browser in browsers:
        browser.close()


def _camera_is_off(page) -> bool:
    return page.evaluate("() => { const v = document.getElementById('camera-video');"
                         " return v.srcObject === null && document.getElementById('camera').hidden; }")


def test_a_camera_scan_closes_the_camera_and_the_answer_is_in_view(counter, camera_page):
    page = camera_page(f"http://testserver/v/{counter['codes'][0]}")
    page.get_by_role("button", name="Camera").click()
    expect(page.locator("#result")).to_have_class(re.compile("result-ok"), timeout=30_000)
    expect(page.locator("#result-verdict")).to_have_text("Give: One free latte")
    expect(page.locator("#result-verdict")).to_be_in_viewport()
    expect(page.locator("#camera")).to_be_hidden()
    assert _camera_is_off(page)
    expect(page.get_by_role("button", name="Camera")).to_have_attribute("aria-pressed", "false")
    screenshot(page, "desk-camera-green-phone")


def test_a_camera_scan_of_a_used_voucher_is_red_and_in_view(counter, camera_page, app):
    code = counter["codes"][0]
    with app.app_context():
        redemption.redeem(code, redemption.Attempt(user_id=counter["ana"].id, location="Main St"))
        db.session.commit()
    page = camera_page(f"http://testserver/v/{code}")
    page.get_by_role("button", name="Camera").click()
    expect(page.locator("#result")).to_have_class(re.compile("result-bad"), timeout=30_000)
    expect(page.locator("#result-verdict")).to_have_text(re.compile(r"^Already redeemed today"))
    expect(page.locator("#result-verdict")).to_be_in_viewport()
    assert _camera_is_off(page)
    screenshot(page, "desk-camera-red-phone")


def test_the_camera_box_sits_under_the_scan_box(counter, camera_page):
    for viewport, name in ((PHONE, "desk-camera-phone"), (DESKTOP, "desk-camera-desktop")):
        page = camera_page(None, viewport)
        page.get_by_role("button", name="Camera").click()
        expect(page.locator("#camera-status")).to_have_text("Point the camera at the voucher's QR code.",
                                                            timeout=30_000)
        expect(page.locator("#camera-video")).to_be_in_viewport(ratio=0.5)
        screenshot(page, name)
        page.get_by_role("button", name="Stop camera").click()
        assert _camera_is_off(page)
    with counter["app"].app_context():  # a blank card scans nothing
        assert db.session.scalar(select(func.count()).select_from(Redemption)) == 0
