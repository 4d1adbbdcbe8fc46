"""Hostile values, by class, for every field of every API payload and page form: each is refused with a 4xx
that names the field, and nothing in the database changes (issue 15)."""
import json

import pytest
from sqlalchemy import select

from campaigns.contacts import contact as customers
from campaigns.contacts.matching import find_or_create
from campaigns.extensions import db
from campaigns.giving import designs as campaigns
from campaigns.giving import vouchers
from tests.conftest import csrf_from, log_in
from tests.designs import design

SURROGATE = "\ud800"  # sent raw in the JSON text as \ud800, see test_json_that_is_not_valid_unicode
MONEY = ["1e30", "9223372036854775807", "1e999999999", "NaN", "Infinity", "-Infinity", "1,000.00", "12.505",
         "-1", "²", "١٢", "0x10", "12.50 USD", "1_000", "10000000", True, [], {}]
WHOLE = [2**64, 2**63, -1, 0, "²", 1.5, True, "1e3", [], {}, None]
ONE_LINE = ["a\x00b", "line\nbreak", "bell\x07", "esc\x1b[31m", "x" * 10_001, 5, [], {}]
LONG_TEXT = ["a\x00b", "bell\x07", "x" * 10_001, 5, []]
DATES = ["0001-01-01", "9999-12-31", "1999-12-31", "2101-01-01", "2026-13-40", "２０２６-01-01", "20261231x",
         20261231, []]
MOMENTS = ["0001-01-01T00:00+14:00", "9999-12-31T23:59:59-14:00", "2026-11-23T10:00", "yesterday",
           "2026-11-23T10:00+99:00", 1700000000, []]

CAMPAIGN_FIELDS = {
    "name": ONE_LINE + ["", "   "], "offer": LONG_TEXT, "feedback_question": ONE_LINE,
    "unit_cost": MONEY + [12.5, None], "retail_value": MONEY, "fixed_cost": MONEY + [None],
    "gross_margin_pct": ["100.01", "-1", "NaN", "1e2", "²", "62.555", True, []],
    "starts_on": DATES, "ends_on": DATES,
    "voucher_limit": WHOLE[:-1] + [10_000_001], "per_customer_limit": WHOLE + [1001],
    "attribution_window_days": WHOLE + [731],
    "kind": ["gift", 1, None, []], "status": ["gone", 1, None], "claim_page": ["yes", 1, None],
}


def _snapshot() -> dict:
    """Every row of every table, to prove a refused request changed nothing."""
    # A token's last use (and its first use in an hour, in the audit log) is written down even when its request is
    # refused: that is not the request's change.
    return {table.name: sorted(map(repr, db.session.execute(
        select(*(column for column in table.c if column.name != "last_used_at"))
        .where(*([table.c.action != "token_use"] if table.name == "audit_entry" else []))).all()))
        for table in db.metadata.sorted_tables}


@pytest.fixture
def api(app, make_token):
    """A marketer's API client and a campaign with five vouchers (one of them redeemed)."""
    client = app.test_client()
    headers = {"Authorization": f"Bearer {make_token('owner')}"}
    with app.app_context():
        made = campaigns.create_campaign(design({"name": "Latte", "unit_cost": "0.85"}))
        campaigns.set_status(made, "active")
        codes = vouchers.issue_batch(made, 5, "flyer")
        db.session.commit()
        campaign_id = made.id

    class Api:
        campaign = campaign_id
        code = codes[0]

        def send(self, method, path, **kw):
            return getattr(client, method)(path, headers=headers, **kw)

        def refused(self, method, path, body, field, allow_audit=False):
            """Send `body`; check the 4xx names `field`, and that nothing but an attempt's audit row changed."""
            with app.app_context():
                before = _snapshot()
            response = self.send(method, path, json=body)
            assert 400 <= response.status_code < 500, (field, body, response.status_code, response.get_data())
            error = response.get_json()["error"]
            assert error["code"] == "invalid_input", (field, body, error)
            assert field in error["details"]["fields"], (field, body, error)
            with app.app_context():
                after = _snapshot()
            if allow_audit:  # a refused redemption keeps its audit row, and with it the token's last use
                for kept in ("audit_entry", "api_token"):
                    before.pop(kept), after.pop(kept)
            assert after == before, (field, body)

    return Api()


BASE_CAMPAIGN = {"name": "Free latte", "unit_cost": "0.85"}


@pytest.mark.parametrize("field", sorted(CAMPAIGN_FIELDS))
def test_campaign_fields_refused_on_create_and_change(api, field):
    for value in CAMPAIGN_FIELDS[field]:
        if not (field == "status" and value is None):
            api.refused("post", "/api/v1/campaigns", dict(BASE_CAMPAIGN, **{field: value}), field)
        if value is not None or field not in ("retail_value", "starts_on", "ends_on", "voucher_limit"):
            api.refused("patch", f"/api/v1/campaigns/{api.campaign}", {field: value}, field)


@pytest.mark.parametrize("field, values", [
    ("count", WHOLE + [100_001, "5"]),
    ("batch_label", ONE_LINE),
])
def test_voucher_batch_fields_refused(api, field, values):
    for value in values:
        body = {"count": 2, field: value}
        api.refused("post", f"/api/v1/campaigns/{api.campaign}/vouchers", body, field)


@pytest.mark.parametrize("field, values", [
    ("email", ["not-an-email", "a\x00b@example.com", "x" * 300 + "@example.com", 5, []]),
    ("phone", ["12", "+1 555 0100\x00", "²²²²²²²²", "x" * 40, 5.5, []]),
    ("name", ONE_LINE),
])
def test_customer_fields_refused_wherever_a_customer_is_sent(api, field, values):
    for value in values:
        customer = {"email": "ana@example.com", field: value} if field != "email" else {field: value}
        api.refused("post", f"/api/v1/campaigns/{api.campaign}/vouchers", {"customer": customer}, field)
        api.refused("post", "/api/v1/redemptions", {"code": api.code, "customer": customer}, field, allow_audit=True)


@pytest.mark.parametrize("field, values", [
    ("code", ["", "   ", "A\x00B", "x" * 301, 5, None, [], {}]),
    ("location", ["a\x00b", "x" * 121, 5, []]),
    ("scanned_at", MOMENTS),
    ("device_time", MOMENTS),
])
def test_redemption_fields_refused_and_the_voucher_stays_unused(api, field, values):
    for value in values:
        body = {"code": api.code, field: value}
        api.refused("post", "/api/v1/redemptions", body, field, allow_audit=True)


@pytest.mark.parametrize("query, field", [
    ("page=²", "page"), ("page=0", "page"), (f"page={2**64}", "page"), ("per_page=201", "per_page"),
    ("per_page=-1", "per_page"), ("per_page=1e2", "per_page"), ("status=gone", "status"), ("status=%00", "status"),
])
def test_list_parameters_refused(api, query, field):
    response = api.send("get", f"/api/v1/campaigns?{query}")
    assert response.status_code == 422 and field in response.get_json()["error"]["details"]["fields"]


@pytest.mark.parametrize("raw", [
    '{"name": "\\ud800", "unit_cost": "1"}',  # a lone surrogate: valid JSON grammar, not valid Unicode
    '{"name": "ok", "unit_cost": "1", "offer": "\\udfff tail"}',
    '{"\\ud800": 1}',
    "[" * 50_000 + "]" * 50_000,  # nested past what the parser recurses
    '{"a":' * 40 + "1" + "}" * 40,  # nested past the stated depth
    '"just text"', "[1, 2]", "null", "{", "", '{"name": "x"} trailing', "\xff\xfe",
])
def test_json_that_is_not_a_usable_object_is_invalid_json(api, app, raw):
    with app.app_context():
        before = _snapshot()
    for path in ("/api/v1/campaigns", "/api/v1/redemptions", f"/api/v1/campaigns/{api.campaign}/vouchers"):
        response = api.send("post", path, data=raw.encode("utf-8", "surrogatepass"),
                            content_type="application/json")
        assert response.status_code == 400, (path, raw[:40], response.get_data()[:200])
        assert response.get_json()["error"]["code"] == "invalid_json"
    response = api.send("patch", f"/api/v1/campaigns/{api.campaign}", data=raw.encode("utf-8", "surrogatepass"),
                        content_type="application/json")
    assert response.status_code == 400
    with app.app_context():
        after = _snapshot()
    before.pop("audit_entry"), after.pop("audit_entry")
    assert after == before


def test_a_body_over_the_limit_is_413_in_the_callers_format(api, app, client, make_user):
    big = b'{"name": "' + b"x" * (16 * 2**20) + b'", "unit_cost": "1"}'
    response = api.send("post", "/api/v1/campaigns", data=big, content_type="application/json")
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "too_large"
    log_in(client, make_user("staff"))
    csrf = csrf_from(client.get("/desk/v/ABC").get_data(as_text=True))
    response = client.post("/desk/purchases", data=big, content_type="application/json",
                           headers={"X-CSRFToken": csrf})
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "too_large"
    page = client.post("/desk/attach", data={"name": "x" * (17 * 2**20), "csrf_token": csrf})  # one 17 MB field
    assert page.status_code == 413 and page.mimetype == "text/html"


@pytest.mark.parametrize("path", ["/api/v1/campaigns/{id}", "/api/v1/redemptions", "/api/v1/health"])
def test_405_names_the_allowed_methods(api, path):
    response = api.send("put", path.format(id=api.campaign))  # a draft campaign may be DELETEd since issue 28
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    assert response.headers.get("Allow"), response.headers


@pytest.mark.parametrize("tail", ["0", str(2**31), str(2**63), str(2**64), "99999999999999999999999", "-1", "01"])
def test_ids_past_the_keys_are_404_not_a_server_error(api, tail):
    for method, path in (("get", f"/api/v1/campaigns/{tail}"), ("patch", f"/api/v1/campaigns/{tail}"),
                         ("post", f"/api/v1/campaigns/{tail}/vouchers")):
        response = api.send(method, path, json={"count": 1} if method == "post" else {"name": "x"})
        assert response.status_code == 404, (method, path, response.status_code)
        assert response.is_json


def _page_post(client, url, data, get_url=None):
    token = csrf_from(client.get(get_url or url).get_data(as_text=True))
    return client.post(url, data=dict(data, csrf_token=token))


PAGE_CAMPAIGN = {"name": "Free latte", "kind": "sample", "offer": "One free latte", "unit_cost": "0.85",
                 "retail_value": "4.50", "fixed_cost": "120", "gross_margin_pct": "68", "starts_on": "",
                 "ends_on": "", "voucher_limit": "1000", "per_customer_limit": "1", "attribution_window_days": "60",
                 "feedback_question": "What did you like?"}
FORM_MONEY = ["1e30", "9223372036854775807", "NaN", "Infinity", "1.000,00", "12.5055", "-1", "²", "10000000"]
FORM_WHOLE = ["²", str(2**64), "-1", "1.5", "1e3"]
FORM_TEXT = ["a\x00b", "bell\x07", "x" * 10_001]
BATCH_LABELS = {"count": "How many vouchers", "batch_label": "Batch label (channel)"}
FORMS = [  # (role, url, get_url, base data, {field: hostile values})
    ("marketer", "/campaigns/new", None, PAGE_CAMPAIGN, {
        "name": FORM_TEXT + ["line\nbreak"], "offer": FORM_TEXT, "feedback_question": FORM_TEXT + ["a\r\nb"],
        "unit_cost": FORM_MONEY, "retail_value": FORM_MONEY, "fixed_cost": FORM_MONEY,
        "gross_margin_pct": ["100.01", "NaN", "sNaN", "1e2", "²", "-0.5"],
        "starts_on": ["0001-01-01", "9999-12-31", "2026-02-30"], "ends_on": ["9999-12-31", "1999-12-31"],
        "voucher_limit": FORM_WHOLE, "per_customer_limit": FORM_WHOLE, "attribution_window_days": FORM_WHOLE}),
    ("marketer", "/campaigns/{id}/batches", "/campaigns/{id}", {"count": "3", "batch_label": "flyer"}, {
        "count": FORM_WHOLE + ["100001", "0"], "batch_label": FORM_TEXT + ["a\nb"]}),
    ("owner", "/settings/", None, {"business_name": "Cafe", "currency": "USD", "time_zone": "UTC",
                                   "default_gross_margin_pct": "60", "default_phone_region": "US"}, {
        "business_name": FORM_TEXT, "currency": ["U\x00D", "US"], "time_zone": ["UTC\x00", "Mars/Base"],
        "default_gross_margin_pct": ["NaN", "1e999999999", "101"], "default_phone_region": ["U\x00", "QQ"]}),
    ("owner", "/settings/locations", None, {"name": "Front", "address": "1 Main St", "active": "y"}, {
        "name": FORM_TEXT, "address": FORM_TEXT}),
    ("owner", "/settings/tokens", None, {"name": "till", "role": "staff"}, {"name": FORM_TEXT, "role": ["root"]}),
    ("owner", "/settings/users", None, {"name": "Bo", "email": "bo@example.com", "role": "staff",
                                        "password": "correct horse battery"}, {
        "name": FORM_TEXT, "email": ["bo\x00@example.com", "x" * 300], "role": ["root"],
        "password": ["short", "aaaaaaaaaaaaaaaa"]}),
]


@pytest.mark.parametrize("role, url, get_url, base, fields", FORMS, ids=[form[1] for form in FORMS])
def test_page_forms_refuse_each_hostile_value_naming_the_field(client, app, make_user, role, url, get_url, base,
                                                               fields):
    log_in(client, make_user(role))
    with app.app_context():
        made = campaigns.create_campaign(design({"name": "Latte", "unit_cost": "0.85"}))
        campaigns.set_status(made, "active")
        db.session.commit()
        url, get_url = url.format(id=made.id), (get_url or url).format(id=made.id)
    for field, values in fields.items():
        for value in values:
            with app.app_context():
                before = _snapshot()
            response = _page_post(client, url, dict(base, **{field: value}), get_url)
            shown = value[:40] if isinstance(value, str) else value
            if url.endswith("/batches"):  # the batch form lives on the campaign page: its errors come back there
                assert response.status_code == 302, (url, field, shown)
                text = client.get(response.headers["Location"]).get_data(as_text=True)
                assert f"{BATCH_LABELS[field]}:" in text, (url, field, shown)
            else:
                text = response.get_data(as_text=True)
                assert response.status_code in (200, 400, 422), (url, field, shown, response.status_code)
                assert f'id="{field}-error"' in text, (url, field, shown)
            with app.app_context():
                assert _snapshot() == before, (url, field, value)


DESK_CASES = [  # (path, base fields, field, hostile values)
    ("/desk/attach", {"code": "{code}", "email": "ana@example.com"}, "email", ["a\x00@example.com", "nope"]),
    ("/desk/attach", {"code": "{code}", "email": "ana@example.com"}, "name", ["a\x00b", "x" * 121]),
    ("/desk/attach", {"code": "{code}", "email": "ana@example.com"}, "code", ["A\x00B", "x" * 301]),
    ("/desk/purchases", {"code": "{code}", "amount": "5.00"}, "amount",
     ["1e30", "NaN", "7,50", "-5", "²", "9223372036854775807", "12.505"]),
    ("/desk/purchases", {"code": "{code}", "amount": "5.00"}, "occurred_at",
     ["0001-01-01T00:00+14:00", "9999-12-31T00:00Z", "2026-11-23T10:00"]),
    ("/desk/purchases", {"code": "{code}", "amount": "5.00"}, "external_id", ["a\x00b", "x" * 129]),
    ("/desk/undo", {"redemption_id": "1", "reason": "oops"}, "redemption_id", ["²", str(2**64), "-1", "x"]),
    ("/desk/undo", {"redemption_id": "1", "reason": "oops"}, "reason", ["a\x00b", "x" * 501]),
]


@pytest.mark.parametrize("path, base, field, values", DESK_CASES, ids=[f"{c[0]}-{c[2]}" for c in DESK_CASES])
def test_desk_actions_refuse_hostile_values_in_json_and_forms(client, app, make_user, path, base, field, values):
    log_in(client, make_user("staff"))
    with app.app_context():
        made = campaigns.create_campaign(design({"name": "Latte", "unit_cost": "0.85"}))
        campaigns.set_status(made, "active")
        ana = find_or_create(customers.make_contact("ana@example.com"))
        code = vouchers.issue_personal(made, ana, channel="api").code  # with a customer, so a sale can be recorded
        db.session.commit()
    csrf = csrf_from(client.get(f"/desk/v/{code}").get_data(as_text=True))
    for value in values:
        body = {key: item.format(code=code) for key, item in base.items()} | {field: value}
        with app.app_context():
            before = _snapshot()
        response = client.post(path, data=json.dumps(body), content_type="application/json",
                               headers={"X-CSRFToken": csrf, "Accept": "application/json"})
        assert 400 <= response.status_code < 500 and response.is_json, (path, field, value, response.status_code)
        assert field in response.get_json()["error"]["details"].get("fields", {}), (path, field, response.get_json())
        form = client.post(path, data=body | {"csrf_token": csrf})
        assert form.status_code in (302, 400, 422) and form.status_code < 500, (path, field, value)
        with app.app_context():
            assert _snapshot() == before, (path, field, value)


def test_a_campaign_already_stored_with_the_last_day_9999_12_31_still_works(app, client, make_user, make_token):
    """New input is refused past 2100, but a row written before that rule must not break its pages."""
    from datetime import date

    from campaigns.models import Campaign

    with app.app_context():
        made = campaigns.create_campaign(design({"name": "Forever", "unit_cost": "1"}))
        campaigns.set_status(made, "active")
        first, second = vouchers.issue_batch(made, 2, "flyer")
        db.session.get(Campaign, made.id).ends_on = date(9999, 12, 31)  # as an older version let it be saved
        db.session.commit()
        campaign_id = made.id
    assert client.get(f"/v/{first}").status_code == 200
    headers = {"Authorization": f"Bearer {make_token('marketer')}"}
    assert client.get(f"/api/v1/vouchers/{first}", headers=headers).status_code == 200
    assert client.post("/api/v1/redemptions", json={"code": first}, headers=headers).status_code == 201
    assert client.get(f"/api/v1/campaigns/{campaign_id}", headers=headers).get_json()["ends_on"] == "9999-12-31"
    log_in(client, make_user("marketer"))
    assert client.get(f"/campaigns/{campaign_id}").status_code == 200
    assert client.get(f"/desk/v/{second}").status_code == 200
    csv = client.get(f"/campaigns/{campaign_id}/vouchers.csv?batch=flyer")
    assert csv.status_code == 200 and second in csv.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/claim/%00", "/claim/a%00", "/v/%00", "/desk/v/A%00B",
                                  "/campaigns/{id}/vouchers.csv?batch=%00", "/campaigns/{id}/vouchers.pdf?batch=a%00b",
                                  "/campaigns/{id}?x=%00"])
def test_nul_in_paths_and_queries_is_refused_before_any_query(app, client, make_user, path):
    with app.app_context():
        made = campaigns.create_campaign(design({"name": "Latte", "unit_cost": "0.85", "claim_page": True}))
        db.session.commit()
        path = path.format(id=made.id)
    log_in(client, make_user("owner"))
    response = client.get(path, headers={"Accept": "application/json"} if "/api/" in path else {})
    assert response.status_code in (404, 422), (path, response.status_code)


@pytest.mark.parametrize("field", ["unit_cost", "gross_margin_pct"])
def test_a_required_amount_left_blank_is_named_not_a_server_error(client, app, make_user, field):
    log_in(client, make_user("marketer"))
    response = _page_post(client, "/campaigns/new", dict(PAGE_CAMPAIGN, **{field: "   "}))
    assert response.status_code == 200 and f'id="{field}-error"' in response.get_data(as_text=True)
    log_in(client, make_user("owner"))
    settings = _page_post(client, "/settings/", {"business_name": "Cafe", "currency": "USD", "time_zone": "UTC",
                                                 "default_gross_margin_pct": " ", "default_phone_region": "US"})
    assert settings.status_code == 200 and 'id="default_gross_margin_pct-error"' in settings.get_data(as_text=True)


@pytest.mark.parametrize("value", ["\u2028x", "a\u2029b", "\u202eevil", "left\u2066right"])
def test_invisible_line_breaks_and_direction_controls_are_refused_in_one_line_text(api, value):
    api.refused("post", "/api/v1/campaigns", dict(BASE_CAMPAIGN, name=value), "name")
    api.refused("post", f"/api/v1/campaigns/{api.campaign}/vouchers", {"count": 1, "batch_label": value},
                "batch_label")


def test_a_refused_request_leaves_nothing_behind_even_when_a_savepoint_was_its_first_write(app, client, make_user,
                                                                                          make_token):
    """On SQLite the driver used to open no transaction before a SAVEPOINT, so its RELEASE committed."""
    log_in(client, make_user("staff"))
    with app.app_context():
        made = campaigns.create_campaign(design({"name": "Latte", "unit_cost": "0.85"}))
        campaigns.set_status(made, "active")
        code = vouchers.issue_batch(made, 1, "flyer")[0]
        ended = campaigns.create_campaign(design({"name": "Gone", "unit_cost": "1"}))
        campaigns.set_status(ended, "ended")
        db.session.commit()
        ended_id = ended.id
    csrf = csrf_from(client.get(f"/desk/v/{code}").get_data(as_text=True))
    assert client.post("/desk/attach", json={"code": code, "email": "c@example.com"},
                       headers={"X-CSRFToken": csrf}).status_code == 200
    with app.app_context():
        before = _snapshot()
    refused = client.post("/desk/attach", json={"code": code, "email": "d@example.com"}, headers={"X-CSRFToken": csrf})
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "voucher_has_customer"
    with app.app_context():
        assert _snapshot() == before
    headers = {"Authorization": f"Bearer {make_token('marketer')}"}
    with app.app_context():
        before = _snapshot()
    ended_answer = client.post(f"/api/v1/campaigns/{ended_id}/vouchers", json={"customer": {"email": "n@example.com"}},
                               headers=headers)
    assert ended_answer.status_code == 422 and ended_answer.get_json()["error"]["code"] == "campaign_ended"
    with app.app_context():
        after = _snapshot()
    before.pop("api_token"), after.pop("api_token")
    assert after == before
