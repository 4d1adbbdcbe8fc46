"""seed-demo makes a believable business that every page can show, only as the app itself could have, and says
how to log in. Seeding takes a while, so each backend seeds one database per run (tests/conftest.py) and each
test here reads a copy of it."""
import shutil
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from app import create_app
from campaigns.accounts import first_steps
from campaigns.accounts.business import business_zone
from campaigns.extensions import db
from campaigns.models import (
    AudienceAssignment,
    AuditEntry,
    Campaign,
    Customer,
    Feedback,
    Purchase,
    Redemption,
    User,
    Voucher,
)
from tests.conftest import _pg_url, app_config, csrf_from


@pytest.fixture(params=["sqlite", "postgresql"])
def seeded(request, tmp_path):
    """An app on a copy of the database `flask seed-demo` filled (once per run), and what the command printed."""
    made = request.getfixturevalue(f"demo_{request.param}")
    if request.param == "sqlite":
        target = tmp_path / "demo.db"
        shutil.copy(made.where, target)
        url, copy = f"sqlite:///{target}", None
    else:
        copy = f"test_{uuid.uuid4().hex[:16]}"
        admin = request.getfixturevalue("postgres")
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {copy} TEMPLATE {made.where}"))
        url = _pg_url(copy)
    app = create_app(app_config(url))
    yield app, made, made.finished
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if copy is not None:
        with request.getfixturevalue("postgres").connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {copy} WITH (FORCE)"))


@pytest.fixture
def demo(seeded):
    """The seeded app's context, and what seed-demo printed; nothing a test does here is kept."""
    app, result, finished = seeded
    with app.app_context():
        yield result, finished
        db.session.rollback()


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_seed_demo_fills_an_empty_database_and_prints_what_it_made(demo):
    result, _ = demo
    assert result.exit_code == 0, result.output
    assert "owner@example.com" in result.output and "demo-espresso-crema" in result.output
    live = count(Redemption, Redemption.undone_at.is_(None))
    assert (f"Demo data: {count(Voucher)} vouchers, {live} redemptions, {count(Customer)} customers, "
            f"{count(Purchase)} purchases, {count(Feedback)} feedback answers.") in result.output
    # The café's size, give or take what the dice and the calendar do.
    assert 2000 <= count(Customer) <= 2400 and 3000 <= count(Voucher) <= 3600 and 900 <= live <= 1400
    assert 1300 <= count(Purchase) <= 2000 and count(AudienceAssignment) == 600
    assert set(db.session.scalars(select(User.role))) == {"owner", "marketer", "staff"}
    assert dict(db.session.execute(select(Campaign.name, Campaign.status)).all()) == {
        "Free latte for new neighbours": "ended", "Free coffee tasting class": "active",
        "Free pastry with your coffee": "active", "Cold brew for the mailing list": "active",
        "Holiday cookie box": "draft"}
    assert 250 <= count(Feedback) <= 450  # answered through the feedback service, some after their vouchers' days


def test_demo_feedback_says_what_happy_sample_takers_do(demo):
    """The demo's answers split into bands whose conversion differs as a real shop's would: promoters bought
    more often than detractors (each band with enough customers to tell)."""
    from campaigns.reports.feedback_figures import feedback_figures

    latte = db.session.scalar(select(Campaign).where(Campaign.name == "Free latte for new neighbours"))
    figures = feedback_figures([latte.id])[latte.id]
    bands = figures["bands"]
    assert figures["feedback_count"] == count(Feedback, Feedback.campaign_id == latte.id) > 50
    assert bands["promoter"]["customers"] >= 20 and bands["detractor"]["customers"] >= 10
    rate = {name: band["converted"] / band["customers"] for name, band in bands.items()}
    assert rate["promoter"] > rate["detractor"]
    assert figures["nps"] is not None and -100 <= figures["nps"] <= 100


def test_every_campaigns_issued_counter_is_its_count_of_vouchers(demo):
    counted = dict(db.session.execute(select(Voucher.campaign_id, func.count()).group_by(Voucher.campaign_id)).all())
    for campaign in db.session.scalars(select(Campaign)):
        assert campaign.vouchers_issued == counted.get(campaign.id, 0), campaign.name


def test_the_demo_has_done_every_first_step_so_its_dashboard_shows_no_list(demo):
    steps = first_steps.progress()
    assert steps.all_done and not steps.showing, steps.done


def test_every_redemption_went_through_the_desk(demo):
    """Each redeemed voucher has one live redemption, inside its campaign's dates, and its audit entry."""
    _, finished = demo
    redeemed = dict(db.session.execute(select(Voucher.id, Voucher.code).where(Voucher.redeemed_at.is_not(None))).all())
    rows = db.session.execute(
        select(Redemption.id, Redemption.voucher_id, Redemption.redeemed_at, Redemption.recorded_at,
               Redemption.customer_id, Voucher.customer_id, Voucher.redeemed_at, Voucher.issued_at,
               Campaign.starts_on, Campaign.ends_on)
        .join(Voucher, Voucher.id == Redemption.voucher_id).join(Campaign, Campaign.id == Redemption.campaign_id)
        .where(Redemption.undone_at.is_(None))).all()
    assert sorted(r[1] for r in rows) == sorted(redeemed)  # one live redemption each, and none without
    zone = business_zone()
    for _, _, at, recorded, customer, holder, voucher_at, issued, starts_on, ends_on in rows:
        assert at == recorded == voucher_at and issued < at < finished and customer == holder
        assert starts_on <= at.astimezone(zone).date() <= (ends_on or at.astimezone(zone).date())
    audited = db.session.execute(select(AuditEntry.subject_id, AuditEntry.details, AuditEntry.occurred_at)
                                 .where(AuditEntry.action == "redeem", AuditEntry.outcome == "redeemed")).all()
    assert sorted((code, details["redemption_id"], at) for code, details, at in audited) == sorted(
        (redeemed[voucher_id], redemption_id, at) for redemption_id, voucher_id, at, *_ in rows)
    assert count(AuditEntry, AuditEntry.action == "redeem", AuditEntry.outcome != "redeemed") == 0  # the story never fumbles a code


def test_customers_hold_their_vouchers_as_the_desk_and_the_claim_page_give_them(demo):
    assert count(Voucher, Voucher.customer_id.is_not(None), Voucher.customer_slot.is_(None)) == 0
    assert count(Voucher, Voucher.customer_id.is_not(None), Voucher.redeemed_at.is_(None),
                 Voucher.channel == "batch") == 0  # a flyer gets its customer only when redeemed
    claimed = select(Voucher).join(Campaign).where(Campaign.kind == "service")
    assert {v.channel for v in db.session.scalars(claimed)} == {"claim"}


def test_the_mailing_list_is_a_holdout_audience_with_vouchers_for_treatment_only(demo):
    campaign = db.session.scalar(select(Campaign).where(Campaign.name == "Cold brew for the mailing list"))
    members = db.session.scalars(select(AudienceAssignment).where(AudienceAssignment.campaign_id == campaign.id)).all()
    control = [m for m in members if m.group_name == "control"]
    assert {m.holdout_pct for m in members} == {20} and 0.12 <= len(control) / len(members) <= 0.28
    assert all(m.voucher_id is None for m in control)
    for member in members:
        if member.group_name == "treatment":
            voucher = db.session.get(Voucher, member.voucher_id)
            assert (voucher.campaign_id, voucher.customer_id, voucher.channel) == (campaign.id, member.customer_id,
                                                                                   "audience")
            assert voucher.issued_at == member.assigned_at
    assert count(Voucher, Voucher.campaign_id == campaign.id) == len(members) - len(control)


def test_purchases_span_the_season_and_refunds_name_their_originals(demo):
    _, finished = demo
    span = db.session.execute(select(func.min(Purchase.occurred_at), func.max(Purchase.occurred_at))).one()
    assert (span[1] - span[0]).days >= 150 and span[1] < finished
    assert count(Purchase, Purchase.customer_id.is_(None)) == 0
    refunds = db.session.scalars(select(Purchase).where(Purchase.refund_of_id.is_not(None))).all()
    assert refunds and count(Purchase, Purchase.amount_cents < 0) == len(refunds)
    for refund in refunds:
        original = db.session.get(Purchase, refund.refund_of_id)
        assert original.amount_cents + refund.amount_cents == 0 and original.customer_id == refund.customer_id
        assert original.occurred_at < refund.occurred_at < original.occurred_at + timedelta(hours=3)
    # Redeemers come back to buy: the story's conversions are there for the report to find.
    came_back = select(func.count(func.distinct(Redemption.customer_id))).join(
        Purchase, (Purchase.customer_id == Redemption.customer_id) & (Purchase.occurred_at > Redemption.redeemed_at))
    assert db.session.scalar(came_back) >= 200


def test_the_claim_page_of_the_class_opens(seeded, demo):
    app, _, _ = seeded
    slug = db.session.scalar(select(Campaign.claim_slug).where(Campaign.kind == "service"))
    assert slug and app.test_client().get(f"/claim/{slug}").status_code == 200


def test_seed_demo_if_empty_leaves_a_used_database_alone_and_prints_logins(seeded):
    app, _, _ = seeded
    runner = app.test_cli_runner()
    with app.app_context():
        vouchers = count(Voucher)
    again = runner.invoke(args=["seed-demo", "--if-empty"])
    assert again.exit_code == 0 and "no demo data added" in again.output and "demo-oat-milk-latte" in again.output
    refused = runner.invoke(args=["seed-demo"])
    assert refused.exit_code != 0
    with app.app_context():
        assert count(Voucher) == vouchers


def test_demo_owner_logs_in_and_sees_campaigns(seeded):
    client = seeded[0].test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": "owner@example.com", "password": "demo-espresso-crema",
                                           "csrf_token": token})
    assert response.status_code == 302
    page = client.get("/dashboard/").get_data(as_text=True)
    assert "Free latte for new neighbours" in page and "Loses money" in page  # the tasting class costs more than it made
