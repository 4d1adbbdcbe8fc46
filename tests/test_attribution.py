"""Attribution at the service level, one rule per test (METRICS.md "attributed purchase", "refund", `revenue`).

Everything is made through the services: vouchers issued, redeemed (or undone) at the desk, purchases recorded,
refunded and voided. Attribution is read back at once from campaigns.reports.attribution.
"""
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from campaigns.accounts.business import get_settings
from campaigns.accounts.users import create_user
from campaigns.contacts.contact import make_contact
from campaigns.contacts.matching import find_or_create
from campaigns.core import money
from campaigns.desk import redemption, undo
from campaigns.extensions import db
from campaigns.giving import designs as campaigns
from campaigns.giving.vouchers import attach_customer, issue_batch
from campaigns.models import Purchase, Voucher
from campaigns.reports import assemble
from campaigns.reports.attribution import (
    attributed,
    campaign_of,
    customer_revenue,
)
from campaigns.sales.corrections import refund_purchase, void_purchase
from tests.conftest import log_in
from tests.designs import change, design
from tests.figures_read import campaign_revenue, revenue_by_campaign
from tests.ledger_rows import record_purchase

R = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)  # a redemption time with a fraction of a second
DAY = timedelta(days=1)
WINDOW = 10


@pytest.fixture
def shop(ctx):
    """Helpers to run a shop through the services; everything stays in the test's transaction."""
    return Shop()


class Shop:
    """Campaigns, customers, redemptions and purchases, made the way the app makes them."""

    def __init__(self):
        self.sales = 0
        self.boss = create_user("boss@example.com", "Boss", "owner", "long enough pw")

    def campaign(self, name: str = "Free latte", window: int = WINDOW, **fields):
        made = campaigns.create_campaign(design({"name": name, "offer": "One free " + name, "unit_cost": "0.85",
                                                 "attribution_window_days": window, **fields}))
        campaigns.set_status(made, "active")
        return made

    def customer(self, email: str = "ana@example.com"):
        return find_or_create(make_contact(email))

    def voucher(self, campaign) -> str:
        return issue_batch(campaign, 1, "flyer")[0]

    def redeem(self, campaign_or_code, at: datetime, email: str | None = "ana@example.com", recorded=None):
        """Redeem a (new) voucher at `at`; `recorded` later than `at` makes it a scan sent in afterwards."""
        code = campaign_or_code if isinstance(campaign_or_code, str) else self.voucher(campaign_or_code)
        customer = make_contact(email) if email else None
        if recorded is None:
            attempt = redemption.Attempt(customer=customer)
            return redemption.redeem(code, attempt, now=at)
        attempt = redemption.Attempt(customer=customer, scanned_at=at)
        return redemption.redeem(code, attempt, now=recorded)

    def buy(self, at: datetime, cents: int = 1250, email: str | None = "ana@example.com", voucher_id=None):
        self.sales += 1
        customer_id = self.customer(email).id if email else None
        purchase, _ = record_purchase(f"till-{self.sales}", cents, at, customer_id=customer_id, voucher_id=voucher_id)
        return purchase


def where(purchase) -> int | None:
    """The campaign a purchase (or refund) is attributed to, or None."""
    return campaign_of([purchase.id]).get(purchase.id)


# The window: R < P <= R + window days, exact to the microsecond.

def test_a_purchase_exactly_at_the_end_of_the_window_counts(shop):
    latte = shop.campaign()
    shop.redeem(latte, R)
    assert where(shop.buy(R + WINDOW * DAY)) == latte.id


def test_a_purchase_one_second_after_the_window_does_not_count(shop):
    latte = shop.campaign()
    shop.redeem(latte, R)
    assert where(shop.buy(R + WINDOW * DAY + timedelta(seconds=1))) is None


def test_a_purchase_one_microsecond_after_the_window_does_not_count(shop):
    latte = shop.campaign()
    shop.redeem(latte, R)
    assert where(shop.buy(R + WINDOW * DAY + timedelta(microseconds=1))) is None


def test_a_window_ending_just_before_a_whole_second_keeps_its_fraction(shop):
    # SQLite's datetime() would round 59.999999 up to the next second: the fraction must survive exactly.
    latte = shop.campaign()
    at = datetime(2026, 3, 8, 6, 59, 59, 999999, tzinfo=UTC)
    shop.redeem(latte, at)
    inside, outside = shop.buy(at + WINDOW * DAY), shop.buy(at + WINDOW * DAY + timedelta(microseconds=1))
    assert (where(inside), where(outside)) == (latte.id, None)


def test_window_days_are_24_hours_whatever_the_sessions_time_zone(shop, backend):
    # 1 to 11 March 2026 crosses the US change to summer time: ten calendar days in New York are 239 hours.
    latte = shop.campaign()
    shop.redeem(latte, R)
    inside, outside = shop.buy(R + timedelta(hours=240)), shop.buy(R + timedelta(hours=240, microseconds=1))
    if backend == "postgresql":
        db.session.execute(text("SET LOCAL TIME ZONE 'America/New_York'"))
    assert (where(inside), where(outside)) == (latte.id, None)


def test_a_purchase_before_the_redemption_does_not_count(shop):
    latte = shop.campaign()
    shop.redeem(latte, R)
    assert where(shop.buy(R - timedelta(seconds=1))) is None


def test_a_purchase_at_the_very_moment_of_the_redemption_does_not_count(shop):
    latte = shop.campaign()
    shop.redeem(latte, R)
    assert where(shop.buy(R)) is None


# Last touch across campaigns.

def test_overlapping_campaigns_the_latest_redemption_wins(shop):
    latte, pastry = shop.campaign("latte"), shop.campaign("pastry")
    shop.redeem(pastry, R + DAY)
    shop.redeem(latte, R)  # recorded second, but redeemed earlier
    purchase = shop.buy(R + 2 * DAY)
    assert where(purchase) == pastry.id
    assert revenue_by_campaign() == {pastry.id: 1250}


def test_redemptions_at_the_same_moment_go_to_the_lower_voucher_id(shop):
    first, second = shop.campaign("latte", per_customer_limit=2), shop.campaign("pastry")
    lower = shop.voucher(second)   # the lower voucher id belongs to the later campaign
    higher = shop.voucher(first)
    shop.redeem(higher, R)         # and is redeemed second, at the same moment
    shop.redeem(lower, R)
    assert db.session.scalar(select(Voucher.id).where(Voucher.code == lower)) < \
        db.session.scalar(select(Voucher.id).where(Voucher.code == higher))
    assert where(shop.buy(R + DAY)) == second.id


def test_a_purchase_goes_to_one_campaign_only(shop):
    latte, pastry = shop.campaign("latte"), shop.campaign("pastry")
    shop.redeem(latte, R)
    shop.redeem(pastry, R + DAY)
    purchase = shop.buy(R + 2 * DAY)
    found = attributed()
    rows = db.session.execute(select(found.c.campaign_id).where(found.c.purchase_id == purchase.id)).all()
    assert rows == [(pastry.id,)]


# Refunds follow their original.

def test_a_refund_dated_outside_the_window_follows_its_attributed_original(shop):
    latte = shop.campaign()
    shop.redeem(latte, R)
    sale = shop.buy(R + DAY, 2000)
    refund, _ = refund_purchase(sale, 500, "till-refund", shop.boss.id, now=R + 3 * WINDOW * DAY)
    assert where(refund) == latte.id
    assert revenue_by_campaign() == {latte.id: 1500}


def test_a_refund_of_an_unattributed_original_goes_nowhere_even_inside_a_window(shop):
    latte = shop.campaign()
    sale = shop.buy(R - DAY, 2000)     # before the redemption: nobody's
    shop.redeem(latte, R)
    refund, _ = refund_purchase(sale, 500, "till-refund", shop.boss.id, now=R + DAY)
    assert (where(sale), where(refund)) == (None, None)
    assert revenue_by_campaign() == {}


# Whatever order the data arrives in, whatever changes later.

def test_a_purchase_recorded_before_its_earlier_redemption_arrives_is_attributed(shop):
    latte = shop.campaign()
    purchase = shop.buy(R + DAY)
    assert where(purchase) is None
    shop.redeem(latte, R, recorded=R + 2 * DAY)  # an offline scan, sent in two days later
    assert where(purchase) == latte.id


def test_a_purchase_imported_late_for_an_old_moment_lands_where_it_belongs(shop):
    latte, pastry = shop.campaign("latte"), shop.campaign("pastry")
    shop.redeem(latte, R)
    shop.redeem(pastry, R + 5 * DAY)
    old = shop.buy(R + 2 * DAY)          # recorded after both redemptions, for a moment between them
    assert where(old) == latte.id


def test_an_undone_redemption_releases_its_purchases_to_an_earlier_qualifying_one(shop):
    latte, pastry = shop.campaign("latte"), shop.campaign("pastry")
    shop.redeem(latte, R)
    later = shop.redeem(pastry, R + DAY)
    purchase = shop.buy(R + 2 * DAY)
    assert where(purchase) == pastry.id
    undo.undo(later.id, shop.boss, "wrong voucher scanned", now=R + 2 * DAY)
    assert where(purchase) == latte.id


def test_an_undone_redemption_releases_its_purchases(shop):
    latte = shop.campaign()
    made = shop.redeem(latte, R)
    purchase = shop.buy(R + DAY)
    undo.undo(made.id, shop.boss, "scanned by mistake", now=R + DAY)
    assert where(purchase) is None
    assert revenue_by_campaign() == {}


def test_a_voided_purchase_stops_counting_and_so_do_its_refunds(shop):
    latte = shop.campaign()
    shop.redeem(latte, R)
    kept, wrong = shop.buy(R + DAY, 1000), shop.buy(R + DAY, 2000)
    refund, _ = refund_purchase(wrong, 500, "till-refund", shop.boss.id, now=R + 2 * DAY)
    assert revenue_by_campaign() == {latte.id: 2500}
    void_purchase(wrong, "rung up twice", shop.boss.id, now=R + 2 * DAY)
    assert (where(kept), where(wrong), where(refund)) == (latte.id, None, None)
    assert revenue_by_campaign() == {latte.id: 1000}


def test_a_voided_refund_stops_counting_and_its_original_counts_whole_again(shop):
    latte = shop.campaign()
    shop.redeem(latte, R)
    sale = shop.buy(R + DAY, 2000)
    refund, _ = refund_purchase(sale, 500, "till-refund", shop.boss.id, now=R + 2 * DAY)
    void_purchase(refund, "refunded on the wrong sale", shop.boss.id, now=R + 2 * DAY)
    assert (where(sale), where(refund)) == (latte.id, None)
    assert revenue_by_campaign() == {latte.id: 2000}


def test_an_anonymous_redemption_never_converts(shop):
    latte = shop.campaign()
    made = shop.redeem(latte, R, email=None)
    anonymous = shop.buy(R + DAY, email=None, voucher_id=made.voucher_id)  # even naming the voucher
    someone = shop.buy(R + DAY)
    assert (where(anonymous), where(someone)) == (None, None)
    assert revenue_by_campaign() == {}


def test_changing_the_window_changes_attribution_at_once(shop):
    latte = shop.campaign(window=30)
    shop.redeem(latte, R)
    purchase = shop.buy(R + 20 * DAY)
    assert where(purchase) == latte.id
    change(latte, {"attribution_window_days": 15})
    assert where(purchase) is None
    change(latte, {"attribution_window_days": 20})
    assert where(purchase) == latte.id


def test_attaching_the_customer_afterwards_gives_them_the_purchase_that_named_the_voucher(shop):
    latte = shop.campaign()
    made = shop.redeem(latte, R, email=None)
    purchase = shop.buy(R + DAY, email=None, voucher_id=made.voucher_id)
    other = shop.buy(R + DAY, email=None)
    assert where(purchase) is None
    ana = shop.customer()
    attach_customer(db.session.get(Voucher, made.voucher_id), ana)
    db.session.refresh(purchase)
    db.session.refresh(other)
    assert (purchase.customer_id, other.customer_id) == (ana.id, None)
    assert where(purchase) == latte.id


def test_attaching_a_customer_leaves_a_purchase_that_already_has_one_alone(shop):
    latte = shop.campaign()
    made = shop.redeem(latte, R, email=None)
    bob = shop.customer("bob@example.com")
    purchase = shop.buy(R + DAY, email="bob@example.com", voucher_id=made.voucher_id)
    attach_customer(db.session.get(Voucher, made.voucher_id), shop.customer())
    db.session.refresh(purchase)
    assert purchase.customer_id == bob.id and where(purchase) is None


# The figures the pages show.

def test_campaign_revenue_counts_purchases_and_paying_customers(shop):
    latte = shop.campaign()
    shop.redeem(latte, R)
    shop.redeem(latte, R, email="bob@example.com")
    shop.redeem(latte, R, email="cy@example.com")
    first = shop.buy(R + DAY, 1000)
    shop.buy(R + 2 * DAY, 800)
    bobs = shop.buy(R + DAY, 600, email="bob@example.com")
    refund_purchase(bobs, 600, "bob-refund", shop.boss.id, now=R + 2 * DAY)  # Bob gave it all back
    shop.buy(R - DAY, 5000, email="cy@example.com")  # before Cy's sample: not the campaign's
    assert campaign_revenue(latte.id) == {"revenue_cents": 1800, "purchases": 3, "customers": 1}
    assert customer_revenue(first.customer_id) == {latte.id: 1800}
    assert campaign_revenue(latte.id + 100) == {"revenue_cents": 0, "purchases": 0, "customers": 0}


def test_campaign_of_a_refund_alone_finds_its_original(shop):
    latte = shop.campaign()
    shop.redeem(latte, R)
    sale = shop.buy(R + DAY, 2000)
    refund, _ = refund_purchase(sale, 500, "till-refund", shop.boss.id, now=R + 60 * DAY)
    assert campaign_of([refund.id]) == {refund.id: latte.id}
    assert campaign_of([]) == {}


def test_the_campaign_pages_show_attributed_revenue_straight_after_a_write(app, client, make_user):
    marketer = make_user("marketer")
    with app.app_context():
        shop = Shop()
        latte = shop.campaign()
        shop.redeem(latte, R)
        sales = [shop.buy(R + DAY, 1234).id, shop.buy(R + 2 * DAY, 1000).id]
        db.session.commit()
        campaign_id = latte.id
        settings = get_settings()
        shown = money.format_amount(2234, settings.currency, settings.locale or "en_US")
        nothing = money.format_amount(0, settings.currency, settings.locale or "en_US")
    log_in(client, marketer)
    page = client.get(f"/campaigns/{campaign_id}").get_data(as_text=True)
    tile = page[page.index('id="revenue-tile"'):]
    tile = tile[:tile.index("</div>")]
    assert shown in tile and "attributed revenue" in tile
    assert "2 purchases by 1 paying customer<" in tile
    assert shown in client.get("/campaigns/").get_data(as_text=True)
    with app.app_context():
        for sale in sales:
            void_purchase(db.session.get(Purchase, sale), "rung up on the wrong till", None)
        db.session.commit()
    page = client.get(f"/campaigns/{campaign_id}").get_data(as_text=True)
    tile = page[page.index('id="revenue-tile"'):]
    assert nothing in tile[:tile.index("</div>")] and shown not in page


def test_the_purchases_list_names_the_campaign_each_sale_counts_towards(shop):
    from campaigns.sales.listing import recent_purchases
    latte = shop.campaign()
    shop.redeem(latte, R)
    counted, stray = shop.buy(R + DAY), shop.buy(R - DAY)
    rows, _, _ = recent_purchases()
    assert {row["purchase"].id: row["campaign"] for row in rows} == {counted.id: "Free latte", stray.id: None}


# The delay to the first purchase counts from the redemption that purchase is attributed to, whichever of the
# customer's redemptions of the campaign that is (the report reads it from per-redemption sums, grouped).

@pytest.mark.parametrize("purchases, days", [
    ([(5, 1250)], 2),               # nothing after the first redemption: counted from the second
    ([(1, 0), (4, 1250)], 1),       # a free item after the first is no purchase of positive amount
    ([(1, 1250), (4, 900)], 1),     # bought after the first: counted from the first
])
def test_days_to_first_purchase_count_from_the_redemption_it_is_attributed_to(shop, purchases, days):
    latte = shop.campaign(per_customer_limit=2)
    shop.redeem(latte, R)
    shop.redeem(latte, R + 3 * DAY)
    for day, cents in purchases:
        shop.buy(R + day * DAY, cents)
    computed = assemble.figures([latte.id])[latte.id]["median_days_to_first_purchase"]
    stored = assemble.campaign_report(latte.id)["median_days_to_first_purchase"]
    assert computed == stored == days


def test_a_redemption_matures_exactly_when_its_window_ends(shop):
    latte = shop.campaign()
    shop.redeem(latte, R)
    end = R + WINDOW * DAY

    def matured(now):
        return assemble.figures([latte.id], now=now)[latte.id]["matured_redemptions"]
    assert (matured(end - timedelta(microseconds=1)), matured(end), matured(end + timedelta(seconds=1))) == (0, 1, 1)
