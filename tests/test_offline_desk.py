"""What the offline desk stands on, on both databases: a scan sent again with its scan_id is the redemption it
made (never a second one, never a refusal), however often and however simultaneously; the list of valid
vouchers a device may keep holds short hashes of exactly the redeemable codes and nothing about customers;
the manifest and service worker name only files that exist."""
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from campaigns.accounts import business
from campaigns.desk.offline_list import HASH_CHARS, code_hash
from campaigns.extensions import db
from campaigns.giving import designs
from campaigns.giving.vouchers import issue_batch, issue_personal
from campaigns.models import AuditEntry, Campaign, Redemption, User, Voucher, utcnow
from tests.conftest import csrf_from, log_in
from tests.test_concurrent_issuing import PROCESSES, THREADS, _race, _scalar
from tests.test_concurrent_redemption import _counter

REDEEM = "/api/v1/redemptions"
SCAN = "5f0c2a9e-3b7d-4c1e-9a60-2d8f1b7e4c33"


@pytest.fixture
def desk(app, make_campaign, make_token):
    """An active campaign with four vouchers, a location, and a staff token's poster."""
    campaign_id = make_campaign(status="active", offer="One free latte")
    with app.app_context():
        made = issue_batch(db.session.get(Campaign, campaign_id), 4, "flyer")
        business.create_location("Main St")
        db.session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {make_token('staff', 'Till')}"}
    return {"codes": made, "campaign_id": campaign_id,
            "post": lambda body: client.post(REDEEM, json=body, headers=headers)}


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_scan_sent_again_is_the_redemption_it_made(desk, app):
    scanned_at = (utcnow() - timedelta(hours=3)).isoformat()
    body = {"code": desk["codes"][0], "scan_id": SCAN, "scanned_at": scanned_at, "location": "Main St"}
    first, again, third = desk["post"](body), desk["post"](body), desk["post"]({**body, "location": None})
    assert first.status_code == 201 and first.get_json()["repeated"] is False
    assert again.status_code == third.status_code == 200
    assert again.get_json()["repeated"] is True
    assert again.get_json()["redemption_id"] == first.get_json()["redemption_id"] == third.get_json()["redemption_id"]
    assert again.get_json()["redeemed_at"] == first.get_json()["redeemed_at"]  # the offline scan's own time
    assert _count(app, Redemption) == 1
    outcomes = _count(app, AuditEntry, AuditEntry.outcome == "repeated"), _count(app, AuditEntry,
                                                                                 AuditEntry.outcome == "redeemed")
    assert outcomes == (2, 1)
    with app.app_context():
        kept = db.session.scalar(select(Redemption))
        assert kept.scan_id == SCAN
        assert abs((kept.redeemed_at - utcnow()) + timedelta(hours=3)) < timedelta(minutes=1)


def test_another_scan_of_a_redeemed_voucher_is_refused_and_a_reused_scan_id_too(desk, app):
    code = desk["codes"][1]
    assert desk["post"]({"code": code, "scan_id": SCAN}).status_code == 201
    other_device = desk["post"]({"code": code, "scan_id": "b2c1f7aa-0000-4000-8000-000000000001"})
    assert other_device.status_code == 409 and other_device.get_json()["error"]["code"] == "already_redeemed"
    reused = desk["post"]({"code": desk["codes"][2], "scan_id": SCAN})
    assert reused.status_code == 409 and reused.get_json()["error"]["code"] == "scan_id_taken"
    assert _count(app, Redemption) == 1
    with app.app_context():
        assert db.session.get(Voucher, _voucher_id(desk["codes"][2])).redeemed_at is None
    refused = _count(app, AuditEntry, AuditEntry.outcome.in_(["already_redeemed", "scan_id_taken"]))
    assert refused == 2


def _voucher_id(code: str) -> int:
    return db.session.scalar(select(Voucher.id).where(Voucher.code == code))


@pytest.mark.parametrize("scan_id", ["short", "has space in it", "x" * 65, 12345678, "ä" * 10])
def test_a_bad_scan_id_is_named_and_redeems_nothing(desk, app, scan_id):
    answer = desk["post"]({"code": desk["codes"][0], "scan_id": scan_id})
    assert answer.status_code == 422 and "scan_id" in answer.get_json()["error"]["details"]["fields"]
    assert _count(app, Redemption) == 0


def test_an_undone_redemption_is_not_redeemed_again_by_its_scan(desk, app, make_user):
    from campaigns.desk import undo

    first = desk["post"]({"code": desk["codes"][3], "scan_id": SCAN}).get_json()
    owner = make_user("owner")
    with app.app_context():
        undo.undo(first["redemption_id"], db.session.scalar(select(User).where(User.email == owner.email)),
                  "Scanned by mistake")
        db.session.commit()
    again = desk["post"]({"code": desk["codes"][3], "scan_id": SCAN})
    assert again.status_code == 200 and again.get_json()["redemption_id"] == first["redemption_id"]
    assert _count(app, Redemption, Redemption.undone_at.is_(None)) == 0  # the undo stands


def test_simultaneous_sendings_of_one_scan_make_one_redemption(desk, app):
    body = {"code": desk["codes"][0], "scan_id": SCAN}
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: desk["post"](body), range(8)))
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200] * 7 + [201], [answer.get_json() for answer in answers]
    assert len({answer.get_json()["redemption_id"] for answer in answers}) == 1
    assert _count(app, Redemption) == 1


def test_one_scan_sent_from_many_processes_at_once_is_one_redemption(pg_database_url):
    codes, user_id = _counter(pg_database_url)
    results = _race(pg_database_url, "rescan", [[(codes[0], user_id, "Main St", SCAN)] * THREADS
                                                for _ in range(PROCESSES)])
    assert all(status == "ok" for status, _ in results), results
    assert len({redemption_id for _, (redemption_id, _) in results}) == 1
    assert sorted(repeated for _, (_, repeated) in results) == [False] + [True] * (PROCESSES * THREADS - 1)
    assert _scalar(pg_database_url, "SELECT count(*) FROM redemption") == 1


def test_the_offline_list_holds_exactly_the_redeemable_codes_as_hashes(app, make_campaign, make_user):
    live, paused = make_campaign(status="active", offer="One free latte"), make_campaign(status="paused")
    over = make_campaign(status="active", ends_on=(utcnow() - timedelta(days=3)).date().isoformat(),
                         starts_on=(utcnow() - timedelta(days=10)).date().isoformat())
    with app.app_context():
        good = issue_batch(db.session.get(Campaign, live), 4, "flyer")
        personal = issue_personal(db.session.get(Campaign, live), _contact("ana.secret@example.com")).code
        held = issue_batch(db.session.get(Campaign, paused), 2, "flyer")
        old = issue_batch(db.session.get(Campaign, over), 2, "flyer")
        voucher = db.session.scalar(select(Voucher).where(Voucher.code == good[1]))
        voucher.void_at = utcnow()
        db.session.commit()
    client = app.test_client()
    staff = make_user("staff")
    log_in(client, staff)
    token = csrf_from(client.get("/desk/").get_data(as_text=True))
    assert client.post(REDEEM, json={"code": good[0]}, headers={"X-CSRFToken": token}).status_code == 201
    answer = client.get("/desk/offline-list")
    assert answer.status_code == 200
    kept = answer.get_json()
    salt = kept["salt"]
    hashes = {c["id"]: [c["hashes"][i:i + HASH_CHARS] for i in range(0, len(c["hashes"]), HASH_CHARS)]
              for c in kept["campaigns"]}
    assert list(hashes) == [live] and kept["count"] == 3
    assert sorted(hashes[live]) == sorted(code_hash(salt, code) for code in [good[2], good[3], personal])
    text = answer.get_data(as_text=True)
    for secret in ["ana.secret", *good, personal, *held, *old]:
        assert secret not in text
    assert kept["campaigns"][0]["give"] == "Give: One free latte"
    assert client.get("/desk/offline-list").get_json()["salt"] == salt  # the same salt at every download


def _contact(email: str):
    from campaigns.contacts.contact import make_contact
    from campaigns.contacts.matching import find_or_create

    return find_or_create(make_contact(email, ""))


def test_the_offline_list_is_for_staff_signed_in(app, make_user):
    client = app.test_client()
    assert client.get("/desk/offline-list").status_code in (302, 401)


def test_the_manifest_and_the_service_worker_name_files_that_exist(app):
    client = app.test_client()
    manifest = client.get("/desk/manifest.webmanifest")
    assert manifest.status_code == 200 and manifest.mimetype == "application/manifest+json"
    body = json.loads(manifest.get_data())
    assert body["start_url"] == body["scope"] == "/desk/" and body["display"] == "standalone"
    worker = client.get("/desk/sw.js")
    assert worker.status_code == 200 and worker.mimetype == "text/javascript"
    script = worker.get_data(as_text=True)
    assets = json.loads(script.split("const ASSETS = ", 1)[1].split(";\n", 1)[0])
    for url in assets + [icon["src"] for icon in body["icons"]]:
        with client.get(url) as response:
            assert response.status_code == 200, url
    assert "/static/vendor/zxing_reader.wasm" in assets and "/static/js/desk_offline.js" in assets


def test_a_campaign_ending_takes_its_vouchers_off_the_list(app, make_campaign, make_user):
    campaign_id = make_campaign(status="active")
    with app.app_context():
        issue_batch(db.session.get(Campaign, campaign_id), 3, "flyer")
        db.session.commit()
    client = app.test_client()
    log_in(client, make_user("staff"))
    assert client.get("/desk/offline-list").get_json()["count"] == 3
    with app.app_context():
        designs.set_status(db.session.get(Campaign, campaign_id), "ended")
        db.session.commit()
    emptied = client.get("/desk/offline-list").get_json()
    assert emptied["campaigns"] == [] and emptied["count"] == 0
