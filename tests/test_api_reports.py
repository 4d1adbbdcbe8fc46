"""`GET /api/v1/campaigns/{id}/report` (API.md): every METRICS.md figure under its own name, who may read it,
and the date range. The figures themselves are checked by hand in tests/test_report_golden.py."""
import pytest

from campaigns.reports.written import FIGURE_KEYS, HOLDOUT_KEYS


@pytest.fixture
def get(app, make_token):
    """get(path, role) sends a GET with a token of that role (None: no token)."""
    client = app.test_client()
    tokens = {}

    def send(path: str, role: str | None = "marketer"):
        headers = {}
        if role:
            tokens.setdefault(role, make_token(role))
            headers["Authorization"] = f"Bearer {tokens[role]}"
        return client.get(path, headers=headers)

    return send


def test_the_report_has_every_figure_under_its_metrics_name(get, latte):
    response = get(f"/api/v1/campaigns/{latte}/report")
    assert response.status_code == 200
    body = response.get_json()
    assert set(FIGURE_KEYS + HOLDOUT_KEYS) <= set(body)
    assert body["campaign"]["id"] == latte and body["currency"] == "USD"
    assert (body["issued"], body["redeemed"], body["identified_redemptions"]) == (2, 2, 1)
    assert (body["redeeming_customers"], body["converted_customers"], body["repeat_customers"]) == (2, 1, 0)
    assert body["conversion_rate"] == pytest.approx(0.5)
    # revenue 12.50; gross profit 60 % of it = 7.50; cost 5.00 fixed + 2 × 1.00 = 7.00; roi (7.50 − 7) / 7
    assert (body["revenue"], body["gross_profit"], body["cost"]) == ("12.50", "7.50", "7.00")
    assert body["roi"] == pytest.approx(0.5 / 7)
    assert body["median_days_to_first_purchase"] == pytest.approx(1.0)
    assert body["freebie_only"] == 0 and body["freebie_only_share"] == 0
    assert body["payback_date"] is not None and body["payback_days"] == 1
    # No audience was sent: the holdout figures say so rather than invent a lift.
    assert body["treatment_size"] == 0 and body["control_size"] == 0
    assert body["lift"] is None and body["lift_ci95"] is None and body["significant"] is None
    assert [step["stage"] for step in body["series"]["funnel"]] == ["issued", "redeemed", "identified",
                                                                     "converted", "repeat"]


def test_a_date_range_selects_the_redemptions_made_in_it(get, latte):
    before = get(f"/api/v1/campaigns/{latte}/report?from=2020-01-01&to=2020-12-31").get_json()
    assert (before["from"], before["to"]) == ("2020-01-01", "2020-12-31")
    assert (before["redeemed"], before["revenue"], before["converted_customers"]) == (0, "0.00", 0)
    assert before["cost"] == "0.00"  # it went live today: its fixed cost is not 2020's; no redemption, no unit cost
    everything = get(f"/api/v1/campaigns/{latte}/report?from=2020-01-01").get_json()
    assert everything["revenue"] == "12.50" and everything["to"] is None


@pytest.mark.parametrize("query, field", [("from=2026-13-01", "from"), ("to=yesterday", "to"),
                                          ("from=2026-05-02&to=2026-05-01", "to"),
                                          ("from=1999-01-01", "from"), ("from=2020-01-01&to=2049-01-01", "to"),
                                          ("to=", "to"), ("from=&to=2026-01-01", "from")])
def test_a_bad_range_is_422_naming_the_field(get, latte, query, field):
    response = get(f"/api/v1/campaigns/{latte}/report?{query}")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_input" and field in error["details"]["fields"]


def test_who_may_read_a_report(get, latte):
    assert get(f"/api/v1/campaigns/{latte}/report", role=None).status_code == 401
    assert get(f"/api/v1/campaigns/{latte}/report", role="staff").status_code == 403
    assert get(f"/api/v1/campaigns/{latte}/report", role="owner").status_code == 200
    missing = get("/api/v1/campaigns/999999/report")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"]
