"""POST /api/v1/purchases: one purchase or a batch, idempotent on external_id, refunds naming their original."""
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from campaigns.accounts import business
from campaigns.contacts.contact import make_contact
from campaigns.contacts.matching import find_or_create
from campaigns.desk.redemption import Attempt, redeem
from campaigns.extensions import db
from campaigns.giving.vouchers import issue_batch
from campaigns.models import Campaign, Purchase
from campaigns.sales import ledger
from campaigns.web import api_purchases

HOUR_AGO = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0)  # a sale in the future is refused
AT = HOUR_AGO.isoformat()


@pytest.fixture
def post(app, make_token):
    """POST a body (JSON, or raw text) to /api/v1/purchases with a staff token."""
    client = app.test_client()
    headers = {"Authorization": f"Bearer {make_token('staff', 'Till 1')}"}

    def send(body=None, raw: str | None = None):
        if raw is not None:
            return client.post("/api/v1/purchases", data=raw, content_type="application/json", headers=headers)
        return client.post("/api/v1/purchases", json=body, headers=headers)

    return send


def _rows(app) -> list[tuple]:
    """Every stored purchase as (external_id, amount_cents, refund_of external_id, customer_id), sorted."""
    with app.app_context():
        purchases = db.session.scalars(select(Purchase)).all()
        by_id = {p.id: p.external_id for p in purchases}
        return sorted((p.external_id, p.amount_cents, by_id.get(p.refund_of_id), p.customer_id, p.source)
                      for p in purchases)


def sale(external_id: str, amount="12.50", **extra) -> dict:
    return {"external_id": external_id, "amount": amount, "occurred_at": AT, **extra}


def test_the_same_purchase_posted_three_times_is_stored_once(app, post):
    body = sale("T-1", customer={"email": "Ana@Example.com", "name": "Ana"})
    answers = [post(body) for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 200, 200]
    first = answers[0].get_json()
    assert all(a.get_json() == first for a in answers)
    assert first["external_id"] == "T-1" and first["amount"] == "12.50" and first["voided"] is False
    assert first["customer"]["email"] == "ana@example.com" and first["customer"]["name"] == "Ana"
    assert first["refund_of"] is None and first["voucher_code"] is None and first["attributed_campaign_id"] is None
    assert datetime.fromisoformat(first["occurred_at"]) == HOUR_AGO
    assert _rows(app) == [("T-1", 1250, None, first["customer"]["id"], "api")]


def test_the_same_external_id_with_other_content_is_a_conflict_and_changes_nothing(app, post):
    assert post(sale("T-1")).status_code == 201
    before = _rows(app)
    for other in (sale("T-1", "12.51"), sale("T-1", customer={"phone": "+14155550100"}),
                  {**sale("T-1"), "occurred_at": (HOUR_AGO + timedelta(seconds=1)).isoformat()}):
        answer = post(other)
        assert answer.status_code == 409
        error = answer.get_json()["error"]
        assert error["code"] == "conflict" and error["details"]["external_id"] == "T-1"
    assert _rows(app) == before


def test_refunds_by_external_id_and_by_id_and_never_beyond_the_original(app, post):
    original = post(sale("S-1", "20.00")).get_json()
    by_text = post(sale("R-1", "-5.00", refund_of="S-1"))
    assert by_text.status_code == 201
    assert by_text.get_json()["refund_of"] == "S-1" and by_text.get_json()["amount"] == "-5.00"
    by_id = post(sale("R-2", -5, refund_of=original["id"]))
    assert by_id.status_code == 201 and by_id.get_json()["refund_of"] == "S-1"
    assert post(sale("R-2", -5, refund_of=original["id"])).status_code == 200  # a retry
    over = post(sale("R-3", "-10.01", refund_of="S-1"))
    assert over.status_code == 422 and "amount" in over.get_json()["error"]["details"]["fields"]
    assert post(sale("R-3", "-10.00", refund_of="S-1")).status_code == 201  # exactly what is left
    assert [row[:3] for row in _rows(app)] == [("R-1", -500, "S-1"), ("R-2", -500, "S-1"), ("R-3", -1000, "S-1"),
                                               ("S-1", 2000, None)]


@pytest.mark.parametrize("body, field", [
    (sale("R-1", "-5.00"), None),  # negative without refund_of
    (sale("R-1", "5.00", refund_of="S-1"), "amount"),  # a refund is negative
    (sale("R-1", "-5.00", refund_of="nothing"), "refund_of"),
    (sale("R-1", "-5.00", refund_of=999999), "refund_of"),
    (sale("R-1", "-5.00", refund_of=True), "refund_of"),
    (sale("R-1", "-5.00", refund_of=0), "refund_of"),
])
def test_a_refund_must_name_its_original(app, post, body, field):
    assert post(sale("S-1", "20.00")).status_code == 201
    answer = post(body)
    assert answer.status_code == 422
    error = answer.get_json()["error"]
    assert error["code"] == "invalid_input"
    assert field in error["details"]["fields"] if field else {"amount", "refund_of"} & error["details"]["fields"].keys()
    assert [row[0] for row in _rows(app)] == ["S-1"]


@pytest.mark.parametrize("raw, cents", [('"12.50"', 1250), ("12.5", 1250), ("12", 1200), ('"-0"', 0),
                                        ('" 7.10 "', 710), ("12.50", 1250), ("9999999.99", 999999999)])
def test_an_amount_is_a_decimal_string_or_an_exact_number(app, post, raw, cents):
    answer = post(raw=f'{{"external_id": "T-1", "amount": {raw}, "occurred_at": "{AT}"}}')
    assert answer.status_code == 201, answer.get_json()
    assert _rows(app)[0][1] == cents


@pytest.mark.parametrize("raw", ["1e3", "1E+3", "12.345", '"12.345"', "NaN", "Infinity", '"1,000.00"', '"1e3"',
                                 "true", "null", '"$5"', "10000000", '"12.5.0"', "[]", '""'])
def test_an_amount_that_is_not_exact_money_is_refused(app, post, raw):
    answer = post(raw=f'{{"external_id": "T-1", "amount": {raw}, "occurred_at": "{AT}"}}')
    assert answer.status_code == 422
    assert "amount" in answer.get_json()["error"]["details"]["fields"]
    assert _rows(app) == []


@pytest.mark.parametrize("body, fields", [
    ({}, {"external_id", "amount", "occurred_at"}),
    ({**sale("T-1"), "colour": "red"}, {"colour"}),
    ({**sale("T-1"), "occurred_at": "2026-05-12T12:54:01"}, {"occurred_at"}),
    ({**sale("T-1"), "external_id": "x" * 121}, {"external_id"}),
    ({**sale("T-1"), "external_id": 12}, {"external_id"}),
    (sale("T-1", customer={"name": "Ana"}), {"customer"}),
    (sale("T-1", customer={"email": None}), {"customer.email"}),
    (sale("T-1", customer={"email": "ana@example.com", "age": 3}), {"customer.age"}),
    (sale("T-1", customer={"email": "not an address"}), {"customer.email"}),
    (sale("T-1", customer="ana@example.com"), {"customer"}),
    (sale("T-1", voucher_code="0000000000000"), {"voucher_code"}),
    (sale("T-1", location="Moon"), {"location"}),
])
def test_bad_fields_are_named_and_store_nothing(app, post, body, fields):
    answer = post(body)
    assert answer.status_code == 422
    assert set(answer.get_json()["error"]["details"]["fields"]) == fields
    assert _rows(app) == []


def test_a_body_that_is_not_an_object_is_invalid_json(post):
    for raw in ("[1, 2]", "not json", '"text"'):
        answer = post(raw=raw)
        assert answer.status_code == 400 and answer.get_json()["error"]["code"] == "invalid_json"


def test_a_batch_stores_exactly_its_good_rows_in_one_call(app, post, monkeypatch):
    assert post(sale("OLD-1", "3.00")).status_code == 201
    calls = []
    real = ledger.store_purchases
    monkeypatch.setattr(ledger, "store_purchases", lambda rows, **kw: calls.append(len(rows)) or real(rows, **kw))
    rows = [sale("B-1"), sale("B-2", "abc"), {"amount": "1.00", "occurred_at": AT}, sale("B-3", "7.00"),
            sale("OLD-1", "3.00"), sale("OLD-1", "4.00"), sale("B-4", voucher_code="0000000000000"),
            sale("B-5", customer={"email": "b@example.com"}), sale("B-1")]
    answer = post({"purchases": rows})
    assert answer.status_code == 200 and calls == [7]  # one call for every row that passed the JSON checks
    results = answer.get_json()["results"]
    assert [r["index"] for r in results] == list(range(len(rows)))
    assert [r["status"] for r in results] == ["created", "error", "error", "created", "duplicate", "error", "error",
                                              "created", "duplicate"]
    assert results[1]["error"]["details"]["fields"].keys() == {"amount"}
    assert results[2]["error"]["details"]["fields"].keys() == {"external_id"}
    assert results[5]["error"]["code"] == "conflict"
    assert results[6]["error"]["details"]["fields"].keys() == {"voucher_code"}
    assert results[8]["id"] == results[0]["id"] and "attributed_campaign_id" in results[0]
    assert [row[:2] for row in _rows(app)] == [("B-1", 1250), ("B-3", 700), ("B-5", 1250), ("OLD-1", 300)]


def test_a_batch_may_refund_a_sale_it_carries_itself(app, post):
    answer = post({"purchases": [sale("R-1", "-2.50", refund_of="S-1"), sale("S-1", "10.00"),
                                 sale("R-2", "-8.00", refund_of="S-1")]})
    results = answer.get_json()["results"]
    assert [r["status"] for r in results] == ["created", "created", "error"]  # R-2 would refund 10.50 of 10.00
    assert [row[:3] for row in _rows(app)] == [("R-1", -250, "S-1"), ("S-1", 1000, None)]


@pytest.mark.parametrize("body", [{"purchases": [sale(f"T-{i}") for i in range(1001)]}, {"purchases": "T-1"},
                                  {"purchases": [sale("T-1"), "T-2"]}, {"purchases": [sale("T-1")], "extra": 1},
                                  {"purchases": None}])
def test_a_malformed_batch_is_refused_whole(app, post, body):
    answer = post(body)
    assert answer.status_code == 422 and answer.get_json()["error"]["code"] == "invalid_input"
    assert _rows(app) == []


def test_a_batch_of_a_thousand_and_an_empty_one(app, post):
    answer = post({"purchases": [sale(f"T-{i:04}", f"{i}.01") for i in range(1000)]})
    assert answer.status_code == 200
    assert {r["status"] for r in answer.get_json()["results"]} == {"created"}
    assert len(_rows(app)) == 1000
    assert post({"purchases": []}).get_json() == {"results": []}


def test_a_customer_is_matched_by_email_first_then_by_phone(app, post):
    with app.app_context():
        ana = find_or_create(make_contact("ana@example.com", "+14155550100", "Ana")).id
        bob = find_or_create(make_contact("bob@example.com", "+14155550199", "Bob")).id
        db.session.commit()
    both = post(sale("T-1", customer={"email": "ANA@example.com", "phone": "(415) 555-0199"})).get_json()
    assert both["customer"]["id"] == ana
    by_phone = post(sale("T-2", customer={"phone": "+1 415 555 0199"})).get_json()
    assert by_phone["customer"] == {"id": bob, "email": "bob@example.com", "phone": "+14155550199", "name": "Bob"}
    new = post(sale("T-3", customer={"phone": "415-555-0142", "name": "Cy"})).get_json()["customer"]
    assert new["id"] not in (ana, bob) and new["phone"] == "+14155550142" and new["email"] is None


def test_a_voucher_code_names_the_customer_who_redeemed_it(app, post, make_campaign):
    campaign_id = make_campaign(status="active")
    with app.app_context():
        code, other = issue_batch(db.session.get(Campaign, campaign_id), 2, "flyer")
        business.create_location("Main St")
        redeem(code, Attempt(customer=make_contact("dee@example.com")), now=HOUR_AGO - timedelta(hours=1))
        redeem(other, Attempt(), now=HOUR_AGO - timedelta(hours=1))  # anonymous: it names no one
        db.session.commit()
    answer = post(sale("T-1", voucher_code=code.lower(), location="main st"))
    assert answer.status_code == 201
    body = answer.get_json()
    assert body["customer"]["email"] == "dee@example.com" and body["voucher_code"] == code
    assert body["location"] == "Main St" and body["attributed_campaign_id"] == campaign_id
    refund = post(sale("R-1", "-2.50", refund_of="T-1")).get_json()
    assert refund["attributed_campaign_id"] == campaign_id and refund["customer"] == body["customer"]
    anonymous = post(sale("T-2", voucher_code=other)).get_json()
    assert anonymous["customer"] is None and anonymous["attributed_campaign_id"] is None


def test_only_a_valid_token_may_post(app, make_token):
    client = app.test_client()
    assert client.post("/api/v1/purchases", json=sale("T-1")).status_code == 401
    wrong = client.post("/api/v1/purchases", json=sale("T-1"), headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.get_json()["error"]["code"] == "unauthorized"
    for role in ("marketer", "owner"):  # roles are ranked: above staff may do what staff may
        answer = client.post("/api/v1/purchases", json=sale(f"T-{role}"),
                             headers={"Authorization": f"Bearer {make_token(role)}"})
        assert answer.status_code == 201
    assert [row[0] for row in _rows(app)] == ["T-marketer", "T-owner"]


def test_a_logged_in_page_without_its_csrf_token_is_refused(app, make_user):
    from tests.conftest import log_in

    client = app.test_client()
    log_in(client, make_user("staff"))
    assert client.post("/api/v1/purchases", json=sale("T-1")).status_code == 401  # a session needs its CSRF token
    assert _rows(app) == []


def test_the_openapi_document_describes_the_route(client):
    operation = client.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/purchases"]["post"]
    assert operation["x-required-role"] == "staff"
    assert set(operation["responses"]) == {"200", "201", "400", "401", "403", "409", "413", "422", "503"}
    one, batch = operation["requestBody"]["content"]["application/json"]["schema"]["oneOf"]
    assert one["required"] == ["external_id", "amount", "occurred_at"] and one["additionalProperties"] is False
    assert set(one["properties"]) == set(api_purchases.FIELDS)
    assert batch["properties"]["purchases"]["maxItems"] == 1000 and batch["additionalProperties"] is False
