"""One writer per aggregate (issue 27): a purchase from the desk, the API and an import reaches the same writer, so
the same sale through two of them is a duplicate, never a conflict; customers are matched with one normalisation
on every path; every page reads a campaign's figures from the report; a token used only to read is seen used."""
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from campaigns.extensions import db
from campaigns.giving.vouchers import issue_batch
from campaigns.models import ApiToken, Campaign, Customer, Purchase
from campaigns.sales import import_mapping, import_runs, ledger
from campaigns.sales.import_files import upload
from tests.conftest import csrf_from, log_in

AT = "2026-11-20T10:00:00+01:00"


@pytest.fixture
def till(app, make_campaign, make_user, make_token):
    """A staff member at the desk (JSON, as the page's script posts), an API client with a staff token, and a
    voucher redeemed and attached to Ana."""
    campaign_id = make_campaign(status="active")
    with app.app_context():
        code = issue_batch(db.session.get(Campaign, campaign_id), 1, "flyer")[0]
        db.session.commit()
    desk = app.test_client()
    log_in(desk, make_user("staff"))
    csrf = csrf_from(desk.get("/desk/").get_data(as_text=True))
    secret = make_token("staff")
    api = app.test_client()

    def at_desk(body):
        return desk.post("/desk/purchases", json=body, headers={"X-CSRFToken": csrf})

    def by_api(body):
        return api.post("/api/v1/purchases", json=body, headers={"Authorization": f"Bearer {secret}"})

    assert api.post("/api/v1/redemptions", json={"code": code},
                    headers={"Authorization": f"Bearer {secret}"}).status_code == 201
    assert at_desk({"code": code, "amount": "1"}).status_code == 422  # no customer attached yet
    assert desk.post("/desk/attach", json={"code": code, "email": "ana@example.com"},
                     headers={"X-CSRFToken": csrf}).status_code == 200
    return {"desk": at_desk, "api": by_api, "code": code}


def _purchases(app) -> list[tuple]:
    with app.app_context():
        return db.session.execute(select(Purchase.external_id, Purchase.amount_cents, Purchase.source)
                                  .order_by(Purchase.id)).all()


def test_a_desk_sale_sent_again_by_the_api_is_a_duplicate(app, till):
    desk = till["desk"]({"code": till["code"], "amount": "12.50", "external_id": "T-100", "occurred_at": AT})
    assert desk.status_code == 200 and desk.get_json()["created"] is True
    again = till["api"]({"external_id": "T-100", "amount": "12.50", "occurred_at": AT, "voucher_code": till["code"]})
    assert again.status_code == 200, again.get_json()  # API.md: the same purchase again is 200, not 409
    assert again.get_json()["id"] == desk.get_json()["id"]
    other = till["api"]({"external_id": "T-100", "amount": "13.50", "occurred_at": AT, "voucher_code": till["code"]})
    assert other.status_code == 409 and other.get_json()["error"]["code"] == "conflict"
    assert _purchases(app) == [("T-100", 1250, "desk")]


def test_an_api_sale_sent_again_at_the_desk_is_already_recorded(app, till):
    first = till["api"]({"external_id": "T-200", "amount": "8.00", "occurred_at": AT,
                         "customer": {"email": "ana@example.com"}})
    assert first.status_code == 201
    again = till["desk"]({"email": "ANA@example.com", "amount": "8.00", "external_id": "T-200", "occurred_at": AT})
    assert again.status_code == 200 and again.get_json()["created"] is False
    assert _purchases(app) == [("T-200", 800, "api")]


def test_desk_api_and_import_reach_the_same_writer(app, till, monkeypatch, make_user):
    calls = []
    real = ledger.store_purchases
    monkeypatch.setattr(ledger, "store_purchases",
                        lambda rows, **kw: calls.append(kw["source"]) or real(rows, **kw))
    till["desk"]({"code": till["code"], "amount": "2.00", "external_id": "D-1", "occurred_at": AT})
    till["api"]({"external_id": "A-1", "amount": "3.00", "occurred_at": AT})
    with app.app_context():
        record = import_mapping.confirm_proposed(upload("till.csv", b"Date,Amount,Email,ID\n"
                                                        b"2026-11-20 10:00,4.00,bo@example.com,I-1\n", None))
        list(import_runs.run_all(record))
        db.session.commit()
    assert calls == ["desk", "api", "import"]
    assert [row[0] for row in _purchases(app)] == ["D-1", "A-1", "I-1"]


def test_a_full_width_address_is_the_same_customer_on_every_path(app, till):
    assert till["api"]({"external_id": "W-1", "amount": "1.00", "occurred_at": AT,
                        "customer": {"email": "ａｎａ@ｅｘａｍｐｌｅ.ｃｏｍ"}}).status_code == 201
    with app.app_context():
        list(import_runs.run_all(import_mapping.confirm_proposed(upload(
            "w.csv", "Date,Amount,Email,ID\n2026-11-20 10:00,4.00,ＡＮＡ@example.com,W-2\n".encode(), None))))
        db.session.commit()
        assert db.session.scalars(select(Customer.email)).all() == ["ana@example.com"]
        assert db.session.scalar(select(func.count(func.distinct(Purchase.customer_id)))) == 1


def test_the_campaign_page_shows_the_reports_revenue(app, till, make_user):
    after_redeeming = datetime.now(UTC).isoformat()  # attributed: after the redemption, not in the future
    till["desk"]({"code": till["code"], "amount": "12.50", "external_id": "R-1", "occurred_at": after_redeeming})
    marketer = app.test_client()
    log_in(marketer, make_user("marketer"))
    with app.app_context():
        campaign_id = db.session.scalar(select(Campaign.id))
    report = marketer.get(f"/api/v1/campaigns/{campaign_id}/report",
                          headers={"X-CSRFToken": csrf_from(marketer.get("/dashboard/").get_data(as_text=True))})
    page = marketer.get(f"/campaigns/{campaign_id}").get_data(as_text=True)
    assert report.get_json()["revenue"] == "12.50"
    assert "1 purchase by 1 paying customer" in page and "12.50" in page.split('id="revenue-tile"')[1][:200]


def test_a_token_used_only_to_read_is_seen_used(app, make_token):
    secret = make_token("staff")
    client = app.test_client()
    assert client.get("/api/v1/vouchers/0000000000000",
                      headers={"Authorization": f"Bearer {secret}"}).status_code in (404, 422)
    with app.app_context():
        assert db.session.scalar(select(ApiToken.last_used_at)) is not None
