"""The desk with the network cut, in Chromium on a phone: scans answer "Offline: looks valid", the same code is
refused at once the second time, the page reloads from the device with its queue, and when the network is back
every queued scan is redeemed once with the time it was scanned. The same voucher scanned offline on two devices
ends with one redemption and one refusal staff must acknowledge; a dropped answer sent again redeems nothing
twice; the kept list of valid vouchers tells a voucher it does not hold."""
import socket
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from campaigns.accounts import business
from campaigns.extensions import db
from campaigns.giving.vouchers import issue_batch
from campaigns.models import AuditEntry, Campaign, Redemption, Voucher
from tests.browser.conftest import PHONE, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
REDEEM = "/api/v1/redemptions"


@pytest.fixture
def shop(app, make_campaign, make_user):
    """An active campaign with vouchers, one location, and a staff member; requests reaching the server are
    written down (to tell a page served by the device from one served by the server)."""
    campaign_id = make_campaign(status="active", offer="One free latte")
    with app.app_context():
        made = issue_batch(db.session.get(Campaign, campaign_id), 6, "flyer")
        business.create_location("Main St")
        db.session.commit()
    reached, cut = [], set()
    serve = app.wsgi_app

    def server(environ, start):
        reached.append(environ["PATH_INFO"])
        if cut:  # a dead network: the connection drops, with no answer at all
            environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)
            raise ConnectionResetError("the network is cut")
        return serve(environ, start)

    app.wsgi_app = server
    return {"codes": made, "ana": make_user("staff", name="Ana"), "app": app, "reached": reached, "cut": cut}


def _offline(shop, *pages, offline: bool = True) -> None:
    """Cut the network (the browser's, and the server's too: Chromium may let a request of a page served by its
    service worker through), or bring it back."""
    if offline:
        shop["cut"].add(True)
    else:
        shop["cut"].clear()
    for page in pages:
        page.context.set_offline(offline)


def _desk(open_page, shop):
    """Ana's desk on a phone, its service worker in control (so it opens with no network)."""
    page = open_page(PHONE)
    sign_in(page, shop["ana"].email)
    page.goto("/desk/")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.evaluate("window.deskOffline.ready.then(() => true)")  # its first look at the server is done
    expect(page.locator("#desk-network-state")).to_have_text("Online")
    return page


def _scan(page, code: str) -> None:
    page.locator("#scan-input").fill(code)
    page.locator("#scan-input").press("Enter")


def _redemptions(app) -> list[tuple[str, datetime, str | None]]:
    with app.app_context():
        return db.session.execute(select(Voucher.code, Redemption.redeemed_at, Redemption.scan_id)
                                  .join(Voucher, Voucher.id == Redemption.voucher_id).order_by(Redemption.id)).all()


def _queued(page) -> list[dict]:
    return page.evaluate("window.deskOffline.waiting()")


def test_offline_scans_survive_a_reload_and_are_redeemed_once_when_back(shop, open_page):
    page = _desk(open_page, shop)
    first, second = shop["codes"][:2]
    _offline(shop, page)
    expect(page.locator("#desk-network-state")).to_have_text("Offline")
    shop["reached"].clear()

    _scan(page, first)
    expect(page.locator("#result-verdict")).to_have_text("Offline: looks valid, give it")
    expect(page.locator("body")).to_have_class("desk-body has-result-offline")
    screenshot(page, "desk-offline-answer-phone")
    _scan(page, first.lower())  # the same voucher again: this device knows
    expect(page.locator("#result-verdict")).to_have_text("Already redeemed on this device")
    expect(page.locator("body")).to_have_class("desk-body has-result-bad")
    _scan(page, second)
    expect(page.locator("#desk-waiting")).to_have_text("2 scans waiting")

    page.reload()  # with no network: the page, its scripts and the queue come from the device
    expect(page.locator("#desk-network-state")).to_have_text("Offline")
    expect(page.locator("#desk-waiting")).to_have_text("2 scans waiting")
    _scan(page, first)
    expect(page.locator("#result-verdict")).to_have_text("Already redeemed on this device")
    screenshot(page, "desk-offline-waiting-phone")
    decoder = page.evaluate("""async () => {  // the camera's decoder is on the device too
        const data = JSON.parse(document.getElementById("desk-data").textContent);
        const answers = await Promise.all([data.wasmUrl, data.scannerScript].map((url) => fetch(url)));
        return answers.map((answer) => answer.ok);
    }""")
    assert decoder == [True, True]
    queued = _queued(page)
    assert [scan["code"] for scan in queued] == [first, second]
    # The page and its files came from the device: nothing but the desk's "are you there?" reached the server.
    assert set(shop["reached"]) <= {"/desk/today"}
    assert _redemptions(shop["app"]) == []

    _offline(shop, page, offline=False)  # the page notices by itself (it asks the server every few seconds)
    expect(page.locator("#desk-waiting")).to_be_hidden(timeout=15_000)
    made = _redemptions(shop["app"])
    assert [(code, scan_id) for code, _, scan_id in made] == [(scan["code"], scan["id"]) for scan in queued]
    for (_, redeemed_at, _), scan in zip(made, queued):
        assert abs(redeemed_at - datetime.fromisoformat(scan["scanned_at"])) < timedelta(milliseconds=1)
    expect(page.locator("#offline-refusals")).to_be_hidden()


def test_one_voucher_scanned_offline_on_two_devices_is_one_redemption_and_one_refusal(shop, open_page):
    code = shop["codes"][2]
    one, two = _desk(open_page, shop), _desk(open_page, shop)
    _offline(shop, one, two)
    for page in (one, two):
        _scan(page, code)
        expect(page.locator("#result-verdict")).to_have_text("Offline: looks valid, give it")
    _offline(shop, one, offline=False)
    expect(one.locator("#desk-waiting")).to_be_hidden(timeout=15_000)
    expect(one.locator("#result-verdict")).to_have_text("Confirmed")  # the answer on screen is the server's now
    two.context.set_offline(False)
    refusals = two.locator("#offline-refusals")
    expect(refusals).to_be_visible()
    expect(two.locator("#offline-refusals-count")).to_have_text("1 offline scan was refused when sent")
    expect(two.locator("#offline-refusals-list li")).to_contain_text("Already redeemed today")
    expect(two.locator("#result-verdict")).to_have_text("Refused when sent")
    two.get_by_role("button", name="Next scan (Esc)").click()
    screenshot(two, "desk-offline-refusals-phone")
    assert len(_redemptions(shop["app"])) == 1
    with shop["app"].app_context():
        refused = db.session.scalars(select(AuditEntry).where(AuditEntry.outcome == "already_redeemed")).all()
    assert len(refused) == 1 and refused[0].subject_id == code and refused[0].details["scan_id"]

    two.reload()  # a refusal stays until someone says they saw it
    expect(two.locator("#offline-refusals")).to_be_visible()
    two.locator("#offline-refusals-list").get_by_role("button", name="Seen").click()
    expect(two.locator("#offline-refusals")).to_be_hidden()
    two.reload()
    expect(two.locator("#desk-network-state")).to_have_text("Online")
    expect(two.locator("#offline-refusals")).to_be_hidden()


def test_a_scan_whose_answer_was_lost_is_sent_again_and_redeems_once(shop, open_page):
    page = _desk(open_page, shop)
    code = shop["codes"][3]
    dropped = []

    def drop_the_answer(route):
        route.fetch()  # the server redeems...
        dropped.append(route.request.post_data_json)
        route.abort()  # ...and the answer never arrives

    page.route("**" + REDEEM, drop_the_answer)
    _scan(page, code)
    expect(page.locator("#result-verdict")).to_have_text("Offline: looks valid, give it")
    expect(page.locator("#desk-waiting")).to_have_text("1 scan waiting")
    page.evaluate("window.deskOffline.sync()")  # the queue's first sending is lost too
    expect(page.locator("#desk-waiting")).to_have_text("1 scan waiting")
    assert len(dropped) == 2 and dropped[0]["scan_id"] == dropped[1]["scan_id"]
    page.unroute("**" + REDEEM)
    page.evaluate("window.deskOffline.sync()")
    expect(page.locator("#desk-waiting")).to_be_hidden()
    expect(page.locator("#offline-refusals")).to_be_hidden()
    assert [(c, s) for c, _, s in _redemptions(shop["app"])] == [(code, dropped[0]["scan_id"])]
    with shop["app"].app_context():
        outcomes = db.session.scalars(select(AuditEntry.outcome).where(AuditEntry.subject_id == code)).all()
    assert sorted(outcomes) == ["redeemed", "repeated", "repeated"]


def test_the_kept_list_tells_a_voucher_it_does_not_hold(shop, open_page):
    page = _desk(open_page, shop)
    page.get_by_role("button", name="Keep valid vouchers for offline use").click()
    expect(page.locator("#offline-list-state")).to_contain_text("6 valid vouchers kept")
    _scan(page, shop["codes"][4])  # online: redeemed, so off this device's list at once
    expect(page.locator("#result-verdict")).to_have_text("Give: One free latte")
    with shop["app"].app_context():
        stranger = issue_batch(db.session.scalar(select(Campaign)), 1, "later")[0]  # made after the download
        db.session.commit()
    _offline(shop, page)
    page.locator("#scan-input").fill(shop["codes"][5])  # a check, offline: from the device's list, queued nowhere
    page.get_by_role("button", name="Check only").click()
    expect(page.locator("#result-verdict")).to_have_text("Offline: valid, not redeemed")
    expect(page.locator("#result")).to_have_class("result result-check check-ok")
    assert _queued(page) == []
    _scan(page, shop["codes"][5])
    expect(page.locator("#result-verdict")).to_have_text("Offline: looks valid. Give: One free latte")
    _scan(page, shop["codes"][4])
    expect(page.locator("#result-verdict")).to_have_text("Already redeemed on this device")
    _scan(page, stranger)
    expect(page.locator("#result-verdict")).to_have_text("Offline: not on this device's list")
    expect(page.locator("#desk-waiting")).to_have_text("1 scan waiting")
    page.get_by_role("button", name="Give it anyway: confirm when back online").click()
    expect(page.locator("#desk-waiting")).to_have_text("2 scans waiting")
    _offline(shop, page, offline=False)
    expect(page.locator("#desk-waiting")).to_be_hidden(timeout=15_000)
    expect(page.locator("#result-verdict")).to_have_text("Confirmed")
    expect(page.locator("#offline-list-state")).to_contain_text("4 valid vouchers kept")  # fetched again: 7 made, 3 redeemed
    assert sorted(code for code, _, _ in _redemptions(shop["app"])) == sorted([*shop["codes"][4:6], stranger])
