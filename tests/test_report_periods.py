"""Date ranges, the verdict, presets, the previous period and the headline ROI (METRICS.md, issue 28), worked by hand
and checked through the report API, the CSV downloads and the pages, on both databases.

The business is in UTC. Every campaign goes live (status `active` for the first time) at a moment of its own:
  P "Pretzel"  window 10, margin 50%,  unit 1.00, fixed 30.00; live 1 Mar 2026 10:00.
               Ana redeems 2 Mar 12:00 and buys 40.00 on 5 Mar; Ben redeems 3 Apr 12:00 and buys 20.00 on 5 Apr.
  Q "Quiche"   window 10, margin 100%, unit 2.00, fixed 50.00; live 1 Apr 2026 09:00.
               Cai redeems 2 Apr 12:00 and buys 10.00 on 4 Apr.
  R "Draft"    a draft with fixed 25.00 whose 3 vouchers are printed ahead on 10 Apr: it never went live.
  S "Copy"     fixed 25.00, ended without ever going live, no voucher.
Every redemption is older than its window today (December 2026), so every verdict is in.

All time: P cost 30 + 2 x 1 = 32.00, revenue 60.00, gross profit 30.00, roi (30 - 32) / 32 = -0.0625: loses_money.
  Q cost 52.00, gross profit 10.00, roi -42/52: loses_money. R and S never went live: cost 0.00, roi null (nothing
  to divide by), too_early with no days to wait (nothing redeemed). Totals: cost 84.00, gross profit 40.00.
April (2026-04-01..2026-04-30), a range with a campaign going live inside it (Q) and one before it (P):
  P: Ben's redemption only; its fixed cost was spent on 1 Mar, not in April: cost 1.00; revenue 20.00, gross profit
     10.00, roi (10 - 1) / 1 = 9.0, paid_back.
  Q: live 1 Apr, so April counts its fixed cost: cost 50 + 2 = 52.00; revenue 10.00, gross profit 10.00,
     roi (10 - 52) / 52 = -0.8077, loses_money (a matured campaign losing money).
  R: a row (its vouchers were issued in April): issued 3, cost 0.00, roi null, too_early.
  S: nothing in April: not a row, adds nothing.
  Totals: redeemed 2, revenue 30.00, gross profit 20.00, cost 53.00, roi (20 - 53) / 53; verdict loses_money.
  The previous period is the 30 days before: 2 Mar..31 Mar. There P has Ana's redemption (2 Mar 12:00) but not
  its go-live day (1 Mar): cost 1.00, revenue 40.00, gross profit 20.00. Q and R have nothing. So the previous
  totals are redeemed 1, cost 1.00, revenue 40.00, gross profit 20.00, roi 19.0; the change: redeemed +1,
  cost +52.00, revenue -10.00, gross profit 0.00.
March (2026-03-01..2026-03-31): P alone, with its go-live day: cost 31.00, gross profit 20.00, roi -11/31.
A young campaign T "Tart" (window 30, fixed 10.00, unit 1.00), live yesterday, one anonymous redemption two hours
  ago: roi -1.0 but too_early, with 30 days of window left (29 days 22 hours, counted up); its conversion table
  has day 1 only, and its profit table stops today.
"""
import csv
import io
import random
import re
from datetime import UTC, datetime, timedelta

import pytest

from campaigns.contacts.contact import make_contact
from campaigns.contacts.matching import find_or_create
from campaigns.desk.redemption import Attempt, redeem
from campaigns.extensions import db
from campaigns.giving import audiences, vouchers
from campaigns.giving import designs as campaigns
from campaigns.models import utcnow
from tests.conftest import log_in
from tests.designs import design
from tests.ledger_rows import record_purchase

APRIL = "from=2026-04-01&to=2026-04-30"


def at(month: int, day: int, hour: int) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def _campaign(name, window, margin, unit, fixed, live_at=None):
    made = campaigns.create_campaign(design({"name": name, "unit_cost": unit, "fixed_cost": fixed,
                                             "gross_margin_pct": margin, "attribution_window_days": window}))
    if live_at is not None:
        campaigns.set_status(made, "active", now=live_at)
    return made


def _sample(campaign, who, redeemed_at, cents=None, bought_at=None, ref=None):
    """Redeem a fresh voucher of the campaign for `who` (None: anonymously), then record their purchase."""
    code, = vouchers.issue_batch(campaign, 1, "counter", now=redeemed_at - timedelta(hours=1))
    contact = make_contact(f"{who.lower()}@example.com", name=who) if who else None
    redeem(code, Attempt(customer=contact), now=redeemed_at)
    if cents is not None:
        record_purchase(ref, cents, bought_at, customer_id=find_or_create(contact).id)


@pytest.fixture
def spring(app):
    """The docstring's P, Q, R and S; returns their ids by letter."""
    with app.app_context():
        pretzel = _campaign("Pretzel", 10, "50", "1.00", "30.00", live_at=at(3, 1, 10))
        _sample(pretzel, "Ana", at(3, 2, 12), 4000, at(3, 5, 12), "P1")
        _sample(pretzel, "Ben", at(4, 3, 12), 2000, at(4, 5, 12), "P2")
        quiche = _campaign("Quiche", 10, "100", "2.00", "50.00", live_at=at(4, 1, 9))
        _sample(quiche, "Cai", at(4, 2, 12), 1000, at(4, 4, 12), "Q1")
        draft = _campaign("Draft", 10, "100", "1.00", "25.00")
        vouchers.issue_batch(draft, 3, "printed ahead", now=at(4, 10, 12))
        copy = _campaign("Copy", 10, "100", "1.00", "25.00")
        campaigns.set_status(copy, "ended")
        db.session.commit()
        return {"P": pretzel.id, "Q": quiche.id, "R": draft.id, "S": copy.id}


@pytest.fixture
def young(app):
    """The docstring's T: live since yesterday, one anonymous redemption two hours ago."""
    with app.app_context():
        now = utcnow()
        tart = _campaign("Tart", 30, "100", "1.00", "10.00", live_at=now - timedelta(days=1))
        _sample(tart, None, now - timedelta(hours=2))
        db.session.commit()
        return tart.id


@pytest.fixture
def api(app, make_token):
    client, token = app.test_client(), make_token("marketer")
    return lambda path: client.get(path, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def owner(app, make_user):
    client = app.test_client()
    log_in(client, make_user("owner"))
    return client


def _csv(client, path) -> list[list[str]]:
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def _overview(client, query: str = "") -> dict[str, dict]:
    rows = _csv(client, "/dashboard/overview.csv" + query)
    return {row[1]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}


def _text(response) -> str:
    assert response.status_code == 200
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_all_time_a_campaign_that_never_went_live_costs_nothing(api, spring):
    expected = {"P": ("32.00", "30.00", -0.0625, "loses_money"), "Q": ("52.00", "10.00", -42 / 52, "loses_money"),
                "R": ("0.00", "0.00", None, "too_early"), "S": ("0.00", "0.00", None, "too_early")}
    for name, (cost, gross_profit, roi, verdict) in expected.items():
        got = api(f"/api/v1/campaigns/{spring[name]}/report").get_json()
        assert (got["cost"], got["gross_profit"], got["verdict"]) == (cost, gross_profit, verdict), name
        assert got["roi"] == (pytest.approx(roi) if roi is not None else None), name
    assert api(f"/api/v1/campaigns/{spring['R']}/report").get_json()["days_to_verdict"] is None


def test_a_range_counts_a_fixed_cost_only_on_its_go_live_day(api, spring):
    pretzel = api(f"/api/v1/campaigns/{spring['P']}/report?{APRIL}").get_json()
    assert (pretzel["redeemed"], pretzel["cost"], pretzel["revenue"], pretzel["roi"], pretzel["verdict"]) == (
        1, "1.00", "20.00", 9.0, "paid_back")
    quiche = api(f"/api/v1/campaigns/{spring['Q']}/report?{APRIL}").get_json()
    assert (quiche["cost"], quiche["gross_profit"], quiche["verdict"]) == ("52.00", "10.00", "loses_money")
    assert quiche["roi"] == pytest.approx(-42 / 52) and quiche["matured_redemptions"] == 1
    march = api(f"/api/v1/campaigns/{spring['P']}/report?from=2026-03-01&to=2026-03-31").get_json()
    assert (march["cost"], march["gross_profit"], march["roi"]) == ("31.00", "20.00", pytest.approx(-11 / 31))
    # A campaign with nothing in the range answers with zero figures, and costs nothing.
    copy = api(f"/api/v1/campaigns/{spring['S']}/report?{APRIL}").get_json()
    assert (copy["issued"], copy["redeemed"], copy["cost"], copy["roi"], copy["verdict"]) == (
        0, 0, "0.00", None, "too_early")


def test_the_overview_of_a_range_has_only_the_campaigns_with_something_in_it(owner, spring):
    april = _overview(owner, "?" + APRIL)
    assert set(april) == {"Pretzel", "Quiche", "Draft", "Total"}  # not the Copy: nothing of it falls in April
    assert (april["Draft"]["issued"], april["Draft"]["cost"], april["Draft"]["roi"]) == ("3", "0.00", "")
    total = april["Total"]
    assert (total["redeemed"], total["revenue"], total["gross_profit"], total["cost"], total["verdict"]) == (
        "2", "30.00", "20.00", "53.00", "loses_money")
    assert float(total["roi"]) == pytest.approx(-33 / 53)
    assert _overview(owner)["Total"]["cost"] == "84.00"  # all time: 32 + 52 + 0 + 0
    page = _text(owner.get("/dashboard/?" + APRIL))
    assert "Pretzel" in page and "Quiche" in page and "Copy" not in page
    assert "Paid back" in page and "Loses money" in page
    assert "Attributed ROI counts every purchase inside the window after a free sample" in page


def test_the_previous_period_is_the_same_number_of_days_just_before(api, owner, spring):
    got = api(f"/api/v1/campaigns/{spring['P']}/report?{APRIL}&compare=previous").get_json()
    before = got["previous"]
    assert (before["from"], before["to"]) == ("2026-03-02", "2026-03-31")
    assert (before["redeemed"], before["cost"], before["revenue"], before["roi"]) == (1, "1.00", "40.00", 19.0)
    assert (got["change"]["redeemed"], got["change"]["revenue"], got["change"]["cost"]) == (0, "-20.00", "0.00")
    page = _text(owner.get(f"/dashboard/campaigns/{spring['P']}?{APRIL}&compare=previous"))
    assert "Revenue USD 20.00 USD 40.00 \u2212USD 20.00" in page  # this period, the previous one, the change
    assert api(f"/api/v1/campaigns/{spring['P']}/report?{APRIL}").get_json()["previous"] is None
    rows = _overview(owner, f"?{APRIL}&compare=previous")
    previous, change = rows["Total 2026-03-02 to 2026-03-31"], rows["Change"]
    assert (previous["redeemed"], previous["cost"], previous["revenue"], previous["gross_profit"]) == (
        "1", "1.00", "40.00", "20.00")
    assert (change["redeemed"], change["cost"], change["revenue"], change["gross_profit"]) == (
        "1", "52.00", "-10.00", "0.00")
    report = _csv(owner, f"/dashboard/campaigns/{spring['Q']}/report.csv?{APRIL}&compare=previous")
    assert report[0] == ["figure", "value", "previous", "change"]
    assert dict((row[0], row[1:]) for row in report[1:])["cost"] == ["52.00", "0.00", "52.00"]
    page = _text(owner.get(f"/dashboard/?{APRIL}&compare=previous"))
    assert "Compared with the previous period" in page and "Mar 2, 2026 to Mar 31, 2026" in page


@pytest.mark.parametrize("query, field", [("preset=yesterday", "preset"), ("preset=last_7_days&from=2026-01-01", "preset"),
                                          ("compare=previous", "compare"), ("compare=next&from=2026-01-01", "compare"),
                                          ("preset=all_time&compare=previous", "compare")])
def test_a_bad_period_is_422_naming_the_field(api, spring, query, field):
    response = api(f"/api/v1/campaigns/{spring['P']}/report?{query}")
    assert response.status_code == 422
    assert field in response.get_json()["error"]["details"]["fields"]


def test_presets_end_today_and_compare_with_the_days_before(api, owner, spring):
    today = utcnow().date()
    got = api(f"/api/v1/campaigns/{spring['P']}/report?preset=last_7_days&compare=previous").get_json()
    assert (got["from"], got["to"]) == ((today - timedelta(days=6)).isoformat(), today.isoformat())
    assert (got["previous"]["from"], got["previous"]["to"]) == (
        (today - timedelta(days=13)).isoformat(), (today - timedelta(days=7)).isoformat())
    last_month = api(f"/api/v1/campaigns/{spring['P']}/report?preset=last_month").get_json()
    first = today.replace(day=1)
    assert last_month["to"] == (first - timedelta(days=1)).isoformat() and last_month["from"].endswith("-01")
    page = owner.get("/dashboard/?preset=this_year").get_data(as_text=True)
    assert 'aria-current="true"' in page and f'value="{today.replace(month=1, day=1).isoformat()}"' in page
    for label in ("Last 7 days", "Last 30 days", "Last 90 days", "This month", "Last month", "This year", "All time"):
        assert label in page


def test_a_young_campaign_is_too_early_to_tell_and_shows_no_day_to_come(api, owner, young):
    got = api(f"/api/v1/campaigns/{young}/report").get_json()
    assert (got["roi"], got["verdict"], got["days_to_verdict"], got["matured_redemptions"]) == (
        -1.0, "too_early", 30, 0)
    assert [day["day"] for day in got["series"]["conversion_by_day"]["days"]] == [1]
    assert got["series"]["profit_by_day"]["days"][-1]["date"] <= utcnow().date().isoformat()
    page = _text(owner.get(f"/dashboard/campaigns/{young}"))
    assert "Too early to tell 30 days of window left" in page and "Loses money" not in page
    overview = _text(owner.get("/dashboard/"))
    assert "Too early 30 days left" in overview and "Loses money" not in overview


def test_a_holdout_campaign_headlines_its_incremental_roi(app, api, owner):
    """Ten members, about half held out: every treatment member buys 30.00 within the window, no control member
    buys. Incremental revenue (30.00 - 0) x treatment size; gross profit at 50%; the treatment cost is the fixed
    10.00 (it went live) plus 1.00 per treatment redemption (two of them redeem); incremental ROI from those."""
    with app.app_context():
        campaign = _campaign("Soup", 30, "50", "1.00", "10.00", live_at=utcnow() - timedelta(days=40))
        people = [make_contact(f"member{n}@example.com") for n in range(10)]
        members = audiences.assign(campaign, people, 50, rng=random.Random(28), now=utcnow() - timedelta(days=20))
        treated = [(customer, voucher) for customer, group, voucher in members if group == "treatment"]
        assert 2 <= len(treated) < 10  # both groups have members (a seeded draw)
        for n, (customer, voucher) in enumerate(treated):
            if n < 2:
                redeem(voucher.code, Attempt(), now=utcnow() - timedelta(days=19))
            record_purchase(f"soup-{n}", 3000, utcnow() - timedelta(days=18), customer_id=customer.id)
        db.session.commit()
        campaign_id = campaign.id
    got = api(f"/api/v1/campaigns/{campaign_id}/report").get_json()
    size = len(treated)
    assert got["headline_roi"] == "incremental" and got["treatment_size"] == size
    assert got["incremental_revenue"] == f"{30 * size}.00"
    assert got["incremental_gross_profit"] == f"{15 * size}.00"
    assert got["treatment_cost"] == "12.00"
    assert got["incremental_roi"] == pytest.approx((15 * size - 12) / 12)
    page = _text(owner.get(f"/dashboard/campaigns/{campaign_id}"))
    assert "incremental ROI" in page
    assert ("Not significant yet" in page) == (not got["significant"])
    plain = api(f"/api/v1/campaigns/{campaign_id}/report").get_json()
    assert plain["roi"] is not None  # the attributed ROI is still there, named so on the page
    assert "Attributed ROI counts every purchase" in page
