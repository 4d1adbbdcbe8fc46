"""seed-demo makes a believable business that every page can show, and says how to log in."""
from sqlalchemy import func, select

from campaigns.extensions import db
from campaigns.models import AudienceAssignment, Campaign, Purchase, Redemption, User, Voucher
from tests.conftest import csrf_from


def test_seed_demo_fills_an_empty_database(runner, app):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "owner@example.com" in result.output and "demo-owner-pass" in result.output
    with app.app_context():
        count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
        assert count(Campaign) >= 4 and count(Voucher) >= 2000 and count(Redemption) >= 500
        assert count(Purchase) >= 1000 and count(AudienceAssignment) >= 500
        roles = set(db.session.scalars(select(User.role)))
        assert roles == {"owner", "marketer", "staff"}
        span = db.session.execute(select(func.min(Purchase.occurred_at), func.max(Purchase.occurred_at))).one()
        assert (span[1] - span[0]).days >= 150
        # Redemptions and vouchers agree: every live redemption's voucher is marked redeemed.
        mismatched = db.session.scalar(select(func.count()).select_from(Redemption).join(Voucher)
                                       .where(Voucher.redeemed_at.is_(None)))
        assert mismatched == 0
        # ... and every redeemed voucher has its live redemption; the printed figure is that count.
        assert count(Redemption) == db.session.scalar(select(func.count()).select_from(Voucher)
                                                      .where(Voucher.redeemed_at.is_not(None)))
        assert f"{count(Redemption)} redemptions" in result.output
        # A customer attached to a voucher holds one of the campaign's numbered slots, as the desk gives them.
        assert db.session.scalar(select(func.count()).select_from(Voucher).where(
            Voucher.customer_id.is_not(None), Voucher.customer_slot.is_(None))) == 0
        # The class is claimed on a public page, so the demo has a claim page to open.
        slug = db.session.scalar(select(Campaign.claim_slug).where(Campaign.kind == "service"))
    assert slug and app.test_client().get(f"/claim/{slug}").status_code == 200


def test_seed_demo_if_empty_leaves_a_used_database_alone_and_prints_logins(runner, app):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        vouchers = db.session.scalar(select(func.count()).select_from(Voucher))
    again = runner.invoke(args=["seed-demo", "--if-empty"])
    assert again.exit_code == 0 and "no demo data added" in again.output and "demo-staff-pass" in again.output
    refused = runner.invoke(args=["seed-demo"])
    assert refused.exit_code != 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Voucher)) == vouchers


def test_demo_owner_logs_in_and_sees_campaigns(runner, client):
    runner.invoke(args=["seed-demo"])
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": "owner@example.com", "password": "demo-owner-pass",
                                           "csrf_token": token})
    assert response.status_code == 302
    page = client.get("/dashboard/").get_data(as_text=True)
    assert "Free latte for new neighbours" in page and "vouchers issued" in page
