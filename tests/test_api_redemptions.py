"""POST /api/v1/redemptions and GET /api/v1/vouchers/{code}: every outcome of API.md, over HTTP."""
import pytest
from sqlalchemy import func, select

from campaigns.accounts import business
from campaigns.extensions import db
from campaigns.giving import codes
from campaigns.giving.vouchers import issue_batch
from campaigns.models import AuditEntry, Campaign
from tests.conftest import csrf_from, log_in


@pytest.fixture
def setup(app, make_campaign, make_token):
    """Active and paused campaigns with vouchers, a location, and a staff token."""
    active, paused = make_campaign(status="active", offer="One free latte"), make_campaign(status="paused")
    with app.app_context():
        good = issue_batch(db.session.get(Campaign, active), 3, "flyer")
        held = issue_batch(db.session.get(Campaign, paused), 1, "flyer")
        business.create_location("Main St")
        db.session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {make_token('staff', 'Main St till')}"}
    post = lambda body: client.post("/api/v1/redemptions", json=body, headers=headers)  # noqa: E731
    get = lambda code: client.get(f"/api/v1/vouchers/{code}", headers=headers)  # noqa: E731
    return {"good": good, "paused": held[0], "post": post, "get": get}


def _audit_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "redeem"))


def test_redeem_then_already_redeemed(setup, app):
    code = setup["good"][0]
    first = setup["post"]({"code": f"https://x.example/v/{codes.format_code(code)}", "location": "Main St",
                           "customer": {"email": "ana@example.com"}})
    assert first.status_code == 201
    body = first.get_json()
    assert body["code"] == code and body["campaign"]["offer"] == "One free latte" and body["give"] == "Give: One free latte"
    assert body["customer"]["email"] == "ana@example.com" and body["redeemed_at"]
    second = setup["post"]({"code": code})
    assert second.status_code == 409
    error = second.get_json()["error"]
    assert error["code"] == "already_redeemed" and error["details"]["location"] == "Main St"
    assert error["details"]["by"] == "Main St till"  # redeemed by a till's token: the token's name says who
    assert error["details"]["redeemed_at"] == body["redeemed_at"]
    assert _audit_count(app) == 2


@pytest.mark.parametrize("make_body, status, code", [
    (lambda s: {"code": s["paused"]}, 422, "campaign_not_active"),
    (lambda s: {"code": codes.generate()}, 404, "unknown_code"),
    (lambda s: {"code": s["good"][0][:-1] + ("0" if s["good"][0][-1] != "0" else "1")}, 422, "invalid_code"),
    (lambda s: {"code": s["good"][0], "scanned_at": "2001-01-01T00:00:00+00:00"}, 422, "invalid_input"),
    (lambda s: {"code": s["good"][0], "scanned_at": "yesterday"}, 422, "invalid_input"),
    (lambda s: {"code": s["good"][0], "location": "Moon"}, 422, "unknown_location"),
    (lambda s: {"code": s["good"][0], "customer": {"email": "nope"}}, 422, "invalid_input"),
    (lambda s: {}, 422, "invalid_input"),
])
def test_failed_outcomes_change_nothing_but_the_audit_log(setup, app, make_body, status, code):
    response = setup["post"](make_body(setup))
    assert response.status_code == status and response.get_json()["error"]["code"] == code
    assert setup["get"](setup["good"][0]).get_json()["state"] == "valid"
    assert _audit_count(app) == 1


def test_voucher_lookup(setup):
    code = setup["good"][1]
    looked = setup["get"](codes.format_code(code).lower())
    assert looked.status_code == 200 and looked.get_json()["state"] == "valid"
    setup["post"]({"code": code, "location": "Main St"})
    after = setup["get"](code).get_json()
    assert after["state"] == "redeemed" and after["redemption"]["location"] == "Main St"
    assert setup["get"](codes.generate()).status_code == 404
    assert setup["get"]("ABC").status_code == 422


def test_failed_attempts_are_rate_limited_per_token(app, setup):
    app.config["REDEEM_FAILURE_LIMIT"] = "3 per minute"
    statuses = [setup["post"]({"code": codes.generate()}).status_code for _ in range(4)]
    assert statuses == [404, 404, 404, 429]
    assert setup["post"]({"code": setup["good"][2]}).status_code == 429
    with app.app_context():
        outcomes = db.session.scalars(select(AuditEntry.outcome).where(AuditEntry.action == "redeem")
                                      .order_by(AuditEntry.id)).all()
    assert outcomes == ["unknown_code"] * 3 + ["rate_limited"] * 2  # refused attempts are audited too


def test_the_desk_page_redeems_with_its_session_and_csrf_header(app, setup, make_user):
    client = app.test_client()
    log_in(client, make_user("staff"))
    token = csrf_from(client.get("/desk/").get_data(as_text=True).replace('"csrf": "', 'name="csrf_token" value="'))
    without = client.post("/api/v1/redemptions", json={"code": setup["good"][0]})
    assert without.status_code == 401
    made = client.post("/api/v1/redemptions", json={"code": setup["good"][0]}, headers={"X-CSRFToken": token})
    assert made.status_code == 201


def test_every_wrong_field_is_named_at_once(setup, app):
    response = setup["post"]({"code": 5, "location": 3, "customer": {"email": "nope"}, "scanned_at": "soon",
                              "colour": "red"})
    assert response.status_code == 422
    fields = response.get_json()["error"]["details"]["fields"]
    assert set(fields) == {"code", "location", "email", "scanned_at", "colour"}
    assert _audit_count(app) == 1


def test_a_scan_a_little_in_the_future_is_now_and_given_in_utc(setup):
    from datetime import UTC, datetime, timedelta
    ahead = (datetime.now(UTC) + timedelta(minutes=2)).astimezone().isoformat()
    response = setup["post"]({"code": setup["good"][1], "scanned_at": ahead})
    assert response.status_code == 201
    redeemed_at = datetime.fromisoformat(response.get_json()["redeemed_at"])
    assert redeemed_at.utcoffset() == timedelta(0) and redeemed_at <= datetime.now(UTC)
