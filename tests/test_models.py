"""The database itself enforces the invariants: a bad row is refused whatever code writes it."""
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from campaigns.extensions import db
from campaigns.models import Campaign, Customer, Purchase, Redemption, User, Voucher

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _campaign(**overrides) -> Campaign:
    fields = {"name": "Free latte", "kind": "sample", "offer": "One latte", "unit_cost_cents": 80}
    fields.update(overrides)
    campaign = Campaign(**fields)
    db.session.add(campaign)
    db.session.flush()
    return campaign


def _refused(make):
    """Assert the database refuses what `make` writes, and leave the session usable."""
    savepoint = db.session.begin_nested()
    with pytest.raises(IntegrityError):
        make()
        db.session.flush()
    savepoint.rollback()


@pytest.mark.parametrize("bad", [
    {"unit_cost_cents": -1}, {"fixed_cost_cents": -5}, {"retail_value_cents": -1}, {"gross_margin_bp": 10001},
    {"kind": "gift"}, {"status": "live"}, {"name": ""}, {"voucher_limit": 0}, {"per_customer_limit": 0},
    {"attribution_window_days": 0}, {"attribution_window_days": 731},
    {"starts_on": date(2026, 5, 2), "ends_on": date(2026, 5, 1)},
])
def test_campaign_rules_are_database_constraints(ctx, bad):
    _refused(lambda: _campaign(**bad))


def test_campaign_defaults_follow_api_md(ctx):
    campaign = _campaign()
    assert (campaign.status, campaign.per_customer_limit, campaign.attribution_window_days) == ("draft", 1, 90)
    assert (campaign.fixed_cost_cents, campaign.gross_margin_bp, campaign.voucher_limit) == (0, 10000, None)


def test_voucher_codes_are_unique(ctx):
    campaign = _campaign()
    db.session.add(Voucher(campaign_id=campaign.id, code="ABCDEFGHJKMNP"))
    db.session.flush()
    _refused(lambda: db.session.add(Voucher(campaign_id=campaign.id, code="ABCDEFGHJKMNP")))


def test_a_customer_holds_each_slot_of_a_campaign_once(ctx):
    campaign = _campaign()
    customer = Customer(email="a@example.com")
    db.session.add(customer)
    db.session.flush()
    db.session.add(Voucher(campaign_id=campaign.id, code="A" * 13, customer_id=customer.id, customer_slot=1))
    db.session.flush()
    _refused(lambda: db.session.add(
        Voucher(campaign_id=campaign.id, code="B" * 13, customer_id=customer.id, customer_slot=1)))


def test_one_live_redemption_per_voucher_but_undone_ones_stay_as_history(ctx):
    campaign = _campaign()
    voucher = Voucher(campaign_id=campaign.id, code="C" * 13)
    db.session.add(voucher)
    db.session.flush()
    first = Redemption(voucher_id=voucher.id, campaign_id=campaign.id, redeemed_at=NOW)
    db.session.add(first)
    db.session.flush()
    _refused(lambda: db.session.add(Redemption(voucher_id=voucher.id, campaign_id=campaign.id, redeemed_at=NOW)))
    first.undone_at, first.undo_reason = NOW, "wrong voucher scanned"
    db.session.flush()
    db.session.add(Redemption(voucher_id=voucher.id, campaign_id=campaign.id, redeemed_at=NOW))
    db.session.flush()


def test_purchases_unique_external_id_and_refund_rules(ctx):
    sale = Purchase(external_id="pos-1", amount_cents=1250, occurred_at=NOW, content_hash="h")
    db.session.add(sale)
    db.session.flush()
    _refused(lambda: db.session.add(Purchase(external_id="pos-1", amount_cents=1, occurred_at=NOW, content_hash="h")))
    _refused(lambda: db.session.add(Purchase(external_id="neg", amount_cents=-100, occurred_at=NOW, content_hash="h")))
    _refused(lambda: db.session.add(Purchase(external_id="pos-refund", amount_cents=100, occurred_at=NOW,
                                             refund_of_id=sale.id, content_hash="h")))
    db.session.add(Purchase(external_id="refund", amount_cents=-1250, occurred_at=NOW, refund_of_id=sale.id,
                            content_hash="h"))
    db.session.flush()


def test_customer_needs_email_or_phone_and_each_is_unique(ctx):
    _refused(lambda: db.session.add(Customer(name="Nobody")))
    db.session.add(Customer(email="a@example.com"))
    db.session.flush()
    _refused(lambda: db.session.add(Customer(email="a@example.com")))
    _refused(lambda: db.session.add(Customer(email="Upper@Example.com")))


def test_roles_are_constrained(ctx):
    _refused(lambda: db.session.add(User(email="x@example.com", name="X", password_hash="h", role="admin")))


def test_times_are_stored_in_utc_and_read_back_aware(ctx):
    campaign = _campaign()
    lisbon_summer = datetime.fromisoformat("2026-07-01T10:00:00+01:00")
    voucher = Voucher(campaign_id=campaign.id, code="D" * 13, issued_at=lisbon_summer)
    db.session.add(voucher)
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Voucher, voucher.id).issued_at
    assert stored == lisbon_summer and stored.utcoffset().total_seconds() == 0
    with pytest.raises(Exception, match="naive"):
        db.session.add(Voucher(campaign_id=campaign.id, code="E" * 13, issued_at=datetime(2026, 1, 1)))
        db.session.flush()
    db.session.rollback()


def test_money_columns_are_integers(ctx):
    columns = {c.key: c for c in inspect(Campaign).columns}
    for name in ("unit_cost_cents", "retail_value_cents", "fixed_cost_cents"):
        assert columns[name].type.python_type is int
    assert inspect(Purchase).columns["amount_cents"].type.python_type is int
