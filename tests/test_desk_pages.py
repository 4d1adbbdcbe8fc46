"""The desk's actions after a scan: attach a customer, record a purchase, undo; as JSON and as plain forms."""
import pytest
from sqlalchemy import func, select

from campaigns import codes
from campaigns.extensions import db
from campaigns.models import Campaign, Purchase, Voucher
from campaigns.vouchers import issue_batch
from tests.conftest import csrf_from, log_in


@pytest.fixture
def counter(app, make_campaign, make_user):
    """A logged-in staff client, its CSRF token, and two fresh voucher codes of an active campaign."""
    campaign_id = make_campaign(status="active")
    with app.app_context():
        made = issue_batch(db.session.get(Campaign, campaign_id), 2, "flyer")
        db.session.commit()
    client = app.test_client()
    log_in(client, make_user("staff"))
    token = csrf_from(client.get("/desk/").get_data(as_text=True))
    post = lambda url, body: client.post(url, json=body, headers={"X-CSRFToken": token})  # noqa: E731
    return {"client": client, "post": post, "codes": made, "token": token}


def test_desk_page_offers_the_scanner_and_counts(counter):
    page = counter["client"].get("/desk/").get_data(as_text=True)
    assert 'id="scan-input"' in page and "autofocus" in page and 'id="camera-button"' in page
    assert 'data-testid="mine-today">0<' in page


def test_redeem_attach_purchase_undo_as_the_page_does(counter, app):
    code = counter["codes"][0]
    made = counter["post"]("/api/v1/redemptions", {"code": code}).get_json()
    assert counter["client"].get("/desk/today").get_json() == {"mine": 1, "everyone": 1}
    attached = counter["post"]("/desk/attach", {"code": code, "email": "Rui@Example.com"})
    assert attached.status_code == 200 and attached.get_json()["customer"]["email"] == "rui@example.com"
    body = {"code": code, "amount": "12.50", "external_id": "desk-abc", "occurred_at": "2026-11-20T10:00:00+01:00"}
    assert counter["post"]("/desk/purchases", body).get_json()["created"] is True
    assert counter["post"]("/desk/purchases", body).get_json()["created"] is False  # a retry, not a second sale
    with app.app_context():
        assert db.session.scalar(select(func.sum(Purchase.amount_cents))) == 1250
    undone = counter["post"]("/desk/undo", {"redemption_id": made["redemption_id"], "reason": "wrong card"})
    assert undone.status_code == 200
    assert counter["client"].get("/desk/today").get_json()["mine"] == 0


def test_bad_desk_input_names_what_is_wrong_and_changes_nothing(counter, app):
    code = counter["codes"][1]
    for url, body, field in (("/desk/attach", {"code": code, "email": "nope"}, "email"),
                             ("/desk/purchases", {"code": code, "amount": "12"}, "email"),
                             ("/desk/undo", {"reason": "x"}, "redemption_id")):
        response = counter["post"](url, body)
        assert response.status_code == 422 and field in response.get_json()["error"]["details"]["fields"]
    counter["post"]("/desk/attach", {"code": code, "email": "eva@example.com"})
    bad_amount = counter["post"]("/desk/purchases", {"code": code, "amount": "12.345"})
    assert "amount" in bad_amount.get_json()["error"]["details"]["fields"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Purchase)) == 0


def test_staff_voucher_page_works_without_javascript(counter, app):
    client, code = counter["client"], counter["codes"][0]
    assert client.get(f"/desk/lookup?code={codes.format_code(code).lower()}").location == f"/desk/v/{code}"
    page = client.get(f"/desk/v/{code}").get_data(as_text=True)
    assert "Valid: not redeemed yet" in page and "Attach customer" in page
    response = client.post("/desk/attach", data={"code": code, "email": "eva@example.com",
                                                 "csrf_token": counter["token"]})
    assert response.status_code == 302 and response.location == f"/desk/v/{code}"
    assert "Record purchase" in client.get(f"/desk/v/{code}").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Voucher.customer_id).where(Voucher.code == code)) is not None
    assert client.get("/desk/v/NOPE").status_code == 422


def test_the_voucher_page_offers_undo_only_to_who_may_undo(counter, app, make_user):
    code = counter["codes"][1]
    counter["post"]("/api/v1/redemptions", {"code": code})
    assert "Undo redemption" in counter["client"].get(f"/desk/v/{code}").get_data(as_text=True)  # mine, just now
    colleague = app.test_client()
    log_in(colleague, make_user("staff"))
    page = colleague.get(f"/desk/v/{code}").get_data(as_text=True)
    assert "Undo redemption" not in page and "not yours to undo" in page
    manager = app.test_client()
    log_in(manager, make_user("marketer"))
    assert "Undo redemption" in manager.get(f"/desk/v/{code}").get_data(as_text=True)
