"""The stored attribution (reports/attribution_store.py): every write that can move a purchase from one campaign
to another marks its customers in the same transaction, a refresh brings the stored rows back to what the
definition (attribution.attributed) computes from scratch, and a reader never sees a stale row, refreshed or not.
"""
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, func, select

from campaigns.accounts.business import get_settings
from campaigns.customers.merging import merge_customers
from campaigns.desk import undo
from campaigns.extensions import db
from campaigns.giving.vouchers import attach_customer
from campaigns.jobs.queue import task_named
from campaigns.models import AttributedPurchase, AttributedRedemption, AttributionStale, Voucher
from campaigns.reports import attribution_store
from campaigns.reports.figures import figures
from campaigns.reports.series import profit_by_day
from campaigns.sales.corrections import refund_purchase, void_purchase
from tests.designs import change
from tests.figures_read import attribution_from_scratch, stored_attribution
from tests.test_attribution import DAY, R, Shop


def marked() -> set:
    return set(db.session.scalars(select(AttributionStale.customer_id)))


def refresh_here() -> int:
    """Refresh in the test's own transaction (nothing here commits)."""
    return attribution_store.recompute(db.session.connection())


@pytest.fixture
def history(ctx):
    """Ana redeems a latte at R and buys twice (one sale partly refunded); Bo buys with no redemption; a pastry
    voucher is redeemed anonymously half a day after Ana's latte. Everything is refreshed into the store."""
    shop = Shop()
    latte, pastry = shop.campaign("latte"), shop.campaign("pastry")
    ana, bo = shop.customer("ana@example.com"), shop.customer("bo@example.com")
    made = {"shop": shop, "latte": latte, "pastry": pastry, "ana": ana, "bo": bo}
    made["redemption"] = shop.redeem(latte, R)
    made["sale"] = shop.buy(R + DAY, 1250)
    made["late_sale"] = shop.buy(R + 5 * DAY, 800)
    made["refund"], _ = refund_purchase(made["sale"], 250, "refund-1", shop.boss.id, now=R + 2 * DAY)
    made["bo_sale"] = shop.buy(R + DAY, 3000, email="bo@example.com")
    made["pastry_code"] = shop.voucher(pastry)
    shop.redeem(made["pastry_code"], R + DAY / 2, email=None)
    refresh_here()
    assert stored_attribution() == attribution_from_scratch() and not marked()
    return made


def _sale(h):
    h["shop"].buy(R + 3 * DAY, 999)


def _refund(h):
    refund_purchase(h["late_sale"], 100, "refund-2", h["shop"].boss.id, now=R + 6 * DAY)


def _void(h):
    void_purchase(h["sale"], "rung up twice", h["shop"].boss.id)


def _void_refund(h):
    void_purchase(h["refund"], "refunded by mistake", h["shop"].boss.id)


def _undo(h):
    undo.undo(h["redemption"].id, h["shop"].boss, "wrong voucher", now=R + DAY / 4)


def _attach(h):  # Ana's pastry, redeemed after her latte, now takes her later sales
    voucher = db.session.scalar(select(Voucher).where(Voucher.code == h["pastry_code"]))
    attach_customer(voucher, h["ana"])


def _merge(h):  # Bo's sale becomes Ana's, inside her latte's window
    merge_customers(h["ana"].id, h["bo"].id, h["shop"].boss.id)


def _window(h):  # two days: the late sale falls out
    change(h["latte"], {"attribution_window_days": 2})


WRITES = {"a sale": _sale, "a refund": _refund, "a voided sale": _void, "a voided refund": _void_refund,
          "an undone redemption": _undo, "a customer attached": _attach, "a merge": _merge,
          "a changed window": _window}


@pytest.mark.parametrize("write", WRITES.values(), ids=list(WRITES))
def test_each_write_that_moves_attribution_marks_its_customer_and_a_refresh_follows_it(history, write):
    before = stored_attribution()
    write(history)
    db.session.flush()
    assert history["ana"].id in marked()
    assert attribution_from_scratch() != before  # the write did move something the report counts
    # Not refreshed yet: the reader computes the marked customer afresh, so it already agrees with the definition.
    latte = history["latte"].id
    assert figures([latte], found=attribution_store.current())[latte]["revenue_cents"] == \
        figures([latte])[latte]["revenue_cents"]
    assert refresh_here() >= 1
    assert stored_attribution() == attribution_from_scratch() and not marked()


def test_a_rebuild_from_nothing_gives_the_rows_kept_up_to_date(history):
    for name, write in WRITES.items():
        if name == "a voided sale":  # voiding the sale voids its refund too; the voided refund stands for both
            continue
        write(history)
        db.session.flush()
        refresh_here()
    kept = stored_attribution()
    assert kept == attribution_from_scratch()
    db.session.execute(delete(AttributedPurchase))
    db.session.execute(delete(AttributedRedemption))
    attribution_store.mark_everyone(db.session.connection())
    refresh_here()
    assert stored_attribution() == kept


def test_a_write_that_moves_nothing_marks_nobody(history):
    history["shop"].buy(R + DAY, 500, email=None)  # an anonymous sale
    history["latte"].name = "Latte"  # a campaign change other than its window
    db.session.flush()
    assert not marked()
    assert db.session.scalar(select(func.count()).select_from(AttributedPurchase)) == len(attribution_from_scratch()[0])


def test_the_report_reads_the_store_once_refreshed(history):
    """After a refresh, the figures come from the stored tables themselves (no attribution computed)."""
    found = attribution_store.current()
    assert found.purchases is AttributedPurchase.__table__ and found.redemptions is AttributedRedemption.__table__
    latte = history["latte"].id
    assert figures([latte], found=found)[latte] == figures([latte])[latte]
    history["shop"].buy(R + 2 * DAY, 700)
    db.session.flush()
    assert attribution_store.current().purchases is not AttributedPurchase.__table__


def test_a_window_change_marks_every_customer_of_that_campaign_only(history):
    shop = history["shop"]
    shop.redeem(history["pastry"], R + 7 * DAY, email="cy@example.com")
    refresh_here()
    change(history["latte"], {"attribution_window_days": 3})
    db.session.flush()
    assert marked() == {history["ana"].id}


def test_the_command_and_the_queues_minute_task_refresh_what_writers_committed(app, history):
    history["shop"].buy(R + 2 * DAY, 700)
    db.session.commit()
    assert marked()
    result = app.test_cli_runner().invoke(args=["refresh-attribution"])
    assert result.exit_code == 0 and "Attribution refreshed for 1 customer(s)." in result.output
    db.session.rollback()
    assert not marked() and stored_attribution() == attribution_from_scratch()
    _undo(history)
    db.session.commit()
    assert task_named("refresh_attribution").call_local() == "1 customer(s) refreshed"
    db.session.rollback()
    assert not marked() and stored_attribution() == attribution_from_scratch()
    rebuilt = app.test_cli_runner().invoke(args=["refresh-attribution", "--rebuild"])
    assert rebuilt.exit_code == 0 and "Attribution refreshed for 1 customer(s)." in rebuilt.output  # Ana: the one who redeemed


def test_the_stored_local_dates_follow_the_business_zone(history):
    def stored_days_in(zone_name: str) -> None:
        rows = db.session.execute(select(AttributedPurchase.occurred_at, AttributedPurchase.occurred_on)).all()
        zone = ZoneInfo(zone_name)
        assert rows and all(on == at.astimezone(zone).date() for at, on in rows)

    settings = get_settings()
    stored_days_in(settings.time_zone)
    settings.time_zone = "Pacific/Auckland"  # 13 hours ahead in March: the sales at noon UTC move a day on
    db.session.flush()
    assert marked() == set(db.session.scalars(select(AttributedPurchase.customer_id)))
    refresh_here()
    stored_days_in("Pacific/Auckland")
    found = attribution_store.current()
    assert found.zone == "Pacific/Auckland"
    latte = history["latte"].id
    zone = ZoneInfo("Pacific/Auckland")
    stored = profit_by_day(latte, zone=zone, found=found)
    assert stored == profit_by_day(latte, zone=zone)  # the stored dates and the dates computed now agree
    assert any(day["revenue_cents"] for day in stored["days"])
