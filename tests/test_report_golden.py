"""The golden test of the report: a small café's January and March, built through the services, whose every figure
is worked out by hand below and checked through the report API, the CSV downloads and the pages.

The business is in New York (UTC-5 in January, UTC-4 from 8 Mar 07:00 UTC), so some moments fall on another local
day than their UTC date. Times are UTC; "NY" gives the local time. Money in the working is in dollars unless it
says cents; gross profit is exact and rounded (half away from zero) only where it is shown.

Campaigns (windows in 24-hour days; margin of later purchases; unit cost per redemption; fixed cost, spent on the
go-live day; each goes live as its vouchers are issued):
  A "Latte"  window 30, margin 60%,  unit 1.00, fixed 10.00; vouchers a1..a5 (batch "flyer"), a6 ("poster")
  B "Pastry" window 10, margin 50%,  unit 0.50, fixed  0.00; vouchers b1..b3 ("market")
  C "Class"  window 30, margin 100%, unit 5.00, fixed 20.00; vouchers c1..c3 ("claim")
  D "Cookie" window 7,  margin 37.5%, unit 0.30, fixed 10.00; vouchers d1..d7 ("sms"), March: see below
  All vouchers are issued on 2 Jan 12:00 (NY 07:00), when A, B and C go live; A's before C's, so a2 has a lower id
  than c1. Every redemption here is older than its window today, so every verdict is in: `verdict` compares the gross
  profit of the matured redemptions with the fixed cost the range counts plus their unit costs.

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
   Payback, local days: 2 Jan the fixed cost 10.00 (go-live); 5 Jan cost 10 + 2 = 12.00, profit 0; 6 Jan cost 13.00
   (a3), profit 0.6 x (20 + 30) = 30.00 (P5 is 6 Jan in New York) >= 13 -> paid back 2026-01-06, day 1 from the
   first redemption (on UTC dates it would be 7 Jan, day 2). Verdict paid_back (21.00 >= 15.00).
B: issued 3; redeemed 2; identified 2; redeeming 2; revenue 10 + 6 + 4 = 20.00; purchases 3; refunds 0;
   converted 2 (Ana 10, Eve 10), conversion 1.0; repeat 1 (Eve); gross_profit 10.00; cost 0.50 x 2 = 1.00;
   roi (10 - 1) / 1 = 9.0; median: Eve P10 - b2 = 19 h = 0.7916..., Ana P2 - b1 = 1.0 -> 0.8958333...;
   freebie_only 0; payback: 8 Jan cost 1.00, profit 0; 9 Jan profit 3.00 (P10, NY 05:00) -> 2026-01-09, day 1.
C: issued 3; redeemed 3; identified 2 (Ben, Fay); redeeming 3; revenue 0.00 (Ben's P5 went to A on the tie);
   purchases 0; converted 0, conversion 0.0; repeat 0; gross_profit 0.00; cost 20 + 5 x 3 = 35.00; roi -1.0;
   median null; freebie_only 1 (Fay never bought; Ben did), share 1 / 2 = 0.5; payback null. It loses money: verdict
   loses_money (0.00 < 35.00). B's verdict is paid_back (10.00 >= 1.00).
A with ?from=2026-01-09&to=2026-01-31 (local dates; the range selects redemptions): a4 (NY 9 Jan) and a6:
   redeemed 2, identified 2, redeeming 2, issued 0 (issued 2 Jan); P7 goes with a4 although bought on 9 Feb:
   revenue 12.00, purchases 1, converted 1, conversion 0.5, repeat 0; gross_profit 7.20; cost 2.00 (A went live on
   2 Jan, before the range: its fixed cost is not this range's); roi (7.20 - 2) / 2 = 2.6; median 30.0; payback:
   9 Jan cost 1.00, 20 Jan 2.00, P7 on NY 8 Feb (23:30) brings 7.20 -> 2026-02-08, day 30; verdict paid_back.
A with ?from=2026-01-05&to=2026-01-05: a1 (Ana, NY 10:00) and a2 (Ben, NY 11:00): issued 0, redeemed 2, identified 2,
   redeeming 2; attributed to them: P1 20 + P3 8 - P13 5 (Ana) + P5 30 - P6 30 (Ben: the refund of 1 Mar, outside
   the window and the range, still goes with P5) = 23.00; purchases 3 (P1 P3 P5), refunds 2; converted 1 (Ana; Ben
   nets 0), conversion 0.5, repeat 1 (Ana); gross_profit 23 x 0.6 = 13.80; cost 1 x 2 = 2.00 (no go-live in it);
   roi (13.80 - 2) / 2 = 5.9; median 1.0 (Ana alone); freebie_only 0 (Ben bought P4), share 0/2;
   payback: 5 Jan cost 2.00, 6 Jan profit 0.6 x (20 + 30) = 30.00 -> 2026-01-06, day 1; verdict paid_back.
A with ?from=2026-01-10&to=2026-01-31: only a6 (a4 is 10 Jan in UTC but 9 Jan in New York): redeemed 1,
   revenue 0.00, converted 0, cost 1.00, roi -1.0, median null; verdict loses_money.
D "Cookie" (March, across the daylight-saving change: New York is UTC-5 until 8 Mar 07:00 UTC, then UTC-4):
  window 7, margin 37.5%, unit 0.30, fixed 10.00; goes live and vouchers d1..d7 issued 1 Mar 12:00 (NY 07:00),
  batch "sms";
  d7 voided on 1 Mar 13:00.
  Redemptions:
    d1 Gus 2 Mar 15:00 (NY 2 Mar 10:00)
    d2 Ana 3 Mar 15:00, UNDONE by the owner at 15:05 ("scanned the wrong voucher"): no cost, no customer, no sales;
       d2 is unredeemed again (and stays Ana's voucher)
    d6 Fay 4 Mar 15:00 (Fay already took C's c3 and never buys)
    d3 Gus 5 Mar 15:00 (Gus's second voucher of D)
    d4 Hal 8 Mar 03:30 (NY 7 Mar 22:30 EST: local date 7 Mar, UTC date 8 Mar)
    d5 anonymous 10 Mar 15:00 (NY 11:00 EDT)
  Purchases:
    P21 Gus  3 Mar 15:00     12.34  D via d1 (the only touch), 24 h = 1.0 day after it
    P22 Gus  6 Mar 03:00      5.54  D via d3 (NY 5 Mar 22:00): d1 (window to 9 Mar 15:00) also qualifies, d3 is later
    P23 Ana  4 Mar 15:00      9.00  nowhere: her d2 was undone; a1's window ended 4 Feb, b1's 18 Jan
    P24 Hal 10 Mar 04:30     20.00  D via d4, 49 h = 49/24 days after it (across the DST change); NY 10 Mar 00:30 EDT
                                    (a fixed UTC-5 would make it 9 Mar 23:30)
    P28 Hal 12 Mar 15:00    -20.00  refund of P24 made through refund_purchase, then voided: counted nowhere
    P26 Hal 15 Mar 03:30      8.00  D: exactly d4 + 7 x 24 h, the window's last moment (NY 14 Mar 23:30 EDT)
  issued 6 (d7 void); redeemed 5 (d1 d3 d4 d5 d6; not d2); identified_redemptions 4;
  identified_customers 3 (Gus, Fay, Hal: Gus twice, Ana's undone redemption not at all);
  redeeming_customers 3 + 1 anonymous = 4;
  revenue 12.34 + 5.54 + 20.00 + 8.00 = 45.88; purchases 4 (P21 P22 P24 P26), refunds 0 (P28 is void);
  per customer: Gus 17.88 (2 positive: repeat), Fay 0 (no purchase), Hal 28.00 (2 positive: repeat);
  converted 2, conversion 2/4 = 0.5, repeat 2;
  gross_profit exact 4588 x 3750 / 10000 = 1720.5 cents -> 17.21 (half away from zero; half-even would say 17.20);
  cost 10.00 + 0.30 x 5 = 11.50; roi (1720.5 - 1150) / 1150 = 1141/2300 = 0.49608... (shown "+50%");
  median: Gus's first attributed purchase P21 from d1 = 1.0 (not P22's 0.5 from d3: first purchase, not least
  delay), Hal P24 from d4 = 49/24 = 2.041666... -> (1 + 49/24) / 2 = 73/48 = 1.5208333... (shown "1.5");
  freebie_only 1 (Fay; Ana was never a live redeemer of D, and bought anyway), share 1/3.
  Payback, local days (cents): 1 Mar the fixed cost 1000 (go-live); 2 Mar cost 1000 + 30 = 1030, profit 0; 3 Mar profit 0.375 x 1234 = 462.75 (Ana's
  undone d2 adds no cost); 4 Mar cost 1060 (d6 Fay); 5 Mar cost 1090 (d3), profit 0.375 x 1788 = 670.5 (P22 is
  NY 5 Mar); 7 Mar cost 1120 (d4); 9 Mar still 670.5 < 1120; 10 Mar cost 1150 (d5), profit 0.375 x 3788 = 1420.5
  >= 1150 -> paid back 2026-03-10, day 8 (with UTC-5 all March, P24 would fall on 9 Mar and pay back then).
  Funnel: issued 6, redeemed 5, identified 4, converted 2, repeat 2.
  Conversion by days since redemption (horizon min(2 x 7, 7 + 60) = 14): converted Gus day 1, Hal day 3 (2.04);
  bought at all from each customer's earliest live redemption of D: Gus 1.0 (day 1), Hal day 3, Fay never, Ana not
  a redeemer (her only D redemption was undone) -> days 1, 2, 3, 14: converted 1, 1, 2, 2; bought 1, 1, 2, 2.
  Cohorts (NY weeks from Monday 2 Mar): Gus (2 Mar), Fay (4 Mar), Hal (7 Mar) -> one cohort of 3; three columns
  (7 // 7 + 2); week 0 Gus (P21 P22), week 1 Hal (P24 on 10 Mar, P26 on 14 Mar NY), week 2 nobody -> [1, 1, 0].
D with ?from=2026-03-05&to=2026-03-07: d3 (Gus) and d4 (Hal, NY 7 Mar though 8 Mar in UTC); not d1, d5, d6:
   issued 0, redeemed 2, identified 2, redeeming 2; attributed to d3 and d4: P22, P24, P26 = 33.54, purchases 3;
   converted 2 (Gus 5.54, Hal 28.00), conversion 1.0; repeat 1 (Hal; Gus's P21 belongs to d1, outside);
   gross_profit 3354 x 0.375 = 1257.75 -> 12.58; cost 0.60 (D went live on 1 Mar, before the range); roi
   (1257.75 - 60) / 60 = 19.9625 ("+1,996%"); median Gus P22 - d3 = 0.5, Hal 49/24 -> (1/2 + 49/24) / 2 = 61/48 =
   1.2708... ("1.3"); freebie_only 0, share 0/2 = 0; payback from 5 Mar: 5 Mar cost 30, profit 207.75 (P22, NY
   5 Mar) -> 2026-03-05, day 0; verdict paid_back.
D with ?from=2026-03-08&to=2026-03-31: only d5 (d4 is 7 Mar in New York): redeemed 1, identified 0, redeeming 1
   (anonymous), converted 0, conversion 0; revenue 0.00; cost 0.30; roi -1.0; median null; freebie_only 0 and its
   share null (no known customer to divide by); payback null; verdict loses_money. The page says there are no
   identified redemptions.
D with ?from=2026-03-01&to=2026-03-31: every redemption of D, issued 6 (issued 1 Mar, NY 07:00) and its go-live
   day: the same figures as without a range.
Totals of the four: issued 18, redeemed 15, identified_redemptions 12, redeeming 14, identified_customers 4 + 2 + 2 + 3
   = 11, converted 6 -> 6/14 = 43%; repeat 4; revenue 35.00 + 20.00 + 0 + 45.88 = 100.88; gross profit exact
   2100 + 1000 + 0 + 1720.5 = 4820.5 -> 48.21; cost 15 + 1 + 35 + 11.50 = 62.50; roi (4820.5 - 6250) / 6250 = -0.22872
   ("-23%"); freebie_only 0 + 0 + 1 + 1 = 2 (Fay once per campaign), share 2/11; verdict over all four, every
   redemption matured: 48.205 < 62.50, loses_money.
Overview with ?from=2026-03-05&to=2026-03-07: A, B and C issued, redeemed and went live outside the range, so they
   are not rows and add nothing: the totals are D's (redeemed 2, revenue 33.54, gross profit 12.58, cost 0.60,
   roi 19.9625).
Overview with ?from=2026-01-01&to=2026-01-31: A, B, C (live on 2 Jan, redeemed in January) and not D; cost
   15 + 1 + 35 = 51.00, as all of January's redemptions and the three go-live days fall in it.
"""
import csv
import io
from datetime import UTC, datetime

import pytest

from campaigns.accounts import business
from campaigns.accounts import users as accounts
from campaigns.contacts.contact import make_contact
from campaigns.contacts.matching import find_or_create
from campaigns.desk import undo
from campaigns.desk.redemption import Attempt, redeem
from campaigns.extensions import db
from campaigns.giving import designs as campaigns
from campaigns.giving import vouchers
from campaigns.sales.corrections import refund_purchase, void_purchase
from tests.conftest import log_in
from tests.designs import design
from tests.ledger_rows import record_purchase

ISSUED = datetime(2026, 1, 2, 12, 0, tzinfo=UTC)


def at(month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


def _campaign(name, window, margin, unit, fixed, count, label, issued=ISSUED):
    made = campaigns.create_campaign(design({"name": name, "unit_cost": unit, "fixed_cost": fixed,
                                             "gross_margin_pct": margin, "attribution_window_days": window,
                                             "per_customer_limit": 5}))
    campaigns.set_status(made, "active", now=issued)  # goes live as its vouchers are printed: its fixed cost's day
    return made, vouchers.issue_batch(made, count, label, now=issued)


def _cookie(people, ids, buy):
    """Campaign D of the docstring: March, an undone redemption, a customer's two vouchers, the DST change."""
    owner = accounts.create_user("golden-owner@example.com", "Olga Owner", "owner", "long enough pw")
    cookie, d = _campaign("Cookie", 7, "37.5", "0.30", "10.00", 7, "sms", issued=at(3, 1, 12))
    vouchers.find_voucher(d[6]).void_at = at(3, 1, 13)  # no service voids a voucher yet: the state, set directly
    redeem(d[0], Attempt(customer=people["Gus"]), now=at(3, 2, 15))
    wrong = redeem(d[1], Attempt(customer=people["Ana"]), now=at(3, 3, 15))
    undo.undo(wrong.id, owner, "scanned the wrong voucher", now=at(3, 3, 15, 5))
    for code, who, when in ((d[5], "Fay", at(3, 4, 15)), (d[2], "Gus", at(3, 5, 15)), (d[3], "Hal", at(3, 8, 3, 30)),
                            (d[4], None, at(3, 10, 15))):
        redeem(code, Attempt(customer=people[who] if who else None), now=when)
    ids.update({name: find_or_create(people[name]).id for name in ("Gus", "Hal")})
    buy("P21", "Gus", 1234, at(3, 3, 15))
    buy("P22", "Gus", 554, at(3, 6, 3))
    buy("P23", "Ana", 900, at(3, 4, 15))
    p24 = buy("P24", "Hal", 2000, at(3, 10, 4, 30))
    refund, _ = refund_purchase(p24, 2000, "P28", owner.id, "wrong sale", now=at(3, 12, 15))
    void_purchase(refund, "refunded the wrong sale", owner.id)
    buy("P26", "Hal", 800, at(3, 15, 3, 30))
    return cookie


@pytest.fixture
def cafe(app):
    """Build the scenario of the module's docstring; return the campaign ids {"A", "B", "C", "D"}."""
    with app.app_context():
        settings = business.get_settings()
        business.update_settings(business_name="Golden Café", currency="USD", time_zone="America/New_York",
                                 default_gross_margin_bp=settings.default_gross_margin_bp,
                                 default_phone_region="US")
        business.create_location("Main St")
        people = {name: make_contact(f"{name.lower()}@example.com", name=name)
                  for name in ("Ana", "Ben", "Cai", "Dee", "Eve", "Fay", "Gus", "Hal")}
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
        ids = {name: find_or_create(people[name]).id for name in ("Ana", "Ben", "Cai", "Dee", "Eve", "Fay")}

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
        cookie = _cookie(people, ids, buy)
        db.session.commit()
        return {"A": latte.id, "B": pastry.id, "C": klass.id, "D": cookie.id}


EXPECTED = {
    "A": {"issued": 6, "redeemed": 5, "identified_redemptions": 4, "redeeming_customers": 5, "identified_customers": 4,
          "converted_customers": 2, "conversion_rate": 0.4, "repeat_customers": 1, "purchases": 4, "refunds": 2,
          "revenue": "35.00", "gross_profit": "21.00", "cost": "15.00", "roi": 0.4,
          "median_days_to_first_purchase": 15.5, "freebie_only": 0, "freebie_only_share": 0.0,
          "payback_date": "2026-01-06", "payback_days": 1, "verdict": "paid_back", "matured_redemptions": 5,
          "days_to_verdict": None},
    "B": {"issued": 3, "redeemed": 2, "identified_redemptions": 2, "redeeming_customers": 2, "identified_customers": 2,
          "converted_customers": 2, "conversion_rate": 1.0, "repeat_customers": 1, "purchases": 3, "refunds": 0,
          "revenue": "20.00", "gross_profit": "10.00", "cost": "1.00", "roi": 9.0,
          "median_days_to_first_purchase": (19 / 24 + 1) / 2, "freebie_only": 0, "freebie_only_share": 0.0,
          "payback_date": "2026-01-09", "payback_days": 1, "verdict": "paid_back"},
    "C": {"issued": 3, "redeemed": 3, "identified_redemptions": 2, "redeeming_customers": 3, "identified_customers": 2,
          "converted_customers": 0, "conversion_rate": 0.0, "repeat_customers": 0, "purchases": 0, "refunds": 0,
          "revenue": "0.00", "gross_profit": "0.00", "cost": "35.00", "roi": -1.0,
          "median_days_to_first_purchase": None, "freebie_only": 1, "freebie_only_share": 0.5,
          "payback_date": None, "payback_days": None, "verdict": "loses_money"},
    "D": {"issued": 6, "redeemed": 5, "identified_redemptions": 4, "redeeming_customers": 4, "identified_customers": 3,
          "converted_customers": 2, "conversion_rate": 0.5, "repeat_customers": 2, "purchases": 4, "refunds": 0,
          "revenue": "45.88", "gross_profit": "17.21", "cost": "11.50", "roi": 1141 / 2300,
          "median_days_to_first_purchase": 73 / 48, "freebie_only": 1, "freebie_only_share": 1 / 3,
          "payback_date": "2026-03-10", "payback_days": 8, "verdict": "paid_back"},
}
# Every figure of a range, keyed by (campaign, query): the docstring's "A with ..." and "D with ..." paragraphs.
RANGED = {
    ("A", "from=2026-01-09&to=2026-01-31"): {
        "issued": 0, "redeemed": 2, "identified_redemptions": 2, "redeeming_customers": 2, "converted_customers": 1,
        "conversion_rate": 0.5, "repeat_customers": 0, "purchases": 1, "refunds": 0, "revenue": "12.00",
        "gross_profit": "7.20", "cost": "2.00", "roi": 2.6, "median_days_to_first_purchase": 30.0,
        "freebie_only": 0, "payback_date": "2026-02-08", "payback_days": 30, "verdict": "paid_back"},
    ("A", "from=2026-01-05&to=2026-01-05"): {
        "issued": 0, "redeemed": 2, "identified_redemptions": 2, "redeeming_customers": 2, "identified_customers": 2,
        "converted_customers": 1, "conversion_rate": 0.5, "repeat_customers": 1, "purchases": 3, "refunds": 2,
        "revenue": "23.00", "gross_profit": "13.80", "cost": "2.00", "roi": 5.9,
        "median_days_to_first_purchase": 1.0, "freebie_only": 0, "freebie_only_share": 0.0,
        "payback_date": "2026-01-06", "payback_days": 1, "verdict": "paid_back"},
    ("A", "from=2026-01-10&to=2026-01-31"): {
        "redeemed": 1, "identified_redemptions": 1, "redeeming_customers": 1, "converted_customers": 0,
        "revenue": "0.00", "cost": "1.00", "roi": -1.0, "median_days_to_first_purchase": None,
        "verdict": "loses_money"},
    ("D", "from=2026-03-05&to=2026-03-07"): {
        "issued": 0, "redeemed": 2, "identified_redemptions": 2, "redeeming_customers": 2, "identified_customers": 2,
        "converted_customers": 2, "conversion_rate": 1.0, "repeat_customers": 1, "purchases": 3, "refunds": 0,
        "revenue": "33.54", "gross_profit": "12.58", "cost": "0.60", "roi": 19.9625,
        "median_days_to_first_purchase": 61 / 48, "freebie_only": 0, "freebie_only_share": 0.0,
        "payback_date": "2026-03-05", "payback_days": 0, "verdict": "paid_back"},
    ("D", "from=2026-03-08&to=2026-03-31"): {
        "issued": 0, "redeemed": 1, "identified_redemptions": 0, "redeeming_customers": 1, "identified_customers": 0,
        "converted_customers": 0, "conversion_rate": 0.0, "repeat_customers": 0, "purchases": 0, "refunds": 0,
        "revenue": "0.00", "gross_profit": "0.00", "cost": "0.30", "roi": -1.0,
        "median_days_to_first_purchase": None, "freebie_only": 0, "freebie_only_share": None,
        "payback_date": None, "payback_days": None, "verdict": "loses_money"},
    ("D", "from=2026-03-01&to=2026-03-31"): EXPECTED["D"],
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


@pytest.mark.parametrize("name", ["A", "B", "C", "D"])
def test_every_figure_through_the_api(api, cafe, name):
    response = api(f"/api/v1/campaigns/{cafe[name]}/report")
    assert response.status_code == 200
    _same(response.get_json(), EXPECTED[name])


@pytest.mark.parametrize("name, query", list(RANGED))
def test_a_date_range_selects_redemptions_by_local_date(api, cafe, name, query):
    got = api(f"/api/v1/campaigns/{cafe[name]}/report?{query}").get_json()
    assert (got["from"], got["to"]) == tuple(part.split("=")[1] for part in query.split("&"))
    _same(got, RANGED[(name, query)])


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
    # The fixed cost on the go-live day (2 Jan, NY 07:00), then each day's redemptions.
    assert (first["date"], first["redeemed"], first["cost"], first["revenue"]) == ("2026-01-02", 0, "10.00", "0.00")
    assert (second["date"], second["redeemed"], second["cost"], second["revenue"]) == ("2026-01-03", 0, "0.00", "0.00")
    fifth, sixth = profit["days"][3:5]
    assert (fifth["date"], fifth["redeemed"], fifth["cost"], fifth["revenue"]) == ("2026-01-05", 2, "2.00", "0.00")
    assert (sixth["date"], sixth["redeemed"], sixth["cost"], sixth["revenue"]) == ("2026-01-06", 1, "1.00", "50.00")
    # Weekly cohorts (weeks from Monday, New York): Ana and Ben redeemed in the week of 5 Jan, Cai (NY 9 Jan) too,
    # Dee in the week of 19 Jan. Week 0 of the 5 Jan cohort: Ana (P1) and Ben (P5) bought; week 2: Ana (P3, 20 Jan).
    cohorts = {row["week"]: row for row in series["cohorts"]}
    assert set(cohorts) == {"2026-01-05", "2026-01-19"}
    assert cohorts["2026-01-05"]["customers"] == 3 and cohorts["2026-01-19"]["customers"] == 1
    # Week 4: Cai's P7 on 8 Feb in New York (23:30), 34 days after 5 Jan. Six columns: a 30-day window spans them.
    assert cohorts["2026-01-05"]["weeks"] == [2, 0, 1, 0, 1, 0]


def test_series_of_the_cookie(api, cafe):
    """D's series: the undone redemption, Gus's two vouchers and the daylight-saving change (docstring, D)."""
    series = api(f"/api/v1/campaigns/{cafe['D']}/report").get_json()["series"]
    assert [step["count"] for step in series["funnel"]] == [6, 5, 4, 2, 2]
    # One batch, "sms": the void d7 is not issued; the segment's cost is 5 x 0.30 (no fixed cost).
    _same(series["by_batch"][0], {"label": "sms", "issued": 6, "redeemed": 5, "redeeming_customers": 4,
                                  "converted_customers": 2, "revenue": "45.88", "gross_profit": "17.21",
                                  "cost": "1.50"})
    assert len(series["by_batch"]) == 1
    conversion = series["conversion_by_day"]
    assert (conversion["window"], conversion["redeeming_customers"], len(conversion["days"])) == (7, 4, 14)
    days = {row["day"]: row for row in conversion["days"]}
    assert [days[day]["converted"] for day in (1, 2, 3, 14)] == [1, 1, 2, 2]
    assert [days[day]["bought"] for day in (1, 2, 3, 14)] == [1, 1, 2, 2]  # Ana (undone) would make day 1 say 2
    profit = series["profit_by_day"]
    assert (profit["payback_date"], profit["payback_days"]) == ("2026-03-10", 8)
    by_date = {day["date"]: (day["redeemed"], day["cost"], day["revenue"], day["gross_profit"])
               for day in profit["days"]}
    assert profit["days"][0]["date"] == "2026-03-01"
    assert by_date["2026-03-01"] == (0, "10.00", "0.00", "0.00")    # the fixed cost on the go-live day
    assert by_date["2026-03-02"] == (1, "0.30", "0.00", "0.00")     # d1
    assert by_date["2026-03-03"] == (0, "0.00", "12.34", "4.63")    # Ana's undone d2 costs nothing; 462.75 cents
    assert by_date["2026-03-04"] == (1, "0.30", "0.00", "0.00")     # d6, Fay
    assert by_date["2026-03-05"] == (1, "0.30", "5.54", "2.08")     # d3, and P22 (NY 22:00); 207.75 cents
    assert by_date["2026-03-07"] == (1, "0.30", "0.00", "0.00")     # d4: NY 7 Mar 22:30, UTC 8 Mar
    assert by_date["2026-03-08"] == (0, "0.00", "0.00", "0.00")
    assert by_date["2026-03-09"] == (0, "0.00", "0.00", "0.00")     # P24 is 10 Mar in New York (EDT), not 9 Mar
    assert by_date["2026-03-10"] == (1, "0.30", "20.00", "7.50")    # P24 at 00:30 EDT and d5
    assert by_date["2026-03-12"] == (0, "0.00", "0.00", "0.00")     # the voided refund P28 counts nowhere
    assert by_date["2026-03-14"] == (0, "0.00", "8.00", "3.00")     # P26: NY 14 Mar 23:30, UTC 15 Mar
    assert by_date["2026-03-15"] == (0, "0.00", "0.00", "0.00")
    cohorts = [(row["week"], row["customers"], row["weeks"]) for row in series["cohorts"]]
    assert cohorts == [("2026-03-02", 3, [1, 1, 0])]


def _csv(client, path) -> list[list[str]]:
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def _csv_says(rows: dict, expected: dict, where) -> None:
    """The CSV writes the API's text: money "12.50", rates as decimals, empty for null."""
    for key, value in expected.items():
        if isinstance(value, float):
            assert float(rows[key]) == pytest.approx(value, abs=1e-9), (where, key, rows[key])
        else:
            assert rows[key] == ("" if value is None else str(value)), (where, key, rows[key])


def _overview(client, query: str = "") -> dict:
    overview = _csv(client, "/dashboard/overview.csv" + query)
    header, body = overview[0], overview[1:]
    assert body[-1][header.index("campaign")] == "Total"
    return {row[header.index("campaign")]: dict(zip(header, row, strict=True)) for row in body}


@pytest.fixture
def owner_client(app, make_user):
    client = app.test_client()
    log_in(client, make_user("owner"))
    return client


def test_the_csv_downloads_say_the_same(owner_client, cafe):
    for name, expected in EXPECTED.items():
        _csv_says(dict(_csv(owner_client, f"/dashboard/campaigns/{cafe[name]}/report.csv")[1:]), expected, name)
    for (name, query), expected in RANGED.items():
        rows = dict(_csv(owner_client, f"/dashboard/campaigns/{cafe[name]}/report.csv?{query}")[1:])
        _csv_says(rows, expected, (name, query))
    by_name = _overview(owner_client)
    assert set(by_name) == {"Latte", "Pastry", "Class", "Cookie", "Total"}
    for name, title in (("A", "Latte"), ("B", "Pastry"), ("C", "Class"), ("D", "Cookie")):
        row = by_name[title]
        assert row["campaign_id"] == str(cafe[name]) and row["status"] == "active"
        _csv_says(row, {key: value for key, value in EXPECTED[name].items() if key in row}, title)
    _csv_says(by_name["Total"], {
        "issued": 18, "redeemed": 15, "identified_redemptions": 12, "redeeming_customers": 14, "converted_customers": 6,
        "conversion_rate": 6 / 14, "repeat_customers": 4, "revenue": "100.88", "gross_profit": "48.21",
        "cost": "62.50", "roi": (4820.5 - 6250) / 6250, "payback_date": None, "freebie_only": 2,
        "freebie_only_share": 2 / 11}, "Total")
    _csv_says(by_name["Total"], {"verdict": "loses_money"}, "Total")
    # The docstring's "Overview with ?from=2026-03-05&to=2026-03-07": A, B and C had nothing in it, so are no rows.
    ranged = _overview(owner_client, "?from=2026-03-05&to=2026-03-07")
    assert set(ranged) == {"Cookie", "Total"}
    _csv_says(ranged["Cookie"], {key: value for key, value in RANGED[("D", "from=2026-03-05&to=2026-03-07")].items()
                                 if key in ranged["Cookie"]}, "Cookie")
    _csv_says(ranged["Total"], {"redeemed": 2, "redeeming_customers": 2, "converted_customers": 2, "revenue": "33.54",
                                "gross_profit": "12.58", "cost": "0.60", "roi": 19.9625, "verdict": "paid_back"},
              "Total")
    january = _overview(owner_client, "?from=2026-01-01&to=2026-01-31")
    assert set(january) == {"Latte", "Pastry", "Class", "Total"}
    _csv_says(january["Total"], {"cost": "51.00", "redeemed": 10}, "Total")


def _page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def _shows(html: str, *texts: str) -> None:
    for text in texts:
        assert text in html, text


def test_the_pages_show_the_same_to_people(owner_client, cafe):
    client = owner_client
    tile = '<span class="tile-value">{}</span>'.format
    words = '<span class="tile-value tile-words">{}</span>'.format  # the payback tile
    _shows(_page(client, f"/dashboard/campaigns/{cafe['A']}"), "USD\u00a035.00", "USD\u00a021.00", "USD\u00a015.00",
           tile("+40%"), "40% (2 of 5)", "converted: 2 of 5 redeeming customers bought", words("Day 1 (Jan 6, 2026)"),
           tile("15.5"), "0</strong> of the 4 known customers")
    _shows(_page(client, f"/dashboard/campaigns/{cafe['B']}"), tile("USD\u00a020.00"), tile("USD\u00a010.00"),
           tile("USD\u00a01.00"), tile("+900%"), tile("100%"), "converted: 2 of 2 redeeming customers bought",
           words("Day 1 (Jan 9, 2026)"), tile("0.9"))
    klass = _page(client, f"/dashboard/campaigns/{cafe['C']}")
    _shows(klass, "Loses money", tile("USD\u00a035.00"), tile("USD\u00a00.00"), tile("\u2212100%"), tile("0%"),
           words("Not yet"), tile("—"), "1</strong> of the 2 known customers",
           "(50%)")
    _shows(_page(client, f"/dashboard/campaigns/{cafe['D']}"), tile("USD\u00a045.88"), tile("USD\u00a017.21"),
           tile("USD\u00a011.50"), tile("+50%"), tile("50%"), "converted: 2 of 4 redeeming customers bought",
           words("Day 8 (Mar 10, 2026)"), "Mar 10, 2026 (paid back)", tile("1.5"), tile("2"),
           "1</strong> of the 3 known customers", "(33%)")
    ranged = _page(client, f"/dashboard/campaigns/{cafe['D']}?from=2026-03-05&to=2026-03-07")
    _shows(ranged, tile("USD\u00a033.54"), tile("USD\u00a012.58"), tile("USD\u00a00.60"), tile("+1,996%"),
           tile("100%"), "converted: 2 of 2 redeeming customers bought", words("Day 0 (Mar 5, 2026)"),
           "Mar 5, 2026 (paid back)", tile("1.3"), "0</strong> of the 2 known customers", words("Paid back"))
    late = _page(client, f"/dashboard/campaigns/{cafe['D']}?from=2026-03-08&to=2026-03-31")
    _shows(late, "No identified redemptions in these dates:", tile("USD\u00a00.30"), tile("\u2212100%"),
           words("Not yet"), "No known customers in these dates", words("Loses money"))
    overview = _page(client, "/dashboard/")
    _shows(overview, "100.88", "48.21", "62.50", "43% (6 of 14)", tile("\u221223%"), "40% (2 of 5)", "100% (2 of 2)",
           "0% (0 of 3)", "50% (2 of 4)", "+900%", "+50%", "\u2212100%", "Loses money", "day 8", "Mar 10, 2026")
    march = _page(client, "/dashboard/?from=2026-03-05&to=2026-03-07")
    _shows(march, "33.54", "12.58", "0.60", "100% (2 of 2)", "+1,996%", "day 0")
    assert "Latte" not in march and "Class" not in march
    freebies = _page(client, f"/dashboard/campaigns/{cafe['C']}/freebie-only")
    assert "fay@example.com" in freebies and "ben@example.com" not in freebies
    # D's freebie-only list: Fay alone (Ana's redemption was undone, Gus and Hal bought); her two unreturned gifts
    # are c3 and d2.
    freebies = _page(client, f"/dashboard/campaigns/{cafe['D']}/freebie-only")
    _shows(freebies, "fay@example.com", "1 of 3 known customers", "(33%)", 'class="num">2</td>')
    for absent in ("ana@example.com", "gus@example.com", "hal@example.com"):
        assert absent not in freebies, absent
