"""A sale dated after now (beyond a till's small clock skew) is refused, by one rule (checking.future_date) for an
imported row and for the API: the import names the row and its date, the API answers 422 naming occurred_at."""
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from campaigns.sales import import_files, import_mapping, import_runs
from campaigns.sales.checking import future_date
from campaigns.sales.ledger import store_purchases
from campaigns.sales.rows import PurchaseRow

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


def test_the_rule_allows_ten_minutes_of_clock_skew_and_says_both_times_in_the_business_zone():
    assert future_date(NOW + timedelta(minutes=10), NOW, BERLIN) is None
    assert future_date(NOW - timedelta(days=400), NOW, BERLIN) is None
    said = future_date(NOW + timedelta(minutes=11), NOW, BERLIN)
    assert said.startswith("2026-12-04 10:11 is in the future (it is now 2026-12-04 10:00, Europe/Berlin)")


@pytest.mark.parametrize("source", ["import", "api"])
def test_a_sale_five_minutes_ahead_is_stored_and_one_an_hour_ahead_refused(ctx, source):
    outcomes = store_purchases([PurchaseRow("ahead-5", 500, NOW + timedelta(minutes=5)),
                                PurchaseRow("ahead-60", 600, NOW + timedelta(hours=1))], source=source, now=NOW)
    assert [outcome.status for outcome in outcomes] == ["created", "error"]
    assert "is in the future" in outcomes[1].error.details["fields"]["occurred_at"]


def test_an_imported_row_dated_in_the_future_is_refused_naming_its_line_and_date(ctx):
    ahead = (datetime.now(UTC) + timedelta(days=2)).replace(hour=10, minute=30)
    data = ("Date,Amount,Email,ID\n2026-03-01 10:00,4.50,ana@example.com,till-1\n"
            f"{ahead:%Y-%m-%d %H:%M},5.00,bo@example.com,till-2\n").encode()
    record = import_mapping.confirm_proposed(import_files.upload("sales.csv", data, None))
    list(import_runs.run_all(record))
    assert (record.created, record.failed) == (1, 1)
    (problem,) = import_runs.problems(record)
    assert problem["line"] == 3
    assert problem["reason"].startswith(f"Date: {ahead:%Y-%m-%d %H:%M} is in the future (it is now ")


def test_the_api_refuses_a_sale_in_the_future_with_422_naming_occurred_at_and_takes_one_5_minutes_ahead(
        client, make_token):
    staff = {"Authorization": f"Bearer {make_token('staff')}"}
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    with client.post("/api/v1/purchases", json={"external_id": "T-1", "amount": "5.00", "occurred_at": later},
                     headers=staff) as answer:
        assert answer.status_code == 422
        error = answer.get_json()["error"]
    assert error["code"] == "invalid_input" and list(error["details"]["fields"]) == ["occurred_at"]
    soon = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    with client.post("/api/v1/purchases", json={"external_id": "T-2", "amount": "5.00", "occurred_at": soon},
                     headers=staff) as answer:
        assert answer.status_code == 201
