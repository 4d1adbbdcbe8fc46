"""The campaigns API (API.md): create, list, read, change, and make vouchers."""
import pytest
from sqlalchemy import func, select

from campaigns.extensions import db
from campaigns.giving import codes, retiring
from campaigns.models import AuditEntry, Campaign, Voucher


@pytest.fixture
def api(app, make_token):
    """A client that sends a marketer token: api.post(path, json=…)."""
    client = app.test_client()
    headers = {"Authorization": f"Bearer {make_token('marketer')}"}

    class Api:
        def __getattr__(self, method):
            return lambda path, **kw: getattr(client, method)(path, headers=headers, **kw)

    return Api()


def _create(api, **fields):
    body = {"name": "Free latte", "unit_cost": "0.85", "offer": "One free latte"}
    body.update(fields)
    return api.post("/api/v1/campaigns", json=body)


def test_create_returns_201_with_the_campaign(api):
    response = _create(api, fixed_cost="120.00", gross_margin_pct=62.5, voucher_limit=500, ends_on="2026-12-31")
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "draft" and body["unit_cost"] == "0.85" and body["fixed_cost"] == "120.00"
    assert body["gross_margin_pct"] == 62.5 and body["voucher_limit"] == 500 and body["ends_on"] == "2026-12-31"
    assert api.get(f"/api/v1/campaigns/{body['id']}").get_json() == body


def test_bad_input_is_422_naming_every_field_and_changes_nothing(api):
    response = _create(api, name="", unit_cost="-2", attribution_window_days=0, colour="red")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_input"
    assert set(error["details"]["fields"]) == {"name", "unit_cost", "attribution_window_days", "colour"}
    assert api.get("/api/v1/campaigns").get_json()["total"] == 0


def test_malformed_json_is_400(api):
    response = api.post("/api/v1/campaigns", data="{not json", content_type="application/json")
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_json"


def test_list_is_paginated_and_filterable(api):
    ids = [_create(api, name=f"Campaign {i}").get_json()["id"] for i in range(5)]
    api.patch(f"/api/v1/campaigns/{ids[0]}", json={"status": "active"})
    page = api.get("/api/v1/campaigns?per_page=2&page=2").get_json()
    assert page["total"] == 5 and len(page["campaigns"]) == 2 and page["page"] == 2
    active = api.get("/api/v1/campaigns?status=active").get_json()
    assert [c["id"] for c in active["campaigns"]] == [ids[0]]
    assert api.get("/api/v1/campaigns?per_page=0").status_code == 422


def test_patch_changes_fields_and_status_with_rules(api):
    campaign = _create(api).get_json()
    url = f"/api/v1/campaigns/{campaign['id']}"
    changed = api.patch(url, json={"offer": "Two free lattes", "status": "active"})
    assert changed.status_code == 200 and changed.get_json()["status"] == "active"
    refused = api.patch(url, json={"status": "draft"})
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "invalid_status_change"
    assert api.patch(url, json={"starts_on": "2027-01-02", "ends_on": "2027-01-01"}).status_code == 422
    assert api.get(url).get_json()["starts_on"] is None
    assert api.get("/api/v1/campaigns/999").status_code == 404


def test_make_anonymous_vouchers(api):
    campaign = _create(api, voucher_limit=5).get_json()
    url = f"/api/v1/campaigns/{campaign['id']}/vouchers"
    response = api.post(url, json={"count": 3, "batch_label": "flyer A"})
    assert response.status_code == 201
    made = response.get_json()["vouchers"]
    assert len(made) == 3 and all(codes.is_valid(v["code"]) for v in made)
    assert made[0]["url"] == f"http://testserver/v/{made[0]['code']}"
    assert made[0]["qr_svg_url"] == f"http://testserver/v/{made[0]['code']}.svg"
    over = api.post(url, json={"count": 3})
    assert over.status_code == 409 and over.get_json()["error"]["code"] == "voucher_limit_reached"
    assert api.get(f"/api/v1/campaigns/{campaign['id']}").get_json()["vouchers_issued"] == 3


def test_personal_voucher_and_customer_limit(api):
    campaign = _create(api).get_json()
    url = f"/api/v1/campaigns/{campaign['id']}/vouchers"
    first = api.post(url, json={"customer": {"email": "Ana@Example.com", "name": "Ana"}})
    assert first.status_code == 201 and len(first.get_json()["vouchers"]) == 1
    again = api.post(url, json={"customer": {"email": "ana@example.com"}})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "customer_limit_reached"


@pytest.mark.parametrize("body, field", [({}, "count"), ({"count": 0}, "count"), ({"count": 100_001}, "count"),
                                         ({"count": 1, "customer": {"email": "a@example.com"}}, "count"),
                                         ({"customer": {"email": "nope"}}, "email"), ({"amount": 1}, "amount"),
                                         ({"customer": {"email": "a@example.com"}, "batch_label": {"x": 1}},
                                          "batch_label"),
                                         ({"count": 2, "batch_label": "x" * 121}, "batch_label")])
def test_bad_voucher_requests_name_the_field(api, body, field):
    campaign = _create(api).get_json()
    response = api.post(f"/api/v1/campaigns/{campaign['id']}/vouchers", json=body)
    assert response.status_code == 422 and field in response.get_json()["error"]["details"]["fields"]
    assert api.get(f"/api/v1/campaigns/{campaign['id']}").get_json()["vouchers_issued"] == 0


def test_a_voucher_request_names_every_wrong_field_at_once(api):
    campaign = _create(api).get_json()
    response = api.post(f"/api/v1/campaigns/{campaign['id']}/vouchers",
                        json={"count": 0, "batch_label": "x" * 200, "colour": "red"})
    assert set(response.get_json()["error"]["details"]["fields"]) == {"count", "batch_label", "colour"}


def test_staff_tokens_cannot_manage_campaigns(app, make_token):
    client = app.test_client()
    response = client.post("/api/v1/campaigns", json={"name": "x", "unit_cost": "1"},
                           headers={"Authorization": f"Bearer {make_token('staff')}"})
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"


def test_delete_takes_a_draft_with_its_vouchers_and_refuses_any_other(api, app):
    draft = _create(api, name="Copy of Free latte").get_json()
    api.post(f"/api/v1/campaigns/{draft['id']}/vouchers", json={"count": 3})
    response = api.delete(f"/api/v1/campaigns/{draft['id']}")
    assert response.status_code == 204 and response.get_data() == b""
    assert api.get(f"/api/v1/campaigns/{draft['id']}").status_code == 404
    assert api.delete(f"/api/v1/campaigns/{draft['id']}").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Voucher)) == 0
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "campaign_delete")).one()
        assert entry.token_id is not None and entry.details["vouchers"] == 3
    live = _create(api).get_json()
    api.patch(f"/api/v1/campaigns/{live['id']}", json={"status": "active"})
    refused = api.delete(f"/api/v1/campaigns/{live['id']}")
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "campaign_not_draft"
    held = _create(api).get_json()
    api.post(f"/api/v1/campaigns/{held['id']}/vouchers", json={"customer": {"email": "ana@example.com"}})
    refused = api.delete(f"/api/v1/campaigns/{held['id']}").get_json()["error"]
    assert refused["code"] == "campaign_in_use" and refused["details"] == {"holds": {"personal_vouchers": 1}}
    assert api.get("/api/v1/campaigns").get_json()["total"] == 2


def test_the_list_keeps_every_campaign_by_default_and_filters_archived_on_request(api, app):
    kept, old = (_create(api, name=name).get_json()["id"] for name in ("Kept", "Old"))
    api.patch(f"/api/v1/campaigns/{old}", json={"status": "ended"})
    with app.app_context():
        retiring.archive(db.session.get(Campaign, old))
        db.session.commit()

    def ids(query: str = "") -> list[int]:
        return [campaign["id"] for campaign in api.get(f"/api/v1/campaigns{query}").get_json()["campaigns"]]

    assert ids() == ids("?archived=include") == [old, kept]
    assert ids("?archived=only") == [old] and ids("?archived=exclude") == [kept]
    assert ids("?status=ended&archived=exclude") == []
    listed = api.get("/api/v1/campaigns?archived=only").get_json()
    assert listed["total"] == 1 and listed["campaigns"][0]["archived_at"].startswith("20")
    assert api.get(f"/api/v1/campaigns/{kept}").get_json()["archived_at"] is None
    wrong = api.get("/api/v1/campaigns?archived=yes")
    assert wrong.status_code == 422 and "archived" in wrong.get_json()["error"]["details"]["fields"]


def test_the_openapi_document_describes_delete_and_the_archived_filter(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    delete = paths["/api/v1/campaigns/{campaign_id}"]["delete"]
    assert {"204", "404", "409"} <= set(delete["responses"]) and delete["x-required-role"] == "marketer"
    archived = next(p for p in paths["/api/v1/campaigns"]["get"]["parameters"] if p["name"] == "archived")
    assert archived["schema"] == {"type": "string", "enum": ["exclude", "include", "only"], "default": "include"}
