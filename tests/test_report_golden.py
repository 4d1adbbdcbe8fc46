"""The golden test of the report: a small café's January, built through the services, whose every figure is worked
out by hand below and checked through the report API, the CSV downloads and the pages.

The business is in New York (UTC-5 all January), so some moments fall on another local day than their UTC date.
Times are UTC; "NY" gives the local time.

Campaigns (windows in 24-hour days; margin of later purchases; unit cost per redemption; fixed cost):
  A "Latte"  window 30, margin 60%,  unit 1.00, fixed 10.00; vouchers a1..a5 (batch "flyer"), a6 ("poster")
  B "Pastry" window 10, margin 50%,  unit 0.50, fixed  0.00; vouchers b1..b3 ("market")
  C "Class"  window 30, margin 100%, unit 5.00, fixed 20.00; vouchers c1..c3 ("claim")
  All vouchers are issued on 2 Jan 12:00; A's before C's, so a2 has a lower id than c1.

Redemptions:
  a1 Ana 5 Jan 15:00 (NY 10:00, at Main St)   a2 Ben 5 Jan 16:00          a3 anonymous 6 Jan 15:00
  a4 Cai 10 Jan 04:30 (NY 9 Jan 23:30)        a6 Dee 20 Jan 15:00         a5 never redeemed
  b1 Ana 8 Jan 15:00                          b2 Eve 8 Jan 15:00          b3 never redeemed
  c1 Ben 5 Jan 16:00 (the same moment as a2)  c2 anonymous 7 Jan 15:00    c3 Fay 7 Jan 15:00

Purchases, and where attribution puts them (last touch; R < P <= R + window):
  P1  Ana  6 Jan 15:00   20.00  A (a1; b1 is later)
  P2  Ana  9 Jan 15:00   10.00  B (b1 at 8 Jan is the latest touch, window until 18 Jan 15:00)
  P3  Ana 20 Jan 15:00    8.00  A (b1's window is over; a1's runs to 4 Feb 15:00)
  P13 Ana 25 Jan 15:00   -5.00  refund of P1: A, with its original
  P4  Ben  5 Jan 16:00    5.00  nowhere: at the very moment of a2 and c1, not after
  P5  Ben  7 Jan 03:00   30.00  A: a2 and c1 tie on R, the lower voucher id (a2) wins; NY 6 Jan 22:00
  P6  Ben  1 Mar 15:00  -30.00  refund of P5: A, though far past the window
  P7  Cai  9 Feb 04:30   12.00  A: exactly a4 + 30 days, the window's last moment
  P12 Cai 15 Jan 15:00  100.00  voided: counted nowhere
  P9  Dee 19 Feb 15:00:01 7.00  nowhere: a6 + 30 days + 1 s
  P10 Eve  9 Jan 10:00    6.00  B (b2)
  P11 Eve 12 Jan 15:00    4.00  B (b2)

A: issued 6; redeemed 5 (a1 a2 a3 a4 a6); identified_redemptions 4; redeeming_customers 4 + 1 anonymous = 5;
   revenue 20 + 8 - 5 + 30 - 30 + 12 = 35.00; purchases 4 (P1 P3 P5 P7), refunds 2 (P13 P6);
   per customer: Ana 23.00 (converted, 2 positive: repeat), Ben 0.00 (not converted), Cai 12.00 (converted);
   converted 2, conversion_rate 2/5 = 0.4, repeat 1; gross_profit 35.00 x 60% = 21.00; cost 10 + 1 x 5 = 15.00;
   roi (21 - 15) / 15 = 0.4; median days to first purchase: Ana P1 - a1 = 1.0, Cai P7 - a4 = 30.0 -> 15.5;
   freebie_only 0 (Ben bought P4, Dee bought P9), share 0 / 4 = 0.
   Payback, local days: 5 Jan cost 10 + 2 = 12.00, profit 0; 6 Jan cost 13.00 (a3), profit 0.6 x (20 + 30) = 30.00
   (P5 is 6 Jan in New York) >= 13 -> paid back 2026-01-06, day 1 (on UTC dates it would be 7 Jan, day 2).
B: issued 3; redeemed 2; identified 2; redeeming 2; revenue 10 + 6 + 4 = 20.00; purchases 3; refunds 0;
   converted 2 (Ana 10, Eve 10), conversion 1.0; repeat 1 (Eve); gross_profit 10.00; cost 0.50 x 2 = 1.00;
   roi (10 - 1) / 1 = 9.0; median: Eve P10 - b2 = 19 h = 0.7916..., Ana P2 - b1 = 1.0 -> 0.8958333...;
   freebie_only 0; payback: 8 Jan cost 1.00, profit 0; 9 Jan profit 3.00 (P10, NY 05:00) -> 2026-01-09, day 1.
C: issued 3; redeemed 3; identified 2 (Ben, Fay); redeeming 3; revenue 0.00 (Ben's P5 went to A on the tie);
   purchases 0; converted 0, conversion 0.0; repeat 0; gross_profit 0.00; cost 20 + 5 x 3 = 35.00; roi -1.0;
   median null; freebie_only 1 (Fay never bought; Ben did), share 1 / 2 = 0.5; payback null. It loses money.
Totals: issued 12, redeemed 10, redeeming 10, converted 4 -> 40%; revenue 55.00; gross profit 31.00; cost 51.00;
   roi (31 - 51) / 51 = -0.3921...
A with ?from=2026-01-09&to=2026-01-31 (local dates; the range selects redemptions): a4 (NY 9 Jan) and a6:
   redeemed 2, identified 2, redeeming 2, issued 0 (issued 2 Jan); P7 goes with a4 although bought on 9 Feb:
   revenue 12.00, purchases 1, converted 1, conversion 0.5, repeat 0; gross_profit 7.20; cost 10 + 2 = 12.00;
   roi (7.20 - 12) / 12 = -0.4; median 30.0; payback null (7.20 < 12.00).
A with ?from=2026-01-10&to=2026-01-31: only a6 (a4 is 10 Jan in UTC but 9 Jan in New York): redeemed 1,
   revenue 0.00, converted 0, cost 11.00, roi -1.0, median null.
"""
import csv
import io
from datetime import UTC, datetime

import pytest

from campaigns import business, vouchers
from campaigns import campaign as campaigns
from campaigns.customers import find_or_create, make_contact
from campaigns.extensions import db
from campaigns.purchases import record_purchase, void_purchase
from campaigns.redemption import Attempt, redeem
from tests.conftest import log_in
from tests.designs import design

ISSUED = datetime(2026, 1, 2, 12, 0, tzinfo=UTC)


def at(month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


def _campaign(name, window, margin, unit, fixed, count, label):
    made = campaigns.create_campaign(design({"name": name, "unit_cost": unit, "fixed_cost": fixed,
                                             "gross_margin_pct": margin, "attribution_window_days": window,
                                             "per_customer_limit": 5}))
    campaigns.set_status(made, "active")
    return made, vouchers.issue_batch(made, count, label, now=ISSUED)


@pytest.fixture
def cafe(app):
    """Build the scenario of the module's docstring; return the campaign ids {"A", "B", "C"}."""
    with app.app_context():
        settings = business.get_settings()
        business.update_settings(business_name="Golden Café", currency="USD", time_zone="America/New_York",
                                 default_gross_margin_bp=settings.default_gross_margin_bp,
                                 default_phone_region="US")
        business.create_location("Main St")
        people = {name: make_contact(f"{name.lower()}@example.com", name=name)
                  for name in ("Ana", "Ben", "Cai", "Dee", "Eve", "Fay")}
        latte, a = _campaign("Latte", 30, "60", "1.00", "10.00", 5, "flyer")
        a += vouchers.issue_batch(latte, 1, "poster", now=ISSUED)
        pastry, b = _campaign("Pastry", 10, "50", "0.50", "0", 3, "market")
        klass, c = _campaign("Class", 30, "100", "5.00", "20.00", 3, "claim")
        for code, who, when in ((a[0], "Ana", at(1, 5, 15)), (a[1], "Ben", at(1, 5, 16)), (a[2], None, at(1, 6, 15)),
                                (a[3], "Cai", at(1, 10, 4, 30)), (a[5], "Dee", at(1, 20, 15)),
                                (b[0], "Ana", at(1, 8, 15)), (b[1], "Eve", at(1, 8, 15)),
                                (c[0], "Ben", at(1, 5, 16)), (c[1], None, at(1, 7, 15)), (c[2], "Fay", at(1, 7, 15))):
            location = "Main St" if code == a[0] else None
            redeem(code, Attempt(customer=people[who] if who else None, location=location), now=when)
        ids = {name: find_or_create(contact).id for name, contact in people.items()}

        def buy(ref, who, cents, when, refund_of=None):
            return record_purchase(ref, cents, when, customer_id=ids[who],
                                   refund_of_id=refund_of.id if refund_of else None)[0]

        p1 = buy("P1", "Ana", 2000, at(1, 6, 15))
        buy("P2", "Ana", 1000, at(1, 9, 15))
        buy("P3", "Ana", 800, at(1, 20, 15))
        buy("P13", "Ana", -500, at(1, 25, 15), refund_of=p1)
        buy("P4", "Ben", 500, at(1, 5, 16))
        p5 = buy("P5", "Ben", 3000, at(1, 7, 3))
        buy("P6", "Ben", -3000, at(3, 1, 15), refund_of=p5)
        buy("P7", "Cai", 1200, at(2, 9, 4, 30))
        void_purchase(buy("P12", "Cai", 10000, at(1, 15, 15)), "rung up twice", None)
        buy("P9", "Dee", 700, at(2, 19, 15, 0, 1))
        buy("P10", "Eve", 600, at(1, 9, 10))
        buy("P11", "Eve", 400, at(1, 12, 15))
        db.session.commit()
        return {"A": latte.id, "B": pastry.id, "C": klass.id}


EXPECTED = {
    "A": {"issued": 6, "redeemed": 5, "identified_redemptions": 4, "redeeming_customers": 5, "identified_customers": 4,
          "converted_customers": 2, "conversion_rate": 0.4, "repeat_customers": 1, "purchases": 4, "refunds": 2,
          "revenue": "35.00", "gross_profit": "21.00", "cost": "15.00", "roi": 0.4,
          "median_days_to_first_purchase": 15.5, "freebie_only": 0, "freebie_only_share": 0.0,
          "payback_date": "2026-01-06", "payback_days": 1},
    "B": {"issued": 3, "redeemed": 2, "identified_redemptions": 2, "redeeming_customers": 2, "identified_customers": 2,
          "converted_customers": 2, "conversion_rate": 1.0, "repeat_customers": 1, "purchases": 3, "refunds": 0,
          "revenue": "20.00", "gross_profit": "10.00", "cost": "1.00", "roi": 9.0,
          "median_days_to_first_purchase": (19 / 24 + 1) / 2, "freebie_only": 0, "freebie_only_share": 0.0,
          "payback_date": "2026-01-09", "payback_days": 1},
    "C": {"issued": 3, "redeemed": 3, "identified_redemptions": 2, "redeeming_customers": 3, "identified_customers": 2,
          "converted_customers": 0, "conversion_rate": 0.0, "repeat_customers": 0, "purchases": 0, "refunds": 0,
          "revenue": "0.00", "gross_profit": "0.00", "cost": "35.00", "roi": -1.0,
          "median_days_to_first_purchase": None, "freebie_only": 1, "freebie_only_share": 0.5,
          "payback_date": None, "payback_days": None},
}
RANGED = {
    "from=2026-01-09&to=2026-01-31": {
        "issued": 0, "redeemed": 2, "identified_redemptions": 2, "redeeming_customers": 2, "converted_customers": 1,
        "conversion_rate": 0.5, "repeat_customers": 0, "purchases": 1, "refunds": 0, "revenue": "12.00",
        "gross_profit": "7.20", "cost": "12.00", "roi": -0.4, "median_days_to_first_purchase": 30.0,
        "freebie_only": 0, "payback_date": None},
    "from=2026-01-10&to=2026-01-31": {
        "redeemed": 1, "identified_redemptions": 1, "redeeming_customers": 1, "converted_customers": 0,
        "revenue": "0.00", "cost": "11.00", "roi": -1.0, "median_days_to_first_purchase": None},
}


@pytest.fixture
def api(app, make_token):
    client, token = app.test_client(), make_token("marketer")
    return lambda path: client.get(path, headers={"Authorization": f"Bearer {token}"})


def _same(got: dict, expected: dict) -> None:
    for key, value in expected.items():
        assert key in got, key
        if isinstance(value, float):
            assert got[key] == pytest.approx(value, abs=1e-9), key
        else:
            assert got[key] == value, (key, got[key], value)


@pytest.mark.parametrize("name", ["A", "B", "C"])
def test_every_figure_through_the_api(api, cafe, name):
    response = api(f"/api/v1/campaigns/{cafe[name]}/report")
    assert response.status_code == 200
    _same(response.get_json(), EXPECTED[name])


@pytest.mark.parametrize("query", list(RANGED))
def test_a_date_range_selects_redemptions_by_local_date(api, cafe, query):
    got = api(f"/api/v1/campaigns/{cafe['A']}/report?{query}").get_json()
    _same(got, RANGED[query])


def test_series_of_the_latte(api, cafe):
    series = api(f"/api/v1/campaigns/{cafe['A']}/report").get_json()["series"]
    assert series["funnel"] == [{"stage": "issued", "count": 6}, {"stage": "redeemed", "count": 5},
                                {"stage": "identified", "count": 4}, {"stage": "converted", "count": 2},
                                {"stage": "repeat", "count": 1}]
    # By batch: the flyer's four redemptions carry every sale (a1 a2 a4; a3 anonymous), the poster's one none;
    # a segment's cost is the unit cost of its redemptions (the fixed cost belongs to the campaign).
    batches = {row["label"]: row for row in series["by_batch"]}
    _same(batches["flyer"], {"issued": 5, "redeemed": 4, "redeeming_customers": 4, "converted_customers": 2,
                             "revenue": "35.00", "cost": "4.00"})
    _same(batches["poster"], {"issued": 1, "redeemed": 1, "converted_customers": 0, "revenue": "0.00", "cost": "1.00"})
    places = {row["location"]: row for row in series["by_location"]}
    _same(places["Main St"], {"redeemed": 1, "converted_customers": 1, "revenue": "23.00"})  # a1: Ana's P1 P3 P13
    _same(places[None], {"redeemed": 4, "converted_customers": 1, "revenue": "12.00"})
    # Conversion by days since redemption: Ana's first purchase came after 1.0 day (day 1), Cai's after 30.0 (day 30).
    days = {row["day"]: row for row in series["conversion_by_day"]["days"]}
    assert (days[1]["converted"], days[29]["converted"], days[30]["converted"]) == (1, 1, 2)
    # Bought at all (any live purchase of positive amount after the customer's redemption): Ana after 1.0 day;
    # Ben's P4 is at his redemption (not after), his P5 after 35 hours (day 2); Cai's voided P12 does not count, his
    # P7 after 30.0 days; Dee's P9 after 30 days and 1 second (day 31).
    assert [days[day]["bought"] for day in (1, 2, 29, 30, 31)] == [1, 2, 2, 3, 4]
    profit = series["profit_by_day"]
    assert profit["payback_date"] == "2026-01-06"
    first, second = profit["days"][:2]
    assert (first["date"], first["redeemed"], first["cost"], first["revenue"]) == ("2026-01-05", 2, "12.00", "0.00")
    assert (second["date"], second["redeemed"], second["cost"], second["revenue"]) == ("2026-01-06", 1, "1.00", "50.00")
    # Weekly cohorts (weeks from Monday, New York): Ana and Ben redeemed in the week of 5 Jan, Cai (NY 9 Jan) too,
    # Dee in the week of 19 Jan. Week 0 of the 5 Jan cohort: Ana (P1) and Ben (P5) bought; week 2: Ana (P3, 20 Jan).
    cohorts = {row["week"]: row for row in series["cohorts"]}
    assert set(cohorts) == {"2026-01-05", "2026-01-19"}
    assert cohorts["2026-01-05"]["customers"] == 3 and cohorts["2026-01-19"]["customers"] == 1
    # Week 4: Cai's P7 on 8 Feb in New York (23:30), 34 days after 5 Jan. Six columns: a 30-day window spans them.
    assert cohorts["2026-01-05"]["weeks"] == [2, 0, 1, 0, 1, 0]


def _csv(client, path) -> list[list[str]]:
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_the_csv_downloads_say_the_same(app, cafe, make_user):
    client = app.test_client()
    log_in(client, make_user("owner"))
    for name, expected in EXPECTED.items():
        rows = dict(_csv(client, f"/dashboard/campaigns/{cafe[name]}/report.csv")[1:])
        for key, value in expected.items():
            written = "" if value is None else value
            if isinstance(value, float):
                assert float(rows[key]) == pytest.approx(value), (name, key)
            else:
                assert rows[key] == str(written), (name, key)
    overview = _csv(client, "/dashboard/overview.csv")
    header, body = overview[0], overview[1:]
    by_name = {row[header.index("campaign")]: dict(zip(header, row, strict=True)) for row in body}
    assert by_name["Class"]["revenue"] == "0.00" and by_name["Latte"]["payback_date"] == "2026-01-06"
    total = by_name["Total"]
    assert (total["issued"], total["redeemed"], total["redeeming_customers"], total["converted_customers"]) == (
        "12", "10", "10", "4")
    assert (total["revenue"], total["gross_profit"], total["cost"]) == ("55.00", "31.00", "51.00")
    assert float(total["conversion_rate"]) == pytest.approx(0.4)
    assert float(total["roi"]) == pytest.approx((3100 - 5100) / 5100)


def test_the_pages_show_the_same_to_people(app, cafe, make_user):
    client = app.test_client()
    log_in(client, make_user("owner"))
    latte = client.get(f"/dashboard/campaigns/{cafe['A']}").get_data(as_text=True)
    for shown in ("USD\u00a035.00", "USD\u00a021.00", "USD\u00a015.00", "+40%", "40% (2 of 5)",
                  "Day 1 (6 Jan 2026)", "15.5"):
        assert shown in latte, shown
    klass = client.get(f"/dashboard/campaigns/{cafe['C']}").get_data(as_text=True)
    assert "Loses money" in klass and "USD\u00a035.00" in klass and "1</strong> of the 2 known customers" in klass
    overview = client.get("/dashboard/").get_data(as_text=True)
    for shown in ("55.00", "31.00", "51.00", "40% (4 of 10)", "100% (2 of 2)", "+900%", "−100%", "Loses money"):
        assert shown in overview, shown
    freebies = client.get(f"/dashboard/campaigns/{cafe['C']}/freebie-only").get_data(as_text=True)
    assert "fay@example.com" in freebies and "ben@example.com" not in freebies

