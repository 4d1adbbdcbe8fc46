"""POST /api/v1/campaigns/{id}/audience (API.md): members drawn once, treatment vouchers, bad input naming each field
and writing nothing, the people left out before the draw listed with why."""
import pytest
from sqlalchemy import func, select

from campaigns.contacts.contact import make_contact
from campaigns.contacts.matching import find_or_create
from campaigns.extensions import db
from campaigns.models import AudienceAssignment, AuditEntry, Customer, Voucher, utcnow


@pytest.fixture
def api(app, make_token):
    """A client that sends a token of the role asked (marketer by default): api.post(path, json=…, role=…)."""
    client = app.test_client()
    secrets = {}

    class Api:
        def post(self, path, role="marketer", **kw):
            secrets.setdefault(role, make_token(role))
            return client.post(path, headers={"Authorization": f"Bearer {secrets[role]}"}, **kw)

    return Api()


def _counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(model))
                     for model in (AudienceAssignment, Voucher, Customer))


def _people(count: int) -> list[dict]:
    return [{"email": f"Person{i}@Example.com", "name": f"Person {i}"} for i in range(count)]


def test_assigning_answers_201_with_each_member_once_and_vouchers_for_treatment(api, app, make_campaign):
    campaign_id = make_campaign(status="active")
    response = api.post(f"/api/v1/campaigns/{campaign_id}/audience", json={"customers": _people(40), "holdout_pct": 50})
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"treatment", "control", "members", "excluded"} and body["excluded"] == []
    assert body["treatment"] + body["control"] == len(body["members"]) == 40 and body["control"] > 0
    member = body["members"][0]
    assert set(member) == {"customer", "group", "voucher_code"}
    assert set(member["customer"]) == {"id", "email", "phone", "name"} and member["customer"]["email"] == "person0@example.com"
    assert all((m["voucher_code"] is None) == (m["group"] == "control") for m in body["members"])
    # Named again with a new person: the first forty keep their groups and vouchers, one new member is drawn.
    again = api.post(f"/api/v1/campaigns/{campaign_id}/audience",
                     json={"customers": _people(41)[::-1], "holdout_pct": 0}).get_json()
    before = {m["customer"]["id"]: (m["group"], m["voucher_code"]) for m in body["members"]}
    assert {m["customer"]["id"]: (m["group"], m["voucher_code"]) for m in again["members"][1:]} == before
    assert again["members"][0]["group"] == "treatment" and _counts(app)[0] == 41
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "audience_assign")).all()
        assert [(e.details["treatment"] + e.details["control"], e.details["kept"]) for e in entries] == [(40, 0), (1, 40)]


def test_unsubscribed_customers_are_left_out_and_listed(api, app, make_campaign):
    campaign_id = make_campaign(status="active")
    with app.app_context():
        find_or_create(make_contact("gone@example.com")).unsubscribed_at = utcnow()
        db.session.commit()
    body = api.post(f"/api/v1/campaigns/{campaign_id}/audience",
                    json={"customers": [{"email": "gone@example.com"}, {"phone": "+12025550143"}],
                          "holdout_pct": 0}).get_json()
    assert [(e["customer"]["email"], e["reason"]) for e in body["excluded"]] == [("gone@example.com", "unsubscribed")]
    # The API keeps members without an e-mail: its caller may hand their vouchers out another way.
    assert [m["customer"]["phone"] for m in body["members"]] == ["+12025550143"] and body["treatment"] == 1


@pytest.mark.parametrize(("payload", "fields"), [
    ({"customers": [{"email": "ok@example.com"}, {"email": "not an address"}, {"name": "No contact"},
                    {"email": "a@example.com", "colour": "red"}, "bo@example.com"], "holdout_pct": 91},
     {"customers[1].email", "customers[2]", "customers[3].colour", "customers[4]", "holdout_pct"}),
    ({"customers": [], "holdout_pct": 10, "extra": 1}, {"customers", "extra"}),
    ({"holdout_pct": "10"}, {"customers", "holdout_pct"}),
    ({"customers": [{"email": "a@example.com"}] * 10_001, "holdout_pct": 10}, {"customers"}),
])
def test_bad_input_is_422_naming_each_field_and_writes_nothing(api, app, make_campaign, payload, fields):
    campaign_id = make_campaign(status="active")
    response = api.post(f"/api/v1/campaigns/{campaign_id}/audience", json=payload)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_input" and set(error["details"]["fields"]) == fields
    assert _counts(app) == (0, 0, 0)


def test_an_unknown_campaign_is_404_an_ended_one_422_and_staff_403(api, app, make_campaign):
    payload = {"customers": [{"email": "ana@example.com"}], "holdout_pct": 10}
    assert api.post("/api/v1/campaigns/999/audience", json=payload).status_code == 404
    ended = make_campaign(status="ended")
    response = api.post(f"/api/v1/campaigns/{ended}/audience", json=payload)
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "campaign_ended"
    assert api.post(f"/api/v1/campaigns/{ended}/audience", json=payload, role="staff").status_code == 403
    assert api.post(f"/api/v1/campaigns/{ended}/audience", data="[1]", content_type="application/json").status_code == 400
    assert _counts(app) == (0, 0, 0)


def test_too_few_vouchers_left_is_409_and_writes_nothing(api, app, make_campaign):
    campaign_id = make_campaign(status="active", voucher_limit=3)
    response = api.post(f"/api/v1/campaigns/{campaign_id}/audience", json={"customers": _people(5), "holdout_pct": 0})
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "voucher_limit_reached"
    assert _counts(app) == (0, 0, 0)


def test_the_openapi_document_describes_the_route_and_its_answers(client):
    operation = client.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/campaigns/{campaign_id}/audience"]["post"]
    assert set(operation["responses"]) == {"201", "400", "401", "403", "404", "409", "413", "422", "503"}
    assert operation["x-required-role"] == "marketer"
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["customers", "holdout_pct"] and schema["properties"]["customers"]["maxItems"] == 10_000
